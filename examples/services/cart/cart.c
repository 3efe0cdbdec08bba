/*
 * cart - one cart per user in Redis, with a TTL, each line's price
 * snapshotted from the catalog when it is added.
 *
 *   GET    /api/cart
 *   DELETE /api/cart
 *   POST   /api/cart/items          {sku, quantity}   adds to the line
 *   PUT    /api/cart/items/{sku}    {quantity}        sets the line
 *   DELETE /api/cart/items/{sku}
 *
 * Two hashes per user: cart:{id}:q (sku -> quantity) and cart:{id}:s
 * (sku -> the line's snapshot as JSON); every change runs as one Lua script
 * so concurrent requests cannot lose an update or pass a limit.
 *
 * Environment: REDIS_HOST, REDIS_PORT, CATALOG_URL, CART_TTL (seconds,
 * default 7 days), CART_MAX_LINES (100), CART_MAX_QUANTITY (1000),
 * SHOP_CURRENCY.
 */
#include "svc.h"

#include <couponlib/couponlib.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    svc_pool *redis;
    char catalog[256];
    char currency[4];
    long ttl, max_lines, max_qty;
} K;

/* KEYS: q, s. ARGV: sku, quantity, snapshot, ttl, max quantity, max lines,
 * mode ("add" or "set"). Returns the line's new quantity, -1 when the cart
 * is full, -2 when the quantity would pass the maximum. */
static const char CHANGE[] =
    "local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')\n"
    "if cur == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[6]) then return -1 end\n"
    "local n = tonumber(ARGV[2])\n"
    "if ARGV[7] == 'add' then n = n + cur end\n"
    "if n > tonumber(ARGV[5]) then return -2 end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], n)\n"
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[4])\n"
    "return n\n";

/* KEYS: q, s. Returns {HGETALL q, HGETALL s}, read at one instant. */
static const char READ[] =
    "return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}\n";

static bool sku_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

static void keys_of(const svc_req *req, char *q, char *s, size_t size)
{
    snprintf(q, size, "cart:{%s}:q", req->who.id);
    snprintf(s, size, "cart:{%s}:s", req->who.id);
}

/* The cart as the API shows it, from the two hashes. */
static json_t *cart_json(const redisReply *qs, const redisReply *ss)
{
    json_t *snaps = json_object(), *items = json_array();
    for (size_t i = 0; i + 1 < ss->elements; i += 2)
        json_object_set_new(snaps, ss->element[i]->str,
                            json_loads(ss->element[i + 1]->str, 0, NULL));
    int64_t subtotal = 0;
    long long count = 0;
    for (size_t i = 0; i + 1 < qs->elements; i += 2) {
        const char *sku = qs->element[i]->str;
        long long qty = strtoll(qs->element[i + 1]->str, NULL, 10);
        json_t *snap = json_object_get(snaps, sku);
        if (!json_is_object(snap) || qty <= 0)
            continue;
        const char *price = json_string_value(json_object_get(snap, "unit_price"));
        int64_t unit = 0;
        if (price == NULL || cl_amount_parse(price, strlen(price), K.currency, &unit) != CL_OK)
            continue;
        json_t *line = json_deep_copy(snap);
        char total[32];
        cl_amount_format(unit * qty, K.currency, total, sizeof total);
        json_object_set_new(line, "quantity", json_integer(qty));
        json_object_set_new(line, "line_total", json_string(total));
        json_array_append_new(items, line);
        subtotal += unit * qty;
        count += qty;
    }
    json_decref(snaps);
    /* a stable order: by SKU */
    size_t n = json_array_size(items);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            json_t *a = json_array_get(items, j - 1), *b = json_array_get(items, j);
            if (strcmp(json_string_value(json_object_get(a, "sku")),
                       json_string_value(json_object_get(b, "sku"))) <= 0)
                break;
            json_incref(a);
            json_array_set(items, j - 1, b);
            json_array_set_new(items, j, a);
        }
    char sub[32];
    cl_amount_format(subtotal, K.currency, sub, sizeof sub);
    return json_pack("{s:s, s:o, s:s, s:I}", "currency", K.currency, "items", items, "subtotal",
                     sub, "count", (json_int_t)count);
}

static void reply_cart(const svc_req *req, svc_resp *resp, int status)
{
    char q[128], s[128];
    keys_of(req, q, s, sizeof q);
    redisContext *rc = svc_pool_get(K.redis);
    if (rc == NULL) {
        svc_unavailable(resp, "the cart store", "no connection");
        return;
    }
    redisReply *r = svc_redis(rc, "EVAL %s 2 %s %s", READ, q, s);
    svc_pool_put(K.redis, rc, rc->err != 0);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        if (r)
            freeReplyObject(r);
        svc_unavailable(resp, "the cart store", "read failed");
        return;
    }
    svc_ok(resp, status, cart_json(r->element[0], r->element[1]));
    freeReplyObject(r);
}

static void get_cart(svc_req *req, svc_resp *resp)
{
    reply_cart(req, resp, 200);
}

static void clear_cart(svc_req *req, svc_resp *resp)
{
    char q[128], s[128];
    keys_of(req, q, s, sizeof q);
    redisContext *rc = svc_pool_get(K.redis);
    redisReply *r = rc ? svc_redis(rc, "DEL %s %s", q, s) : NULL;
    if (rc)
        svc_pool_put(K.redis, rc, rc->err != 0);
    if (r == NULL) {
        svc_unavailable(resp, "the cart store", "delete failed");
        return;
    }
    freeReplyObject(r);
    svc_ok(resp, 204, NULL);
}

/* Sets or adds quantity of sku, with a fresh snapshot from the catalog. */
static void change(svc_req *req, svc_resp *resp, const char *sku, long long qty, bool add)
{
    char url[512];
    snprintf(url, sizeof url, "%s/api/catalog/products/%s", K.catalog, sku);
    json_t *p = NULL;
    int st = svc_call("GET", url, NULL, NULL, &p);
    if (st == 404) {
        json_decref(p);
        svc_error(resp, 404, "not_found", "no such product: %s", sku);
        return;
    }
    if (st != 200 || !json_is_object(p)) {
        json_decref(p);
        svc_unavailable(resp, "the catalog", url);
        return;
    }
    json_t *snap = json_object();
    json_object_set_new(snap, "sku", json_string(sku));
    static const char *const keep[] = {"name", "categories", "tags", "on_sale"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        if (json_object_get(p, keep[i]))
            json_object_set(snap, keep[i], json_object_get(p, keep[i]));
    json_object_set(snap, "unit_price", json_object_get(p, "price"));
    json_decref(p);
    char *text = json_dumps(snap, JSON_COMPACT);
    json_decref(snap);
    char q[128], s[128], qs[32], ttl[32], maxq[32], maxl[32];
    keys_of(req, q, s, sizeof q);
    snprintf(qs, sizeof qs, "%lld", qty);
    snprintf(ttl, sizeof ttl, "%ld", K.ttl);
    snprintf(maxq, sizeof maxq, "%ld", K.max_qty);
    snprintf(maxl, sizeof maxl, "%ld", K.max_lines);
    redisContext *rc = text ? svc_pool_get(K.redis) : NULL;
    redisReply *r = rc ? svc_redis(rc, "EVAL %s 2 %s %s %s %s %s %s %s %s %s", CHANGE, q, s, sku,
                                   qs, text, ttl, maxq, maxl, add ? "add" : "set")
                       : NULL;
    if (rc)
        svc_pool_put(K.redis, rc, rc->err != 0);
    free(text);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        if (r)
            freeReplyObject(r);
        svc_unavailable(resp, "the cart store", "update failed");
        return;
    }
    long long n = r->integer;
    freeReplyObject(r);
    if (n == -1)
        svc_error(resp, 422, "cart_full", "a cart holds at most %ld lines", K.max_lines);
    else if (n == -2)
        svc_error(resp, 422, "too_many", "a line holds at most %ld units", K.max_qty);
    else
        reply_cart(req, resp, 200);
}

static void add_item(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"sku", "quantity", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const char *sku = svc_get_string(&chk, req->json, "sku", true, 64);
    long long qty = svc_get_int(&chk, req->json, "quantity", false, 1, 1, K.max_qty);
    if (!chk.failed && !sku_ok(sku))
        svc_check_fail(&chk, "a SKU is 1 to 64 letters, digits, - or _");
    if (svc_check_done(&chk, resp))
        return;
    change(req, resp, sku, qty, true);
}

static void set_item(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"quantity", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    long long qty = svc_get_int(&chk, req->json, "quantity", true, 0, 1, K.max_qty);
    if (!chk.failed && !sku_ok(req->params[0]))
        svc_check_fail(&chk, "a SKU is 1 to 64 letters, digits, - or _");
    if (svc_check_done(&chk, resp))
        return;
    change(req, resp, req->params[0], qty, false);
}

static void remove_item(svc_req *req, svc_resp *resp)
{
    const char *sku = req->params[0];
    if (!sku_ok(sku)) {
        svc_error(resp, 404, "not_found", "no such line");
        return;
    }
    char q[128], s[128];
    keys_of(req, q, s, sizeof q);
    redisContext *rc = svc_pool_get(K.redis);
    redisReply *r = rc ? svc_redis(rc, "HDEL %s %s", q, sku) : NULL;
    redisReply *r2 = r ? svc_redis(rc, "HDEL %s %s", s, sku) : NULL;
    if (rc)
        svc_pool_put(K.redis, rc, rc->err != 0);
    if (r == NULL || r2 == NULL) {
        if (r)
            freeReplyObject(r);
        svc_unavailable(resp, "the cart store", "delete failed");
        return;
    }
    bool had = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    freeReplyObject(r);
    freeReplyObject(r2);
    if (!had)
        svc_error(resp, 404, "not_found", "%s is not in the cart", sku);
    else
        reply_cart(req, resp, 200);
}

static const svc_route routes[] = {
    {"GET", "/api/cart", SVC_CUSTOMER, get_cart},
    {"DELETE", "/api/cart", SVC_CUSTOMER, clear_cart},
    {"POST", "/api/cart/items", SVC_CUSTOMER, add_item},
    {"PUT", "/api/cart/items/{}", SVC_CUSTOMER, set_item},
    {"DELETE", "/api/cart/items/{}", SVC_CUSTOMER, remove_item},
    {NULL, NULL, 0, NULL},
};

int main(void)
{
    if (svc_init() != 0)
        return 1;
    snprintf(K.catalog, sizeof K.catalog, "%s", svc_env("CATALOG_URL", "http://127.0.0.1:8482"));
    snprintf(K.currency, sizeof K.currency, "%s", svc_env("SHOP_CURRENCY", "USD"));
    K.ttl = svc_env_long("CART_TTL", 7 * 86400, 60, 365L * 86400);
    K.max_lines = svc_env_long("CART_MAX_LINES", 100, 1, 10000);
    K.max_qty = svc_env_long("CART_MAX_QUANTITY", 1000, 1, 1000000);
    K.redis = svc_redis_pool(svc_env("REDIS_HOST", "127.0.0.1"),
                             (int)svc_env_long("REDIS_PORT", 6379, 1, 65535));
    if (K.redis == NULL)
        return 1;
    int rc = svc_run("cart", routes, 8483, 16 * 1024);
    svc_pool_free(K.redis);
    svc_done();
    return rc;
}
