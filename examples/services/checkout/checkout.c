/*
 * checkout - orders, priced by couponlib's best combination, with every
 * redemption recorded atomically in PostgreSQL.
 *
 *   POST /api/checkout                      {codes?, payment, shipping?}
 *                                           header Idempotency-Key (optional)
 *   GET  /api/checkout/orders               the caller's orders, newest first
 *   GET  /api/checkout/orders/{id}
 *   POST /api/checkout/orders/{id}/cancel
 *   GET  /api/checkout/stats?days=&coupon=   redemptions per day (admin; the console's chart)
 *
 * One transaction places an order:
 *
 *   1. claim the Idempotency-Key (a retry running at the same time waits on
 *      the row; one that comes after gets the stored answer; the same key
 *      with another body is refused);
 *   2. take the user's order sequence and the shop-wide serial (counter
 *      rows, so both are gapless);
 *   3. resolve the entered codes: a generated code (a campaign's) has its
 *      usage row created and locked, in key order, and evaluates as its
 *      parent coupon; then lock the usage rows of every candidate coupon
 *      (the entered codes' coupons and the automatic coupons), in key
 *      order, and read them;
 *   4. let couponlib choose the best combination with that usage: since the
 *      rows stay locked until commit, no concurrent order can see the same
 *      uses, so a use limit, a per-user limit or a budget is never passed;
 *   5. refuse the order (roll back) when an entered code was rejected;
 *      else insert the order and its redemptions, add to the counters,
 *      claim the use of each generated code that was redeemed, store the
 *      answer under the key, commit.
 *
 * The fault points (svc_fault, SVC_FAULT) are named after these steps:
 * checkout.begin, .claimed, .counted, .locked, .priced, .recorded (before
 * COMMIT), .committed (after it, before the answer) and .sent.
 *
 * A deadlock or serialization failure retries the transaction. Cancelling
 * flips the order's status from placed to cancelled under a row lock and
 * gives each redemption's use and money back in the same transaction, so
 * it happens exactly once.
 *
 * Environment: PG_URL, CART_URL, SHOP_*, JWT_*.
 */
#include "shop.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static svc_pool *pg_pool;

/* ------------------------------------------------------------------------
 * Small pieces
 * ------------------------------------------------------------------------ */

/* An order id in a path: 1 to 18 digits. */
static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static json_t *money(int64_t minor)
{
    char buf[32];
    cl_amount_format(minor, shop_cfg.currency, buf, sizeof buf);
    return json_string(buf);
}

/* One-row, one-column query; the value as an integer, or -1 after an error
 * (sqlstate set). */
static long long one_int(PGconn *pg, const char *sql, int n, const char *const *v,
                         char *sqlstate)
{
    PGresult *r = svc_pg_exec(pg, sql, n, v, sqlstate);
    if (r == NULL)
        return -1;
    long long x = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return x;
}

/* Answers with a stored idempotent response, or refuses another body. */
static void replay(PGconn *pg, const char *user, const char *key, const char *hash,
                   svc_resp *resp, bool *found)
{
    const char *v[2] = {user, key};
    PGresult *r = svc_pg_exec(pg, "SELECT request_hash, status, response::text "
                                  "FROM checkout.idempotency WHERE user_id = $1 AND key = $2",
                              2, v, NULL);
    *found = false;
    if (r == NULL) {
        svc_unavailable(resp, "the order store", "idempotency read failed");
        *found = true;
        return;
    }
    if (PQntuples(r) == 1) {
        *found = true;
        if (strcmp(PQgetvalue(r, 0, 0), hash) != 0)
            svc_error(resp, 422, "idempotency_mismatch",
                      "this Idempotency-Key was used with another request body");
        else if (PQgetisnull(r, 0, 2))
            svc_error(resp, 409, "in_progress", "a checkout with this key is in progress");
        else {
            svc_ok(resp, atoi(PQgetvalue(r, 0, 1)), json_loads(PQgetvalue(r, 0, 2), 0, NULL));
            json_t *id = json_object_get(resp->body, "id");
            if (json_is_string(id))
                snprintf(resp->location, sizeof resp->location, "/api/checkout/orders/%s",
                         json_string_value(id));
        }
    }
    PQclear(r);
}

/* ------------------------------------------------------------------------
 * Placing an order
 * ------------------------------------------------------------------------ */

/* What one checkout attempt works with. */
typedef struct attempt {
    const svc_req *req;
    const json_t *codes, *payment, *shipping, *cart;
    shop_codes entries;         /* the entered codes, resolved in the transaction */
    const shop_catalog *cat;
    const char *idem_key;       /* NULL without the header */
    char hash[65];              /* of the canonical body */
    char sqlstate[6];           /* of the SQL failure that ended the attempt */
} attempt;

/* The order's lines with their discounts, from the cart and the choice. */
static json_t *order_lines(const json_t *cart, const cl_result *best)
{
    json_t *lines = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(cart, "items"), i, it) {
        int64_t d = 0;
        for (size_t k = 0; k < cl_result_count(best); k++)
            for (size_t j = 0; j < cl_result_line_count(best, k); j++) {
                size_t idx;
                int64_t ld;
                if (cl_result_line(best, k, j, &idx, &ld) == CL_OK && idx == i)
                    d += ld;
            }
        json_array_append_new(lines, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:o}", "sku",
                                               json_object_get(it, "sku"), "name",
                                               json_object_get(it, "name"), "quantity",
                                               json_object_get(it, "quantity"), "unit_price",
                                               json_object_get(it, "unit_price"), "line_total",
                                               json_object_get(it, "line_total"), "discount",
                                               money(d)));
    }
    return lines;
}

/* Entered codes that were rejected, with the shopper's reasons, as they
 * were entered; NULL when none was. */
static json_t *rejected_entered(const json_t *pricing, const shop_codes *codes)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    for (size_t k = 0; k < codes->n; k++) {
        const shop_entry *e = &codes->e[k];
        if (e->kind != SHOP_CODE_COUPON && e->kind != SHOP_CODE_GENERATED) {
            json_array_append_new(out, json_pack("{s:s, s:o}", "code", e->entered, "reasons",
                                                 shop_entry_reasons(e)));
            continue;
        }
        json_array_foreach(json_object_get(pricing, "rejected"), i, r) {
            const char *code = json_string_value(json_object_get(r, "code"));
            if (code && strcasecmp(code, e->coupon) == 0)
                json_array_append_new(out, json_pack("{s:s, s:o}", "code", e->entered,
                                                     "reasons", shop_shopper_reasons(r)));
        }
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Records the redemptions of the applied coupons. 0 or -1. */
static int redeem(PGconn *pg, attempt *a, const char *order_id, const cl_result *best)
{
    for (size_t k = 0; k < cl_result_count(best); k++) {
        char key[80], d[24], s[24], sum[24];
        if (!shop_code_key(cl_result_code(best, k), key, sizeof key))
            return -1;
        int64_t dis = cl_result_discount(best, k), sh = cl_result_shipping_discount(best, k);
        snprintf(d, sizeof d, "%lld", (long long)dis);
        snprintf(s, sizeof s, "%lld", (long long)sh);
        snprintf(sum, sizeof sum, "%lld", (long long)(dis + sh));
        const shop_entry *e = shop_entry_of(&a->entries, cl_result_code(best, k));
        const char *gen = e && e->kind == SHOP_CODE_GENERATED ? e->gen_key : NULL;
        const char *v[6] = {order_id, key, a->req->who.id, d, s, gen};
        PGresult *r = svc_pg_exec(pg, "INSERT INTO checkout.redemptions "
                                      "(order_id, code_key, user_id, discount, shipping_discount, "
                                      "entered_code) VALUES ($1, $2, $3, $4, $5, $6)", 6, v,
                                  a->sqlstate);
        if (r == NULL)
            return -1;
        PQclear(r);
        if (gen != NULL) {
            /* the row is locked since step 3 and had a use left */
            char max[24];
            snprintf(max, sizeof max, "%lld", e->max_uses);
            const char *g[2] = {gen, max};
            r = svc_pg_exec(pg, "UPDATE checkout.code_usage SET uses = uses + 1 "
                                "WHERE code_key = $1 AND uses < $2", 2, g, a->sqlstate);
            if (r == NULL)
                return -1;
            bool claimed = strcmp(PQcmdTuples(r), "1") == 0;
            PQclear(r);
            if (!claimed) {
                svc_log("checkout: the generated code %s had no use left under its lock", gen);
                return -1;
            }
        }
        const char *u[2] = {key, sum};
        r = svc_pg_exec(pg, "UPDATE checkout.coupon_usage SET uses = uses + 1, "
                            "spent = spent + $2 WHERE code_key = $1", 2, u, a->sqlstate);
        if (r == NULL)
            return -1;
        PQclear(r);
        const char *p[2] = {key, a->req->who.id};
        r = svc_pg_exec(pg, "INSERT INTO checkout.coupon_user_usage (code_key, user_id, uses) "
                            "VALUES ($1, $2, 1) ON CONFLICT (code_key, user_id) "
                            "DO UPDATE SET uses = checkout.coupon_user_usage.uses + 1", 2, p,
                        a->sqlstate);
        if (r == NULL)
            return -1;
        PQclear(r);
    }
    return 0;
}

/* Takes the order sequence, serial and completed count. 0 or -1. */
static int take_counters(PGconn *pg, attempt *a, shop_order *o)
{
    const char *v[1] = {a->req->who.id};
    o->sequence = one_int(pg, "INSERT INTO checkout.customer_counter (user_id, orders) "
                              "VALUES ($1, 1) ON CONFLICT (user_id) DO UPDATE "
                              "SET orders = checkout.customer_counter.orders + 1 "
                              "RETURNING orders", 1, v, a->sqlstate);
    if (o->sequence < 0)
        return -1;
    o->serial = one_int(pg, "UPDATE checkout.shop_counter SET serial = serial + 1 "
                            "RETURNING serial", 0, NULL, a->sqlstate);
    if (o->serial < 0)
        return -1;
    o->completed = one_int(pg, "SELECT count(*) FROM checkout.orders "
                               "WHERE user_id = $1 AND status = 'placed'", 1, v, a->sqlstate);
    if (o->completed < 0)
        return -1;
    snprintf(o->number, sizeof o->number, "ORD-%06lld", o->serial);
    return 0;
}

/* Inserts the order, its redemptions and the idempotent answer; commits.
 * Fills resp on success. 0, or -1 on an SQL failure (a->sqlstate). */
static int record(PGconn *pg, attempt *a, const shop_order *o, json_t *ctxj,
                  const cl_result *best, json_t *pricing, svc_resp *resp)
{
    long long id = one_int(pg, "SELECT nextval('checkout.orders_id_seq')", 0, NULL, a->sqlstate);
    if (id < 0)
        return -1;
    char ids[24], created[32];
    snprintf(ids, sizeof ids, "%lld", id);
    svc_now_rfc3339(created, sizeof created);
    json_t *coupons = json_array();
    for (size_t k = 0; k < cl_result_count(best); k++)
        json_array_append_new(coupons, json_string(cl_result_code(best, k)));
    json_t *body = json_pack(
        "{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:O, s:o, s:O, s:s}",
        "id", ids, "number", o->number, "serial", (json_int_t)o->serial, "sequence",
        (json_int_t)o->sequence, "status", "placed", "user_id", a->req->who.id, "currency",
        shop_cfg.currency, "subtotal", money(cl_result_total(best, CL_TOTAL_SUBTOTAL)),
        "shipping", money(cl_result_total(best, CL_TOTAL_SHIPPING)), "discount",
        money(cl_result_total(best, CL_TOTAL_DISCOUNT)), "shipping_discount",
        money(cl_result_total(best, CL_TOTAL_SHIPPING_DISCOUNT)), "total",
        money(cl_result_total(best, CL_TOTAL_TOTAL)), "coupons", coupons, "lines",
        order_lines(a->cart, best), "pricing", pricing, "created_at", created);
    json_decref(coupons);
    json_t *redeemed = json_array();
    for (size_t k = 0; k < cl_result_count(best); k++) {
        const shop_entry *e = shop_entry_of(&a->entries, cl_result_code(best, k));
        if (e != NULL && e->kind == SHOP_CODE_GENERATED)
            json_array_append_new(redeemed, json_pack("{s:s, s:s}", "code", e->entered,
                                                      "coupon", e->coupon));
    }
    json_object_set_new(body, "redeemed_codes", redeemed);
    if (a->payment)
        json_object_set(body, "payment", (json_t *)a->payment);
    char *bt = svc_json_text(body), *ct = svc_json_text(ctxj), *pt = svc_json_text(pricing);
    char *arr = shop_pg_array(json_object_get(body, "coupons"));
    char seq[24], ser[24], amt[5][24];
    snprintf(seq, sizeof seq, "%lld", o->sequence);
    snprintf(ser, sizeof ser, "%lld", o->serial);
    static const cl_total which[5] = {CL_TOTAL_SUBTOTAL, CL_TOTAL_SHIPPING, CL_TOTAL_DISCOUNT,
                                      CL_TOTAL_SHIPPING_DISCOUNT, CL_TOTAL_TOTAL};
    for (int i = 0; i < 5; i++)
        snprintf(amt[i], sizeof amt[i], "%lld", (long long)cl_result_total(best, which[i]));
    int rc = -1;
    if (bt && ct && pt && arr) {
        const char *v[15] = {ids, o->number, ser, a->req->who.id, seq, shop_cfg.currency,
                             amt[0], amt[1], amt[2], amt[3], amt[4], arr, ct, pt, bt};
        PGresult *r = svc_pg_exec(pg, "INSERT INTO checkout.orders (id, number, serial, "
                                      "user_id, sequence, status, currency, subtotal, shipping, "
                                      "discount, shipping_discount, total, coupons, context, "
                                      "pricing, body) VALUES ($1, $2, $3, $4, $5, 'placed', $6, "
                                      "$7, $8, $9, $10, $11, $12, $13, $14, $15)",
                                  15, v, a->sqlstate);
        if (r != NULL) {
            PQclear(r);
            rc = redeem(pg, a, ids, best);
        }
        if (rc == 0 && a->idem_key) {
            const char *iv[4] = {a->req->who.id, a->idem_key, ids, bt};
            r = svc_pg_exec(pg, "UPDATE checkout.idempotency SET order_id = $3, status = 201, "
                                "response = $4 WHERE user_id = $1 AND key = $2", 4, iv,
                            a->sqlstate);
            rc = r ? 0 : -1;
            PQclear(r);
        }
        if (rc == 0) {
            svc_fault("checkout.recorded");
            rc = svc_pg_cmd(pg, "COMMIT");
        }
    }
    free(bt);
    free(ct);
    free(pt);
    free(arr);
    if (rc == 0) {
        svc_fault("checkout.committed");
        snprintf(resp->location, sizeof resp->location, "/api/checkout/orders/%s", ids);
        svc_ok(resp, 201, body);
    } else {
        json_decref(body);
    }
    return rc;
}

/* Prices with the locked usage and, unless refused, records the order.
 * Returns 0 when resp is filled (an answer, good or bad), -1 on an SQL
 * failure that may be retried. The transaction is open on entry. */
static int price_and_record(PGconn *pg, attempt *a, svc_resp *resp)
{
    shop_order o = {0};
    if (take_counters(pg, a, &o) != 0)
        return -1;
    svc_fault("checkout.counted");
    if (shop_resolve_codes(pg, a->cat, a->codes, true, &a->entries, a->sqlstate) != 0)
        return -1;
    json_t *ccodes = shop_context_codes(&a->entries);
    json_t *ctxj = shop_context(&a->req->who, a->cart, ccodes, a->payment, a->shipping, &o);
    char *text = json_dumps(ctxj, JSON_COMPACT);
    cl_context *ctx = cl_context_new(shop_env());
    cl_vm *vm = cl_vm_new(shop_env());
    cl_error err;
    int rc = 0;
    cl_status st = text && ctx && vm ? cl_context_parse(ctx, text, strlen(text), &err)
                                     : CL_ENOMEM;
    free(text);
    json_t *keys = shop_candidate_keys(a->cat->prog, ccodes);
    const cl_result *best = NULL;
    json_t *pricing = NULL, *refused = NULL;
    if (st != CL_OK) {
        svc_error(resp, 422, "bad_context", "the checkout cannot be priced: %s",
                  st == CL_ENOMEM ? "out of memory" : err.message);
    } else if (shop_read_usage(pg, ctx, keys, a->req->who.id, true, a->sqlstate) != 0) {
        rc = -1;
    } else if ((svc_fault("checkout.locked"),
                cl_vm_best_flags(vm, a->cat->prog, ctx, CL_BEST_INDEXED, &best, &err)) != CL_OK ||
               (pricing = shop_result_json(best)) == NULL) {
        svc_error(resp, 422, "evaluation_failed", "%s", err.message);
    } else if ((svc_fault("checkout.priced"), refused = rejected_entered(pricing, &a->entries)) !=
               NULL) {
        svc_error_with(resp, 409, "coupon_rejected", json_pack("{s:o}", "rejected", refused),
                       "a code you entered does not apply; remove it or fix the cart");
    } else {
        rc = record(pg, a, &o, ctxj, best, pricing, resp);
    }
    json_decref(pricing);
    json_decref(keys);
    json_decref(ctxj);
    json_decref(ccodes);
    cl_vm_free(vm);
    cl_context_free(ctx);
    return rc;
}

/* One attempt: a whole transaction. Returns 0 when resp is filled, -1 when
 * it may be retried (a->sqlstate). */
static int attempt_once(PGconn *pg, attempt *a, svc_resp *resp)
{
    if (svc_pg_cmd(pg, "BEGIN") != 0) {
        snprintf(a->sqlstate, sizeof a->sqlstate, "08000");
        return -1;
    }
    svc_fault("checkout.begin");
    if (a->idem_key) {
        const char *v[3] = {a->req->who.id, a->idem_key, a->hash};
        PGresult *r = svc_pg_exec(pg, "INSERT INTO checkout.idempotency "
                                      "(user_id, key, request_hash) VALUES ($1, $2, $3) "
                                      "ON CONFLICT DO NOTHING RETURNING 1", 3, v, a->sqlstate);
        if (r == NULL)
            goto retry;
        bool claimed = PQntuples(r) == 1;
        PQclear(r);
        if (!claimed) {
            svc_pg_cmd(pg, "ROLLBACK");
            bool found;
            replay(pg, a->req->who.id, a->idem_key, a->hash, resp, &found);
            if (!found)
                svc_error(resp, 409, "in_progress", "a checkout with this key is in progress");
            return 0;
        }
        svc_fault("checkout.claimed");
    }
    if (json_array_size(json_object_get(a->cart, "items")) == 0) {
        svc_pg_cmd(pg, "ROLLBACK");
        svc_error(resp, 422, "empty_cart", "the cart is empty");
        return 0;
    }
    int rc = price_and_record(pg, a, resp);
    if (rc == 0) {
        if (resp->status != 201)
            svc_pg_cmd(pg, "ROLLBACK");
        return 0;
    }
retry:
    svc_pg_cmd(pg, "ROLLBACK");
    return -1;
}

static void checkout(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"codes", "payment", "shipping", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    attempt a = {.req = req};
    a.codes = shop_get_codes(&chk, req->json);
    a.payment = svc_get_object(&chk, req->json, "payment", true);
    a.shipping = svc_get_object(&chk, req->json, "shipping", false);
    shop_check_payment(&chk, a.payment);
    shop_check_shipping(&chk, a.shipping);
    a.idem_key = svc_header(req, "Idempotency-Key");
    if (a.idem_key != NULL) {
        size_t n = strlen(a.idem_key);
        bool ok = n >= 1 && n <= 128;
        for (const char *p = a.idem_key; ok && *p; p++)
            ok = *p > ' ' && *p < 0x7f;
        if (!ok)
            svc_check_fail(&chk, "Idempotency-Key must be 1 to 128 printable characters");
    }
    if (svc_check_done(&chk, resp))
        return;
    char *canon = svc_json_text(req->json);
    if (canon == NULL) {
        svc_error(resp, 500, "internal", "out of memory");
        return;
    }
    svc_sha256_hex(canon, strlen(canon), a.hash);
    free(canon);

    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the order store", "no connection");
        return;
    }
    json_t *cart = NULL;
    shop_catalog *cat = NULL;
    bool found = false;
    if (a.idem_key)
        replay(pg, req->who.id, a.idem_key, a.hash, resp, &found);
    if (found)
        goto answered;
    if ((cart = shop_fetch_cart(req, resp)) == NULL)
        goto done;
    const char *detail;
    if ((cat = shop_catalog_get(pg, &detail)) == NULL) {
        svc_unavailable(resp, "the coupon store", detail);
        goto done;
    }
    a.cart = cart;
    a.cat = cat;
    int tries = 0;
    while (attempt_once(pg, &a, resp) != 0) {
        bool again = strcmp(a.sqlstate, "40P01") == 0 || strcmp(a.sqlstate, "40001") == 0;
        if (!again || ++tries == 5) {
            svc_unavailable(resp, "the order store", a.sqlstate);
            break;
        }
    }
answered:
    if (resp->status == 201 && json_object_get(resp->body, "id")) {
        /* The order is committed (now or by the request this one retries);
         * emptying the cart is best effort. */
        char url[512];
        snprintf(url, sizeof url, "%s/api/cart", svc_env("CART_URL", "http://127.0.0.1:8483"));
        int st = svc_call("DELETE", url, req->bearer, NULL, NULL);
        if (st != 204)
            svc_log("checkout: emptying the cart answered %d", st);
    }
done:
    shop_catalog_release(cat);
    json_decref(cart);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
}

/* ------------------------------------------------------------------------
 * Orders
 * ------------------------------------------------------------------------ */

static void list_orders(svc_req *req, svc_resp *resp)
{
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the order store", "no connection");
        return;
    }
    const char *v[1] = {req->who.id};
    PGresult *r = svc_pg_exec(pg, "SELECT body::text FROM checkout.orders WHERE user_id = $1 "
                                  "ORDER BY id DESC LIMIT 100", 1, v, NULL);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    if (r == NULL) {
        svc_unavailable(resp, "the order store", "read failed");
        return;
    }
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = json_loads(PQgetvalue(r, i, 0), 0, NULL);
        if (o)
            json_array_append_new(list, o);
    }
    PQclear(r);
    svc_ok(resp, 200, json_pack("{s:o}", "orders", list));
}

static void get_order(svc_req *req, svc_resp *resp)
{
    if (!id_ok(req->params[0])) {
        svc_error(resp, 404, "not_found", "no such order");
        return;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the order store", "no connection");
        return;
    }
    const char *v[3] = {req->params[0], req->who.id, req->who.admin ? "t" : "f"};
    PGresult *r = svc_pg_exec(pg, "SELECT body::text FROM checkout.orders "
                                  "WHERE id = $1 AND (user_id = $2 OR $3)", 3, v, NULL);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    if (r == NULL)
        svc_unavailable(resp, "the order store", "read failed");
    else if (PQntuples(r) == 0)
        svc_error(resp, 404, "not_found", "no such order");
    else
        svc_ok(resp, 200, json_loads(PQgetvalue(r, 0, 0), 0, NULL));
    PQclear(r);
}

/* Gives back the uses and money of the order's redemptions, and the uses of
 * the generated codes they were entered with. The rows are locked in the
 * order a checkout locks them (generated codes, then coupons, each by key).
 * 0 or -1. */
static int give_back(PGconn *pg, const char *id, const char *user, char *sqlstate)
{
    const char *v[1] = {id};
    PGresult *r = svc_pg_exec(pg, "SELECT c.code_key FROM checkout.code_usage c "
                                  "JOIN checkout.redemptions d ON d.entered_code = c.code_key "
                                  "WHERE d.order_id = $1 AND d.cancelled_at IS NULL "
                                  "ORDER BY c.code_key FOR UPDATE OF c", 1, v, sqlstate);
    if (r == NULL)
        return -1;
    PQclear(r);
    r = svc_pg_exec(pg, "SELECT u.code_key FROM checkout.coupon_usage u "
                        "JOIN checkout.redemptions d ON d.code_key = u.code_key "
                        "WHERE d.order_id = $1 AND d.cancelled_at IS NULL "
                        "ORDER BY u.code_key FOR UPDATE OF u", 1, v, sqlstate);
    if (r == NULL)
        return -1;
    PQclear(r);
    const char *w[2] = {id, user};
    static const char *const steps[] = {
        ("UPDATE checkout.coupon_usage u SET uses = u.uses - 1, "
         "spent = u.spent - (d.discount + d.shipping_discount) FROM checkout.redemptions d "
         "WHERE d.order_id = $1 AND d.cancelled_at IS NULL AND u.code_key = d.code_key "
         "AND $2::text IS NOT NULL"),
        ("UPDATE checkout.coupon_user_usage p SET uses = p.uses - 1 "
         "FROM checkout.redemptions d WHERE d.order_id = $1 AND d.cancelled_at IS NULL "
         "AND p.code_key = d.code_key AND p.user_id = $2"),
        ("UPDATE checkout.code_usage c SET uses = c.uses - 1 "
         "FROM checkout.redemptions d WHERE d.order_id = $1 AND d.cancelled_at IS NULL "
         "AND c.code_key = d.entered_code AND $2::text IS NOT NULL"),
        ("UPDATE checkout.redemptions SET cancelled_at = now() "
         "WHERE order_id = $1 AND cancelled_at IS NULL AND $2::text IS NOT NULL"),
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        r = svc_pg_exec(pg, steps[i], 2, w, sqlstate);
        if (r == NULL)
            return -1;
        PQclear(r);
    }
    return 0;
}

static void cancel_order(svc_req *req, svc_resp *resp)
{
    if (!id_ok(req->params[0])) {
        svc_error(resp, 404, "not_found", "no such order");
        return;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the order store", "no connection");
        return;
    }
    for (int tries = 0;; tries++) {
        char state[6] = "";
        const char *v[3] = {req->params[0], req->who.id, req->who.admin ? "t" : "f"};
        PGresult *r = NULL;
        if (svc_pg_cmd(pg, "BEGIN") == 0)
            r = svc_pg_exec(pg, "SELECT status, user_id FROM checkout.orders "
                                "WHERE id = $1 AND (user_id = $2 OR $3) FOR UPDATE", 3, v,
                            state);
        if (r != NULL && PQntuples(r) == 0) {
            svc_error(resp, 404, "not_found", "no such order");
        } else if (r != NULL && strcmp(PQgetvalue(r, 0, 0), "placed") != 0) {
            svc_error(resp, 409, "already_cancelled", "this order is already cancelled");
        } else if (r != NULL) {
            char owner[64];
            snprintf(owner, sizeof owner, "%s", PQgetvalue(r, 0, 1));
            PQclear(r);
            r = NULL;
            const char *w[1] = {req->params[0]};
            PGresult *u = NULL;
            if (give_back(pg, req->params[0], owner, state) == 0)
                u = svc_pg_exec(pg, "UPDATE checkout.orders SET status = 'cancelled', "
                                    "cancelled_at = now(), "
                                    "body = jsonb_set(body, '{status}', '\"cancelled\"') "
                                    "WHERE id = $1 RETURNING body::text", 1, w, state);
            if (u != NULL && svc_pg_cmd(pg, "COMMIT") == 0) {
                svc_ok(resp, 200, json_loads(PQgetvalue(u, 0, 0), 0, NULL));
                PQclear(u);
                break;
            }
            PQclear(u);
        }
        PQclear(r);
        svc_pg_cmd(pg, "ROLLBACK");
        if (resp->status != 0)
            break;
        if ((strcmp(state, "40P01") != 0 && strcmp(state, "40001") != 0) || tries == 4) {
            svc_unavailable(resp, "the order store", state);
            break;
        }
    }
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
}

/* A query parameter's text, NULL when absent, BAD_QUERY when it holds a
 * NUL (which would cut it short). */
static const char BAD_QUERY[] = "";
static const char *query_text(const svc_req *req, const char *key)
{
    const char *v = NULL;
    size_t n = 0;
    if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v,
                                      &n) != MHD_YES || v == NULL)
        return NULL;
    return strlen(v) == n ? v : BAD_QUERY;
}

/* GET /api/checkout/stats?days=N&coupon=CODE (admin): redemptions per
 * local day of the shop over the last N days (30; 1 to 366), today
 * included, of every coupon or of one: how many (cancelled orders left
 * out) and what they gave away (discount + shipping discount). */
static void redemption_stats(svc_req *req, svc_resp *resp)
{
    const char *days = query_text(req, "days"), *coupon = query_text(req, "coupon");
    char *end = NULL;
    long n = days ? strtol(days, &end, 10) : 30;
    if (days != NULL && (end == days || *end != '\0' || n < 1 || n > 366)) {
        svc_error(resp, 400, "bad_request", "\"days\" must be a number of days, 1 to 366");
        return;
    }
    char key[80], ns[16];
    bool bad = coupon == BAD_QUERY || (coupon != NULL && (coupon[0] == '\0' || strlen(coupon) > 64 ||
                                                        !shop_code_key(coupon, key, sizeof key)));
    for (const char *c = coupon; !bad && c != NULL && *c; c++)
        bad = (unsigned char)*c < 0x20 || *c == 0x7f;
    if (days == BAD_QUERY) {
        svc_error(resp, 400, "bad_request", "\"days\" must be a number of days, 1 to 366");
        return;
    }
    if (bad) {
        svc_error(resp, 400, "bad_request", "\"coupon\" is not a coupon code");
        return;
    }
    snprintf(ns, sizeof ns, "%ld", n);
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the order store", "no connection");
        return;
    }
    const char *v[3] = {shop_cfg.timezone, ns, coupon ? key : NULL};
    PGresult *r = svc_pg_exec(pg, "SELECT to_char(d, 'YYYY-MM-DD'), count(r.order_id), "
                                  "coalesce(sum(r.discount + r.shipping_discount), 0) "
                                  "FROM generate_series((now() AT TIME ZONE $1)::date - "
                                  "($2::int - 1), (now() AT TIME ZONE $1)::date, "
                                  "interval '1 day') AS d "
                                  "LEFT JOIN checkout.redemptions r "
                                  "ON (r.created_at AT TIME ZONE $1)::date = d::date "
                                  "AND r.cancelled_at IS NULL "
                                  "AND ($3::text IS NULL OR r.code_key = $3) "
                                  "GROUP BY d ORDER BY d", 3, v, NULL);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    if (r == NULL) {
        svc_unavailable(resp, "the order store", "read failed");
        return;
    }
    json_t *list = json_array();
    long long total = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        char amt[32];
        long long c = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        total += c;
        cl_amount_format(strtoll(PQgetvalue(r, i, 2), NULL, 10), shop_cfg.currency, amt,
                         sizeof amt);
        json_array_append_new(list, json_pack("{s:s, s:I, s:s}", "date", PQgetvalue(r, i, 0),
                                              "redemptions", (json_int_t)c, "given", amt));
    }
    PQclear(r);
    svc_ok(resp, 200, json_pack("{s:s, s:o, s:s, s:I, s:o}", "timezone", shop_cfg.timezone,
                                "coupon", coupon ? json_string(coupon) : json_null(), "currency",
                                shop_cfg.currency, "redemptions", (json_int_t)total, "days",
                                list));
}

static const svc_route routes[] = {
    {"POST", "/api/checkout", SVC_CUSTOMER, checkout},
    {"GET", "/api/checkout/orders", SVC_CUSTOMER, list_orders},
    {"GET", "/api/checkout/stats", SVC_ADMIN, redemption_stats},
    {"GET", "/api/checkout/orders/{}", SVC_CUSTOMER, get_order},
    {"POST", "/api/checkout/orders/{}/cancel", SVC_CUSTOMER, cancel_order},
    {NULL, NULL, 0, NULL},
};

int main(void)
{
    if (svc_init() != 0 || shop_init() != 0)
        return 1;
    pg_pool = svc_pg_pool(svc_env("PG_URL", "postgresql://shop@127.0.0.1:5432/shop"));
    if (pg_pool == NULL)
        return 1;
    int rc = svc_run("checkout", routes, 8485, 16 * 1024);
    svc_pool_free(pg_pool);
    shop_done();
    svc_done();
    return rc;
}
