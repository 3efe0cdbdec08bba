// The coupon console's browser tests (meson test, suite console): the real
// page, served by the gateway of a running system, driven in Debian's
// headless Chromium by playwright-core (scripts/deps.sh console), as a
// merchant would use it: log in, write a coupon with a mistake, see the
// error on its line, fix it, try it on a cart, save it, generate codes and
// download them, chart the redemptions, simulate the coupon over the
// recorded orders. Each step prints one line; the last line is
// "N passed, M failed". Screenshots go to $CL_CONSOLE_SHOTS (docs/console.md
// shows the ones of a real run).
//
//   CL_GATEWAY, CL_ADMIN_EMAIL, CL_ADMIN_PASSWORD   from scripts/system.sh env
//   CL_CONSOLE_SHOTS                                where screenshots go
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const cache = process.env.COUPONLIB_CACHE || path.join(process.env.HOME, ".cache", "couponlib");
const require = createRequire(path.join(cache, "console", "package.json"));
const { chromium } = require("playwright-core");

const GW = process.env.CL_GATEWAY;
const ADMIN = [process.env.CL_ADMIN_EMAIL || "admin@shop.example",
  process.env.CL_ADMIN_PASSWORD || "admin-password-1"];
const SHOTS = process.env.CL_CONSOLE_SHOTS;
const CHROMIUM = process.env.CL_CHROMIUM || "/usr/bin/chromium";

const tests = [];
const test = (name, fn) => tests.push([name, fn]);
const expect = (cond, what) => { if (!cond) throw new Error(what); };
let page, browser, adminToken;
const pageErrors = [];

async function api(method, p, body, token) {
  const h = {};
  if (token) h.Authorization = "Bearer " + token;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const r = await fetch(GW + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: r.status, body: json, headers: r.headers, text };
}

async function shot(name, selector) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name + ".png");
  if (selector) await page.locator(selector).screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: false });
}

const cents = (s) => Math.round(parseFloat(s) * 100);

// The definition the merchant writes: a mistake on line 7 first.
const MISTAKE = `# 10% off the kitchen on weekends, orders over 50.00
currency: USD
code: CONSOLE10
name: 10% off the kitchen on weekends
when:
  category: [home/kitchen]
  weekday: weekends
  cart.subtotal: { gte: "50.00" }
discount: { percent: 10, target: { items: { category: [home/kitchen] } } }
limits: { uses: 500, budget: "1000.00" }
`;

// ------------------------------------------------------------------ setup

test("orders_are_placed_for_the_chart_and_the_simulation", async () => {
  // a few shoppers check out through the API, so that the recorded orders
  // and the redemptions are there (kitchen carts, some with KITCHEN15)
  for (let i = 0; i < 3; i++) {
    const email = `console-${Date.now()}-${i}@example.com`;
    let r = await api("POST", "/api/auth/register", { email, password: "console-pass-1", name: "C" + i });
    expect(r.status === 201, `register: ${r.status} ${r.text}`);
    r = await api("POST", "/api/auth/login", { email, password: "console-pass-1" });
    const tok = r.body.access_token;
    r = await api("POST", "/api/cart/items", { sku: "KETTLE", quantity: 1 + i }, tok);
    expect(r.status === 200, `cart: ${r.status} ${r.text}`);
    r = await api("POST", "/api/cart/items", { sku: "HDMI-1M", quantity: 1 }, tok);
    expect(r.status === 200, `cart: ${r.status} ${r.text}`);
    r = await api("POST", "/api/checkout", { codes: i === 2 ? [] : ["KITCHEN15"],
      payment: { method: "card", bin: "411111" }, shipping: { method: "standard", country: "US" } }, tok);
    expect(r.status === 201, `checkout: ${r.status} ${r.text}`);
  }
  const r = await api("POST", "/api/auth/login", { email: ADMIN[0], password: ADMIN[1] });
  expect(r.status === 200, "admin log-in");
  adminToken = r.body.access_token;
});

test("the_console_is_served_by_the_gateway_with_a_strict_policy", async () => {
  let r = await api("GET", "/console/");
  expect(r.status === 200 && r.text.includes("<title>Coupon console</title>"), `GET /console/: ${r.status}`);
  const csp = r.headers.get("content-security-policy") || "";
  expect(csp.includes("default-src 'self'") && csp.includes("frame-ancestors 'none'"), "CSP: " + csp);
  r = await api("GET", "/console/console.js");
  expect(r.status === 200 && (r.headers.get("content-type") || "").startsWith("text/javascript"),
    "console.js: " + r.headers.get("content-type"));
  r = await fetch(GW + "/console", { redirect: "manual" });
  expect(r.status === 301 && r.headers.get("location").endsWith("/console/"), "/console redirects");
  // nothing the page loads comes from elsewhere
  const html = fs.readFileSync(new URL("../console/index.html", import.meta.url), "utf8");
  expect(!/(src|href)="(https?:)?\/\//.test(html), "the page loads something from another site");
});

// ------------------------------------------------------------------ the page

test("a_wrong_password_is_refused", async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(GW + "/console/");
  await page.fill("#email", ADMIN[0]);
  await page.fill("#password", "not-the-password");
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#login-error:not([hidden])");
  const t = await page.textContent("#login-error");
  expect(t.includes("do not match"), "error: " + t);
  expect(await page.isHidden("#app"), "the console shows without a log-in");
});

test("an_administrator_logs_in_and_sees_the_coupons", async () => {
  await page.fill("#password", ADMIN[1]);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#coupon-table tbody tr[data-code=KITCHEN15]");
  const row = page.locator("#coupon-table tbody tr[data-code=KITCHEN15] td");
  const cells = await row.allTextContents();
  const c = (await api("GET", "/api/coupons/KITCHEN15", undefined, adminToken)).body;
  expect(cells[2] === "active", "status " + cells[2]);
  expect(cells[3] === `${c.uses} / 1,000`, "uses " + cells[3]);
  expect(cells[4] === (1000 - c.uses).toLocaleString("en-US"), "uses left " + cells[4]);
  const left = ((500000 - cents(c.spent)) / 100).toFixed(2);
  expect(cells[6] === `${Number(left.split(".")[0]).toLocaleString("en-US")}.${left.split(".")[1]} of 5,000.00`,
    "budget left " + cells[6]);
  expect(c.uses >= 2, "KITCHEN15 was used by the orders placed");
  const n = await page.locator("#coupon-table tbody tr").count();
  const all = (await api("GET", "/api/coupons", undefined, adminToken)).body.coupons.length;
  expect(n === all, `${n} rows for ${all} coupons`);
  await shot("coupons", "#coupons");
});

test("the_chart_shows_the_redemptions_per_day", async () => {
  await page.waitForSelector("#chart-svg svg rect.bar-rect", { state: "attached" });
  const bars = await page.locator("#chart-svg rect.bar-rect").count();
  expect(bars === 30, `${bars} bars for 30 days`);
  const stats = (await api("GET", "/api/checkout/stats?days=30", undefined, adminToken)).body;
  const today = stats.days[29];
  expect(today.redemptions >= 5, "today's redemptions " + today.redemptions);
  const title = await page.locator("#chart-svg rect.bar-rect").last().locator("title").textContent();
  expect(title.startsWith(`${today.date}: ${today.redemptions} redemptions`), "bar title " + title);
  const h = [];
  for (const r of await page.locator("#chart-svg rect.bar-rect").all()) h.push(parseFloat(await r.getAttribute("height")));
  expect(h[29] > 0 && h.slice(0, 29).every((x, i) => (x > 0) === (stats.days[i].redemptions > 0)),
    "bar heights do not follow the figures");
  await page.selectOption("#chart-coupon", "KITCHEN15");
  await page.waitForFunction(() => document.querySelector("#chart-svg title").textContent.includes("KITCHEN15"));
  await shot("chart", "#chart");
});

test("a_mistake_is_shown_on_its_line_as_it_is_typed", async () => {
  await page.click("#new-coupon");
  await page.fill("#source", "");
  await page.locator("#source").pressSequentially(MISTAKE.slice(0, 40), { delay: 5 });  // typed
  await page.fill("#source", MISTAKE);                                               // then pasted
  await page.waitForSelector("#gutter div.err");
  const line = await page.textContent("#gutter div.err");
  expect(line === "7", "error marked on line " + line);
  const where = await page.textContent("#compile-where");
  expect(where === "Line 7, column 12:", "where: " + where);
  const msg = await page.textContent("#compile-message");
  expect(msg.includes("weekends"), "message: " + msg);
  expect(await page.textContent("#layer mark") === "weekends", "the mistake is not underlined");
  expect((await page.textContent("#check-status")).includes("line 7"), "status");
  await shot("editor-error", "#editor");
});

test("a_fixed_definition_compiles", async () => {
  await page.fill("#source", MISTAKE.replace("weekday: weekends", "weekday: weekend"));
  await page.waitForFunction(() => document.querySelector("#check-status").textContent.includes("compiles"));
  expect(await page.locator("#gutter div.err").count() === 0, "the error mark stays");
  expect(await page.isHidden("#compile-error"), "the error box stays");
  expect((await page.textContent("#check-status")).includes("CONSOLE10"), "status names the code");
});

async function tryCart(when) {
  await page.fill("#t-when", when);
  const rows = page.locator("#cart-table tbody tr");
  while (await rows.count() > 0) await rows.first().locator("button").click();
  await page.click("#add-line");
  await page.click("#add-line");
  await rows.nth(0).locator("select").selectOption("KETTLE");
  await rows.nth(0).locator("input").fill("2");
  await rows.nth(1).locator("select").selectOption("HDMI-1M");
  await page.evaluate(() => { document.getElementById("try-result").textContent = ""; });
  await page.click("#try-run");
  await page.waitForSelector("#try-verdict");
}

test("try_it_on_a_saturday_cart_applies_with_a_discount_per_line", async () => {
  await tryCart("2026-12-05T11:00");           // a Saturday
  const verdict = await page.textContent("#try-verdict");
  const kettle = (await api("GET", "/api/catalog/products/KETTLE")).body.price;
  const want = (Math.round(cents(kettle) * 2 * 0.10) / 100).toFixed(2);
  expect(verdict === `CONSOLE10 applies: ${want} off`, "verdict: " + verdict);
  const cells = await page.locator("#try-lines tbody tr").evaluateAll((rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  expect(cells.length === 2 && cells[0][0] === "KETTLE" && cells[0][3] === "−" + want && cells[1][3] === "—",
    "lines: " + JSON.stringify(cells));
  const marks = await page.locator("ul.reqs li").evaluateAll((ls) => ls.map((l) => l.className + ":" + l.querySelector("code").textContent));
  expect(marks.includes("pass:weekday") && marks.includes("pass:category") && marks.includes("pass:cart.subtotal") &&
    marks.every((m) => m.startsWith("pass")), "requirements: " + marks.join(", "));
  await shot("try-it-applies", "#try");
});

test("try_it_on_a_wednesday_says_which_condition_fails", async () => {
  await tryCart("2026-12-02T11:00");           // a Wednesday
  const verdict = await page.textContent("#try-verdict");
  expect(verdict === "CONSOLE10 does not apply", "verdict: " + verdict);
  const failed = await page.locator("ul.reqs li.fail").evaluateAll((ls) => ls.map((l) => l.textContent));
  expect(failed.length === 1 && failed[0].includes("weekday") && failed[0].includes("line 7") &&
    failed[0].includes("valid only on Sat, Sun"), "failed: " + JSON.stringify(failed));
  await page.locator("ul.reqs li.fail button").click();       // jumps to the line in the editor
  const sel = await page.evaluate(() => {
    const t = document.getElementById("source");
    return t.value.slice(t.selectionStart, t.selectionEnd);
  });
  expect(sel === "  weekday: weekend", "selected: " + sel);
  await shot("try-it-fails", "#try");
});

test("the_coupon_is_saved", async () => {
  await page.click("#save");
  await page.waitForFunction(() => document.querySelector("#save-status").textContent.startsWith("Saved"));
  expect(await page.textContent("#save-status") === "Saved CONSOLE10, version 1.", await page.textContent("#save-status"));
  await page.waitForSelector("#coupon-table tbody tr[data-code=CONSOLE10]");
  const cells = await page.locator("#coupon-table tbody tr[data-code=CONSOLE10] td").allTextContents();
  expect(cells[4] === "500" && cells[6] === "1,000.00 of 1,000.00", "row: " + cells.join(" | "));
  const r = await api("GET", "/api/coupons/CONSOLE10", undefined, adminToken);
  expect(r.status === 200 && r.body.source.includes("weekday: weekend"), "not stored: " + r.status);
  // saved again: an update, version 2
  await page.fill("#source", r.body.source.replace("name: 10% off", "name: Ten percent off"));
  await page.click("#save");
  await page.waitForFunction(() => document.querySelector("#save-status").textContent.includes("version 2"));
  const v = await api("GET", "/api/coupons/CONSOLE10/versions", undefined, adminToken);
  expect(v.body.versions.length === 2, "versions: " + v.body.versions.length);
});

test("campaign_codes_are_generated_and_downloaded_as_csv", async () => {
  expect(await page.textContent("#codes .sel-code") === "CONSOLE10", "selected coupon");
  await page.fill("#c-count", "25");
  await page.fill("#c-prefix", "con-");
  await page.click("#c-generate");
  await page.waitForFunction(() => document.querySelector("#codes-status").textContent.startsWith("Generated"));
  await page.waitForSelector("#batch-table:not([hidden]) tbody tr");
  const [download] = await Promise.all([page.waitForEvent("download"),
    page.locator("#batch-table tbody tr").last().locator("button").click()]);
  const file = await download.path();
  const lines = fs.readFileSync(file, "utf8").trim().split(/\r?\n/);
  expect(lines[0] === "code,batch,uses,max_uses", "header " + lines[0]);
  expect(lines.length === 26 && lines.slice(1).every((l) => /^CON-[0-9A-Z]{11},\d+,0,1$/.test(l)),
    "codes: " + lines.slice(0, 3).join(" / "));
  expect(download.suggestedFilename().endsWith("-codes.csv"), download.suggestedFilename());
  await shot("codes", "#codes");
});

async function simulateAndCompare() {
  await page.evaluate(() => { document.getElementById("sim-result").textContent = ""; });
  await page.click("#s-run");
  await page.waitForSelector("#sim-summary");
  const text = await page.textContent("#sim-summary");
  const source = await page.inputValue("#source");
  const rep = (await api("POST", "/api/coupons/simulate", { source }, adminToken)).body;
  const e = rep.coupons[0].eval;
  const money = (s) => { const [i, f] = s.split("."); return Number(i).toLocaleString("en-US") + "." + f; };
  expect(rep.orders >= 3, "orders replayed: " + rep.orders);
  expect(text === `CONSOLE10 would have applied to ${e.qualifying} of ${rep.orders} orders ` +
    `(${(100 * e.share).toFixed(1)}%) and cost ${money(e.cost)} USD.`, `summary "${text}" vs ${JSON.stringify(e).slice(0, 300)}`);
  const figures = await page.locator("#sim-result .figure").evaluateAll((fs) =>
    Object.fromEntries(fs.map((f) => [f.querySelector(".k").textContent, f.querySelector(".v").textContent])));
  expect(figures["qualifying"] === String(e.qualifying) && figures["average per order"] === e.average &&
    figures["median (p50)"] === e.percentiles.p50 && figures["largest"] === e.max, JSON.stringify(figures));
  const reasons = await page.locator("#sim-reasons tbody tr td:first-child").allTextContents();
  expect(JSON.stringify(reasons) === JSON.stringify(e.reasons.map((r) => r.code)), "reasons " + reasons);
  return e;
}

test("what_would_this_cost_replays_the_recorded_orders", async () => {
  // the weekend coupon on today's orders, then the same without its weekday
  // condition: what would it cost every day?
  await simulateAndCompare();
  const src = await page.inputValue("#source");
  await page.fill("#source", src.replace("  weekday: weekend\n", ""));
  await page.waitForFunction(() => document.querySelector("#check-status").textContent.includes("compiles"));
  const e = await simulateAndCompare();
  expect(e.qualifying >= 2, "the kitchen orders over 50.00 qualify every day: " + e.qualifying);
  await shot("simulate", "#simulate");
});

test("every_control_has_a_label_and_the_page_raised_no_error", async () => {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea, button")]
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
    .map((e) => e.id || e.outerHTML.slice(0, 60)));
  expect(unlabelled.length === 0, "unlabelled: " + unlabelled.join(", "));
  expect(pageErrors.length === 0, "page errors: " + pageErrors.join("; "));
});

test("logging_out_forgets_the_token", async () => {
  await page.click("#logout");
  await page.waitForSelector("#login:not([hidden])");
  expect(await page.evaluate(() => sessionStorage.getItem("console.token")) === null, "token kept");
  await page.reload();
  expect(await page.isHidden("#app"), "the console shows after log-out");
});

// ------------------------------------------------------------------ run

let passed = 0, failed = 0;
const t0 = Date.now();
for (const [name, fn] of tests) {
  const t = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(2)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
    if (page && SHOTS) await page.screenshot({ path: path.join(SHOTS, "failed-" + name + ".png"), fullPage: true }).catch(() => {});
  }
}
if (browser) await browser.close();
console.log(`console: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
