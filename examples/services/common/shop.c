/*
 * shop.c - the live coupon catalog, checkout contexts and usage counters
 * shared by the coupons and checkout services (see shop.h).
 */
#include "shop.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

shop_config shop_cfg;

static cl_env *env;
static svc_pool *redis;     /* the cache of saved programs; NULL = none */
static long cache_ttl;      /* seconds a saved program stays in Redis */

/* The process's catalog cache: the newest catalog built, under a lock. */
static struct {
    pthread_mutex_t lock;
    shop_catalog *current;
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL};

int shop_init(void)
{
    snprintf(shop_cfg.currency, sizeof shop_cfg.currency, "%s", svc_env("SHOP_CURRENCY", "USD"));
    snprintf(shop_cfg.timezone, sizeof shop_cfg.timezone, "%s", svc_env("SHOP_TIMEZONE", "UTC"));
    snprintf(shop_cfg.rates, sizeof shop_cfg.rates, "%s",
             svc_env("SHOP_SHIPPING_RATES", "standard=4.99,express=14.99,pickup=0"));
    if (cl_currency_exponent(shop_cfg.currency) < 0) {
        svc_log("SHOP_CURRENCY: unknown currency %s", shop_cfg.currency);
        return -1;
    }
    env = cl_env_new(NULL, NULL);
    if (env == NULL)
        return -1;
    cache_ttl = svc_env_long("SHOP_PROGRAM_CACHE_TTL", 7 * 86400, 60, 365L * 86400);
    /* the program cache: SHOP_CACHE_REDIS ("host:port") when set, else the
     * Redis of REDIS_HOST/REDIS_PORT; neither = no cache */
    const char *cache_at = svc_env("SHOP_CACHE_REDIS", NULL);
    if (cache_at != NULL) {
        char host[128];
        const char *colon = strrchr(cache_at, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (colon == NULL || colon == cache_at || (size_t)(colon - cache_at) >= sizeof host ||
            end == colon + 1 || *end != '\0' || port < 1 || port > 65535) {
            svc_log("SHOP_CACHE_REDIS: want host:port, not %s", cache_at);
            return -1;
        }
        memcpy(host, cache_at, (size_t)(colon - cache_at));
        host[colon - cache_at] = '\0';
        redis = svc_redis_pool(host, (int)port);
    } else if (svc_env("REDIS_HOST", NULL) != NULL) {
        redis = svc_redis_pool(svc_env("REDIS_HOST", "127.0.0.1"),
                               (int)svc_env_long("REDIS_PORT", 6379, 1, 65535));
    }
    const char *tzdir = svc_env("SHOP_TZDIR", NULL);
    if (tzdir != NULL && cl_env_set_tzdir(env, tzdir) != CL_OK)
        return -1;
    cl_context *probe = cl_context_new(env);
    cl_status st = probe ? cl_context_set_timezone(probe, shop_cfg.timezone) : CL_ENOMEM;
    cl_context_free(probe);
    if (st != CL_OK) {
        svc_log("SHOP_TIMEZONE: %s: %s", shop_cfg.timezone, cl_strerror(st));
        return -1;
    }
    /* every configured rate must parse */
    char copy[256], *save = NULL;
    snprintf(copy, sizeof copy, "%s", shop_cfg.rates);
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        int64_t v;
        if (eq == NULL ||
            cl_amount_parse(eq + 1, strlen(eq + 1), shop_cfg.currency, &v) != CL_OK || v < 0) {
            svc_log("SHOP_SHIPPING_RATES: bad entry %s", t);
            return -1;
        }
    }
    return 0;
}

void shop_done(void)
{
    pthread_mutex_lock(&cache.lock);
    shop_catalog *c = cache.current;
    cache.current = NULL;
    pthread_mutex_unlock(&cache.lock);
    shop_catalog_release(c);
    svc_pool_free(redis);
    redis = NULL;
    cl_env_free(env);
    env = NULL;
}

const cl_env *shop_env(void)
{
    return env;
}

/* ------------------------------------------------------------------------
 * The catalog
 * ------------------------------------------------------------------------ */

static void catalog_free(shop_catalog *c)
{
    if (c == NULL)
        return;
    cl_program_free(c->prog);
    free(c->shapes);
    json_decref(c->campaigns);
    free(c);
}

void shop_catalog_release(shop_catalog *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&cache.lock);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&cache.lock);
    if (last)
        catalog_free(c);
}

/* ------------------------------------------------------------------------
 * Saved programs in Redis
 * ------------------------------------------------------------------------ */

/* The Redis key of a coupon version's saved program; the library's version
 * is part of it, so an upgrade never loads an older format. */
static void cache_key(char *out, size_t size, const char *key, const char *version)
{
    snprintf(out, size, "couponlib:prog:%s:%s:%s", cl_version(), key, version);
}

void shop_cache_put(const char *key, const char *version, const cl_program *prog)
{
    redisContext *rc = redis ? svc_pool_get(redis) : NULL;
    if (rc == NULL)
        return;
    svc_text t = {0};
    char k[200], ttl[24];
    cache_key(k, sizeof k, key, version);
    snprintf(ttl, sizeof ttl, "%ld", cache_ttl);
    if (cl_program_save(prog, svc_text_append, &t) == CL_OK && t.buf != NULL) {
        redisReply *r = svc_redis(rc, "SET %s %b EX %s", k, t.buf, t.len, ttl);
        if (r)
            freeReplyObject(r);
    }
    free(t.buf);
    svc_pool_put(redis, rc, rc->err != 0);
}

/* The saved programs of rows (code_key, version) of r, one MGET; NULL when
 * Redis is not there (then everything is compiled). */
static redisReply *cache_get(PGresult *r)
{
    int n = PQntuples(r);
    redisContext *rc = redis && n > 0 ? svc_pool_get(redis) : NULL;
    if (rc == NULL)
        return NULL;
    const char **argv = calloc((size_t)n + 1, sizeof *argv);
    char (*keys)[200] = calloc((size_t)n, sizeof *keys);
    redisReply *rep = NULL;
    if (argv && keys) {
        argv[0] = "MGET";
        for (int i = 0; i < n; i++) {
            cache_key(keys[i], sizeof keys[i], PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
            argv[i + 1] = keys[i];
        }
        rep = redisCommandArgv(rc, n + 1, argv, NULL);
        if (rep == NULL)
            svc_log("redis: %s; compiling the coupons instead", rc->errstr);
        else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != (size_t)n) {
            freeReplyObject(rep);
            rep = NULL;
        }
    }
    free(argv);
    free(keys);
    svc_pool_put(redis, rc, rc->err != 0);
    return rep;
}

/* ------------------------------------------------------------------------
 * The catalog
 * ------------------------------------------------------------------------ */

/* Coupon i of r: loaded from its saved program when Redis has it, else
 * compiled from its source (and the saved program put in Redis). */
static cl_program *program_of(PGresult *r, int i, const redisReply *cached)
{
    cl_error err;
    const redisReply *c = cached ? cached->element[i] : NULL;
    if (c != NULL && c->type == REDIS_REPLY_STRING) {
        cl_program *p = cl_program_load(env, c->str, c->len, &err);
        if (p != NULL)
            return p;
        svc_log("the saved program of %s v%s does not load (%s); compiling it",
                PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), err.message);
    }
    const char *src = PQgetvalue(r, i, 2);
    cl_program *p = cl_compile(env, src, (size_t)PQgetlength(r, i, 2), PQgetvalue(r, i, 0), &err);
    if (p == NULL)
        svc_log("coupon %s v%s no longer compiles: %s", PQgetvalue(r, i, 0),
                PQgetvalue(r, i, 1), err.message);
    else if (cached != NULL)
        shop_cache_put(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), p);
    return p;
}

/* Reads the campaigns (active coupons with batches of generated codes) and
 * the distinct shapes of their batches into c. 0 or -1. */
static int read_campaigns(PGconn *pg, shop_catalog *c)
{
    PGresult *r = svc_pg_exec(pg, "SELECT DISTINCT b.parent_key, b.prefix, b.length, "
                                  "b.check_char FROM coupons.code_batches b "
                                  "JOIN coupons.coupons c ON c.code_key = b.parent_key "
                                  "AND c.active ORDER BY 2, 3, 4", 0, NULL, NULL);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    c->campaigns = json_object();
    c->shapes = calloc((size_t)n + 1, sizeof *c->shapes);
    if (c->campaigns == NULL || c->shapes == NULL) {
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        json_object_set_new(c->campaigns, PQgetvalue(r, i, 0), json_true());
        shop_shape sh = {.length = strtoul(PQgetvalue(r, i, 2), NULL, 10),
                         .check = PQgetvalue(r, i, 3)[0] == 't'};
        snprintf(sh.prefix, sizeof sh.prefix, "%s", PQgetvalue(r, i, 1));
        bool seen = false;
        for (size_t k = 0; k < c->nshapes && !seen; k++)
            seen = c->shapes[k].length == sh.length && c->shapes[k].check == sh.check &&
                   strcmp(c->shapes[k].prefix, sh.prefix) == 0;
        if (!seen)
            c->shapes[c->nshapes++] = sh;
    }
    PQclear(r);
    return 0;
}

/* Builds the catalog of every active coupon and links it. A stored source
 * that no longer compiles (it did when it was saved) is left out and
 * logged, so one bad row cannot take the shop down. */
static shop_catalog *build(PGconn *pg, long long generation, const char **detail)
{
    PGresult *r = svc_pg_exec(pg, "SELECT code_key, version, source FROM coupons.coupons "
                                  "WHERE active ORDER BY code_key", 0, NULL, NULL);
    if (r == NULL) {
        *detail = "reading coupons failed";
        return NULL;
    }
    int n = PQntuples(r);
    redisReply *cached = cache_get(r);
    cl_program **progs = calloc((size_t)n + 1, sizeof *progs);
    size_t np = 0;
    for (int i = 0; progs != NULL && i < n; i++)
        if ((progs[np] = program_of(r, i, cached)) != NULL)
            np++;
    if (cached)
        freeReplyObject(cached);
    PQclear(r);
    shop_catalog *c = progs ? calloc(1, sizeof *c) : NULL;
    if (c != NULL) {
        cl_error err;
        c->prog = cl_program_link(env, (const cl_program *const *)progs, np, &err);
        c->generation = generation;
        c->refs = 1;
        if (c->prog == NULL) {
            svc_log("linking the coupons failed: %s", err.message);
            catalog_free(c);
            c = NULL;
        } else if (read_campaigns(pg, c) != 0) {
            catalog_free(c);
            c = NULL;
        }
    }
    for (size_t i = 0; i < np; i++)
        cl_program_free(progs[i]);
    free(progs);
    if (c == NULL)
        *detail = "building the coupon catalog failed";
    return c;
}

shop_catalog *shop_catalog_get(PGconn *pg, const char **detail)
{
    *detail = NULL;
    PGresult *r = svc_pg_exec(pg, "SELECT generation FROM coupons.state", 0, NULL, NULL);
    if (r == NULL || PQntuples(r) != 1) {
        PQclear(r);
        *detail = "reading the coupon generation failed";
        return NULL;
    }
    long long gen = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    pthread_mutex_lock(&cache.lock);
    shop_catalog *c = cache.current;
    if (c != NULL && c->generation == gen) {
        c->refs++;
        pthread_mutex_unlock(&cache.lock);
        return c;
    }
    pthread_mutex_unlock(&cache.lock);

    c = build(pg, gen, detail);
    if (c == NULL)
        return NULL;
    pthread_mutex_lock(&cache.lock);
    shop_catalog *old = NULL;
    if (cache.current == NULL || cache.current->generation < gen) {
        old = cache.current;
        cache.current = c;
        c->refs++;          /* the cache's reference */
    }
    if (old != NULL && --old->refs == 0) {
        pthread_mutex_unlock(&cache.lock);
        catalog_free(old);
        return c;
    }
    pthread_mutex_unlock(&cache.lock);
    return c;
}

/* ------------------------------------------------------------------------
 * Codes and arrays
 * ------------------------------------------------------------------------ */

bool shop_code_key(const char *code, char *out, size_t size)
{
    size_t n = strlen(code);
    if (n == 0 || n >= size)
        return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)code[i]);
    return true;
}

char *shop_pg_array(const json_t *arr)
{
    size_t cap = 3, i;
    json_t *v;
    json_array_foreach(arr, i, v) cap += 3 + 2 * json_string_length(v);
    char *out = malloc(cap), *p = out;
    if (out == NULL)
        return NULL;
    *p++ = '{';
    json_array_foreach(arr, i, v) {
        if (i > 0)
            *p++ = ',';
        *p++ = '"';
        for (const char *s = json_string_value(v); *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

long long shop_shipping_rate(const char *method)
{
    char copy[256], *save = NULL;
    snprintf(copy, sizeof copy, "%s", shop_cfg.rates);
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        int64_t v;
        if (strcmp(t, method) == 0 &&
            cl_amount_parse(eq + 1, strlen(eq + 1), shop_cfg.currency, &v) == CL_OK)
            return v;
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * Request parts
 * ------------------------------------------------------------------------ */

static bool digits(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

void shop_check_payment(svc_check *chk, const json_t *payment)
{
    static const char *const keys[] = {"method", "network", "bin", "wallet", NULL};
    if (payment == NULL || !svc_check_object(chk, payment, "payment", keys))
        return;
    svc_get_string(chk, payment, "method", true, 32);
    svc_get_string(chk, payment, "network", false, 32);
    svc_get_string(chk, payment, "wallet", false, 32);
    const char *bin = svc_get_string(chk, payment, "bin", false, 8);
    if (bin != NULL && (strlen(bin) < 6 || !digits(bin)))
        svc_check_fail(chk, "\"bin\" must be 6 to 8 digits");
}

void shop_check_shipping(svc_check *chk, const json_t *shipping)
{
    static const char *const keys[] = {"method", "country", NULL};
    if (shipping == NULL || !svc_check_object(chk, shipping, "shipping", keys))
        return;
    const char *m = svc_get_string(chk, shipping, "method", true, 32);
    const char *c = svc_get_string(chk, shipping, "country", false, 2);
    if (m != NULL && shop_shipping_rate(m) < 0)
        svc_check_fail(chk, "unknown shipping method \"%s\"", m);
    if (c != NULL && (strlen(c) != 2 || !isupper((unsigned char)c[0]) ||
                      !isupper((unsigned char)c[1])))
        svc_check_fail(chk, "\"country\" must be an ISO 3166 code such as \"US\"");
}

const json_t *shop_get_codes(svc_check *chk, const json_t *body)
{
    const json_t *codes = svc_get_strings(chk, body, "codes", false, 10, 64);
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v) {
        for (const char *s = json_string_value(v); *s; s++)
            if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_') {
                svc_check_fail(chk, "\"codes\"[%zu] may hold only letters, digits, - and _", i);
                return NULL;
            }
    }
    return codes;
}

json_t *shop_fetch_cart(const svc_req *req, svc_resp *resp)
{
    char url[512];
    snprintf(url, sizeof url, "%s/api/cart", svc_env("CART_URL", "http://127.0.0.1:8483"));
    json_t *cart = NULL;
    int st = svc_call("GET", url, req->bearer, NULL, &cart);
    if (st == 200 && json_is_object(cart) && json_is_array(json_object_get(cart, "items")))
        return cart;
    if (st >= 400 && st < 500 && cart != NULL) {
        svc_ok(resp, st, cart);
        return NULL;
    }
    json_decref(cart);
    svc_unavailable(resp, "the cart service", url);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Contexts
 * ------------------------------------------------------------------------ */

static void set_if(json_t *obj, const char *key, const char *val)
{
    if (val != NULL && val[0] != '\0')
        json_object_set_new(obj, key, json_string(val));
}

json_t *shop_context(const svc_user *who, const json_t *cart, const json_t *codes,
                     const json_t *payment, const json_t *shipping, const shop_order *order)
{
    char now[32];
    svc_now_rfc3339(now, sizeof now);
    json_t *ctx = json_pack("{s:s, s:s, s:s}", "now", now, "timezone", shop_cfg.timezone,
                            "currency", shop_cfg.currency);
    json_object_set_new(ctx, "codes", codes ? json_deep_copy(codes) : json_array());

    json_t *user = json_object();
    set_if(user, "id", who->id);
    set_if(user, "email", who->email);
    set_if(user, "birthday", who->birthday);
    set_if(user, "signup_date", who->signup);
    json_object_set_new(user, "tags", who->tags ? json_deep_copy(who->tags) : json_array());
    json_object_set_new(user, "orders_completed", json_integer(order->completed));
    json_object_set_new(ctx, "user", user);

    json_t *o = json_object();
    if (order->number[0])
        json_object_set_new(o, "number", json_string(order->number));
    json_object_set_new(o, "serial", json_integer(order->serial));
    json_object_set_new(o, "sequence", json_integer(order->sequence));
    json_object_set_new(ctx, "order", o);

    if (payment != NULL)
        json_object_set_new(ctx, "payment", json_deep_copy(payment));
    if (shipping != NULL) {
        json_t *s = json_deep_copy(shipping);
        char amt[32];
        cl_amount_format(shop_shipping_rate(json_string_value(json_object_get(shipping,
                                                                             "method"))),
                         shop_cfg.currency, amt, sizeof amt);
        json_object_set_new(s, "amount", json_string(amt));
        json_object_set_new(ctx, "shipping", s);
    }

    json_t *items = json_array();
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(cart, "items"), i, line) {
        json_t *it = json_object();
        static const char *const keys[] = {"sku", "quantity", "unit_price", "categories",
                                           "tags", "on_sale"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            json_t *v = json_object_get(line, keys[k]);
            if (v != NULL)
                json_object_set(it, keys[k], v);
        }
        json_array_append_new(items, it);
    }
    json_object_set_new(ctx, "items", items);
    return ctx;
}

json_t *shop_candidate_keys(const cl_program *prog, const json_t *codes)
{
    json_t *keys = json_array(), *seen = json_object();
    char k[80];
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v) {
        if (shop_code_key(json_string_value(v), k, sizeof k) && !json_object_get(seen, k)) {
            json_object_set_new(seen, k, json_true());
            json_array_append_new(keys, json_string(k));
        }
    }
    size_t n = cl_program_count(prog);
    for (size_t c = 0; c < n; c++) {
        if (!cl_program_automatic(prog, c))
            continue;
        if (shop_code_key(cl_program_code(prog, c), k, sizeof k) && !json_object_get(seen, k)) {
            json_object_set_new(seen, k, json_true());
            json_array_append_new(keys, json_string(k));
        }
    }
    json_decref(seen);
    return keys;
}

int shop_read_usage(PGconn *pg, cl_context *ctx, const json_t *keys, const char *user,
                    bool lock, char *sqlstate)
{
    sqlstate[0] = '\0';
    if (json_array_size(keys) == 0)
        return 0;
    char *arr = shop_pg_array(keys);
    if (arr == NULL)
        return -1;
    const char *v[2] = {arr, user};
    PGresult *r;
    if (lock) {
        r = svc_pg_exec(pg, "INSERT INTO checkout.coupon_usage (code_key) "
                            "SELECT k FROM unnest($1::text[]) AS k ORDER BY k "
                            "ON CONFLICT DO NOTHING", 1, v, sqlstate);
        if (r == NULL) {
            free(arr);
            return -1;
        }
        PQclear(r);
    }
    r = svc_pg_exec(pg, lock ? "SELECT u.code_key, u.uses, u.spent, coalesce(p.uses, 0) "
                               "FROM checkout.coupon_usage u LEFT JOIN checkout.coupon_user_usage p "
                               "ON p.code_key = u.code_key AND p.user_id = $2 "
                               "WHERE u.code_key = ANY($1::text[]) ORDER BY u.code_key "
                               "FOR UPDATE OF u"
                             : "SELECT u.code_key, u.uses, u.spent, coalesce(p.uses, 0) "
                               "FROM checkout.coupon_usage u LEFT JOIN checkout.coupon_user_usage p "
                               "ON p.code_key = u.code_key AND p.user_id = $2 "
                               "WHERE u.code_key = ANY($1::text[])",
                    2, v, sqlstate);
    free(arr);
    if (r == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        long long total = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        long long spent = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        long long mine = strtoll(PQgetvalue(r, i, 3), NULL, 10);
        cl_status st = cl_context_set_usage(ctx, PQgetvalue(r, i, 0), total < 0 ? 0 : total,
                                            mine < 0 ? 0 : mine, spent < 0 ? 0 : spent);
        if (st != CL_OK) {
            PQclear(r);
            return -1;
        }
    }
    PQclear(r);
    return 0;
}

/* ------------------------------------------------------------------------
 * Entered codes
 * ------------------------------------------------------------------------ */

/* Whether code (upper case) has the shape of one of cat's batches, check
 * character included. */
static bool shaped(const shop_catalog *cat, const char *code)
{
    for (size_t i = 0; i < cat->nshapes; i++) {
        cl_code_spec spec = {.length = cat->shapes[i].length, .prefix = cat->shapes[i].prefix,
                             .check = cat->shapes[i].check};
        if (cl_code_valid(&spec, code))
            return true;
    }
    return false;
}

int shop_resolve_codes(PGconn *pg, const shop_catalog *cat, const json_t *codes, bool lock,
                       shop_codes *out, char *sqlstate)
{
    sqlstate[0] = '\0';
    memset(out, 0, sizeof *out);
    json_t *lookup = json_array();
    if (lookup == NULL)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v) {
        if (out->n == SHOP_MAX_CODES)
            break;
        shop_entry *e = &out->e[out->n++];
        e->entered = json_string_value(v);
        e->kind = SHOP_CODE_UNKNOWN;
        char key[80], upper[80];
        if (e->entered == NULL || !shop_code_key(e->entered, key, sizeof key))
            continue;
        long idx = cl_program_find(cat->prog, e->entered);
        if (idx >= 0) {
            if (json_object_get(cat->campaigns, key) == NULL) {
                e->kind = SHOP_CODE_COUPON;
                snprintf(e->coupon, sizeof e->coupon, "%s",
                         cl_program_code(cat->prog, (size_t)idx));
            }
            continue;
        }
        size_t n = strlen(e->entered);
        for (size_t k = 0; k <= n; k++)
            upper[k] = (char)toupper((unsigned char)e->entered[k]);
        if (!shaped(cat, upper))
            continue;                    /* unknown or mistyped: no lookup */
        snprintf(e->gen_key, sizeof e->gen_key, "%s", key);
        json_array_append_new(lookup, json_string(key));
    }
    if (json_array_size(lookup) == 0) {
        json_decref(lookup);
        return 0;
    }
    char *arr = shop_pg_array(lookup);
    json_decref(lookup);
    if (arr == NULL)
        return -1;
    const char *p[1] = {arr};
    PGresult *r = NULL;
    if (lock) {
        r = svc_pg_exec(pg, "INSERT INTO checkout.code_usage (code_key) "
                            "SELECT g.code_key FROM coupons.generated_codes g "
                            "WHERE g.code_key = ANY($1::text[]) ORDER BY 1 "
                            "ON CONFLICT DO NOTHING", 1, p, sqlstate);
        if (r != NULL) {
            PQclear(r);
            r = svc_pg_exec(pg, "SELECT g.code_key, g.parent_key, g.max_uses, u.uses "
                                "FROM checkout.code_usage u JOIN coupons.generated_codes g "
                                "ON g.code_key = u.code_key WHERE u.code_key = ANY($1::text[]) "
                                "ORDER BY u.code_key FOR UPDATE OF u", 1, p, sqlstate);
        }
    } else {
        r = svc_pg_exec(pg, "SELECT g.code_key, g.parent_key, g.max_uses, "
                            "coalesce(u.uses, 0) FROM coupons.generated_codes g "
                            "LEFT JOIN checkout.code_usage u ON u.code_key = g.code_key "
                            "WHERE g.code_key = ANY($1::text[])", 1, p, sqlstate);
    }
    free(arr);
    if (r == NULL)
        return -1;
    for (int row = 0; row < PQntuples(r); row++) {
        const char *gk = PQgetvalue(r, row, 0), *parent = PQgetvalue(r, row, 1);
        long idx = cl_program_find(cat->prog, parent);
        for (size_t k = 0; k < out->n; k++) {
            shop_entry *e = &out->e[k];
            if (e->kind != SHOP_CODE_UNKNOWN || strcmp(e->gen_key, gk) != 0)
                continue;
            if (idx < 0 || json_object_get(cat->campaigns, parent) == NULL)
                break;                   /* the campaign is gone: unknown */
            e->max_uses = strtoll(PQgetvalue(r, row, 2), NULL, 10);
            e->uses = strtoll(PQgetvalue(r, row, 3), NULL, 10);
            snprintf(e->coupon, sizeof e->coupon, "%s", cl_program_code(cat->prog, (size_t)idx));
            e->kind = e->uses >= e->max_uses ? SHOP_CODE_USED_UP : SHOP_CODE_GENERATED;
        }
    }
    PQclear(r);
    for (size_t k = 0; k < out->n; k++) {
        shop_entry *e = &out->e[k];
        if (e->kind == SHOP_CODE_UNKNOWN)
            e->gen_key[0] = '\0';
        if (e->kind != SHOP_CODE_GENERATED && e->kind != SHOP_CODE_USED_UP)
            continue;
        /* the same code twice, or two codes of one campaign: the first counts */
        for (size_t j = 0; j < k; j++)
            if (out->e[j].gen_key[0] != '\0' && strcasecmp(out->e[j].coupon, e->coupon) == 0)
                e->kind = SHOP_CODE_SAME_CAMPAIGN;
    }
    return 0;
}

json_t *shop_context_codes(const shop_codes *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].kind == SHOP_CODE_COUPON || c->e[i].kind == SHOP_CODE_GENERATED)
            json_array_append_new(arr, json_string(c->e[i].coupon));
    return arr;
}

const shop_entry *shop_entry_of(const shop_codes *c, const char *coupon)
{
    for (size_t i = 0; coupon != NULL && i < c->n; i++)
        if ((c->e[i].kind == SHOP_CODE_COUPON || c->e[i].kind == SHOP_CODE_GENERATED) &&
            strcasecmp(c->e[i].coupon, coupon) == 0)
            return &c->e[i];
    return NULL;
}

json_t *shop_entry_reasons(const shop_entry *e)
{
    switch (e->kind) {
    case SHOP_CODE_USED_UP:
        return json_pack("[{s:s, s:s}]", "code", "USAGE_LIMIT", "message",
                         "this code has already been used");
    case SHOP_CODE_SAME_CAMPAIGN:
        return json_pack("[{s:s, s:s}]", "code", "NOT_COMBINABLE", "message",
                         "another code of the same campaign is already entered");
    default:
        return json_pack("[{s:s, s:s}]", "code", "UNKNOWN_CODE", "message",
                         "this code is not valid");
    }
}

/* ------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------ */

/* What a shopper is told of one outcome: validity, owner and user
 * conditions are not disclosed, and source lines are internal. */
json_t *shop_shopper_reasons(const json_t *outcome)
{
    const json_t *reasons = json_object_get(outcome, "reasons");
    json_t *out = json_array();
    bool hide = json_object_get(outcome, "unknown") != NULL;
    size_t i;
    json_t *r;
    json_array_foreach(reasons, i, r) {
        const char *code = json_string_value(json_object_get(r, "code"));
        if (code && (strcmp(code, "NOT_STARTED") == 0 || strcmp(code, "EXPIRED") == 0 ||
                     strcmp(code, "USER") == 0 || strcmp(code, "UNKNOWN_CODE") == 0))
            hide = true;
        json_t *m = json_object_get(r, "message");
        json_array_append_new(out, json_pack("{s:s, s:s}", "code", code ? code : "CONDITION",
                                             "message", json_is_string(m) ? json_string_value(m)
                                                                          : ""));
    }
    if (hide) {
        json_decref(out);
        out = json_pack("[{s:s, s:s}]", "code", "UNKNOWN_CODE", "message",
                        "this code is not valid");
    }
    return out;
}

bool shop_reasons_masked(const json_t *reasons)
{
    const char *c = json_string_value(json_object_get(json_array_get(reasons, 0), "code"));
    return json_array_size(reasons) == 1 && c != NULL && strcmp(c, "UNKNOWN_CODE") == 0;
}

json_t *shop_result_json(const cl_result *res)
{
    svc_text t = {0};
    json_t *v = NULL;
    if (cl_result_write_json(res, svc_text_append, &t) == CL_OK && t.buf != NULL)
        v = json_loadb(t.buf, t.len, 0, NULL);
    free(t.buf);
    return v;
}
