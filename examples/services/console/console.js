/* The coupon console (docs/console.md): plain JavaScript over the shop's
 * API through the gateway. The access token lives in sessionStorage (a tab's
 * life); every request carries it as a bearer token. */
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  token: sessionStorage.getItem("console.token"),
  email: sessionStorage.getItem("console.email"),
  editing: null,          // {code, version} of the saved coupon in the editor
  products: [],
  timezone: "UTC",
  currency: "USD",
  checkSeq: 0,
  error: null,            // {line, column} of the compile error shown
};
const RATES = { standard: "4.99", express: "14.99", pickup: "0.00" };

const NEW_COUPON = `# A new coupon: 10% off orders over 50.00 on weekends
currency: USD
code: WEEKEND10
name: 10% off on weekends
when:
  weekday: weekend
  cart.subtotal: { gte: "50.00" }
discount: { percent: 10, max_amount: "25.00" }
limits: { uses: 1000, per_user: 1, budget: "2000.00" }
`;

/* ------------------------------------------------------------------ helpers */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

const fmtInt = (n) => Number(n).toLocaleString("en-US");
const fmtShare = (x) => (100 * x).toFixed(1) + "%";
const fmtMoney = (s) => {
  const [i, f] = String(s).split(".");
  return Number(i).toLocaleString("en-US") + (f !== undefined ? "." + f : "");
};

function setStatus(node, text, kind) {
  node.textContent = text;
  node.className = "status" + (kind ? " " + kind : "");
}

async function api(method, path, body, raw) {
  const headers = {};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    return { status: 0, body: { error: { message: "the shop cannot be reached: " + e.message } } };
  }
  if (r.status === 401 && path !== "/api/auth/login") {
    logout("Your session ended; please log in again.");
    return { status: 401, body: { error: { message: "not logged in" } } };
  }
  if (raw) return { status: r.status, text: await r.text(), headers: r.headers };
  let j = null;
  try { j = r.status === 204 ? null : await r.json(); } catch (e) { j = null; }
  return { status: r.status, body: j };
}

const errorText = (res) => (res.body && res.body.error && res.body.error.message) ||
  `the request failed (HTTP ${res.status})`;

/* The UTC offset of zone at instant t, in minutes (Intl, no library). */
function zoneOffset(zone, t) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(t);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  const asUTC = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((asUTC - t.getTime()) / 60000);
}

/* "2026-12-05T15:00" local to zone, as an RFC 3339 instant. */
function localToInstant(local, zone) {
  const guess = new Date(local + ":00Z");
  let off = zoneOffset(zone, guess);
  off = zoneOffset(zone, new Date(guess.getTime() - off * 60000));
  return new Date(guess.getTime() - off * 60000).toISOString().replace(".000Z", "Z");
}

function nowLocal(zone) {
  const t = new Date();
  const l = new Date(t.getTime() + zoneOffset(zone, t) * 60000);
  return l.toISOString().slice(0, 16);
}

/* ------------------------------------------------------------------ log-in */

function showApp(on) {
  $("login").hidden = on;
  $("app").hidden = !on;
  $("who").hidden = !on;
  $("who-email").textContent = state.email || "";
}

function logout(message) {
  state.token = null;
  sessionStorage.removeItem("console.token");
  sessionStorage.removeItem("console.email");
  showApp(false);
  const e = $("login-error");
  e.hidden = !message;
  e.textContent = message || "";
  $("email").focus();
}

async function login(ev) {
  ev.preventDefault();
  const e = $("login-error");
  e.hidden = true;
  const res = await api("POST", "/api/auth/login", { email: $("email").value.trim(), password: $("password").value });
  if (res.status !== 200) {
    e.textContent = res.status === 401 ? "That email and password do not match." : errorText(res);
    e.hidden = false;
    return;
  }
  if (res.body.user.role !== "admin") {
    e.textContent = "This account is not an administrator's.";
    e.hidden = false;
    return;
  }
  state.token = res.body.access_token;
  state.email = res.body.user.email;
  sessionStorage.setItem("console.token", state.token);
  sessionStorage.setItem("console.email", state.email);
  $("password").value = "";
  await start();
}

/* ------------------------------------------------------------------ coupons */

function statusOf(c) {
  if (!c.active) return "deleted";
  if (c.uses_left === 0 || c.budget_left === "0.00") return "used up";
  const now = Date.now();
  const v = c.valid || {};
  if (v.until && Date.parse(v.until.length === 10 ? v.until + "T23:59:59" : v.until) < now) return "expired";
  if (v.from && Date.parse(v.from.length === 10 ? v.from + "T00:00:00" : v.from) > now) return "scheduled";
  return "active";
}

async function loadCoupons() {
  const res = await api("GET", "/api/coupons");
  const body = $("coupon-table").tBodies[0];
  body.replaceChildren();
  if (res.status !== 200) {
    body.append(el("tr", {}, el("td", { colspan: 8, class: "error", text: errorText(res) })));
    return;
  }
  const sel = $("chart-coupon");
  const keep = sel.value;
  sel.replaceChildren(el("option", { value: "", text: "all coupons" }));
  for (const c of res.body.coupons) {
    const st = statusOf(c);
    const lim = c.limits || {};
    const selected = state.editing && state.editing.code.toLowerCase() === c.code.toLowerCase();
    body.append(el("tr", { class: selected ? "selected" : null, "data-code": c.code },
      el("td", {}, el("code", { text: c.code }), c.automatic ? el("span", { class: "muted", text: " (automatic)" }) : null),
      el("td", { text: c.name }),
      el("td", {}, el("span", { class: "pill " + st.replace(" ", "-"), text: st })),
      el("td", { class: "num", text: fmtInt(c.uses) + (lim.uses !== undefined ? " / " + fmtInt(lim.uses) : "") }),
      el("td", { class: "num", text: c.uses_left !== undefined ? fmtInt(c.uses_left) : "no limit" }),
      el("td", { class: "num", text: fmtMoney(c.spent) }),
      el("td", { class: "num", text: c.budget_left !== undefined ? fmtMoney(c.budget_left) + " of " + fmtMoney(lim.budget) : "no budget" }),
      el("td", {}, el("button", { type: "button", onclick: () => editCoupon(c.code), "aria-label": "Edit " + c.code, text: "Edit" }))));
    sel.append(el("option", { value: c.code, text: c.code }));
  }
  sel.value = keep;
}

async function editCoupon(code) {
  const res = await api("GET", "/api/coupons/" + encodeURIComponent(code));
  if (res.status !== 200) {
    setStatus($("save-status"), errorText(res), "bad");
    return;
  }
  state.editing = { code: res.body.code, version: res.body.version };
  setSource(res.body.source);
  $("editing").textContent = "— " + res.body.code + ", version " + res.body.version;
  selectForCodes();
  await loadCoupons();
  $("source").focus();
  $("editor").scrollIntoView({ block: "start" });
}

function newCoupon() {
  state.editing = null;
  $("editing").textContent = "— new coupon";
  setSource(NEW_COUPON);
  selectForCodes();
  loadCoupons();
  $("source").focus();
}

/* ------------------------------------------------------------------ the editor */

function setSource(text) {
  $("source").value = text;
  onEdit();
}

function escapeHtml(s) {
  return s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);
}

/* Redraws the gutter and the layer, marking the error's line and column. */
function drawCode() {
  const lines = $("source").value.split("\n");
  const err = state.error;
  const gutter = $("gutter");
  gutter.replaceChildren(...lines.map((_, i) => {
    const d = el("div", { text: i + 1 });
    if (err && err.line === i + 1) {
      d.className = "err";
      d.title = err.message;
    }
    return d;
  }));
  $("layer").innerHTML = lines.map((l, i) => {
    if (!err || err.line !== i + 1) return escapeHtml(l);
    const c = Math.max(0, Math.min(l.length, (err.column || 1) - 1));
    const word = l.slice(c).match(/^\S+/);
    const n = word ? word[0].length : 1;
    return '<span class="err">' + escapeHtml(l.slice(0, c)) + "<mark>" + escapeHtml(l.slice(c, c + n) || " ") +
      "</mark>" + escapeHtml(l.slice(c + n)) + "</span>";
  }).join("\n") + "\n";
  syncScroll();
}

function syncScroll() {
  const t = $("source");
  $("layer").scrollTop = t.scrollTop;
  $("layer").scrollLeft = t.scrollLeft;
  $("gutter").scrollTop = t.scrollTop;
}

let checkTimer = null;
function onEdit() {
  drawCode();
  clearTimeout(checkTimer);
  setStatus($("check-status"), "checking…");
  checkTimer = setTimeout(check, 250);
}

function showCompileError(e) {
  if (!e) {
    state.error = null;
    $("compile-error").hidden = true;
  } else {
    state.error = e.line ? { line: e.line, column: e.column, message: e.message } : null;
    $("compile-where").textContent = e.line ? `Line ${e.line}, column ${e.column}:` : "";
    $("compile-message").textContent = e.message;
    $("compile-text").textContent = e.line ? e.text : "";
    $("compile-text").hidden = !e.line;
    $("compile-error").hidden = false;
  }
  drawCode();
}

async function check() {
  const seq = ++state.checkSeq;
  const source = $("source").value;
  if (!source.trim()) {
    showCompileError(null);
    setStatus($("check-status"), "empty");
    return null;
  }
  const res = await api("POST", "/api/coupons/check", { source });
  if (seq !== state.checkSeq) return null;          // typed since: a newer check is on its way
  if (res.status !== 200) {
    setStatus($("check-status"), errorText(res), "bad");
    return null;
  }
  if (res.body.ok) {
    showCompileError(null);
    setStatus($("check-status"), `✓ compiles: ${res.body.code}` + (res.body.automatic ? " (automatic)" : ""), "ok");
  } else {
    showCompileError(res.body.error);
    setStatus($("check-status"), "✗ " + (res.body.error.line ? `error on line ${res.body.error.line}` : "error"), "bad");
  }
  return res.body;
}

async function save() {
  const source = $("source").value;
  const out = $("save-status");
  const checked = await check();
  if (!checked || !checked.ok) {
    setStatus(out, "Not saved: the definition does not compile.", "bad");
    return;
  }
  const same = state.editing && state.editing.code.toLowerCase() === checked.code.toLowerCase();
  const res = same
    ? await api("PUT", "/api/coupons/" + encodeURIComponent(state.editing.code), { source, version: state.editing.version })
    : await api("POST", "/api/coupons", { source });
  if (res.status !== 200 && res.status !== 201) {
    setStatus(out, "Not saved: " + errorText(res), "bad");
    return;
  }
  state.editing = { code: res.body.code, version: res.body.version };
  $("editing").textContent = "— " + res.body.code + ", version " + res.body.version;
  setStatus(out, `Saved ${res.body.code}, version ${res.body.version}.`, "ok");
  selectForCodes();
  await loadCoupons();
}

/* ------------------------------------------------------------------ try it */

function addLine(sku, qty) {
  const body = $("cart-table").tBodies[0];
  const n = body.rows.length + 1;
  const select = el("select", { "aria-label": "Product of line " + n },
    state.products.map((p) => el("option", { value: p.sku, text: `${p.name} (${p.sku})` })));
  if (sku) select.value = sku;
  const price = el("td", { class: "num" });
  const showPrice = () => {
    const p = state.products.find((x) => x.sku === select.value);
    price.textContent = p ? p.price + (p.on_sale ? " (on sale)" : "") : "";
  };
  select.addEventListener("change", showPrice);
  showPrice();
  const row = el("tr", {},
    el("td", {}, select),
    el("td", {}, el("input", { type: "number", min: 1, value: qty || 1, "aria-label": "Quantity of line " + n })),
    price,
    el("td", {}, el("button", { type: "button", "aria-label": "Remove line " + n, text: "Remove", onclick: () => row.remove() })));
  body.append(row);
}

const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

function buildContext() {
  const items = [...$("cart-table").tBodies[0].rows].map((row) => {
    const sku = row.querySelector("select").value;
    const p = state.products.find((x) => x.sku === sku);
    return { sku, quantity: Math.max(1, parseInt(row.querySelector("input").value, 10) || 1),
      unit_price: p.price, categories: p.categories, tags: p.tags, on_sale: !!p.on_sale };
  });
  const user = { id: $("t-user").value.trim() || undefined, email: $("t-email").value.trim() || undefined,
    tags: list($("t-tags").value), orders_completed: parseInt($("t-orders").value, 10) || 0 };
  const payment = { method: $("t-method").value };
  if (payment.method === "card" && $("t-bin").value.trim()) payment.bin = $("t-bin").value.trim();
  const ship = $("t-ship").value;
  return {
    now: localToInstant($("t-when").value || nowLocal(state.timezone), state.timezone),
    timezone: state.timezone, currency: state.currency, codes: list($("t-codes").value),
    user, payment, shipping: { method: ship, amount: RATES[ship] }, items,
  };
}

function jumpToLine(line) {
  const t = $("source");
  const lines = t.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0);
  t.focus();
  t.setSelectionRange(start, start + (lines[line - 1] || "").length);
  t.scrollTop = Math.max(0, (line - 4) * 20);
  syncScroll();
}

function requirementList(reqs) {
  return el("ul", { class: "reqs" }, reqs.map((r) => el("li", { class: r.passed ? "pass" : "fail" },
    el("span", { class: "mark", "aria-hidden": "true", text: r.passed ? "✓" : "✗" }),
    el("span", {}, el("span", { class: "sr-only", text: r.passed ? "met: " : "not met: " }), el("code", { text: r.name })),
    el("span", {},
      r.line ? el("button", { type: "button", class: "link", onclick: () => jumpToLine(r.line), text: "line " + r.line }) : null,
      " ", el("code", { text: r.source }),
      r.reasons.map((x) => el("div", { class: "why", text: x.message || x.code }))))));
}

async function tryIt(ev) {
  ev.preventDefault();
  const out = $("try-result");
  const ctx = buildContext();
  if (!ctx.items.length) {
    out.replaceChildren(el("p", { class: "error", text: "Add at least one line to the cart." }));
    return;
  }
  const res = await api("POST", "/api/coupons/evaluate", { source: $("source").value, context: ctx });
  if (res.status !== 200) {
    out.replaceChildren(el("p", { class: "error", role: "alert", text: errorText(res) }));
    if (res.body && res.body.error && res.body.error.line) showCompileError({ ...res.body.error });
    return;
  }
  const r = res.body.result;
  const lines = ctx.items.map((it, i) => {
    const l = r.lines.find((x) => x.index === i);
    const amount = (BigInt(Math.round(parseFloat(it.unit_price) * 100)) * BigInt(it.quantity));
    return el("tr", {}, el("td", { text: it.sku }), el("td", { class: "num", text: it.quantity }),
      el("td", { class: "num", text: (Number(amount) / 100).toFixed(2) }),
      el("td", { class: "num", text: l ? "−" + l.discount : "—" }));
  });
  const verdict = r.applicable
    ? `${res.body.code} applies: ${r.discount} off` + (r.shipping_discount !== "0.00" ? ` and ${r.shipping_discount} off shipping` : "")
    : `${res.body.code} does not apply`;
  const failed = res.body.requirements.filter((x) => !x.passed).length;
  out.replaceChildren(
    el("p", { class: "verdict " + (r.applicable ? "yes" : "no"), id: "try-verdict", text: verdict }),
    el("h3", { text: `Requirements (${res.body.requirements.length - failed} met, ${failed} not met)` }),
    requirementList(res.body.requirements),
    el("h3", { text: "Discount per line" }),
    el("table", { id: "try-lines" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "SKU" }), el("th", { scope: "col", class: "num", text: "Quantity" }),
        el("th", { scope: "col", class: "num", text: "Amount" }), el("th", { scope: "col", class: "num", text: "Discount" }))),
      el("tbody", {}, lines),
      el("tfoot", {}, el("tr", {}, el("th", { scope: "row", text: "Subtotal" }), el("td"), el("td", { class: "num", text: res.body.subtotal }),
        el("td", { class: "num", text: r.applicable ? "−" + r.discount : "—" })))));
}

/* ------------------------------------------------------------------ codes */

function selectForCodes() {
  const code = state.editing && state.editing.code;
  for (const n of document.querySelectorAll(".sel-code")) n.textContent = code || "(save the coupon first)";
  $("c-generate").disabled = !code;
  loadBatches();
}

async function loadBatches() {
  const t = $("batch-table");
  const code = state.editing && state.editing.code;
  if (!code) { t.hidden = true; return; }
  const res = await api("GET", `/api/coupons/${encodeURIComponent(code)}/batches`);
  const body = t.tBodies[0];
  body.replaceChildren();
  if (res.status !== 200 || !res.body.batches.length) { t.hidden = true; return; }
  for (const b of res.body.batches) {
    body.append(el("tr", {}, el("td", { text: "#" + b.id + (b.prefix ? " " + b.prefix + "…" : "") }),
      el("td", { class: "num", text: fmtInt(b.count) }), el("td", { class: "num", text: fmtInt(b.used) }),
      el("td", { text: b.created_at.replace("T", " ").replace("Z", " UTC") }),
      el("td", {}, el("button", { type: "button", onclick: () => download(code, b.id), text: "Download CSV",
        "aria-label": `Download the codes of batch ${b.id} as CSV` }))));
  }
  t.hidden = false;
}

async function download(code, batch) {
  const res = await api("GET", `/api/coupons/${encodeURIComponent(code)}/codes?batch=${batch}`, undefined, true);
  if (res.status !== 200) {
    setStatus($("codes-status"), "The download failed (HTTP " + res.status + ").", "bad");
    return;
  }
  const name = `${code}-batch-${batch}-codes.csv`;
  const url = URL.createObjectURL(new Blob([res.text], { type: "text/csv" }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  setStatus($("codes-status"), `Downloaded ${name}.`, "ok");
}

async function generate(ev) {
  ev.preventDefault();
  const code = state.editing && state.editing.code;
  if (!code) return;
  const body = { count: parseInt($("c-count").value, 10), length: parseInt($("c-length").value, 10),
    uses: parseInt($("c-uses").value, 10) };
  if ($("c-prefix").value.trim()) body.prefix = $("c-prefix").value.trim();
  setStatus($("codes-status"), "generating…");
  const res = await api("POST", `/api/coupons/${encodeURIComponent(code)}/codes`, body);
  if (res.status !== 201) {
    setStatus($("codes-status"), "Not generated: " + errorText(res), "bad");
    return;
  }
  setStatus($("codes-status"), `Generated ${fmtInt(res.body.count)} codes for ${code} (batch #${res.body.id}).`, "ok");
  await loadBatches();
}

/* ------------------------------------------------------------------ the chart */

async function loadChart() {
  const days = $("chart-days").value, coupon = $("chart-coupon").value;
  const res = await api("GET", `/api/checkout/stats?days=${days}` + (coupon ? "&coupon=" + encodeURIComponent(coupon) : ""));
  const box = $("chart-svg");
  if (res.status !== 200) {
    box.replaceChildren(el("p", { class: "error", text: errorText(res) }));
    return;
  }
  state.timezone = res.body.timezone;
  state.currency = res.body.currency;
  const d = res.body.days;
  const W = 900, H = 200, L = 40, B = 24, T = 10;
  const max = Math.max(1, ...d.map((x) => x.redemptions));
  const raw = max / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const tick = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((t) => t >= raw));
  const top = tick * Math.ceil(max / tick);
  const bw = (W - L - 4) / d.length;
  const NS = "http://www.w3.org/2000/svg";
  const s = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title" });
  svg.append(s("title", { id: "chart-title" }, `Redemptions per day, ${coupon || "all coupons"}, last ${days} days: ${fmtInt(res.body.redemptions)} in all`));
  for (let v = 0; v <= top; v += tick) {
    const y = H - B - ((H - B - T) * v) / top;
    svg.append(s("line", { class: "grid", x1: L, x2: W, y1: y, y2: y }));
    svg.append(s("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, fmtInt(v)));
  }
  d.forEach((x, i) => {
    const h = ((H - B - T) * x.redemptions) / top;
    const r = s("rect", { class: "bar-rect", x: L + 2 + i * bw + bw * 0.1, y: H - B - h, width: Math.max(1, bw * 0.8), height: h });
    r.append(s("title", {}, `${x.date}: ${x.redemptions} redemptions, ${x.given} given away`));
    svg.append(r);
    const every = Math.ceil(d.length / 10);
    if (i % every === 0 || i === d.length - 1)
      svg.append(s("text", { x: L + 2 + i * bw + bw / 2, y: H - 6, "text-anchor": "middle" }, x.date.slice(5)));
  });
  svg.append(s("line", { class: "axis", x1: L, x2: W, y1: H - B, y2: H - B }));
  box.replaceChildren(svg);
  const given = d.reduce((a, x) => a + Math.round(parseFloat(x.given) * 100), 0);
  $("chart-caption").textContent = `${fmtInt(res.body.redemptions)} redemptions in the last ${days} days (${res.body.timezone} days), ` +
    `${fmtMoney((given / 100).toFixed(2))} ${res.body.currency} given away; cancelled orders are left out.`;
  $("chart-table").tBodies[0].replaceChildren(...d.map((x) => el("tr", {}, el("td", { text: x.date }),
    el("td", { class: "num", text: x.redemptions }), el("td", { class: "num", text: x.given }))));
}

/* ------------------------------------------------------------------ simulation */

function figure(k, v) {
  return el("div", { class: "figure" }, el("div", { class: "v", text: v }), el("div", { class: "k", text: k }));
}

async function simulate(ev) {
  ev.preventDefault();
  const out = $("sim-result");
  const body = { source: $("source").value, view: "eval", limit: parseInt($("s-limit").value, 10) || 100000,
    entered: $("s-entered").checked };
  if ($("s-from").value) body.from = $("s-from").value;
  if ($("s-until").value) body.until = $("s-until").value;
  out.replaceChildren(el("p", { class: "status", text: "replaying the orders…" }));
  $("s-run").disabled = true;
  const res = await api("POST", "/api/coupons/simulate", body);
  $("s-run").disabled = false;
  if (res.status !== 200) {
    out.replaceChildren(el("p", { class: "error", role: "alert", text: errorText(res) }));
    return;
  }
  const rep = res.body, c = rep.coupons[0], e = c.eval;
  const cur = rep.currency || "USD";
  const reasons = e.reasons.map((r) => el("tr", {},
    el("td", {}, el("code", { text: r.code })),
    el("td", { class: "num", text: fmtInt(r.orders) }),
    el("td", {}, el("span", { class: "shareb", style: null, "data-share": r.share }), fmtShare(r.share)),
    el("td", { class: "num", text: fmtInt(r.only) })));
  out.replaceChildren(
    el("p", { id: "sim-summary", class: "verdict " + (e.qualifying ? "yes" : "no"),
      text: `${c.code} would have applied to ${fmtInt(e.qualifying)} of ${fmtInt(rep.orders)} orders (${fmtShare(e.share)}) ` +
        `and cost ${fmtMoney(e.cost)} ${cur}.` }),
    el("div", { class: "figures" },
      figure("orders replayed", fmtInt(rep.replay.orders) + (rep.errors ? ` (${rep.errors} refused)` : "")),
      figure("qualifying", fmtInt(e.qualifying)),
      figure("cost", fmtMoney(e.cost)),
      figure("average per order", e.average),
      figure("median (p50)", e.percentiles.p50),
      figure("p90", e.percentiles.p90),
      figure("largest", e.max),
      figure("sales replayed", fmtMoney(rep.subtotal))),
    e.reasons.length ? el("h3", { text: "Why the other orders did not qualify" }) : null,
    e.reasons.length ? el("table", { id: "sim-reasons" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Reason" }), el("th", { scope: "col", class: "num", text: "Orders" }),
        el("th", { scope: "col", text: "Share of those not qualifying" }), el("th", { scope: "col", class: "num", text: "The only reason" }))),
      el("tbody", {}, reasons)) : null,
    el("p", { class: "hint", text: `${fmtInt(rep.replay.orders)} recorded orders replayed in ${rep.replay.elapsed_ms} ms` +
      (body.entered ? ", honouring the codes the customers entered" : ", as if every customer had entered the code") +
      ". The coupon's own limits are not consumed during the replay (docs/simulation.md)." }));
  for (const b of out.querySelectorAll(".shareb")) b.style.width = Math.round(120 * parseFloat(b.dataset.share)) + "px";
}

/* ------------------------------------------------------------------ start */

async function start() {
  showApp(true);
  const p = await api("GET", "/api/catalog/products?limit=100");
  state.products = p.status === 200 ? p.body.items : [];
  await loadChart();          // also learns the shop's zone
  $("t-when").value = nowLocal(state.timezone);
  const lines = $("cart-table").tBodies[0];
  if (!lines.rows.length && state.products.length) {
    addLine(state.products[0].sku, 1);
    if (state.products.length > 1) addLine(state.products[1].sku, 2);
  }
  await loadCoupons();
  if (!$("source").value) newCoupon();
  selectForCodes();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => logout());
  $("new-coupon").addEventListener("click", newCoupon);
  $("source").addEventListener("input", onEdit);
  $("source").addEventListener("scroll", syncScroll);
  $("save").addEventListener("click", save);
  $("add-line").addEventListener("click", () => addLine(state.products[0] && state.products[0].sku, 1));
  $("try-form").addEventListener("submit", tryIt);
  $("codes-form").addEventListener("submit", generate);
  $("sim-form").addEventListener("submit", simulate);
  $("chart-days").addEventListener("change", loadChart);
  $("chart-coupon").addEventListener("change", loadChart);
  if (state.token) start(); else showApp(false);
});
