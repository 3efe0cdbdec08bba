/*
 * couponlib.h - the public C API of couponlib.
 *
 * couponlib compiles declarative coupon definitions (YAML) into verified
 * bytecode and evaluates them against a checkout context, exactly: money is
 * integers of minor units, time is evaluated in IANA zones with DST.
 *
 * Four kinds of object, each opaque:
 *
 *   cl_env      environment: allocator, limits, tz database directory.
 *               Configure it once, then share it read-only with any number of
 *               threads; it must outlive every object made from it.
 *   cl_program  one or more compiled coupons (a "catalog" when it holds many
 *               files). Immutable after compilation; share freely between
 *               threads.
 *   cl_context  one checkout: now, currency, user, order, payment, shipping,
 *               items, usage, entered codes. Built with setters or parsed from
 *               the JSON of SPEC section 3. Not thread-safe; may be read by
 *               several evaluations at once once it is no longer modified.
 *   cl_vm       per-thread evaluation state and result storage. One thread
 *               at a time.
 *
 * The library keeps no static or global mutable state. It does no I/O of its
 * own except reading a coupon file or a time zone file by path when asked,
 * and it never reads the clock: "now" always comes from the context.
 *
 * Conventions: constructors return the object or NULL (and fill a
 * caller-owned cl_error when one is passed); operations return a cl_status.
 * Passing NULL to a *_free function is a harmless no-op. Amounts cross the API
 * as int64_t minor units (cents) of a currency; never as floating point.
 *
 * Everything in this header exists since version 0.1.
 */
#ifndef COUPONLIB_H
#define COUPONLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CL_BUILDING_LIBRARY) && defined(__GNUC__)
#define CL_API __attribute__((visibility("default")))
#else
#define CL_API
#endif

#define CL_VERSION_MAJOR 0
#define CL_VERSION_MINOR 1
#define CL_VERSION_PATCH 0
#define CL_VERSION_STRING "0.1.0"

/* The library's version string, e.g. "0.1.0". */
CL_API const char *cl_version(void);

/* ------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------ */

typedef enum cl_status {
    CL_OK = 0,
    CL_ENOMEM,      /* an allocation failed */
    CL_EINVAL,      /* a bad argument to an API function */
    CL_EIO,         /* a file could not be read */
    CL_ESYNTAX,     /* YAML or JSON syntax error */
    CL_EKEY,        /* unknown key */
    CL_ETYPE,       /* wrong type of value (mapping, list, scalar...) */
    CL_EVALUE,      /* a value out of range or malformed */
    CL_EMISSING,    /* a required key is missing */
    CL_EAMOUNT,     /* a malformed amount, or too many decimals */
    CL_ECURRENCY,   /* unknown currency, or amounts without a currency */
    CL_EREGEX,      /* a regular expression does not compile */
    CL_EZONE,       /* unknown time zone or unreadable tz data */
    CL_EDATE,       /* a malformed date, time or instant */
    CL_EDUPLICATE,  /* a duplicate key or coupon code */
    CL_ELIMIT,      /* an input exceeds a configured limit */
    CL_EOVERFLOW,   /* an amount or quantity overflows */
    CL_EVERIFY,     /* bytecode failed verification */
    CL_EFORMAT,     /* a saved program is malformed */
    CL_ESTEPS,      /* evaluation exceeded its step budget */
    CL_ERANGE,      /* an index out of range */
    CL_STATUS_COUNT
} cl_status;

/* A static English description of a status code ("an allocation failed").
 * Never NULL. */
CL_API const char *cl_strerror(int status);

/* A static short stable name of a status code, as printed in diagnostics:
 * "syntax", "unknown-key", "amount"... Never NULL. */
CL_API const char *cl_status_name(int status);

/* The error struct needs no allocation. Positions are 1-based; 0 means
 * unknown. The caller owns it (usually on the stack). */
typedef struct cl_error {
    int code;            /* cl_status; CL_OK when there is no error */
    unsigned line;       /* source line, 1-based; 0 = unknown */
    unsigned column;     /* source column, 1-based; 0 = unknown */
    size_t offset;       /* byte offset into the source */
    char source[256];    /* name of the source (file path or given name) */
    char path[256];      /* where in the document: "coupons[2].when.items.sku" */
    char message[512];   /* the message, without position */
} cl_error;

/* Renders err jq-style into buf (always NUL-terminated when size > 0):
 *
 *     coupons.yaml:12:7: error[unknown-key]: unknown key "amout"; did you mean "amount"?
 *        12 |       amout: "5.00"
 *           |       ^
 *
 * src/len is the source text the error refers to (may be NULL: then no
 * source line is shown). Returns the length the full text needs, like
 * snprintf. */
CL_API size_t cl_error_format(const cl_error *err, const char *src, size_t len,
                              char *buf, size_t size);

/* ------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------ */

typedef struct cl_env cl_env;

/* The allocator hook, in Lua's shape: with nsize == 0 it frees ptr (which may
 * be NULL) and returns NULL; otherwise it returns a block of nsize bytes,
 * reallocating ptr (of osize bytes) when ptr is not NULL, or NULL on failure.
 * It must be safe to call from several threads at once. Note that libyaml has
 * no allocator hook: its short-lived objects use malloc and are always freed
 * before a compile call returns. */
typedef void *(*cl_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

/* Limits (SPEC section 8). Each has a default; see cl_env_limit(). */
typedef enum cl_limit {
    CL_LIMIT_INPUT_BYTES,    /* bytes of one coupon file or context (16 MiB) */
    CL_LIMIT_DEPTH,          /* nesting depth of YAML/JSON and of conditions (64) */
    CL_LIMIT_COUPONS,        /* coupons in one program (100000) */
    CL_LIMIT_LIST,           /* entries in one list (2000000) */
    CL_LIMIT_STRING,         /* bytes of one string (65536) */
    CL_LIMIT_REGEX_LENGTH,   /* bytes of one regular expression (1024) */
    CL_LIMIT_ALIASES,        /* YAML nodes reached through aliases (10000) */
    CL_LIMIT_NODES,          /* YAML nodes in one document (4000000) */
    CL_LIMIT_MATCH,          /* PCRE2 match limit (100000) */
    CL_LIMIT_MATCH_DEPTH,    /* PCRE2 depth limit (1000) */
    CL_LIMIT_STEPS,          /* evaluation step budget per coupon (1000000) */
    CL_LIMIT_ITEMS,          /* lines in one context (10000) */
    CL_LIMIT_COUNT
} cl_limit;

/* Creates an environment. alloc may be NULL for malloc/realloc/free; ud is
 * passed to it unchanged. Returns NULL when out of memory. The caller frees
 * it with cl_env_free() after every object made from it. */
CL_API cl_env *cl_env_new(cl_alloc_fn alloc, void *ud);

/* Frees env. NULL is a no-op. */
CL_API void cl_env_free(cl_env *env);

/* Sets a limit. value must be positive. Returns CL_EINVAL for an unknown
 * limit or a zero value. Not thread-safe: configure before sharing. */
CL_API cl_status cl_env_set_limit(cl_env *env, cl_limit which, uint64_t value);

/* The current value of a limit (its default until set); 0 for an unknown one. */
CL_API uint64_t cl_env_limit(const cl_env *env, cl_limit which);

/* Points the library at another tz database directory (default
 * "/usr/share/zoneinfo", or $TZDIR is NOT consulted: the library reads no
 * environment variables). The string is copied. */
CL_API cl_status cl_env_set_tzdir(cl_env *env, const char *dir);

/* ------------------------------------------------------------------------
 * Shipped calendars
 * ------------------------------------------------------------------------ */

/* The calendars built into the library, which a coupon file lists by name
 * (`calendars: [us-retail]`; docs/time.md says what each holds): the name of
 * the i-th in alphabetical order, or NULL when i is past the last. The string
 * is static. */
CL_API const char *cl_calendar_name(size_t i);

/* The YAML text of the shipped calendar called name (static,
 * NUL-terminated): its days and their rules, in the form of a file's
 * `calendars` entries. NULL when there is no such calendar. */
CL_API const char *cl_calendar_source(const char *name);

/* ------------------------------------------------------------------------
 * Money
 * ------------------------------------------------------------------------ */

/* The ISO 4217 minor-unit exponent of a currency code ("USD" -> 2, "JPY" ->
 * 0, "KWD" -> 3), or -1 when the code is unknown. Case-sensitive, upper case. */
CL_API int cl_currency_exponent(const char *currency);

/* Parses an exact decimal amount ("12.50", "12", "-3.5") of currency into
 * minor units in *out. More decimals than the currency has is CL_EAMOUNT, not
 * a rounding; an unknown currency is CL_ECURRENCY; beyond int64 is
 * CL_EOVERFLOW. */
CL_API cl_status cl_amount_parse(const char *text, size_t len, const char *currency,
                                 int64_t *out);

/* Formats minor units of currency with exactly its decimals ("12.50").
 * Returns the length needed, like snprintf; buf is always NUL-terminated when
 * size > 0. 32 bytes always suffice. An unknown currency formats with 2
 * decimals. */
CL_API size_t cl_amount_format(int64_t minor, const char *currency, char *buf, size_t size);

/* ------------------------------------------------------------------------
 * Programs
 * ------------------------------------------------------------------------ */

typedef struct cl_program cl_program;

/* Compiles coupon source text (YAML, SPEC section 4) of len bytes. name is
 * used in diagnostics (may be NULL: "<input>"). Relative paths inside the
 * source are not resolved. Returns the program, or NULL with *err filled (err
 * may be NULL). The caller frees the program with cl_program_free(). */
CL_API cl_program *cl_compile(const cl_env *env, const char *src, size_t len,
                              const char *name, cl_error *err);

/* Reads the file at path and compiles it, as cl_compile(). */
CL_API cl_program *cl_compile_file(const cl_env *env, const char *path, cl_error *err);

/* Links n programs into one new catalog program holding all their coupons
 * (the inputs are not modified and may be freed afterwards). A code defined
 * twice is CL_EDUPLICATE, naming both positions. The smallest
 * selection.max_coupons of the inputs holds. The caller frees the result
 * with cl_program_free(). */
CL_API cl_program *cl_program_link(const cl_env *env, const cl_program *const *programs,
                                   size_t n, cl_error *err);

/* Frees a program. NULL is a no-op. */
CL_API void cl_program_free(cl_program *prog);

/* Number of coupons in prog. */
CL_API size_t cl_program_count(const cl_program *prog);

/* Index of the coupon whose code matches (case-insensitively), or -1. */
CL_API long cl_program_find(const cl_program *prog, const char *code);

/* Facts about coupon i (0 <= i < cl_program_count()). Strings belong to the
 * program. Out of range gives NULL / 0 / false. */
CL_API const char *cl_program_code(const cl_program *prog, size_t i);
CL_API const char *cl_program_name(const cl_program *prog, size_t i);   /* "" if none */
CL_API const char *cl_program_group(const cl_program *prog, size_t i);  /* "" if none */
CL_API const char *cl_program_currency(const cl_program *prog, size_t i); /* "" if none */
CL_API bool cl_program_automatic(const cl_program *prog, size_t i);
CL_API bool cl_program_exclusive(const cl_program *prog, size_t i);
CL_API int64_t cl_program_priority(const cl_program *prog, size_t i);

/* A writer callback: writes len bytes of buf; returns 0 on success, nonzero
 * to stop the writer (which then returns CL_EIO). */
typedef int (*cl_write_fn)(void *ud, const char *buf, size_t len);

/* Writes a human-readable listing of prog's bytecode and constants. */
CL_API cl_status cl_program_disasm(const cl_program *prog, cl_write_fn write, void *ud);

/* Saves prog (one file's coupons or a linked catalog) as bytes through
 * write: a portable, checksummed format carrying the bytecode, constants and
 * time zones, so that the loaded program evaluates exactly as prog does.
 * Returns CL_OK, CL_ENOMEM, or CL_EIO when write fails. */
CL_API cl_status cl_program_save(const cl_program *prog, cl_write_fn write, void *ud);

/* Loads a program saved by cl_program_save() from data[0..len). The bytes
 * are never trusted: the header, length and checksum are checked, and every
 * unit is verified as a freshly compiled one is. A malformed, corrupted or
 * hostile blob gives NULL with *err filled (CL_EFORMAT with the byte offset,
 * CL_EVERIFY, CL_ELIMIT; err may be NULL); never a crash. The data is not
 * kept. The caller frees the program with cl_program_free(). */
CL_API cl_program *cl_program_load(const cl_env *env, const void *data, size_t len,
                                   cl_error *err);

/* Whether data[0..len) starts like a saved program (its magic), to tell one
 * from coupon source text. Checks nothing else. */
CL_API bool cl_program_is_saved(const void *data, size_t len);

/* ------------------------------------------------------------------------
 * Checkout contexts
 * ------------------------------------------------------------------------ */

typedef struct cl_context cl_context;

/* Scalar fields of the context (SPEC section 3). */
typedef enum cl_field {
    CL_FIELD_USER_ID,              /* string */
    CL_FIELD_USER_EMAIL,           /* string */
    CL_FIELD_USER_BIRTHDAY,        /* date */
    CL_FIELD_USER_SIGNUP_DATE,     /* date */
    CL_FIELD_USER_ORDERS_COMPLETED,/* int */
    CL_FIELD_ORDER_NUMBER,         /* string */
    CL_FIELD_ORDER_SERIAL,         /* int */
    CL_FIELD_ORDER_SEQUENCE,       /* int */
    CL_FIELD_PAYMENT_METHOD,       /* string */
    CL_FIELD_PAYMENT_NETWORK,      /* string */
    CL_FIELD_PAYMENT_BIN,          /* string */
    CL_FIELD_PAYMENT_WALLET,       /* string */
    CL_FIELD_SHIPPING_METHOD,      /* string */
    CL_FIELD_SHIPPING_COUNTRY,     /* string */
    CL_FIELD_SHIPPING_AMOUNT,      /* amount */
    CL_FIELD_COUNT
} cl_field;

/* Creates an empty context (no now, no currency, no items). The caller frees
 * it with cl_context_free(). Returns NULL when out of memory. */
CL_API cl_context *cl_context_new(const cl_env *env);

/* Frees ctx. NULL is a no-op. */
CL_API void cl_context_free(cl_context *ctx);

/* Empties ctx for reuse, keeping its memory. */
CL_API void cl_context_clear(cl_context *ctx);

/* Clears ctx and fills it from JSON (or YAML) text in the shape of SPEC
 * section 3. Errors carry line and column and a path such as
 * "items[2].unit_price". On error ctx is left cleared. */
CL_API cl_status cl_context_parse(cl_context *ctx, const char *text, size_t len,
                                  cl_error *err);

/* The instant of the checkout, in seconds since the Unix epoch. Required. */
CL_API cl_status cl_context_set_now(cl_context *ctx, int64_t unix_seconds);

/* The store's time zone (IANA name), read from the env's tz directory.
 * CL_EZONE when unknown. NULL removes it. */
CL_API cl_status cl_context_set_timezone(cl_context *ctx, const char *zone);

/* The currency of every amount in the context (ISO 4217). Required; set it
 * before any amount. CL_ECURRENCY when unknown. */
CL_API cl_status cl_context_set_currency(cl_context *ctx, const char *currency);

/* Sets a string, int, amount or date field; CL_EINVAL if the field has
 * another type. value == NULL removes a string field. */
CL_API cl_status cl_context_set_string(cl_context *ctx, cl_field field, const char *value);
CL_API cl_status cl_context_set_int(cl_context *ctx, cl_field field, int64_t value);
CL_API cl_status cl_context_set_amount(cl_context *ctx, cl_field field, int64_t minor);
CL_API cl_status cl_context_set_date(cl_context *ctx, cl_field field, int year, int month,
                                     int day);

/* Removes a field (it becomes absent: every predicate on it fails). */
CL_API cl_status cl_context_unset(cl_context *ctx, cl_field field);

/* Adds a code the customer entered. */
CL_API cl_status cl_context_add_code(cl_context *ctx, const char *code);

/* Adds a tag of the user. */
CL_API cl_status cl_context_add_user_tag(cl_context *ctx, const char *tag);

/* Appends a line: quantity > 0, unit_price >= 0 in minor units. *index
 * (may be NULL) receives its index. CL_EOVERFLOW when quantity x unit_price
 * does not fit. */
CL_API cl_status cl_context_add_item(cl_context *ctx, const char *sku, int64_t quantity,
                                     int64_t unit_price, size_t *index);

/* Adds a category path ("electronics/tv") or a tag to line index. */
CL_API cl_status cl_context_item_add_category(cl_context *ctx, size_t index, const char *path);
CL_API cl_status cl_context_item_add_tag(cl_context *ctx, size_t index, const char *tag);
CL_API cl_status cl_context_item_set_on_sale(cl_context *ctx, size_t index, bool on_sale);

/* Records what the caller's store knows of a coupon's use: uses so far,
 * this user's uses, money given away so far (minor units). */
CL_API cl_status cl_context_set_usage(cl_context *ctx, const char *code, int64_t total,
                                      int64_t user, int64_t spent);

/* Number of lines in ctx. */
CL_API size_t cl_context_item_count(const cl_context *ctx);

/* The currency of ctx ("USD"), or "" until one is set. The string belongs to
 * ctx. Bindings use it to turn decimal amounts into minor units. */
CL_API const char *cl_context_currency(const cl_context *ctx);

/* The SKU of line index, or NULL when index is out of range. The string
 * belongs to ctx and is valid until ctx is next modified. (A binding reads
 * it to name the lines of a result, which carry line indexes.) */
CL_API const char *cl_context_item_sku(const cl_context *ctx, size_t index);

/* ------------------------------------------------------------------------
 * Evaluation
 * ------------------------------------------------------------------------ */

typedef struct cl_vm cl_vm;
typedef struct cl_result cl_result;

/* Reason codes (SPEC section 5); stable. */
typedef enum cl_reason {
    CL_R_NOT_STARTED, CL_R_EXPIRED, CL_R_WEEKDAY, CL_R_TIME_OF_DAY, CL_R_SPECIAL_DAY,
    CL_R_PAYMENT, CL_R_USER, CL_R_ORDER_SEQUENCE, CL_R_ORDER_SERIAL, CL_R_ORDER_NUMBER,
    CL_R_ITEMS, CL_R_CATEGORY, CL_R_MIN_SUBTOTAL, CL_R_MIN_QUANTITY, CL_R_SHIPPING,
    CL_R_CURRENCY, CL_R_USAGE_LIMIT, CL_R_PER_USER_LIMIT, CL_R_BUDGET, CL_R_CODE_REQUIRED,
    CL_R_NOT_COMBINABLE, CL_R_UNKNOWN_CODE, CL_R_CONDITION,
    CL_R_COUNT
} cl_reason;

/* The stable name of a reason code ("WEEKDAY"); "?" when out of range. */
CL_API const char *cl_reason_name(int reason);

/* Creates per-thread evaluation state. The caller frees it with
 * cl_vm_free(). Returns NULL when out of memory. */
CL_API cl_vm *cl_vm_new(const cl_env *env);

/* Frees vm. NULL is a no-op. */
CL_API void cl_vm_free(cl_vm *vm);

/* Evaluation flags. */
enum {
    CL_EVAL_ENTERED = 1u << 0, /* honour the context's codes: a code coupon that
                                  was not entered is not applicable, with
                                  CODE_REQUIRED. Without it every coupon is
                                  evaluated as if its code had been entered. */
    CL_BEST_INDEXED = 1u << 1  /* cl_vm_best_flags(): consult the catalog index
                                  and skip, unevaluated, the automatic coupons
                                  that cannot apply to this cart (their
                                  currency, user, SKUs, categories, payment,
                                  shipping, weekday or validity rule them out).
                                  The choice and the totals are the same; the
                                  skipped coupons are not listed in rejected. */
};

/* Evaluates every coupon of prog against ctx. *out (an out-parameter)
 * receives the results, which belong to vm and stay valid until its next
 * evaluation or until it is freed. */
CL_API cl_status cl_vm_eval(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                            unsigned flags, const cl_result **out, cl_error *err);

/* Evaluates only the coupons whose indexes are listed (n of them), in that
 * order. */
CL_API cl_status cl_vm_eval_some(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                 const size_t *indexes, size_t n, unsigned flags,
                                 const cl_result **out, cl_error *err);

/* Chooses the best combination of the candidates (SPEC section 6). *out
 * receives the choice: the applied coupons in order, the rejected candidates
 * and the totals. It belongs to vm, as for cl_vm_eval(). */
CL_API cl_status cl_vm_best(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                            const cl_result **out, cl_error *err);

/* cl_vm_best() with flags: 0 or CL_BEST_INDEXED. With CL_BEST_INDEXED a
 * catalog of thousands of automatic coupons costs only what the coupons that
 * could apply to this cart cost; the rejected list then holds the entered
 * codes and the automatic coupons the index could not rule out. */
CL_API cl_status cl_vm_best_flags(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                  unsigned flags, const cl_result **out, cl_error *err);

/* ------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------ */

/* The currency results are in (the context's). */
CL_API const char *cl_result_currency(const cl_result *res);

/* Number of outcomes: one per evaluated coupon (cl_vm_eval), or one per
 * applied coupon in application order (cl_vm_best). */
CL_API size_t cl_result_count(const cl_result *res);

/* Number of rejected candidates (cl_vm_best only; 0 after cl_vm_eval).
 * Rejected outcomes are numbered after the applied ones: outcome
 * cl_result_count() + k is the k-th rejected candidate. */
CL_API size_t cl_result_rejected_count(const cl_result *res);

/* Accessors of outcome i. Out of range gives NULL / 0 / false. */
CL_API const char *cl_result_code(const cl_result *res, size_t i);
CL_API long cl_result_coupon(const cl_result *res, size_t i); /* program index, -1 for an unknown code */
CL_API bool cl_result_applicable(const cl_result *res, size_t i);
CL_API int64_t cl_result_discount(const cl_result *res, size_t i);
CL_API int64_t cl_result_shipping_discount(const cl_result *res, size_t i);

/* Lines with a non-zero discount, by line index. */
CL_API size_t cl_result_line_count(const cl_result *res, size_t i);
CL_API cl_status cl_result_line(const cl_result *res, size_t i, size_t j, size_t *index,
                                int64_t *discount);

/* Failed requirements, in SPEC order. */
CL_API size_t cl_result_reason_count(const cl_result *res, size_t i);
CL_API int cl_result_reason(const cl_result *res, size_t i, size_t j);            /* cl_reason */
CL_API const char *cl_result_reason_message(const cl_result *res, size_t i, size_t j);
CL_API unsigned cl_result_reason_line(const cl_result *res, size_t i, size_t j);  /* 0 = none */

/* Totals of a choice (cl_vm_best); after cl_vm_eval subtotal and shipping
 * are the cart's and the discounts are 0. */
typedef enum cl_total {
    CL_TOTAL_SUBTOTAL, CL_TOTAL_SHIPPING, CL_TOTAL_DISCOUNT, CL_TOTAL_SHIPPING_DISCOUNT,
    CL_TOTAL_TOTAL
} cl_total;
CL_API int64_t cl_result_total(const cl_result *res, cl_total which);

/* Writes res as JSON (SPEC section 5: an array of results after
 * cl_vm_eval; the object of section 6 after cl_vm_best). */
CL_API cl_status cl_result_write_json(const cl_result *res, cl_write_fn write, void *ud);

/* ------------------------------------------------------------------------
 * Campaign codes
 * ------------------------------------------------------------------------ */

/* How campaign codes look. Zero-initialise it and set what you need. */
typedef struct cl_code_spec {
    size_t length;          /* random characters per code, 1 to 64 (0: 10) */
    const char *prefix;     /* text before each code, e.g. "SUMMER-" (NULL: none) */
    const char *alphabet;   /* 2 to 64 distinct printable characters to draw from;
                               NULL: "23456789ABCDEFGHJKMNPQRSTUVWXYZ", which leaves
                               out the look-alikes 0/O, 1/I/L */
    bool check;             /* append a check character that catches a mistyped
                               character, or two neighbours swapped, before any
                               lookup (docs/codes.md) */
} cl_code_spec;

/* Generates count unique random codes (libbsd's arc4random) and writes them
 * through write, one per line ("\n" after each). Asking for more than half
 * of the codes the length and alphabet allow is CL_EINVAL; more than
 * CL_LIMIT_LIST codes is CL_ELIMIT. spec may be NULL for the defaults. */
CL_API cl_status cl_codes_generate(const cl_env *env, const cl_code_spec *spec, size_t count,
                                   cl_write_fn write, void *ud, cl_error *err);

/* Whether code has the shape spec describes (prefix, length, alphabet) and,
 * when spec->check is set, a correct check character. */
CL_API bool cl_code_valid(const cl_code_spec *spec, const char *code);

#ifdef __cplusplus
}
#endif

#endif /* COUPONLIB_H */
