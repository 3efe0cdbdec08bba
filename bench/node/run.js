#!/usr/bin/env node
// The Node side of bench/run.sh: couponlib through its Node binding, and the
// engines a Node shop would pick instead, on the workloads of issue 8:
//
//   W1  one coupon of seven conditions and a capped percent, a 10-line cart
//   W2  the best choice among 10,000 coupons for a 10-line cart
//   W3  one coupon against a million distinct carts
//   W4  compiling (loading) 10,000 coupons
//   W5  a million unique codes
//
//   node bench/node/run.js DATA_DIR W1_YAML [--quick] [--only NAME,...]
//
// Each figure is one JSON line on stdout for bench/report.py (the fields of
// bench/c/cbench.c): "ns" is the median over the runs of the process's CPU
// time (user + system, all threads: the engines that work on threads of
// their own are charged for them) per operation, "wall" the median wall
// time. The peers get each decision's facts in the shape their engine
// wants, made from the same carts (cart.js); they decide which coupons
// apply, and the money around it is the same hand-written code for each
// (host.js), so that "check" is the same for every runner.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const cart = require('./cart.js');
const host = require('./host.js');

const args = process.argv.slice(2);
const dataDir = args[0];
const w1Yaml = args[1];
const quick = args.includes('--quick');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(',')) : null;
const peersDir = process.env.COUPONLIB_BENCH_PEERS ||
  path.join(process.env.HOME, '.cache', 'couponlib', 'bench-node', 'node_modules');

const RUNS = quick ? 3 : 9;
const SECONDS = quick ? 0.05 : 0.4;          // per run of a fast workload

function emit(w, runner, r, check, note) {
  console.log(JSON.stringify({ w, runner, lang: 'Node', ns: r.ns, wall: r.wall, min: r.min, max: r.max,
    runs: r.runs, check, note }));
}

function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function wallNs() {
  return Number(process.hrtime.bigint());
}

function median(v) {
  const s = v.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function summary(cpu, wall) {
  return { ns: median(cpu), wall: median(wall), min: Math.min(...cpu), max: Math.max(...cpu), runs: cpu.length };
}

// Runs fn (sync or async) in RUNS timed runs of as many calls as fill about
// SECONDS each (at least `least`), after a warm-up; ns per call.
async function time(fn, isAsync, least = 1) {
  let n = least;
  for (;;) {   // warm up and size the runs
    const t0 = wallNs();
    for (let i = 0; i < n; i++) isAsync ? await fn() : fn();
    const dt = (wallNs() - t0) / 1e9;
    if (dt >= SECONDS / 4 || n >= 1e7) {
      n = Math.max(least, Math.ceil(n * SECONDS / Math.max(dt, 1e-6)));
      break;
    }
    n *= 4;
  }
  const cpu = [], wall = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = cpuNs(), w0 = wallNs();
    for (let i = 0; i < n; i++) isAsync ? await fn() : fn();
    cpu.push((cpuNs() - c0) / n);
    wall.push((wallNs() - w0) / n);
  }
  return summary(cpu, wall);
}

// ---------------------------------------------------------------------------
// Workload data
// ---------------------------------------------------------------------------

const w1Cart = cart.make(cart.W1_SEED, 10);
const w1Context = JSON.parse(fs.readFileSync(path.join(dataDir, 'w1.json'), 'utf8'));
const w2Context = JSON.parse(fs.readFileSync(path.join(dataDir, 'w2.json'), 'utf8'));
const w2Text = fs.readFileSync(path.join(dataDir, 'w2.yaml'), 'utf8');
const w2Records = JSON.parse(fs.readFileSync(path.join(dataDir, 'w2-coupons.json'), 'utf8'));
const w2Cart = cart.make(cart.W2_SEED, 10);
const W2_CODES = w2Context.codes;

function cents(s) {
  const [a, b = ''] = s.split('.');
  return Number(a) * 100 + Number((b + '00').slice(0, 2));
}

// W3: the carts are made a chunk at a time, untimed; the timed part turns
// each into the runner's input (a context, facts) and decides.
const CHUNK = 10000;
const CARTS = 1000000;

async function bulk(make, decide, count, isAsync) {
  let applicable = 0, total = 0, cpu = 0, wall = 0;
  const chunk = new Array(CHUNK);
  for (let base = 0; base < count; base += CHUNK) {
    const m = Math.min(CHUNK, count - base);
    for (let i = 0; i < m; i++) chunk[i] = cart.make(base + i + 1, cart.linesOf(base + i + 1));
    const c0 = cpuNs(), w0 = wallNs();
    for (let i = 0; i < m; i++) {
      const d = isAsync ? await decide(make(chunk[i])) : decide(make(chunk[i]));
      if (d >= 0) {
        applicable++;
        total += d;
      }
    }
    cpu += cpuNs() - c0;
    wall += wallNs() - w0;
  }
  return { cpu, wall, check: `${count} carts: ${applicable} apply, discount ${total}` };
}

// W3 over `count` carts (all of them, or a sample scaled to a million),
// repeated `runs` times.
async function w3(runner, make, decide, { count = CARTS, runs = quick ? 1 : 3, isAsync = false } = {}) {
  if (quick) count = Math.min(count, 20000);
  const cpu = [], wall = [];
  let check = '';
  for (let r = 0; r < runs; r++) {
    const b = await bulk(make, decide, count, isAsync);
    cpu.push(b.cpu * CARTS / count);
    wall.push(b.wall * CARTS / count);
    check = b.check;
  }
  const note = count === CARTS ? 'every cart' : `the first ${count} carts, timed and scaled to a million`;
  emit('W3', runner, summary(cpu, wall), check, note);
}

function want(name) {
  return only === null || only.has(name);
}

// The binding's native addon, found as bindings/node/index.js finds it.
function nativeAddon() {
  if (process.env.COUPONLIB_NODE_ADDON) return require(path.resolve(process.env.COUPONLIB_NODE_ADDON));
  return require(path.join(__dirname, '..', '..', 'bindings', 'node', 'build', 'Release', 'couponlib_native.node'));
}

// ---------------------------------------------------------------------------
// couponlib, through its Node binding
// ---------------------------------------------------------------------------

async function couponlib() {
  const { Catalog } = require(path.join(__dirname, '..', '..', 'bindings', 'node'));
  const runner = 'couponlib';
  const w1 = Catalog.compileFiles(w1Yaml);
  const checkOf = (r) => (r.applicable ? `${cents(r.discount)};${r.lines.map((l) => `${l.index}:${cents(l.discount)}`).join(',')}` : 'not applicable');
  emit('W1', runner, await time(() => w1.evaluate(w1Context)), checkOf(w1.evaluate(w1Context)[0]),
    'Catalog.evaluate(context object)');
  const text = JSON.stringify(w1Context);
  emit('W1-text', runner, await time(() => w1.evaluate(text)), checkOf(w1.evaluate(text)[0]),
    'Catalog.evaluate(the context as JSON text)');
  const { Context } = require(path.join(__dirname, '..', '..', 'bindings', 'node'));
  const prepared = new Context(w1Context);
  emit('W1-prepared', runner, await time(() => w1.evaluate(prepared)), checkOf(w1.evaluate(prepared)[0]),
    'Catalog.evaluate(a Context made once)');
  prepared.close();

  // W1 through the binding's native layer (the SWIG wrapper of the C API
  // that Catalog is written on): the context parsed once, as the peers'
  // facts are made once, and the decision read with cl_result_*, without
  // the objects Catalog.evaluate makes of the result: the floor under
  // W1-prepared.
  const native = nativeAddon();
  const env = native.clnode_env_new(), err = new native.cl_error();
  const prog = native.cl_compile_file(env, w1Yaml, err);
  const vm = native.cl_vm_new(env), ctx = native.cl_context_new(env);
  if (prog === null || vm === null || ctx === null) throw new Error(`W1-native: ${err.message || 'out of memory'}`);
  if (native.cl_context_parse(ctx, text, err) !== native.CL_OK) throw new Error(`W1-native: ${err.message}`);
  let res = null;
  const decide = () => {
    res = native.clnode_eval(vm, prog, ctx, 0, err);
    return native.cl_result_applicable(res, 0) ? native.cl_result_discount(res, 0) : -1;
  };
  const r1 = await time(decide);
  emit('W1-native', runner, r1, checkOf(JSON.parse(native.clnode_result_json(res))[0]),
    'the binding\'s native layer: cl_context_parse once, clnode_eval, cl_result_discount');
  native.cl_vm_free(vm);
  native.cl_context_free(ctx);
  native.cl_program_free(prog);
  native.cl_env_free(env);

  const w2 = Catalog.compile(w2Text);
  const choice = w2.best(w2Context, { indexed: true });
  emit('W2', runner, await time(() => w2.best(w2Context, { indexed: true })),
    `${choice.coupons.length} coupons, discount ${cents(choice.discount)}`, 'Catalog.best(context, { indexed: true })');

  await w3(runner, (c) => cart.contextOf(c), (ctx) => {
    const r = w1.evaluate(ctx)[0];
    return r.applicable ? cents(r.discount) : -1;
  }, { runs: 1 });

  emit('W4', runner, await time(() => Catalog.compile(w2Text).close()), '10000 coupons', 'Catalog.compile(YAML text)');
  w1.close();
  w2.close();
}

// ---------------------------------------------------------------------------
// The peers: W1's rule in each engine's language
// ---------------------------------------------------------------------------

const W1_CEL = `weekday in [5, 6, 7] && method in ['card', 'wallet'] &&
  tags.exists(t, t in ['vip', 'gold']) && sequence >= 2 &&
  sum(items.filter(i, i.category == 'electronics' || i.category.startsWith('electronics/')).map(i, i.quantity)) >= 2 &&
  subtotal >= 10000 && uses_total < 100000 && uses_user < 5`;

const W1_ZEN = "weekday in [5, 6, 7] and method in ['card', 'wallet'] and some(tags, # in ['vip', 'gold']) " +
  "and sequence >= 2 and sum(map(filter(items, #.category == 'electronics' or startsWith(#.category, 'electronics/')), #.quantity)) >= 2 " +
  'and subtotal >= 10000 and uses_total < 100000 and uses_user < 5';

// W1's discount once an engine says the coupon applies.
function w1Money(ok, facts) {
  return ok ? host.w1Discount(facts.amounts) : null;
}

function w1Decide(r) {
  return r === null ? -1 : r.discount;
}

// The CEL facts: CEL integers are BigInts in cel-js.
function celFacts(f) {
  return {
    weekday: BigInt(f.weekday), method: f.method, tags: f.tags, sequence: BigInt(f.sequence),
    subtotal: BigInt(f.subtotal), uses_total: BigInt(f.uses_total), uses_user: BigInt(f.uses_user),
    items: f.items.map((i) => ({ quantity: BigInt(i.quantity), category: i.category })),
  };
}

// One W2 record's rule as a CEL expression (its conditions; the target's
// lines are checked by the host's eligible()).
function celOf(r) {
  const c = [];
  if (!r.automatic) c.push(`'${r.code}' in codes`);
  if (r.weekday) c.push(`weekday in [${r.weekday.join(', ')}]`);
  if (r.methods) c.push(`method in [${r.methods.map((m) => `'${m}'`).join(', ')}]`);
  if (r.owner) c.push(`user_id == '${r.owner}'`);
  if (r.category) c.push(`'${r.category}' in categories`);
  if (r.min_subtotal !== null) c.push(`subtotal >= ${r.min_subtotal}`);
  const t = r.discount.target;
  if (t && t.skus) c.push(`skus.exists(s, s in [${t.skus.map((s) => `'${s}'`).join(', ')}])`);
  return c.length ? c.join(' && ') : 'true';
}

function celW2Facts(f) {
  return { codes: f.codes, weekday: BigInt(f.weekday), method: f.method, user_id: f.user_id,
    categories: f.categories, subtotal: BigInt(f.subtotal), skus: f.skus };
}

async function celPeer() {
  const { Environment } = await import(path.join(peersDir, '@marcbachmann/cel-js/lib/index.js'));
  const runner = 'cel-js';
  const env = new Environment({ unlistedVariablesAreDyn: true })
    .registerFunction('sum(list<int>): int', (l) => l.reduce((a, b) => a + b, 0n));
  const expr = env.parse(W1_CEL);
  const f = host.w1Facts(w1Cart), cf = celFacts(f);
  emit('W1', runner, await time(() => w1Money(expr(cf), f)), host.w1Check(w1Money(expr(cf), f)),
    'a parsed expression; the money in host code');

  const parsed = w2Records.map((r) => ({ r, e: env.parse(celOf(r)) }));
  const w2f = host.w2Facts(w2Cart, W2_CODES), cw2 = celW2Facts(w2f);
  const choose = () => host.w2Choose(parsed.filter((p) => p.e(cw2)).map((p) => p.r), w2f);
  emit('W2', runner, await time(choose), choose(), '10,000 parsed expressions; the choice in host code');

  await w3(runner, (c) => host.w1Facts(c), (fx) => w1Decide(w1Money(expr(celFacts(fx)), fx)), { count: 100000 });

  emit('W4', runner, await time(() => w2Records.map((r) => env.parse(celOf(r)))), '10000 coupons',
    'env.parse of 10,000 expressions');
}

// json-rules-engine: conditions as its JSON rules, facts as a plain object.
function jreEngine(Engine) {
  const e = new Engine([], { allowUndefinedFacts: true });
  e.addOperator('containsAny', (a, b) => Array.isArray(a) && a.some((x) => b.includes(x)));
  return e;
}

const W1_JRE = {
  conditions: { all: [
    { fact: 'weekday', operator: 'in', value: [5, 6, 7] },
    { fact: 'method', operator: 'in', value: ['card', 'wallet'] },
    { fact: 'tags', operator: 'containsAny', value: ['vip', 'gold'] },
    { fact: 'sequence', operator: 'greaterThanInclusive', value: 2 },
    { fact: 'electronics_units', operator: 'greaterThanInclusive', value: 2 },
    { fact: 'subtotal', operator: 'greaterThanInclusive', value: 10000 },
    { fact: 'uses_total', operator: 'lessThan', value: 100000 },
    { fact: 'uses_user', operator: 'lessThan', value: 5 },
  ] },
  event: { type: 'SEVEN' },
};

function jreOf(r) {
  const all = [];
  if (!r.automatic) all.push({ fact: 'codes', operator: 'contains', value: r.code });
  if (r.weekday) all.push({ fact: 'weekday', operator: 'in', value: r.weekday });
  if (r.methods) all.push({ fact: 'method', operator: 'in', value: r.methods });
  if (r.owner) all.push({ fact: 'user_id', operator: 'equal', value: r.owner });
  if (r.category) all.push({ fact: 'categories', operator: 'contains', value: r.category });
  if (r.min_subtotal !== null) all.push({ fact: 'subtotal', operator: 'greaterThanInclusive', value: r.min_subtotal });
  const t = r.discount.target;
  if (t && t.skus) all.push({ fact: 'skus', operator: 'containsAny', value: t.skus });
  if (all.length === 0) all.push({ fact: 'subtotal', operator: 'greaterThanInclusive', value: 0 });
  return { conditions: { all }, event: { type: r.code } };
}

async function jrePeer() {
  const { Engine } = require(path.join(peersDir, 'json-rules-engine'));
  const runner = 'json-rules-engine';
  const e1 = jreEngine(Engine);
  e1.addRule(W1_JRE);
  // The units of electronics: a fact computed from the items, as its docs do it.
  e1.addFact('electronics_units', (p, almanac) => almanac.factValue('items').then((items) =>
    items.reduce((s, i) => s + (host.inCategory(i.category, 'electronics') ? i.quantity : 0), 0)));
  const f = host.w1Facts(w1Cart);
  const one = async (fx) => w1Money((await e1.run(fx)).events.length > 0, fx);
  emit('W1', runner, await time(() => one(f), true), host.w1Check(await one(f)),
    'Engine.run(facts); the money in host code');

  const byCode = new Map(w2Records.map((r) => [r.code, r]));
  const e2 = jreEngine(Engine);
  for (const r of w2Records) e2.addRule(jreOf(r));
  const w2f = host.w2Facts(w2Cart, W2_CODES);
  const choose = async () => host.w2Choose((await e2.run(w2f)).events.map((ev) => byCode.get(ev.type)), w2f);
  emit('W2', runner, await time(choose, true), await choose(), 'Engine.run over 10,000 rules; the choice in host code');

  await w3(runner, (c) => host.w1Facts(c), async (fx) => w1Decide(await one(fx)), { count: 20000, isAsync: true });

  emit('W4', runner, await time(() => {
    const e = jreEngine(Engine);
    for (const r of w2Records) e.addRule(jreOf(r));
  }), '10000 coupons', 'new Engine and addRule of 10,000 rules');
}

// GoRules ZEN: a decision graph (JDM) made once; W2 as a decision table
// with a row per coupon and the "collect" hit policy.
function zenW1() {
  return {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'in', position: { x: 0, y: 0 } },
      { id: 'rule', type: 'expressionNode', name: 'rule', position: { x: 0, y: 0 },
        content: { expressions: [{ id: 'ok', key: 'ok', value: W1_ZEN }] } },
      { id: 'out', type: 'outputNode', name: 'out', position: { x: 0, y: 0 } },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'rule', type: 'edge' },
      { id: 'e2', sourceId: 'rule', targetId: 'out', type: 'edge' },
    ],
  };
}

const q = (s) => `'${s}'`;

function zenW2(records) {
  const inputs = [
    { id: 'codes', name: 'codes', field: 'codes' }, { id: 'weekday', name: 'weekday', field: 'weekday' },
    { id: 'method', name: 'method', field: 'method' }, { id: 'user', name: 'user', field: 'user_id' },
    { id: 'cats', name: 'cats', field: 'categories' }, { id: 'sub', name: 'sub', field: 'subtotal' },
    { id: 'skus', name: 'skus', field: 'skus' },
  ];
  const rules = records.map((r, i) => {
    const t = r.discount.target;
    return {
      _id: `r${i}`,
      codes: r.automatic ? '' : `contains($, ${q(r.code)})`,
      weekday: r.weekday ? `$ in [${r.weekday.join(', ')}]` : '',
      method: r.methods ? `$ in [${r.methods.map(q).join(', ')}]` : '',
      user: r.owner ? `$ == ${q(r.owner)}` : '',
      cats: r.category ? `contains($, ${q(r.category)})` : '',
      sub: r.min_subtotal !== null ? `$ >= ${r.min_subtotal}` : '',
      skus: t && t.skus ? `some($, # in [${t.skus.map(q).join(', ')}])` : '',
      code: q(r.code),
    };
  });
  return {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'in', position: { x: 0, y: 0 } },
      { id: 'table', type: 'decisionTableNode', name: 'coupons', position: { x: 0, y: 0 },
        content: { hitPolicy: 'collect', inputs, outputs: [{ id: 'code', name: 'code', field: 'code' }], rules } },
      { id: 'out', type: 'outputNode', name: 'out', position: { x: 0, y: 0 } },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'table', type: 'edge' },
      { id: 'e2', sourceId: 'table', targetId: 'out', type: 'edge' },
    ],
  };
}

async function zenPeer() {
  const { ZenEngine } = require(path.join(peersDir, '@gorules/zen-engine'));
  const runner = 'zen-engine';
  const engine = new ZenEngine();
  const d1 = engine.createDecision(zenW1());
  const { items, ...rest } = host.w1Facts(w1Cart);
  const f = { ...rest, items };
  const one = async (fx) => w1Money((await d1.evaluate(fx)).result.ok === true, fx);
  emit('W1', runner, await time(() => one(f), true), host.w1Check(await one(f)),
    'ZenDecision.evaluate(facts); the money in host code');

  const byCode = new Map(w2Records.map((r) => [r.code, r]));
  const content = zenW2(w2Records);
  const d2 = engine.createDecision(content);
  const w2f = host.w2Facts(w2Cart, W2_CODES);
  const choose = async () => {
    const res = (await d2.evaluate(w2f)).result;
    const rows = Array.isArray(res) ? res : [];
    return host.w2Choose(rows.map((row) => byCode.get(row.code)), w2f);
  };
  emit('W2', runner, await time(choose, true), await choose(), 'a decision table of 10,000 rows (collect); the choice in host code');

  await w3(runner, (c) => host.w1Facts(c), async (fx) => w1Decide(await one(fx)), { count: 20000, isAsync: true });

  const json = Buffer.from(JSON.stringify(content));
  emit('W4', runner, await time(() => engine.createDecision(json)), '10000 coupons',
    'ZenEngine.createDecision of the 10,000-row table');
  engine.dispose && engine.dispose();
}

// W5: a million unique codes as a Node shop would write it (crypto and a
// Set), the same alphabet and length as couponlib's, without a check
// character.
async function codesPeer() {
  const ALPHA = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
  const make = () => {
    const seen = new Set();
    const buf = Buffer.alloc(4096);
    let at = buf.length;
    while (seen.size < 1000000) {
      let code = 'BF-';
      for (let i = 0; i < 10; i++) {
        let b;
        do {
          if (at === buf.length) {
            crypto.randomFillSync(buf);
            at = 0;
          }
          b = buf[at++];
        } while (b >= 248);        // 248 = 8 * 31: no modulo bias
        code += ALPHA[b % 31];
      }
      seen.add(code);
    }
    return seen.size;
  };
  const cpu = [], wall = [];
  let n = 0;
  for (let r = 0; r < (quick ? 1 : 5); r++) {
    const c0 = cpuNs(), w0 = wallNs();
    n = make();
    cpu.push(cpuNs() - c0);
    wall.push(wallNs() - w0);
  }
  emit('W5', 'hand-written JS', summary(cpu, wall), `${n} unique codes`, 'crypto.randomFillSync and a Set; no check character');
}

async function main() {
  const all = [['couponlib', couponlib], ['cel-js', celPeer], ['json-rules-engine', jrePeer],
    ['zen-engine', zenPeer], ['codes', codesPeer]];
  for (const [name, fn] of all) {
    if (!want(name)) continue;
    try {
      await fn();
    } catch (e) {
      console.error(`bench/node: ${name}: ${e.stack || e}`);
      console.log(JSON.stringify({ w: 'error', runner: name, lang: 'Node', error: String(e.message || e) }));
    }
  }
}

main();
