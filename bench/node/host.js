// What a shop writes around a rules engine that only says which coupons
// apply: the money (SPEC 2: percent rounded half to even, caps, largest
// remainder allocation), the local weekday in New York, and, for W2, a
// combination of the applicable coupons. The peers of bench/node/run.js use
// it, the same code for each, so that they decide what couponlib decides.
'use strict';

/** 0 = Sunday ... 6 = Saturday of a day count since 1970-01-01. */
function weekday(days) {
  return (((days % 7) + 11) % 7);
}

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** ISO weekday (1 = Monday ... 7 = Sunday) of instant t in America/New_York
 * (US rules since 2007), hand-written as a shop would. */
function nyWeekday(t) {
  const y = new Date((t - 5 * 3600) * 1000).getUTCFullYear();
  const mar = daysFromCivil(y, 3, 1), nov = daysFromCivil(y, 11, 1);
  const start = (mar + ((7 - weekday(mar)) % 7) + 7) * 86400 + 7 * 3600;
  const end = (nov + ((7 - weekday(nov)) % 7)) * 86400 + 6 * 3600;
  const off = t >= start && t < end ? -4 * 3600 : -5 * 3600;
  const wd = weekday(Math.floor((t + off) / 86400));
  return wd === 0 ? 7 : wd;
}

/** amount * bp / 10000 rounded half to even (amounts stay below 2^53). */
function percent(amount, bp) {
  const x = amount * bp;
  let q = Math.floor(x / 10000);
  const r = x - q * 10000;
  if (r > 5000 || (r === 5000 && q % 2 === 1)) q++;
  return q;
}

/** Spreads total over weights by largest remainder (ties: the larger
 * weight, then the lower index); shares add up to total. */
function allocate(total, weights) {
  const n = weights.length;
  let sum = 0;
  for (const w of weights) sum += w;
  const shares = new Array(n).fill(0);
  if (sum === 0) return shares;
  const rem = new Array(n);
  let left = total;
  for (let i = 0; i < n; i++) {
    // exact while weights * total < 2^53
    const x = weights[i] * total;
    shares[i] = Math.floor(x / sum);
    rem[i] = x - shares[i] * sum;
    left -= shares[i];
  }
  if (left > 0) {
    const order = [...Array(n).keys()].sort((a, b) =>
      rem[b] - rem[a] || weights[b] - weights[a] || a - b);
    for (let k = 0; k < left; k++) shares[order[k]]++;
  }
  return shares;
}

/** W1's money: 15% of the subtotal, at most 75.00, spread over the lines. */
function w1Discount(amounts) {
  let subtotal = 0;
  for (const a of amounts) subtotal += a;
  const d = Math.min(percent(subtotal, 1500), 7500);
  return { discount: d, shares: allocate(d, amounts) };
}

/** "discount;index:share,..." as every runner reports W1. */
function w1Check(r) {
  if (r === null) return 'not applicable';
  const parts = [];
  r.shares.forEach((s, i) => { if (s !== 0) parts.push(`${i}:${s}`); });
  return `${r.discount};${parts.join(',')}`;
}

/** The facts the peers decide W1 (and W3) on, from a cart (cart.js). */
function w1Facts(c) {
  const amounts = c.lines.map((l) => l.quantity * l.unit_price);
  let subtotal = 0;
  for (const a of amounts) subtotal += a;
  return {
    weekday: nyWeekday(c.now),
    method: c.method,
    tags: c.tags,
    sequence: c.orders_completed + 1,
    subtotal,
    items: c.lines.map((l, i) => ({ quantity: l.quantity, category: l.category, amount: amounts[i] })),
    uses_total: c.uses_total,
    uses_user: c.uses_user,
    amounts,
  };
}

/** The facts for W2: the cart's values the coupons' conditions read. */
function w2Facts(c, codes) {
  const f = w1Facts(c);
  const cats = new Set();
  for (const l of c.lines) {
    const parts = l.category.split('/');
    for (let i = 1; i <= parts.length; i++) cats.add(parts.slice(0, i).join('/'));
  }
  return {
    codes, weekday: f.weekday, method: c.method, user_id: c.user_id, subtotal: f.subtotal,
    skus: c.lines.map((l) => l.sku), categories: [...cats],
    lines: c.lines.map((l, i) => ({ sku: l.sku, category: l.category, amount: f.amounts[i] })),
  };
}

function inCategory(path, cat) {
  return path === cat || path.startsWith(cat + '/');
}

/** Which lines a W2 coupon's discount works on (bench/workloads.py records). */
function eligible(rec, lines) {
  const t = rec.discount.target;
  return lines.map((l) => (t === null ? true : t.skus ? t.skus.includes(l.sku) : inCategory(l.category, t.category)));
}

/** What a W2 coupon takes off remainders rem[] of its eligible lines. */
function takes(rec, elig, rem) {
  let sum = 0;
  for (let i = 0; i < rem.length; i++) if (elig[i]) sum += rem[i];
  const d = rec.discount;
  let v = d.kind === 'percent' ? percent(sum, d.value) : Math.min(d.value, sum);
  if (d.max !== null && v > d.max) v = d.max;
  return Math.min(v, sum);
}

/**
 * W2's choice from the coupons an engine found applicable (records, in any
 * order): per group the member that takes the most alone (ties: the smaller
 * code), every ungrouped one, applied in code order each on what the ones
 * before left. Simpler than couponlib's exact search (SPEC 6), so kinder to
 * the peers; on W2's cart it gives the same choice.
 */
function w2Choose(recs, facts) {
  const lines = facts.lines;
  const orig = lines.map((l) => l.amount);
  const best = new Map();
  const chosen = [];
  for (const r of recs) {
    const elig = eligible(r, lines);
    if (!elig.some(Boolean)) continue;
    const alone = takes(r, elig, orig);
    if (alone === 0) continue;
    const e = { r, elig, alone };
    if (r.group === null) chosen.push(e);
    else {
      const b = best.get(r.group);
      if (!b || alone > b.alone || (alone === b.alone && r.code < b.r.code)) best.set(r.group, e);
    }
  }
  for (const e of best.values()) chosen.push(e);
  chosen.sort((a, b) => (a.r.code < b.r.code ? -1 : 1));
  const rem = orig.slice();
  let total = 0, count = 0;
  for (const e of chosen) {
    const d = takes(e.r, e.elig, rem);
    if (d === 0) continue;
    const shares = allocate(d, rem.map((x, i) => (e.elig[i] ? x : 0)));
    for (let i = 0; i < rem.length; i++) rem[i] -= shares[i];
    total += d;
    count++;
  }
  return `${count} coupons, discount ${total}`;
}

module.exports = { nyWeekday, percent, allocate, w1Discount, w1Check, w1Facts, w2Facts, w2Choose, inCategory };
