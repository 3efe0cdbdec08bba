/*
 * shop.h - what the coupons and checkout services share beyond HTTP: the
 * live coupon catalog (every active coupon's YAML source from PostgreSQL,
 * compiled by couponlib or loaded from its saved program in Redis, linked,
 * cached per process and rebuilt when the coupons' generation counter moves), the checkout context built from the
 * cart, the caller and the request, and the usage counters read from
 * PostgreSQL. No coupon logic lives here: the library decides everything.
 */
#ifndef SHOP_H
#define SHOP_H

#include "svc.h"

#include <couponlib/couponlib.h>

/* The shop's settings, from the environment (read once by shop_init):
 *   SHOP_CURRENCY        ISO 4217 code of every price (default USD)
 *   SHOP_TIMEZONE        IANA zone of the shop (default UTC)
 *   SHOP_SHIPPING_RATES  "method=amount,..." (default
 *                        "standard=4.99,express=14.99,pickup=0")
 */
typedef struct shop_config {
    char currency[4];
    char timezone[64];
    char rates[256];
} shop_config;

extern shop_config shop_cfg;

/* Reads the settings; creates the library environment. 0 or -1. */
int shop_init(void);
void shop_done(void);
const cl_env *shop_env(void);

/* The shape of a batch of generated codes (coupons.code_batches). */
typedef struct shop_shape {
    char prefix[32];           /* upper case */
    size_t length;
    bool check;
} shop_shape;

/* The linked program of every active coupon, shared and refcounted, with
 * what it takes to recognise generated codes without a lookup. */
typedef struct shop_catalog {
    cl_program *prog;          /* every active coupon; never NULL */
    long long generation;      /* coupons.state.generation it was built from */
    int refs;                  /* guarded by the cache's lock */
    shop_shape *shapes;        /* the distinct shapes of the active campaigns' batches */
    size_t nshapes;
    json_t *campaigns;         /* object: coupon key -> true for every coupon with batches */
} shop_catalog;

/* Puts the saved program (cl_program_save) of version of the coupon key in
 * the Redis cache ($SHOP_CACHE_REDIS "host:port", else $REDIS_HOST and
 * $REDIS_PORT; nothing when unset or down),
 * where the catalog builder of every service finds it. Best effort. */
void shop_cache_put(const char *key, const char *version, const cl_program *prog);

/* The current catalog (built or rebuilt as needed), or NULL when
 * PostgreSQL failed (*detail then says why). The caller releases it. */
shop_catalog *shop_catalog_get(PGconn *pg, const char **detail);
void shop_catalog_release(shop_catalog *cat);

/* The coupon key of a code: ASCII lower case, as couponlib matches codes.
 * out has size bytes; returns false when code does not fit or is empty. */
bool shop_code_key(const char *code, char *out, size_t size);

/* A PostgreSQL text[] literal of the strings of arr (malloc'ed). */
char *shop_pg_array(const json_t *arr);

/* The shipping amount of method from SHOP_SHIPPING_RATES in minor units,
 * or -1 when the method is unknown. */
long long shop_shipping_rate(const char *method);

/* Checks the "payment" and "shipping" objects and the "codes" array of a
 * validate or checkout body. */
void shop_check_payment(svc_check *chk, const json_t *payment);
void shop_check_shipping(svc_check *chk, const json_t *shipping);
const json_t *shop_get_codes(svc_check *chk, const json_t *body);

/* The caller's cart from the cart service ($CART_URL), as JSON, or NULL
 * with resp filled in (503, or the cart service's own error). */
json_t *shop_fetch_cart(const svc_req *req, svc_resp *resp);

/* Order facts for the context. */
typedef struct shop_order {
    long long sequence;        /* this order's ordinal among the user's orders */
    long long serial;          /* the shop-wide order counter */
    long long completed;       /* the user's orders placed and not cancelled */
    char number[32];           /* "ORD-000123"; "" for none */
} shop_order;

/* The SPEC context (section 3) of a checkout, without usage: now, the
 * shop's zone and currency, the entered codes, the user from the token,
 * the order facts, payment, shipping (its amount from the shop's rates)
 * and the cart's lines. Returns a new object. */
json_t *shop_context(const svc_user *who, const json_t *cart, const json_t *codes,
                     const json_t *payment, const json_t *shipping, const shop_order *order);

/* The codes whose usage matters for ctx: the entered codes and every
 * automatic coupon of prog, as a JSON array of coupon keys (no repeats). */
json_t *shop_candidate_keys(const cl_program *prog, const json_t *codes);

/* Reads the usage counters of keys for user into ctx (cl_context_set_usage).
 * lock = true takes row locks (SELECT ... FOR UPDATE, in key order) after
 * making sure the rows exist: call it inside a transaction. Returns 0, or
 * -1 with sqlstate set (may be "" for a non-SQL failure). */
int shop_read_usage(PGconn *pg, cl_context *ctx, const json_t *keys, const char *user,
                    bool lock, char *sqlstate);

/* ------------------------------------------------------------------------
 * Entered codes: a coupon's own code, or a generated code of a campaign
 * ------------------------------------------------------------------------ */

#define SHOP_MAX_CODES 10

enum {
    SHOP_CODE_COUPON,          /* a coupon's own code */
    SHOP_CODE_GENERATED,       /* a generated code with a use left: evaluates as its parent */
    SHOP_CODE_UNKNOWN,         /* no such code, a mistyped check character, a campaign's
                                  own code, or a code whose campaign was deleted */
    SHOP_CODE_USED_UP,         /* a generated code with no use left */
    SHOP_CODE_SAME_CAMPAIGN    /* a second generated code of a campaign already entered */
};

typedef struct shop_entry {
    const char *entered;       /* as typed (the request's string) */
    int kind;                  /* SHOP_CODE_* */
    char coupon[80];           /* COUPON, GENERATED: the code couponlib evaluates, as the
                                  catalog spells it (the parent's, for a generated code) */
    char gen_key[80];          /* GENERATED, USED_UP: the generated code's key */
    long long max_uses, uses;  /* GENERATED, USED_UP: the generated code's uses */
} shop_entry;

typedef struct shop_codes {
    shop_entry e[SHOP_MAX_CODES];
    size_t n;
} shop_codes;

/* Resolves the entered codes (an array of strings, at most SHOP_MAX_CODES)
 * against cat. A code that is no coupon's is a generated code only when it
 * has the shape of a batch, check character included: anything else is
 * UNKNOWN without a lookup; the rest are looked up with one query. lock =
 * true (inside the order transaction) creates the generated codes' usage
 * rows and locks them in key order, so their uses cannot change until
 * commit. Returns 0, or -1 with sqlstate set. */
int shop_resolve_codes(PGconn *pg, const shop_catalog *cat, const json_t *codes, bool lock,
                       shop_codes *out, char *sqlstate);

/* The codes couponlib is given for the context: the coupon of every COUPON
 * and GENERATED entry, in order. A new array. */
json_t *shop_context_codes(const shop_codes *c);

/* The entry that put coupon into the context (case-insensitive), or NULL. */
const shop_entry *shop_entry_of(const shop_codes *c, const char *coupon);

/* The shopper's reasons for an entry refused before evaluation (UNKNOWN,
 * USED_UP, SAME_CAMPAIGN), as shop_shopper_reasons gives them. */
json_t *shop_entry_reasons(const shop_entry *e);

/* Writes a result as JSON (cl_result_write_json) and parses it back. */
json_t *shop_result_json(const cl_result *res);

/* The reasons a shopper is told for one outcome (an object with
 * "reasons", as couponlib writes it): codes and messages without source
 * lines; when validity (NOT_STARTED, EXPIRED), the owner or a user
 * condition (USER) failed, or the outcome has "unknown", the single reason
 * UNKNOWN_CODE "this code is not valid" instead, so an unknown code, an
 * expired one and someone else's look alike. Returns a new array. */
json_t *shop_shopper_reasons(const json_t *outcome);

/* True when reasons (from shop_shopper_reasons) is that single UNKNOWN_CODE. */
bool shop_reasons_masked(const json_t *reasons);

#endif /* SHOP_H */
