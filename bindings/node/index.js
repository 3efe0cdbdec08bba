// couponlib for Node: compile coupon definitions (YAML) into verified
// bytecode and evaluate them against a checkout, exactly.
//
// This layer makes the SWIG wrapper of the C API (couponlib_native) idiomatic:
// a Catalog class, contexts and results as plain objects in the JSON shapes of
// the SPEC (amounts as decimal strings), and Errors with a position.
'use strict';

const fs = require('fs');
const path = require('path');

const native = loadNative();

// The addon: $COUPONLIB_NODE_ADDON when set (the meson build makes its own,
// e.g. with sanitizers), else the one node-gyp built in this package.
function loadNative() {
  if (process.env.COUPONLIB_NODE_ADDON) {
    return require(path.resolve(process.env.COUPONLIB_NODE_ADDON));
  }
  const tried = [];
  for (const kind of ['Release', 'Debug']) {
    const file = path.join(__dirname, 'build', kind, 'couponlib_native.node');
    if (fs.existsSync(file)) return require(file);
    tried.push(file);
  }
  throw new Error(`couponlib: the native addon is not built (looked for ${tried.join(', ')}); ` +
    'run `npm install` (or `npm rebuild couponlib`) in a checkout with its dependencies ' +
    '(scripts/deps.sh node)');
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** Any error couponlib reports: code, file, line, column (1-based; 0 = unknown). */
class CouponlibError extends Error {
  constructor(message, fields) {
    super(message);
    this.name = new.target.name;
    Object.assign(this, fields);
  }
}
/** A coupon source that does not compile (or catalogs that do not link). */
class CompileError extends CouponlibError {}
/** A checkout context that is malformed. */
class ContextError extends CouponlibError {}
/** A saved program that is malformed or fails verification. */
class LoadError extends CouponlibError {}
/** An evaluation that failed (step budget, overflow, out of memory). */
class EvaluationError extends CouponlibError {}

// Makes an Error of kind Kind from a filled cl_error. src is the text the
// error refers to (a string, a Buffer or null), for the excerpt.
function errorFrom(Kind, err, src) {
  const excerpt = native.clnode_error_format(err, src == null ? null : src);
  const fields = {
    code: native.cl_status_name(err.code),
    status: err.code,
    file: err.source,
    line: err.line,
    column: err.column,
    offset: err.offset,
    path: err.path,
    detail: err.message,
    excerpt,
  };
  // The first line of the excerpt ("file:line:col: error[code]: message")
  // where the error has a place; the bare message where it has none.
  const where = err.line > 0 || err.source !== '';
  return new Kind(where ? excerpt.split('\n', 1)[0] : err.message, fields);
}

// An Error for a bare status (a call that returned one without filling a
// cl_error).
function statusError(Kind, status, what) {
  const err = new native.cl_error();
  native.clnode_error_set(err, status, `${what}: ${native.cl_strerror(status)}`);
  return errorFrom(Kind, err, null);
}

// ---------------------------------------------------------------------------
// Environments (one per catalog: limits and tz directory)
// ---------------------------------------------------------------------------

const LIMITS = {
  inputBytes: native.CL_LIMIT_INPUT_BYTES,
  depth: native.CL_LIMIT_DEPTH,
  coupons: native.CL_LIMIT_COUPONS,
  list: native.CL_LIMIT_LIST,
  string: native.CL_LIMIT_STRING,
  regexLength: native.CL_LIMIT_REGEX_LENGTH,
  aliases: native.CL_LIMIT_ALIASES,
  nodes: native.CL_LIMIT_NODES,
  match: native.CL_LIMIT_MATCH,
  matchDepth: native.CL_LIMIT_MATCH_DEPTH,
  steps: native.CL_LIMIT_STEPS,
  items: native.CL_LIMIT_ITEMS,
};

const OPTION_KEYS = new Set(['limits', 'tzdir']);

function checkOptions(options, allowed, what) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${what}: options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) throw new TypeError(`${what}: unknown option "${key}"`);
  }
  return options;
}

// A new cl_env configured from { limits, tzdir }. The caller frees it.
function makeEnv(options, what) {
  const opts = checkOptions(options, OPTION_KEYS, what);
  const limits = opts.limits === undefined ? {} : opts.limits;
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) {
    throw new TypeError(`${what}: limits must be an object`);
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!(key in LIMITS)) {
      throw new TypeError(`${what}: unknown limit "${key}" (known: ${Object.keys(LIMITS).join(', ')})`);
    }
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`${what}: limit ${key} must be a positive integer, not ${String(value)}`);
    }
  }
  if (opts.tzdir !== undefined && (typeof opts.tzdir !== 'string' || opts.tzdir === '' ||
                                   opts.tzdir.includes('\0'))) {
    throw new TypeError(`${what}: tzdir must be a directory name`);
  }
  const env = native.clnode_env_new();
  if (env === null) throw statusError(CouponlibError, native.CL_ENOMEM, what);
  let st = native.CL_OK;
  for (const [key, value] of Object.entries(limits)) {
    if (st === native.CL_OK) st = native.cl_env_set_limit(env, LIMITS[key], value);
  }
  if (st === native.CL_OK && opts.tzdir !== undefined) st = native.cl_env_set_tzdir(env, opts.tzdir);
  if (st !== native.CL_OK) {
    native.cl_env_free(env);
    throw statusError(CouponlibError, st, what);
  }
  return env;
}

// The native objects of a catalog, freed together, the program before the
// environment it was made with.
function freeNative(h) {
  native.cl_program_free(h.prog);
  native.cl_vm_free(h.vm);
  native.cl_context_free(h.ctx);
  native.cl_env_free(h.env);
}

// A catalog's native objects are held by the catalog and by each of its
// simulations (which point to its program): they are freed when the last
// of them lets go.
function releaseNative(h) {
  h.refs -= 1;
  if (h.refs === 0) freeNative(h);
}

const registry = new FinalizationRegistry(releaseNative);

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

function isBytes(x) {
  return Buffer.isBuffer(x) || x instanceof Uint8Array;
}

function asBuffer(x) {
  return Buffer.isBuffer(x) ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

// [{ source, name }] from what Catalog.compile() accepts.
function sourcesOf(sources) {
  const list = Array.isArray(sources) ? sources : [sources];
  if (list.length === 0) throw new TypeError('Catalog.compile: no sources');
  // Unnamed sources are "<input>", or "<input 1>", "<input 2>"... when
  // there are several, so that an error between them says which.
  const unnamed = (i) => (list.length > 1 ? `<input ${i + 1}>` : '<input>');
  return list.map((s, i) => {
    if (typeof s === 'string' || isBytes(s)) return { source: s, name: unnamed(i) };
    if (s !== null && typeof s === 'object' && (typeof s.source === 'string' || isBytes(s.source))) {
      if (s.name !== undefined && typeof s.name !== 'string') {
        throw new TypeError(`Catalog.compile: sources[${i}].name must be a string`);
      }
      return { source: s.source, name: s.name === undefined ? unnamed(i) : s.name };
    }
    throw new TypeError(`Catalog.compile: sources[${i}] must be a string, a Buffer or { source, name }`);
  }).map((s) => ({ source: isBytes(s.source) ? asBuffer(s.source) : s.source, name: s.name }));
}

// The text of a context: JSON of a plain object, or given text.
function contextText(context, what) {
  if (typeof context === 'string') return context;
  if (isBytes(context)) return asBuffer(context);
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new TypeError(`${what}: the context must be an object (SPEC section 3), or JSON text`);
  }
  try {
    return JSON.stringify(context);
  } catch (e) {
    throw new TypeError(`${what}: the context cannot be written as JSON: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------
// Prepared contexts
// ---------------------------------------------------------------------------

function freeContext(c) {
  native.cl_context_free(c.ctx);
  native.cl_env_free(c.env);
}

const contextRegistry = new FinalizationRegistry(freeContext);
let contextHandle;  // a Context's native cl_context, for Catalog and Simulation
let contextSkus;    // a Context's SKUs, for Catalog

/**
 * A checkout context kept in native form, parsed once: evaluate it any
 * number of times, against any number of catalogs, without converting it
 * again. new Context(data) with a plain object (SPEC section 3), its JSON
 * text or a Buffer of it; new Context() is empty until fill(). options:
 * { limits, tzdir } as for Catalog.compile (they bound the parse and name
 * the time zone directory). close() frees it at once (else the garbage
 * collector does).
 */
class Context {
  #c;      // { env, ctx }, null once closed
  #err;
  #skus = null;   // the lines' SKUs, read once for the results, until changed

  constructor(data, options) {
    const env = makeEnv(options, 'Context');
    const ctx = native.cl_context_new(env);
    if (ctx === null) {
      native.cl_env_free(env);
      throw statusError(CouponlibError, native.CL_ENOMEM, 'Context');
    }
    this.#c = { env, ctx };
    this.#err = new native.cl_error();
    contextRegistry.register(this, this.#c, this);
    if (data !== undefined) this.fill(data);
  }

  #ctx() {
    const c = this.#c;
    if (c === null) throw new Error('couponlib: this context is closed');
    return c.ctx;
  }

  /**
   * Clears the context and fills it from a plain object, JSON (or YAML)
   * text or a Buffer, in the shape of SPEC section 3. A malformed one is a
   * ContextError with its line, column and path; the context is then left
   * empty.
   */
  fill(data) {
    const ctx = this.#ctx();
    this.#skus = null;
    const text = contextText(data, 'Context');
    if (native.cl_context_parse(ctx, text, this.#err) !== native.CL_OK) {
      throw errorFrom(ContextError, this.#err, text);
    }
  }

  /** Empties the context (no now, no currency, no items). */
  clear() {
    const ctx = this.#ctx();
    this.#skus = null;
    native.cl_context_clear(ctx);
  }

  /** Number of cart lines. */
  get size() {
    return native.cl_context_item_count(this.#ctx());
  }

  /** The currency, or null when the context has none. */
  get currency() {
    return native.cl_context_currency(this.#ctx()) || null;
  }

  /** Frees the context now; using it afterwards throws. */
  close() {
    const c = this.#c;
    if (c === null) return;
    this.#c = null;
    contextRegistry.unregister(this);
    freeContext(c);
  }

  /** Whether close() was called. */
  get closed() {
    return this.#c === null;
  }

  // The SKUs of the lines, as results name them.
  #skuList() {
    if (this.#skus === null) {
      const ctx = this.#ctx();
      const n = native.cl_context_item_count(ctx);
      const skus = new Array(n);
      for (let i = 0; i < n; i++) skus[i] = native.cl_context_item_sku(ctx, i);
      this.#skus = skus;
    }
    return this.#skus;
  }

  static {
    contextHandle = (context) => context.#ctx();
    contextSkus = (context) => context.#skuList();
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Context.prototype[Symbol.dispose] = Context.prototype.close;
}

// ---------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------

const EVALUATE_KEYS = new Set(['entered', 'only']);
const BEST_KEYS = new Set(['indexed']);
const kNative = Symbol('couponlib.native');  // the constructor's token
let catalogHandle;  // a catalog's native objects, for its simulations (set by Catalog)

/**
 * Compiled coupons: one file or many. Immutable; evaluate it against any
 * number of checkout contexts. close() frees it at once (else the garbage
 * collector does).
 */
class Catalog {
  #h;             // the native objects, null once closed
  #err;           // the cl_error this catalog's calls fill
  #coupons = null;

  // Use Catalog.compile(), Catalog.compileFiles() or Catalog.load(). Takes
  // env and prog: they are freed with the catalog, or here if it fails.
  constructor(token, env, prog) {
    if (token !== kNative) {
      throw new TypeError('use Catalog.compile(), Catalog.compileFiles() or Catalog.load()');
    }
    const h = { env, prog, vm: native.cl_vm_new(env), ctx: native.cl_context_new(env), refs: 1 };
    if (h.vm === null || h.ctx === null) {
      freeNative(h);
      throw statusError(CouponlibError, native.CL_ENOMEM, 'Catalog');
    }
    this.#h = h;
    this.#err = new native.cl_error();
    registry.register(this, h, this);
  }

  /**
   * Compiles coupon sources (YAML text, SPEC section 4): a string, a Buffer,
   * { source, name } or an array of them, linked into one catalog.
   */
  static compile(sources, options) {
    const list = sourcesOf(sources);
    const env = makeEnv(options, 'Catalog.compile');
    return Catalog.#build(env, list.length, (i, err) => {
      const p = native.cl_compile(env, list[i].source, list[i].name, err);
      return p === null ? errorFrom(CompileError, err, list[i].source) : p;
    }, (err) => {
      const s = list.find((x) => x.name === err.source);
      return errorFrom(CompileError, err, s ? s.source : null);
    });
  }

  /**
   * Loads a catalog saved by save() (a Buffer or Uint8Array). The bytes are
   * verified as freshly compiled code is: a corrupted or hostile blob is a
   * LoadError, never a crash.
   */
  static load(data, options) {
    if (!isBytes(data)) throw new TypeError('Catalog.load: expected a Buffer or a Uint8Array');
    const bytes = asBuffer(data);
    const env = makeEnv(options, 'Catalog.load');
    return Catalog.#build(env, 1, (i, err) => loadBytes(env, bytes, null, err), null);
  }

  /**
   * Reads coupon files by path and compiles them (or loads them, when they
   * are saved catalogs), linked into one catalog.
   */
  static compileFiles(paths, options) {
    const list = Array.isArray(paths) ? paths : [paths];
    if (list.length === 0) throw new TypeError('Catalog.compileFiles: no files');
    list.forEach((p, i) => {
      if (typeof p !== 'string' || p === '' || p.includes('\0')) {
        throw new TypeError(`Catalog.compileFiles: paths[${i}] must be a file name`);
      }
    });
    const env = makeEnv(options, 'Catalog.compileFiles');
    const textOf = (file) => {
      try { return fs.readFileSync(file); } catch { return null; }
    };
    return Catalog.#build(env, list.length, (i, err) => {
      const data = textOf(list[i]);
      if (data !== null && native.cl_program_is_saved(data)) return loadBytes(env, data, list[i], err);
      const p = native.cl_compile_file(env, list[i], err);
      return p === null ? errorFrom(CompileError, err, data) : p;
    }, (err) => errorFrom(CompileError, err, err.source ? textOf(err.source) : null));
  }

  // Makes n programs with make(i, err) (a program or an Error) and links
  // them; the Error of a failed link comes from linkError(err).
  static #build(env, n, make, linkError) {
    const err = new native.cl_error();
    const progs = [];
    let failure = null;
    for (let i = 0; i < n && failure === null; i++) {
      const p = make(i, err);
      if (p instanceof Error) failure = p;
      else progs.push(p);
    }
    let prog = null;
    if (failure === null && progs.length === 1) {
      prog = progs.pop();
    } else if (failure === null) {
      prog = native.cl_program_link(env, progs, err);
      if (prog === null) failure = linkError(err);
    }
    for (const p of progs) native.cl_program_free(p);
    if (failure !== null) {
      native.cl_env_free(env);
      throw failure;
    }
    return new Catalog(kNative, env, prog);  // it owns env and prog, failing or not
  }

  #handle() {
    const h = this.#h;
    if (h === null) throw new Error('couponlib: this catalog is closed');
    return h;
  }

  /** Number of coupons. */
  get size() {
    return native.cl_program_count(this.#handle().prog);
  }

  /** Facts about every coupon, in catalog order. */
  get coupons() {
    const prog = this.#handle().prog;
    if (this.#coupons === null) {
      const n = native.cl_program_count(prog);
      const list = [];
      for (let i = 0; i < n; i++) list.push(Object.freeze(couponInfo(prog, i)));
      this.#coupons = Object.freeze(list);
    }
    return this.#coupons;
  }

  /** Facts about the coupon with this code (case-insensitive), or undefined. */
  coupon(code) {
    if (typeof code !== 'string') throw new TypeError('coupon: the code must be a string');
    const prog = this.#handle().prog;
    if (code.includes('\0')) return undefined;
    const i = native.cl_program_find(prog, code);
    return i < 0 ? undefined : this.coupons[i];
  }

  /**
   * Evaluates every coupon (or those of options.only, in that order) against
   * a context; one result per coupon (SPEC section 5). Every coupon is
   * evaluated as if its code had been entered, unless options.entered.
   */
  evaluate(context, options) {
    const { ctx, skus, view, flags, indexes } = this.#prepare(context, options, 'evaluate', true);
    const h = this.#h;
    const v = indexes === null
      ? native.clnode_eval_view(h.vm, h.prog, ctx, flags, view, this.#err)
      : native.clnode_eval_some_view(h.vm, h.prog, ctx, indexes, flags, view, this.#err);
    if (v === null) throw errorFrom(EvaluationError, this.#err, null);
    return resultsOf(v, skus);
  }

  /**
   * evaluate() giving the JSON text the C library writes (SPEC section 5),
   * for services that pass JSON through.
   */
  evaluateJson(context, options) {
    const { ctx, flags, indexes } = this.#prepare(context, options, 'evaluateJson', true);
    const h = this.#h;
    const res = indexes === null
      ? native.clnode_eval(h.vm, h.prog, ctx, flags, this.#err)
      : native.clnode_eval_some(h.vm, h.prog, ctx, indexes, flags, this.#err);
    if (res === null) throw errorFrom(EvaluationError, this.#err, null);
    return native.clnode_result_json(res);
  }

  /**
   * Chooses the best combination of the automatic coupons and the entered
   * codes (SPEC section 6). With options.indexed the catalog's index skips,
   * unevaluated, the automatic coupons that cannot apply to the cart: the
   * same choice and totals, but those coupons are not listed in rejected.
   */
  best(context, options) {
    const { ctx, skus, view, flags } = this.#prepare(context, options, 'best', false);
    const h = this.#h;
    const v = native.clnode_best_view(h.vm, h.prog, ctx, flags, view, this.#err);
    if (v === null) throw errorFrom(EvaluationError, this.#err, null);
    return choiceOf(v, skus);
  }

  /** best() giving the JSON text the C library writes (SPEC section 6). */
  bestJson(context, options) {
    const { ctx, flags } = this.#prepare(context, options, 'bestJson', false);
    const h = this.#h;
    const res = native.clnode_best_flags(h.vm, h.prog, ctx, flags, this.#err);
    if (res === null) throw errorFrom(EvaluationError, this.#err, null);
    return native.clnode_result_json(res);
  }

  // What an evaluation (each: evaluate, else best) needs: the options
  // checked, the native context (a Context's own, or the catalog's scratch
  // context filled from an object or text), and the lines' SKUs when the
  // Context has them (view tells the native layer to leave them out).
  #prepare(context, options, what, each) {
    const h = this.#handle();
    let flags = 0;
    let indexes = null;
    if (options !== undefined) {
      const opts = checkOptions(options, each ? EVALUATE_KEYS : BEST_KEYS, what);
      const flag = each ? 'entered' : 'indexed';
      if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') {
        throw new TypeError(`${what}: ${flag} must be a boolean`);
      }
      if (opts[flag]) flags = each ? native.CL_EVAL_ENTERED : native.CL_BEST_INDEXED;
      if (each && opts.only !== undefined) indexes = this.#indexes(opts.only, what);
    }
    if (context instanceof Context) {
      return { ctx: contextHandle(context), skus: contextSkus(context), view: native.CLNODE_VIEW_NO_SKUS,
        flags, indexes };
    }
    const text = contextText(context, what);
    if (native.cl_context_parse(h.ctx, text, this.#err) !== native.CL_OK) {
      throw errorFrom(ContextError, this.#err, text);
    }
    return { ctx: h.ctx, skus: null, view: 0, flags, indexes };
  }

  #indexes(only, what) {
    if (!Array.isArray(only)) throw new TypeError(`${what}: only must be an array of codes`);
    return only.map((code) => {
      if (typeof code !== 'string') throw new TypeError(`${what}: only must be an array of codes`);
      const i = code.includes('\0') ? -1 : native.cl_program_find(this.#h.prog, code);
      if (i < 0) throw new RangeError(`${what}: no coupon "${code}" in this catalog`);
      return i;
    });
  }

  /**
   * The catalog as bytes (a Buffer): a portable, checksummed form that
   * Catalog.load() (or couponc) reads back into an identical catalog.
   */
  save() {
    return native.clnode_program_save(this.#handle().prog);
  }

  /** The bytecode listing (couponc disasm). */
  disassemble() {
    return native.clnode_program_disasm(this.#handle().prog);
  }

  /** Frees the catalog now; using it afterwards throws. */
  close() {
    const h = this.#h;
    if (h === null) return;
    this.#h = null;
    registry.unregister(this);
    releaseNative(h);
  }

  /**
   * Replays past orders and tells what the coupons would have cost
   * (docs/simulation.md): for each coupon alone and for the best combination
   * of every order, the orders touched, the discounts (total, average, min,
   * max, percentiles) and why the others did not qualify. orders is any
   * iterable of orders (plain objects, JSON text, Buffers), read as it
   * goes; an async iterable (a readline interface over a file, say) gives a
   * Promise of the report.
   */
  simulate(orders, options) {
    const opts = checkOptions(options, SIMULATE_KEYS, 'simulate');
    const { strict, onError, ...rest } = opts;
    const iterable = orders != null && typeof orders[Symbol.iterator] === 'function' &&
      typeof orders !== 'string';
    const asyncIterable = orders != null && typeof orders[Symbol.asyncIterator] === 'function';
    if (!iterable && !asyncIterable) {
      throw new TypeError('simulate: orders must be an iterable (or async iterable) of orders');
    }
    const sim = new Simulation(this, rest);
    const feed = { strict, onError };
    if (iterable) {
      try {
        sim.extend(orders, feed);
        return sim.report();
      } finally {
        sim.close();
      }
    }
    return sim.extend(orders, feed).then(
      () => { const r = sim.report(); sim.close(); return r; },
      (e) => { sim.close(); throw e; });
  }

  static {
    catalogHandle = (catalog) => catalog.#handle();
  }
}

const SIMULATION_KEYS = new Set(['eval', 'best', 'entered', 'indexed', 'currency']);
const SIMULATE_KEYS = new Set([...SIMULATION_KEYS, 'strict', 'onError']);
const EXTEND_KEYS = new Set(['strict', 'onError']);

// ---------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------

function freeSimulation(s) {
  native.cl_sim_free(s.sim);
  releaseNative(s.cat);
}

const simRegistry = new FinalizationRegistry(freeSimulation);

// Whether an order is a blank line (skipped, as couponc simulate does).
function isBlank(order) {
  if (typeof order === 'string') return !/[^ \t\r\n]/.test(order);
  if (!isBytes(order)) return false;
  for (const b of order) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}

/**
 * A simulation of a catalog's coupons, fed one order at a time: add(),
 * extend() over an iterable, merge() of simulations, report() whenever you
 * like. Its memory does not grow with the number of orders. close() frees
 * it at once (else the garbage collector does).
 */
class Simulation {
  #s;       // { sim, cat }, null once closed
  #err;
  #view;

  constructor(catalog, options) {
    if (!(catalog instanceof Catalog)) throw new TypeError('Simulation: expected a Catalog');
    const opts = checkOptions(options, SIMULATION_KEYS, 'Simulation');
    for (const key of ['eval', 'best', 'entered', 'indexed']) {
      if (opts[key] !== undefined && typeof opts[key] !== 'boolean') {
        throw new TypeError(`Simulation: ${key} must be a boolean`);
      }
    }
    const each = opts.eval !== false;
    const best = opts.best !== false;
    if (!each && !best) {
      throw new RangeError('Simulation: simulate each coupon alone (eval), the best combination (best), or both');
    }
    if (opts.entered && !each) throw new RangeError('Simulation: entered needs eval');
    if (opts.indexed && !best) throw new RangeError('Simulation: indexed needs best');
    if (opts.currency !== undefined && (typeof opts.currency !== 'string' || opts.currency.includes('\0'))) {
      throw new TypeError('Simulation: currency must be a currency code');
    }
    if (opts.currency !== undefined && native.cl_currency_exponent(opts.currency) < 0) {
      throw statusError(ContextError, native.CL_ECURRENCY, `Simulation: unknown currency "${opts.currency}"`);
    }
    const h = catalogHandle(catalog);
    const flags = (each ? native.CL_SIM_EVAL : 0) | (best ? native.CL_SIM_BEST : 0) |
      (opts.entered ? native.CL_EVAL_ENTERED : 0) | (opts.indexed ? native.CL_BEST_INDEXED : 0);
    const err = new native.cl_error();
    const sim = native.cl_sim_new(h.env, h.prog, flags, err);
    if (sim === null) throw errorFrom(CouponlibError, err, null);
    h.refs += 1;
    this.#s = { sim, cat: h };
    this.#err = err;
    this.#view = each ? native.CL_SIM_EVAL : native.CL_SIM_BEST;
    simRegistry.register(this, this.#s, this);
    if (opts.currency !== undefined) native.cl_sim_set_currency(sim, opts.currency);
  }

  #sim() {
    const s = this.#s;
    if (s === null) throw new Error('couponlib: this simulation is closed');
    return s.sim;
  }

  /**
   * Counts one order: a plain object (SPEC section 3), its JSON text, a
   * Buffer of it, or a prepared Context. A refused order (malformed, in another currency, or whose
   * evaluation fails) is counted among the errors and throws its
   * ContextError or EvaluationError; nothing else changes.
   */
  add(order) {
    const sim = this.#sim();
    if (order instanceof Context) {
      const err = this.#err;
      if (native.cl_sim_add(sim, contextHandle(order), err) !== native.CL_OK) {
        throw errorFrom(err.source === '<context>' ? ContextError : EvaluationError, err, null);
      }
      return;
    }
    let text;
    if (typeof order === 'string') text = order;
    else if (isBytes(order)) text = asBuffer(order);
    else if (order !== null && typeof order === 'object' && !Array.isArray(order)) text = contextText(order, 'add');
    else throw new TypeError('add: an order is an object (SPEC section 3), JSON text or a Buffer');
    const err = this.#err;
    if (native.cl_sim_add_json(sim, text, err) !== native.CL_OK) {
      throw errorFrom(err.source === '<context>' ? ContextError : EvaluationError, err, text);
    }
  }

  /** Counts one order given as JSON text or a Buffer (as add() does). */
  addJson(text) {
    if (typeof text !== 'string' && !isBytes(text)) throw new TypeError('addJson: expected a string or a Buffer');
    this.add(text);
  }

  /**
   * Counts every order of an iterable, skipping blank lines. A refused order
   * is counted among the errors and given to onError(index, error); with
   * strict it is thrown instead (error.order is its index). Returns the
   * number of orders taken; for an async iterable, a Promise of it.
   */
  extend(orders, options) {
    const opts = checkOptions(options, EXTEND_KEYS, 'extend');
    if (opts.strict !== undefined && typeof opts.strict !== 'boolean') {
      throw new TypeError('extend: strict must be a boolean');
    }
    if (opts.onError !== undefined && typeof opts.onError !== 'function') {
      throw new TypeError('extend: onError must be a function');
    }
    this.#sim();
    let index = 0;
    const one = (order) => {
      const i = index++;
      if (isBlank(order)) return;
      try {
        this.add(order);
      } catch (e) {
        if (!(e instanceof CouponlibError)) throw e;
        e.order = i;
        if (opts.strict) throw e;
        if (opts.onError) opts.onError(i, e);
      }
    };
    if (orders != null && typeof orders !== 'string' && typeof orders[Symbol.iterator] === 'function') {
      for (const order of orders) one(order);
      return index;
    }
    if (orders != null && typeof orders[Symbol.asyncIterator] === 'function') {
      return (async () => {
        for await (const order of orders) one(order);
        return index;
      })();
    }
    throw new TypeError('extend: orders must be an iterable (or async iterable) of orders');
  }

  /**
   * Adds other's counts into this simulation (other is unchanged). Both must
   * simulate the same coupons the same way; orders in two currencies cannot
   * be merged.
   */
  merge(other) {
    if (!(other instanceof Simulation)) throw new TypeError('merge: expected a Simulation');
    if (other === this) throw new RangeError('merge: a simulation cannot be merged into itself');
    const into = this.#sim();
    const from = other.#sim();
    const st = native.cl_sim_merge(into, from);
    if (st === native.CL_EINVAL) {
      throw statusError(CouponlibError, st, 'merge: the simulations differ in their coupons or in what they simulate');
    }
    if (st === native.CL_ECURRENCY) {
      throw statusError(CouponlibError, st,
        `merge: the simulations are in different currencies (${native.cl_sim_currency(into)}, ${native.cl_sim_currency(from)})`);
    }
    if (st !== native.CL_OK) throw statusError(CouponlibError, st, 'merge');
  }

  /** Orders counted so far. */
  get orders() {
    return native.clnode_sim_count(this.#sim(), native.CL_SIM_ORDERS);
  }

  /** Orders refused so far. */
  get errors() {
    return native.clnode_sim_count(this.#sim(), native.CL_SIM_ERRORS);
  }

  /** The simulation's currency, or null until it is fixed. */
  get currency() {
    return native.cl_sim_currency(this.#sim()) || null;
  }

  /**
   * The p-th percentile (0 to 100 in steps of 0.01) of the cost of one
   * qualifying order, as a decimal string: of a coupon alone (by code), or
   * of the best combination (no code).
   */
  percentile(p, code) {
    const sim = this.#sim();
    if (typeof p !== 'number' || !Number.isFinite(p)) throw new TypeError('percentile: p must be a number');
    const hundredths = Math.round(p * 100);
    if (Math.abs(hundredths - p * 100) > 1e-6 || hundredths < 0 || hundredths > 10000) {
      throw new RangeError(`percentile: p is from 0 to 100 in steps of 0.01, not ${p}`);
    }
    let view = native.CL_SIM_BEST;
    let coupon = native.CL_SIM_ALL;
    if (code !== undefined) {
      if (typeof code !== 'string') throw new TypeError('percentile: the code must be a string');
      coupon = code.includes('\0') ? -1 : native.cl_program_find(this.#s.cat.prog, code);
      if (coupon < 0) throw new RangeError(`percentile: no coupon "${code}" in this catalog`);
      view = native.CL_SIM_EVAL;
    }
    const out = native.clnode_sim_percentile(sim, view, coupon, hundredths);
    if (typeof out === 'string') return out;
    if (out === native.CL_EINVAL) {
      throw new RangeError(`percentile: ${code === undefined ? 'the best combination' : 'each coupon alone'} was not simulated`);
    }
    throw statusError(CouponlibError, out, 'percentile');
  }

  /** The report as the JSON text of docs/simulation.md. */
  reportJson() {
    return native.clnode_sim_json(this.#sim());
  }

  /** The report so far, as a plain object (amounts as decimal strings). */
  report() {
    return JSON.parse(this.reportJson());
  }

  /** Frees the simulation now; using it afterwards throws. */
  close() {
    const s = this.#s;
    if (s === null) return;
    this.#s = null;
    simRegistry.unregister(this);
    freeSimulation(s);
  }

  /** Whether close() was called. */
  get closed() {
    return this.#s === null;
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Simulation.prototype[Symbol.dispose] = Simulation.prototype.close;
}

if (typeof Symbol.dispose === 'symbol') {
  Catalog.prototype[Symbol.dispose] = Catalog.prototype.close;
}

// A program loaded from saved bytes, or a LoadError (file: where they came
// from, when the library names no source).
function loadBytes(env, bytes, file, err) {
  const p = native.cl_program_load(env, bytes, err);
  if (p !== null) return p;
  const e = errorFrom(LoadError, err, null);
  if (!e.file && file) {
    e.file = file;
    e.message = `${file}: ${e.message}`;
  }
  return e;
}

// ---------------------------------------------------------------------------
// Results: objects from the flat arrays of clnode_result_view (couponlib.i
// tells their layout), in the shapes of SPEC sections 5 and 6
// ---------------------------------------------------------------------------

// A text value at v[k], v[k + 1]: a slice of the text (v[0]), or a
// string of its own.
function textAt(v, k) {
  const a = v[k];
  return typeof a === 'number' ? v[0].slice(a, v[k + 1]) : a;
}

// The reasons at v[k...] (their count first) into list; the next index.
function readReasons(v, k, list) {
  const n = v[k++];
  for (let j = 0; j < n; j++) {
    const line = v[k + 3];
    list.push(line === 0 ? { code: reasonCodes[v[k]], message: textAt(v, k + 1) }
      : { code: reasonCodes[v[k]], message: textAt(v, k + 1), line });
    k += 4;
  }
  return k;
}

// One coupon's outcome at v[k...] pushed to out; the next index. skus: the
// lines' SKUs when v leaves them out, else null.
function readOutcome(v, k, out, skus) {
  const lines = [];
  const reasons = [];
  const r = { code: textAt(v, k), applicable: v[k + 2] === 1, discount: textAt(v, k + 3),
    shipping_discount: textAt(v, k + 5), lines, reasons };
  k += 7;
  const n = v[k++];
  if (skus === null) {
    for (let j = 0; j < n; j++) {
      lines.push({ index: v[k], sku: textAt(v, k + 1), discount: textAt(v, k + 3) });
      k += 5;
    }
  } else {
    for (let j = 0; j < n; j++) {
      lines.push({ index: v[k], sku: skus[v[k]], discount: textAt(v, k + 1) });
      k += 3;
    }
  }
  out.push(r);
  return readReasons(v, k, reasons);
}

function resultsOf(v, skus) {
  const results = [];
  const n = v[1];
  let k = 2;
  for (let i = 0; i < n; i++) k = readOutcome(v, k, results, skus);
  return results;
}

function choiceOf(v, skus) {
  const napplied = v[1];
  const nrejected = v[2];
  const applied = [];
  const rejected = [];
  let k = 13;
  for (let i = 0; i < napplied; i++) k = readOutcome(v, k, applied, skus);
  for (let i = 0; i < nrejected; i++) {
    const reasons = [];
    rejected.push({ code: textAt(v, k), reasons });
    k = readReasons(v, k + 2, reasons);
  }
  return { coupons: applied.map((r) => r.code), discount: textAt(v, 3), shipping_discount: textAt(v, 5),
    subtotal: textAt(v, 7), shipping: textAt(v, 9), total: textAt(v, 11), applied, rejected };
}

function couponInfo(prog, i) {
  return {
    code: native.cl_program_code(prog, i),
    name: native.cl_program_name(prog, i),
    group: native.cl_program_group(prog, i),
    currency: native.cl_program_currency(prog, i),
    automatic: native.cl_program_automatic(prog, i),
    exclusive: native.cl_program_exclusive(prog, i),
    priority: native.cl_program_priority(prog, i),
  };
}

// ---------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------

/** The ISO 4217 minor-unit exponent of a currency (USD 2, JPY 0), or -1. */
function currencyExponent(currency) {
  if (typeof currency !== 'string') throw new TypeError('currencyExponent: expected a currency code');
  return currency.includes('\0') ? -1 : native.cl_currency_exponent(currency);
}

/**
 * An exact amount ("12.5" or an integer of major units) written with exactly
 * the currency's decimals ("12.50"). More decimals than the currency has is
 * an error, never a rounding.
 */
function formatAmount(amount, currency) {
  let text;
  if (typeof amount === 'string') text = amount;
  else if (typeof amount === 'bigint') text = amount.toString();
  else if (Number.isSafeInteger(amount)) text = String(amount);
  else throw new TypeError('formatAmount: the amount must be a decimal string or an integer');
  if (typeof currency !== 'string' || currency.includes('\0')) {
    throw new TypeError('formatAmount: expected a currency code');
  }
  const out = native.clnode_amount_normalize(text, currency);
  if (typeof out === 'string') return out;
  const err = new native.cl_error();
  native.clnode_error_set(err, out, `"${text}" is not an amount of ${currency}: ${native.cl_strerror(out)}`);
  throw errorFrom(CouponlibError, err, null);
}

/** Reason codes (SPEC section 5), in their stable order. */
const reasonCodes = Object.freeze(
  Array.from({ length: native.CL_R_COUNT }, (_, i) => native.cl_reason_name(i)));

module.exports = {
  version: native.cl_version(),
  Catalog,
  Context,
  Simulation,
  CouponlibError,
  CompileError,
  ContextError,
  LoadError,
  EvaluationError,
  currencyExponent,
  formatAmount,
  reasonCodes,
};
