/*
 * coupons - coupon definitions and the validate endpoint.
 *
 * A coupon is its YAML source (a one-coupon file, SPEC section 4), kept in
 * PostgreSQL with every version and who saved it. couponlib compiles it on
 * every write, so a definition that does not compile is refused with the
 * library's message and position; the live catalog is every active coupon
 * linked into one program (common/shop.c).
 *
 *   GET    /api/coupons                    the coupons, with uses and money spent  (admin)
 *   POST   /api/coupons                    {source}                                (admin)
 *   GET    /api/coupons/{code}                                                     (admin)
 *   PUT    /api/coupons/{code}             {source, version?}                      (admin)
 *   DELETE /api/coupons/{code}                                                     (admin)
 *   GET    /api/coupons/{code}/versions                                            (admin)
 *   POST   /api/coupons/validate           {codes, payment?, shipping?}            (customer)
 *
 * Validation evaluates the entered codes against the caller's cart as it
 * would be priced if the order were placed now, and says why a code does
 * not apply. Unknown, expired, not yet started and someone else's personal
 * codes all answer alike ("this code is not valid"), so a guesser learns
 * nothing from the difference.
 *
 * Environment: PG_URL, CART_URL, SHOP_CURRENCY, SHOP_TIMEZONE,
 * SHOP_SHIPPING_RATES, JWT_*.
 */
#include "shop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static svc_pool *pg_pool;

#define MAX_SOURCE (128 * 1024)

/* ------------------------------------------------------------------------
 * Compiling a definition
 * ------------------------------------------------------------------------ */

/* Compiles source into a one-coupon program, or answers 400 with the
 * compiler's error (message, line, column, path and the rendered text). */
static cl_program *compile_one(const char *source, svc_resp *resp)
{
    cl_error err;
    cl_program *p = cl_compile(shop_env(), source, strlen(source), "coupon", &err);
    if (p == NULL) {
        char text[2048];
        cl_error_format(&err, source, strlen(source), text, sizeof text);
        json_t *extra = json_pack("{s:s, s:i, s:i, s:s, s:s}", "status",
                                  cl_status_name(err.code), "line", (int)err.line, "column",
                                  (int)err.column, "path", err.path, "text", text);
        svc_error_with(resp, 400, "compile_error", extra, "%s", err.message);
        return NULL;
    }
    if (cl_program_count(p) != 1) {
        cl_program_free(p);
        svc_error(resp, 400, "compile_error", "a coupon definition holds exactly one coupon");
        return NULL;
    }
    const char *cur = cl_program_currency(p, 0);
    if (cur[0] != '\0' && strcmp(cur, shop_cfg.currency) != 0) {
        svc_error(resp, 400, "compile_error", "the coupon's currency %s is not the shop's %s",
                  cur, shop_cfg.currency);
        cl_program_free(p);
        return NULL;
    }
    return p;
}

static const char *get_source(svc_req *req, svc_resp *resp, long long *version)
{
    static const char *const keys[] = {"source", "version", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const char *src = svc_get_string(&chk, req->json, "source", true, MAX_SOURCE);
    long long v = svc_get_int(&chk, req->json, "version", false, 0, 1, 1LL << 31);
    if (version)
        *version = v;
    else if (json_object_get(req->json, "version") && !chk.failed)
        svc_check_fail(&chk, "body: unknown field \"version\"");
    return svc_check_done(&chk, resp) ? NULL : src;
}

/* ------------------------------------------------------------------------
 * Writes: one transaction each, bumping the generation
 * ------------------------------------------------------------------------ */

static const char COLS[] =
    "c.code, c.name, c.version, c.active, c.automatic, c.created_by, c.updated_by, "
    "to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "coalesce(u.uses, 0), coalesce(u.spent, 0)";

static json_t *coupon_json(PGresult *r, int i)
{
    char spent[32];
    cl_amount_format(strtoll(PQgetvalue(r, i, 10), NULL, 10), shop_cfg.currency, spent,
                     sizeof spent);
    return json_pack("{s:s, s:s, s:i, s:b, s:b, s:s, s:s, s:s, s:s, s:I, s:s}", "code",
                     PQgetvalue(r, i, 0), "name", PQgetvalue(r, i, 1), "version",
                     atoi(PQgetvalue(r, i, 2)), "active", PQgetvalue(r, i, 3)[0] == 't',
                     "automatic", PQgetvalue(r, i, 4)[0] == 't', "created_by",
                     PQgetvalue(r, i, 5), "updated_by", PQgetvalue(r, i, 6), "created_at",
                     PQgetvalue(r, i, 7), "updated_at", PQgetvalue(r, i, 8), "uses",
                     (json_int_t)strtoll(PQgetvalue(r, i, 9), NULL, 10), "spent", spent);
}

/* Answers with the coupon of key (200 or 201), source included. */
static void reply_coupon(PGconn *pg, svc_resp *resp, const char *key, int status)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s, c.source FROM coupons.coupons c "
             "LEFT JOIN checkout.coupon_usage u ON u.code_key = c.code_key "
             "WHERE c.code_key = $1", COLS);
    const char *v[1] = {key};
    PGresult *r = svc_pg_exec(pg, sql, 1, v, NULL);
    if (r == NULL) {
        svc_unavailable(resp, "the coupon store", "read failed");
        return;
    }
    if (PQntuples(r) == 0 || (status != 201 && PQgetvalue(r, 0, 3)[0] != 't')) {
        PQclear(r);
        svc_error(resp, 404, "not_found", "no such coupon");
        return;
    }
    json_t *c = coupon_json(r, 0);
    json_object_set_new(c, "source", json_string(PQgetvalue(r, 0, 11)));
    PQclear(r);
    svc_ok(resp, status, c);
}

/* Ends a write transaction: records the version, bumps the generation,
 * commits. Returns 0 or -1 (rolled back). */
static int finish_write(PGconn *pg, const char *key, const char *version, const char *action,
                        const char *source, const char *author)
{
    const char *v[5] = {key, version, action, source, author};
    PGresult *r = svc_pg_exec(pg, "INSERT INTO coupons.versions "
                                  "(code_key, version, action, source, author) "
                                  "VALUES ($1, $2, $3, $4, $5)", 5, v, NULL);
    if (r == NULL)
        goto fail;
    PQclear(r);
    if (svc_pg_cmd(pg, "UPDATE coupons.state SET generation = generation + 1") != 0 ||
        svc_pg_cmd(pg, "COMMIT") != 0)
        goto fail;
    return 0;
fail:
    svc_pg_cmd(pg, "ROLLBACK");
    return -1;
}

static void create_coupon(svc_req *req, svc_resp *resp)
{
    const char *src = get_source(req, resp, NULL);
    if (src == NULL)
        return;
    cl_program *p = compile_one(src, resp);
    if (p == NULL)
        return;
    char key[80];
    const char *code = cl_program_code(p, 0);
    if (!shop_code_key(code, key, sizeof key)) {
        cl_program_free(p);
        svc_error(resp, 400, "compile_error", "the coupon code is longer than 64 bytes");
        return;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        cl_program_free(p);
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    const char *v[6] = {key, code, cl_program_name(p, 0), src,
                        cl_program_automatic(p, 0) ? "t" : "f", req->who.id};
    PGresult *r = NULL;
    if (svc_pg_cmd(pg, "BEGIN") == 0)
        r = svc_pg_exec(pg, "INSERT INTO coupons.coupons AS c "
                            "(code_key, code, name, version, source, automatic, created_by, "
                            "updated_by) VALUES ($1, $2, $3, 1, $4, $5, $6, $6) "
                            "ON CONFLICT (code_key) DO UPDATE SET code = $2, name = $3, "
                            "version = c.version + 1, source = $4, automatic = $5, "
                            "active = true, updated_by = $6, updated_at = now() "
                            "WHERE NOT c.active RETURNING version", 6, v, NULL);
    if (r == NULL) {
        svc_pg_cmd(pg, "ROLLBACK");
        svc_unavailable(resp, "the coupon store", "insert failed");
    } else if (PQntuples(r) == 0) {
        svc_pg_cmd(pg, "ROLLBACK");
        svc_error(resp, 409, "conflict", "a coupon with this code exists; update it instead");
    } else if (finish_write(pg, key, PQgetvalue(r, 0, 0), "create", src, req->who.id) != 0) {
        svc_unavailable(resp, "the coupon store", "commit failed");
    } else {
        shop_cache_put(key, PQgetvalue(r, 0, 0), p);
        snprintf(resp->location, sizeof resp->location, "/api/coupons/%s", v[1]);
        reply_coupon(pg, resp, key, 201);
    }
    PQclear(r);
    cl_program_free(p);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
}

static void update_coupon(svc_req *req, svc_resp *resp)
{
    long long expect = 0;
    const char *src = get_source(req, resp, &expect);
    if (src == NULL)
        return;
    cl_program *p = compile_one(src, resp);
    if (p == NULL)
        return;
    char key[80], pathkey[80], ver[24];
    shop_code_key(cl_program_code(p, 0), key, sizeof key);
    if (!shop_code_key(req->params[0], pathkey, sizeof pathkey) || strcmp(key, pathkey) != 0) {
        svc_error(resp, 400, "bad_request", "the source defines %s, not %s",
                  cl_program_code(p, 0), req->params[0]);
        cl_program_free(p);
        return;
    }
    snprintf(ver, sizeof ver, "%lld", expect);
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        cl_program_free(p);
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    const char *v[7] = {key, cl_program_code(p, 0), cl_program_name(p, 0), src,
                        cl_program_automatic(p, 0) ? "t" : "f", req->who.id, ver};
    PGresult *r = NULL;
    if (svc_pg_cmd(pg, "BEGIN") == 0)
        r = svc_pg_exec(pg, "UPDATE coupons.coupons SET code = $2, name = $3, "
                            "version = version + 1, source = $4, automatic = $5, "
                            "updated_by = $6, updated_at = now() "
                            "WHERE code_key = $1 AND active AND ($7 = 0 OR version = $7) "
                            "RETURNING version", 7, v, NULL);
    if (r == NULL) {
        svc_pg_cmd(pg, "ROLLBACK");
        svc_unavailable(resp, "the coupon store", "update failed");
    } else if (PQntuples(r) == 0) {
        svc_pg_cmd(pg, "ROLLBACK");
        if (expect != 0)
            svc_error(resp, 409, "conflict", "no active coupon %s at version %lld",
                      req->params[0], expect);
        else
            svc_error(resp, 404, "not_found", "no such coupon");
    } else if (finish_write(pg, key, PQgetvalue(r, 0, 0), "update", src, req->who.id) != 0) {
        svc_unavailable(resp, "the coupon store", "commit failed");
    } else {
        shop_cache_put(key, PQgetvalue(r, 0, 0), p);
        reply_coupon(pg, resp, key, 200);
    }
    PQclear(r);
    cl_program_free(p);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
}

static void delete_coupon(svc_req *req, svc_resp *resp)
{
    char key[80];
    if (!shop_code_key(req->params[0], key, sizeof key)) {
        svc_error(resp, 404, "not_found", "no such coupon");
        return;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    const char *v[2] = {key, req->who.id};
    PGresult *r = NULL;
    if (svc_pg_cmd(pg, "BEGIN") == 0)
        r = svc_pg_exec(pg, "UPDATE coupons.coupons SET active = false, version = version + 1, "
                            "updated_by = $2, updated_at = now() "
                            "WHERE code_key = $1 AND active RETURNING version, source", 2, v,
                        NULL);
    if (r == NULL) {
        svc_pg_cmd(pg, "ROLLBACK");
        svc_unavailable(resp, "the coupon store", "update failed");
    } else if (PQntuples(r) == 0) {
        svc_pg_cmd(pg, "ROLLBACK");
        svc_error(resp, 404, "not_found", "no such coupon");
    } else if (finish_write(pg, key, PQgetvalue(r, 0, 0), "delete", PQgetvalue(r, 0, 1),
                            req->who.id) != 0) {
        svc_unavailable(resp, "the coupon store", "commit failed");
    } else {
        svc_ok(resp, 204, NULL);
    }
    PQclear(r);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
}

/* ------------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------------ */

static void list_coupons(svc_req *req, svc_resp *resp)
{
    const char *all = svc_query(req, "all");
    if (all != NULL && strcmp(all, "true") != 0 && strcmp(all, "false") != 0) {
        svc_error(resp, 400, "bad_request", "\"all\" must be true or false");
        return;
    }
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM coupons.coupons c "
             "LEFT JOIN checkout.coupon_usage u ON u.code_key = c.code_key %s "
             "ORDER BY c.code_key", COLS, all && strcmp(all, "true") == 0 ? "" : "WHERE c.active");
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    PGresult *r = svc_pg_exec(pg, sql, 0, NULL, NULL);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    if (r == NULL) {
        svc_unavailable(resp, "the coupon store", "read failed");
        return;
    }
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(list, coupon_json(r, i));
    PQclear(r);
    svc_ok(resp, 200, json_pack("{s:o}", "coupons", list));
}

static void get_coupon(svc_req *req, svc_resp *resp)
{
    char key[80];
    if (!shop_code_key(req->params[0], key, sizeof key)) {
        svc_error(resp, 404, "not_found", "no such coupon");
        return;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    reply_coupon(pg, resp, key, 200);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
}

static void list_versions(svc_req *req, svc_resp *resp)
{
    char key[80];
    if (!shop_code_key(req->params[0], key, sizeof key)) {
        svc_error(resp, 404, "not_found", "no such coupon");
        return;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    const char *v[1] = {key};
    PGresult *r = svc_pg_exec(pg, "SELECT version, action, author, source, "
                                  "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                                  "FROM coupons.versions WHERE code_key = $1 ORDER BY version",
                              1, v, NULL);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    if (r == NULL) {
        svc_unavailable(resp, "the coupon store", "read failed");
        return;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        svc_error(resp, 404, "not_found", "no such coupon");
        return;
    }
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:s, s:s}", "version",
                                              atoi(PQgetvalue(r, i, 0)), "action",
                                              PQgetvalue(r, i, 1), "author", PQgetvalue(r, i, 2),
                                              "source", PQgetvalue(r, i, 3), "at",
                                              PQgetvalue(r, i, 4)));
    PQclear(r);
    svc_ok(resp, 200, json_pack("{s:o}", "versions", list));
}

/* ------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------ */

/* The order facts if the caller ordered now (read, not taken). */
static int predict_order(PGconn *pg, const char *user, shop_order *o)
{
    const char *v[1] = {user};
    PGresult *r = svc_pg_exec(pg, "SELECT (SELECT serial FROM checkout.shop_counter) + 1, "
                                  "coalesce((SELECT orders FROM checkout.customer_counter "
                                  "WHERE user_id = $1), 0) + 1, "
                                  "(SELECT count(*) FROM checkout.orders "
                                  "WHERE user_id = $1 AND status = 'placed')", 1, v, NULL);
    if (r == NULL)
        return -1;
    o->serial = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    o->sequence = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    o->completed = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    snprintf(o->number, sizeof o->number, "ORD-%06lld", o->serial);
    PQclear(r);
    return 0;
}

/* Evaluates the entered codes one by one and the best combination. */
static void evaluate(cl_program *prog, cl_context *ctx, const json_t *codes, svc_resp *resp)
{
    cl_vm *vm = cl_vm_new(shop_env());
    if (vm == NULL) {
        svc_error(resp, 500, "internal", "out of memory");
        return;
    }
    json_t *list = json_array();
    size_t i;
    json_t *c;
    cl_error err;
    json_array_foreach(codes, i, c) {
        const char *code = json_string_value(c);
        long idx = cl_program_find(prog, code);
        json_t *o = NULL;
        if (idx >= 0) {
            size_t ix = (size_t)idx;
            const cl_result *res;
            if (cl_vm_eval_some(vm, prog, ctx, &ix, 1, CL_EVAL_ENTERED, &res, &err) == CL_OK) {
                json_t *arr = shop_result_json(res);
                o = json_incref(json_array_get(arr, 0));
                json_decref(arr);
            }
        }
        if (o == NULL)
            o = json_pack("{s:s, s:b, s:b}", "code", code, "applicable", 0, "unknown", 1);
        json_t *reasons = shop_shopper_reasons(o);
        bool masked = shop_reasons_masked(reasons);
        bool ok = json_is_true(json_object_get(o, "applicable")) && !masked;
        json_t *view = json_pack("{s:s, s:b, s:o}", "code", code, "applicable", ok, "reasons",
                                 reasons);
        static const char *const amounts[] = {"discount", "shipping_discount"};
        for (int k = 0; k < 2; k++) {
            json_t *amt = ok ? json_object_get(o, amounts[k]) : NULL;
            char zero[32];
            cl_amount_format(0, shop_cfg.currency, zero, sizeof zero);
            json_object_set_new(view, amounts[k], json_is_string(amt) ? json_incref(amt)
                                                                      : json_string(zero));
        }
        if (json_is_true(json_object_get(view, "applicable")))
            json_object_set_new(view, "name",
                                json_string(cl_program_name(prog, (size_t)idx)));
        json_decref(o);
        json_array_append_new(list, view);
    }
    const cl_result *best;
    json_t *b = NULL;
    if (cl_vm_best_flags(vm, prog, ctx, CL_BEST_INDEXED, &best, &err) == CL_OK)
        b = shop_result_json(best);
    cl_vm_free(vm);
    if (b == NULL) {
        json_decref(list);
        svc_error(resp, 422, "evaluation_failed", "%s", err.message);
        return;
    }
    json_t *rej = json_object_get(b, "rejected"), *r;
    json_array_foreach(rej, i, r) json_object_set_new(r, "reasons", shop_shopper_reasons(r));
    json_t *applied = json_object_get(b, "applied"), *a;
    json_array_foreach(applied, i, a) json_object_del(a, "reasons");
    svc_ok(resp, 200, json_pack("{s:o, s:o}", "codes", list, "best", b));
}

static void validate(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"codes", "payment", "shipping", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const json_t *codes = shop_get_codes(&chk, req->json);
    const json_t *payment = svc_get_object(&chk, req->json, "payment", false);
    const json_t *shipping = svc_get_object(&chk, req->json, "shipping", false);
    shop_check_payment(&chk, payment);
    shop_check_shipping(&chk, shipping);
    if (!chk.failed && json_array_size(codes) == 0)
        svc_check_fail(&chk, "\"codes\" must name at least one code");
    if (svc_check_done(&chk, resp))
        return;
    json_t *cart = shop_fetch_cart(req, resp);
    if (cart == NULL)
        return;
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        json_decref(cart);
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    const char *detail;
    shop_catalog *cat = shop_catalog_get(pg, &detail);
    shop_order order = {0};
    cl_context *ctx = cl_context_new(shop_env());
    json_t *cj = NULL;
    if (cat == NULL || ctx == NULL || predict_order(pg, req->who.id, &order) != 0) {
        svc_unavailable(resp, "the coupon store", detail);
        goto done;
    }
    cj = shop_context(&req->who, cart, codes, payment, shipping, &order);
    char *text = json_dumps(cj, JSON_COMPACT);
    cl_error err;
    cl_status st = text ? cl_context_parse(ctx, text, strlen(text), &err) : CL_ENOMEM;
    free(text);
    if (st != CL_OK) {
        svc_error(resp, 422, "bad_context", "the checkout cannot be priced: %s", err.message);
        goto done;
    }
    json_t *ckeys = shop_candidate_keys(cat->prog, codes);
    char state[6];
    int ur = shop_read_usage(pg, ctx, ckeys, req->who.id, false, state);
    json_decref(ckeys);
    if (ur != 0) {
        svc_unavailable(resp, "the coupon store", state);
        goto done;
    }
    evaluate(cat->prog, ctx, codes, resp);
done:
    json_decref(cj);
    cl_context_free(ctx);
    shop_catalog_release(cat);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    json_decref(cart);
}

static const svc_route routes[] = {
    {"GET", "/api/coupons", SVC_ADMIN, list_coupons},
    {"POST", "/api/coupons", SVC_ADMIN, create_coupon},
    {"POST", "/api/coupons/validate", SVC_CUSTOMER, validate},
    {"GET", "/api/coupons/{}", SVC_ADMIN, get_coupon},
    {"PUT", "/api/coupons/{}", SVC_ADMIN, update_coupon},
    {"DELETE", "/api/coupons/{}", SVC_ADMIN, delete_coupon},
    {"GET", "/api/coupons/{}/versions", SVC_ADMIN, list_versions},
    {NULL, NULL, 0, NULL},
};

int main(void)
{
    if (svc_init() != 0 || shop_init() != 0)
        return 1;
    pg_pool = svc_pg_pool(svc_env("PG_URL", "postgresql://shop@127.0.0.1:5432/shop"));
    if (pg_pool == NULL)
        return 1;
    int rc = svc_run("coupons", routes, 8484, MAX_SOURCE * 2 + 4096);
    svc_pool_free(pg_pool);
    shop_done();
    svc_done();
    return rc;
}
