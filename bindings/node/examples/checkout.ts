// A typed checkout step: the coupons a customer entered, checked against the
// cart, with the reasons the rest do not apply. Type-checked (tsc --strict)
// and run by the tests.
import {
  Catalog, CompileError, Context, ContextError, CouponlibError, Simulation, type Choice, type ContextObject,
  type CouponResult, type ReasonCode, type SimulationReport, formatAmount,
} from 'couponlib';

const source = `
version: 1
currency: EUR
timezone: Europe/Berlin
coupons:
  - code: SPRING15
    name: 15% off garden items in spring
    when: { date: { between: ["03-01", "05-31"] }, category: [garden] }
    discount: { percent: 15, target: { items: { category: [garden] } } }
  - code: FIVER
    name: 5.00 off orders over 40.00
    when: { cart.subtotal: { gte: "40.00" } }
    discount: { amount: "5.00" }
`;

function checkout(catalog: Catalog, context: ContextObject | Context): Choice {
  const choice = catalog.best(context);
  for (const r of choice.rejected) {
    const why: ReasonCode[] = r.reasons.map((x) => x.code);
    console.log(`not applied: ${r.code} (${why.join(', ')})`);
  }
  return choice;
}

const catalog: Catalog = Catalog.compile({ source, name: 'spring.yaml' });
const context: ContextObject = {
  now: '2026-04-11T09:00:00+02:00',
  currency: 'EUR',
  codes: ['SPRING15', 'FIVER', 'BOGUS'],
  items: [
    { sku: 'RAKE', quantity: 1, unit_price: '24.90', categories: ['garden/tools'] },
    { sku: 'GLOVES', quantity: 3, unit_price: formatAmount(7, 'EUR'), categories: ['garden'] },
  ],
};
const choice = checkout(catalog, context);
console.log(`applied ${choice.coupons.join(' + ')}: -${choice.discount}, total ${choice.total}`);

// A catalog compiled once (at deploy time, say) and loaded from its bytes.
const saved: Buffer = catalog.save();
const restored = Catalog.load(saved);
console.log(`restored ${restored.size} coupons: ${restored.coupons.map((c) => c.code).join(', ')}`);
restored.close();

const perCoupon: CouponResult[] = catalog.evaluate(context, { only: ['FIVER'] });
console.log(`FIVER alone: ${perCoupon[0].applicable ? perCoupon[0].discount : 'does not apply'}`);

// A context prepared once (parsed into native form), for many evaluations.
const prepared = new Context(context);
const again = checkout(catalog, prepared);
const json: string = catalog.evaluateJson(prepared, { only: ['FIVER'] });
console.log(`prepared: -${again.discount} on ${prepared.size} lines in ${prepared.currency}, ` +
            `FIVER ${JSON.parse(json)[0].discount}`);
prepared.close();

try {
  Catalog.compile('currency: EUR\ncode: X\ndiscount: { percnt: 10 }\n');
} catch (e) {
  if (e instanceof CompileError) console.log(`${e.code} at ${e.line}:${e.column}`);
  else throw e;
}
try {
  catalog.best({ ...context, currency: 'EURO' });
} catch (e) {
  if (e instanceof ContextError || e instanceof CouponlibError) console.log(`${e.code} at ${e.path}`);
  else throw e;
}

// What the coupons would have cost on past orders (docs/simulation.md).
const history: ContextObject[] = [context, { ...context, codes: ['FIVER'] }, { ...context, codes: [] }];
const report: SimulationReport = catalog.simulate(history);
const fiver = report.coupons.find((c) => c.code === 'FIVER');
console.log(`${report.orders} past orders: ${report.best?.discounted} discounted, cost ${report.best?.cost}; ` +
            `FIVER alone ${fiver?.eval?.qualifying} times, won ${fiver?.best?.won}`);
const sim = new Simulation(catalog, { eval: false });
for (const order of history) sim.addJson(JSON.stringify(order));
console.log(`median cost of a discounted order: ${sim.percentile(50)}`);
sim.close();
catalog.close();
