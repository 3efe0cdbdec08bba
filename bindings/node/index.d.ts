// Type declarations of couponlib for Node. Contexts and results have the
// JSON shapes of the SPEC (sections 3, 5 and 6): keys in snake_case, amounts
// as decimal strings with exactly the currency's decimals.

/// <reference types="node" />

/** The library's version, e.g. "0.1.0". */
export const version: string;

/** An amount: a decimal string ("12.50") or an integer of major units. */
export type Amount = string | number;

/** A checkout as a plain object (SPEC section 3). `now`, `currency` and
 * `items` are required. (A prepared, native one is a `Context`.) */
export interface ContextObject {
  /** The instant of the checkout, RFC 3339: "2026-11-28T15:30:00Z". */
  now: string;
  /** The store's IANA time zone. */
  timezone?: string;
  /** ISO 4217 code of every amount in the context. */
  currency: string;
  /** Codes the customer entered. */
  codes?: string[];
  user?: {
    id?: string;
    email?: string;
    tags?: string[];
    /** "1990-11-28" */
    birthday?: string;
    signup_date?: string;
    orders_completed?: number;
  };
  order?: { number?: string; serial?: number; sequence?: number };
  payment?: { method?: string; network?: string; bin?: string; wallet?: string };
  shipping?: { method?: string; country?: string; amount?: Amount };
  items: Item[];
  /** What the store knows of each coupon's use, by code. */
  usage?: Record<string, { total?: number; user?: number; spent?: Amount }>;
}

/** A line of the cart. */
export interface Item {
  sku: string;
  /** A positive integer. */
  quantity: number;
  unit_price: Amount;
  /** Category paths, "electronics/tv". */
  categories?: string[];
  tags?: string[];
  on_sale?: boolean;
}

/** A stable reason code (SPEC section 5). */
export type ReasonCode =
  | 'NOT_STARTED' | 'EXPIRED' | 'WEEKDAY' | 'TIME_OF_DAY' | 'SPECIAL_DAY' | 'PAYMENT' | 'USER'
  | 'ORDER_SEQUENCE' | 'ORDER_SERIAL' | 'ORDER_NUMBER' | 'ITEMS' | 'CATEGORY' | 'MIN_SUBTOTAL'
  | 'MIN_QUANTITY' | 'SHIPPING' | 'CURRENCY' | 'USAGE_LIMIT' | 'PER_USER_LIMIT' | 'BUDGET'
  | 'CODE_REQUIRED' | 'NOT_COMBINABLE' | 'UNKNOWN_CODE' | 'CONDITION';

/** Why a coupon does not apply. */
export interface Reason {
  code: ReasonCode;
  message: string;
  /** The coupon source line of the failed condition, when there is one. */
  line?: number;
}

/** A line's share of a discount. */
export interface LineDiscount {
  index: number;
  sku: string;
  discount: string;
}

/** The outcome of one coupon (SPEC section 5). */
export interface CouponResult {
  code: string;
  applicable: boolean;
  discount: string;
  shipping_discount: string;
  /** Lines with a non-zero discount, by index. */
  lines: LineDiscount[];
  /** Every failed requirement, in SPEC order; empty when applicable. */
  reasons: Reason[];
}

/** The best combination (SPEC section 6). */
export interface Choice {
  /** The applied codes, in application order. */
  coupons: string[];
  discount: string;
  shipping_discount: string;
  subtotal: string;
  shipping: string;
  total: string;
  applied: CouponResult[];
  rejected: { code: string; reasons: Reason[] }[];
}

/** Facts about a compiled coupon. */
export interface CouponInfo {
  readonly code: string;
  /** "" when the coupon has none (also for group and currency). */
  readonly name: string;
  readonly group: string;
  readonly currency: string;
  readonly automatic: boolean;
  readonly exclusive: boolean;
  readonly priority: number;
}

/** Limits of SPEC section 8; each has a default. Positive integers. */
export interface Limits {
  inputBytes?: number;
  depth?: number;
  coupons?: number;
  list?: number;
  string?: number;
  regexLength?: number;
  aliases?: number;
  nodes?: number;
  match?: number;
  matchDepth?: number;
  steps?: number;
  items?: number;
}

export interface CatalogOptions {
  limits?: Limits;
  /** The tz database directory (default /usr/share/zoneinfo). */
  tzdir?: string;
}

/** Coupon source text with the name its errors give. */
export interface Source {
  source: string | Uint8Array;
  /** Default "<input>" ("<input 2>"... among several sources). */
  name?: string;
}

export interface EvaluateOptions {
  /** Honour the context's codes: a code coupon not entered gets CODE_REQUIRED. */
  entered?: boolean;
  /** Evaluate only these coupons, in this order. */
  only?: string[];
}

export interface BestOptions {
  /** Consult the catalog's index: the automatic coupons that cannot apply to
   * the cart are skipped unevaluated (same choice and totals; they are not
   * listed in rejected). */
  indexed?: boolean;
}

/** A context: a plain object, its JSON or YAML text, or a prepared Context. */
export type ContextInput = ContextObject | string | Uint8Array | Context;

/**
 * A checkout context parsed once into native form: evaluate it any number
 * of times, against any number of catalogs, without converting it again.
 */
export class Context {
  /** Empty without data (then fill()); a ContextError when data is malformed. */
  constructor(data?: ContextObject | string | Uint8Array, options?: CatalogOptions);
  /** Clears the context and fills it again; on a ContextError it is left empty. */
  fill(data: ContextObject | string | Uint8Array): void;
  /** Empties it (no now, no currency, no items). */
  clear(): void;
  /** Number of cart lines. */
  readonly size: number;
  /** The currency, or null when it has none. */
  readonly currency: string | null;
  readonly closed: boolean;
  /** Frees the context now; using it afterwards throws. */
  close(): void;
  [Symbol.dispose](): void;
}

/** An order of a simulation: a checkout context, its JSON text or a Buffer. */
export type Order = ContextInput;

/** What a simulation measures (docs/simulation.md). */
export interface SimulationOptions {
  /** Each coupon evaluated alone on every order (default true). */
  eval?: boolean;
  /** The best combination of every order (default true). */
  best?: boolean;
  /** In the eval view, honour the codes entered (else every coupon is
   * evaluated as if its code had been entered). */
  entered?: boolean;
  /** Choose the best combination through the catalog index. */
  indexed?: boolean;
  /** The simulation's currency (else the first order's). */
  currency?: string;
}

export interface ExtendOptions {
  /** Throw the first refused order's error (with its index as error.order). */
  strict?: boolean;
  /** Called with each refused order's index and error (it is counted). */
  onError?: (index: number, error: CouponlibError) => void;
}

export interface SimulateOptions extends SimulationOptions, ExtendOptions {}

/** How often a reason kept a coupon out. */
export interface ReasonCount {
  code: ReasonCode;
  /** Orders that listed it (once per order). */
  orders: number;
  /** orders / the orders not qualifying (or rejected), four decimals. */
  share: number;
  /** Orders where it was the only reason. */
  only: number;
}

/** Nearest-rank percentiles of the cost of one qualifying order: exact
 * below 256 minor units, else within 1/256. */
export interface Percentiles {
  p25: string; p50: string; p75: string; p90: string; p95: string; p99: string;
}

/** A coupon evaluated alone on every order. */
export interface EvalFigures {
  orders: number;
  qualifying: number;
  share: number;
  not_qualifying: number;
  discount: string;
  shipping_discount: string;
  /** discount + shipping_discount */
  cost: string;
  /** cost / qualifying, rounded half up */
  average: string;
  min: string;
  max: string;
  percentiles: Percentiles;
  /** Most frequent first. */
  reasons: ReasonCount[];
}

/** A coupon within the best combination of every order. */
export interface WinFigures {
  won: number;
  share: number;
  /** Orders where it was a candidate but not chosen. */
  rejected: number;
  discount: string;
  shipping_discount: string;
  cost: string;
  average: string;
  reasons: ReasonCount[];
}

/** The best combination of every order as a whole. */
export interface BestFigures {
  orders: number;
  /** Orders whose choice is not empty. */
  discounted: number;
  share: number;
  /** Entered codes that match no coupon. */
  unknown_codes: number;
  discount: string;
  shipping_discount: string;
  cost: string;
  average: string;
  min: string;
  max: string;
  percentiles: Percentiles;
}

export interface CouponSimulation {
  code: string;
  name: string;
  /** With the eval view. */
  eval?: EvalFigures;
  /** With the best view. */
  best?: WinFigures;
}

/** The report of a simulation (the JSON of docs/simulation.md). */
export interface SimulationReport {
  /** "" when no order was counted. */
  currency: string;
  flags: { eval: boolean; entered: boolean; best: boolean; indexed: boolean };
  /** Orders counted. */
  orders: number;
  /** Orders refused (in no other figure). */
  errors: number;
  subtotal: string;
  shipping: string;
  percentile_error: string;
  /** Every coupon, in catalog order. */
  coupons: CouponSimulation[];
  /** With the best view. */
  best?: BestFigures;
}

/** A simulation fed one order at a time; its memory does not grow with them. */
export class Simulation {
  constructor(catalog: Catalog, options?: SimulationOptions);
  /** Counts one order; a refused one is counted among the errors and throws. */
  add(order: Order): void;
  addJson(text: string | Uint8Array): void;
  /** Counts every order of an iterable (blank lines skipped); the number taken. */
  extend(orders: Iterable<Order>, options?: ExtendOptions): number;
  extend(orders: AsyncIterable<Order>, options?: ExtendOptions): Promise<number>;
  /** Adds other's counts into this one (same coupons, same options). */
  merge(other: Simulation): void;
  readonly orders: number;
  readonly errors: number;
  /** null until the first order (or the currency option) fixes it. */
  readonly currency: string | null;
  /** The p-th percentile (0 to 100, steps of 0.01): of a coupon alone, or of
   * the best combination when no code is given. */
  percentile(p: number, code?: string): string;
  report(): SimulationReport;
  reportJson(): string;
  readonly closed: boolean;
  /** Frees the simulation now; using it afterwards throws. */
  close(): void;
  [Symbol.dispose](): void;
}

/** Compiled coupons, immutable; evaluate it against any number of contexts. */
export class Catalog {
  private constructor();
  /** Compiles YAML coupon sources (SPEC section 4), linked into one catalog. */
  static compile(sources: string | Uint8Array | Source | Array<string | Uint8Array | Source>,
                 options?: CatalogOptions): Catalog;
  /** Reads coupon files (sources or saved catalogs), linked into one catalog. */
  static compileFiles(paths: string | string[], options?: CatalogOptions): Catalog;
  /** Loads a catalog saved by save(); the bytes are verified (LoadError). */
  static load(data: Uint8Array, options?: CatalogOptions): Catalog;
  /** Number of coupons. */
  readonly size: number;
  /** Every coupon, in catalog order. */
  readonly coupons: readonly CouponInfo[];
  /** The coupon with this code (case-insensitive), if any. */
  coupon(code: string): CouponInfo | undefined;
  /** One result per coupon (or per code of options.only). */
  evaluate(context: ContextInput, options?: EvaluateOptions): CouponResult[];
  /** evaluate() as the JSON text the C library writes (SPEC section 5). */
  evaluateJson(context: ContextInput, options?: EvaluateOptions): string;
  /** The best combination of the automatic coupons and the entered codes. */
  best(context: ContextInput, options?: BestOptions): Choice;
  /** best() as the JSON text the C library writes (SPEC section 6). */
  bestJson(context: ContextInput, options?: BestOptions): string;
  /** The catalog as bytes, portable and checksummed, for Catalog.load(). */
  save(): Buffer;
  /** The bytecode listing. */
  disassemble(): string;
  /** Replays past orders: what the coupons would have cost (docs/simulation.md). */
  simulate(orders: Iterable<Order>, options?: SimulateOptions): SimulationReport;
  simulate(orders: AsyncIterable<Order>, options?: SimulateOptions): Promise<SimulationReport>;
  /** Frees the catalog now; using it afterwards throws. */
  close(): void;
  [Symbol.dispose](): void;
}

/** A status name of the library: "syntax", "unknown-key", "amount"... */
export type ErrorCode =
  | 'ok' | 'out-of-memory' | 'invalid-argument' | 'io' | 'syntax' | 'unknown-key' | 'type'
  | 'value' | 'missing' | 'amount' | 'currency' | 'regex' | 'zone' | 'date' | 'duplicate'
  | 'limit' | 'overflow' | 'verify' | 'format' | 'steps' | 'range';

/** An error of the library, with its place. Positions are 1-based; 0 = unknown. */
export class CouponlibError extends Error {
  /** The status name. */
  readonly code: ErrorCode;
  /** The numeric cl_status. */
  readonly status: number;
  /** The source: a file name, "<input>", "<context>", or "". */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Byte offset into the source. */
  readonly offset: number;
  /** Where in the document: "coupons[2].when.items.sku"; "" if none. */
  readonly path: string;
  /** The message without its position. */
  readonly detail: string;
  /** The jq-style rendering: the message, the source line and a caret. */
  readonly excerpt: string;
  /** For an order a simulation refused in extend() or simulate(): its index. */
  readonly order?: number;
}
/** A coupon source that does not compile, or sources that do not link. */
export class CompileError extends CouponlibError {}
/** A malformed checkout context. */
export class ContextError extends CouponlibError {}
/** A saved program that is malformed or fails verification. */
export class LoadError extends CouponlibError {}
/** An evaluation that failed (step budget, overflow, out of memory). */
export class EvaluationError extends CouponlibError {}

/** ISO 4217 minor-unit exponent (USD 2, JPY 0, KWD 3), or -1 when unknown. */
export function currencyExponent(currency: string): number;
/** The amount with exactly the currency's decimals; throws CouponlibError if it is none. */
export function formatAmount(amount: string | number | bigint, currency: string): string;
/** Every reason code, in its stable order. */
export const reasonCodes: readonly ReasonCode[];
