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
 *   POST   /api/coupons/{code}/codes       {count, length?, prefix?, check?, uses?} (admin)
 *   GET    /api/coupons/{code}/codes       the generated codes as CSV (?batch=)    (admin)
 *   GET    /api/coupons/{code}/batches     the batches, with how many were used   (admin)
 *   POST   /api/coupons/validate           {codes, payment?, shipping?}            (customer)
 *   POST   /api/coupons/check              {source}: compile only, errors by line  (admin)
 *   POST   /api/coupons/evaluate           {source|code, context}: try it          (admin)
 *   POST   /api/coupons/simulate           {source|code, view?, from?, until?, limit?}
 *                                          replay the recorded orders (cl_sim)     (admin)
 *
 * Generated codes (cl_codes_generate: unique, random, from an alphabet
 * without look-alikes, with a Luhn mod N check character by default) turn
 * a coupon into a campaign: each code evaluates as the coupon, with the
 * coupon's conditions, limits and budget, and has uses of its own (one by
 * default), claimed by checkout in the order's transaction; the coupon's
 * own code is then no longer accepted. A code with a wrong check character
 * is refused before any lookup.
 *
 * Validation evaluates the entered codes against the caller's cart as it
 * would be priced if the order were placed now, and says why a code does
 * not apply. Unknown, expired, not yet started and someone else's personal
 * codes all answer alike ("this code is not valid"), so a guesser learns
 * nothing from the difference.
 *
 * The console (docs/console.md) checks a definition as it is typed
 * (compiled, never saved), tries it on a checkout context, listing every
 * requirement of the source as met or not (outline.c), and simulates it
 * over the contexts the recorded orders were priced with.
 *
 * Environment: PG_URL, CART_URL, SHOP_CURRENCY, SHOP_TIMEZONE,
 * SHOP_SHIPPING_RATES, JWT_*.
 */
#include "outline.h"
#include "shop.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static svc_pool *pg_pool;

#define MAX_SOURCE (128 * 1024)
#define MAX_GENERATE 10000        /* codes per request (about a second of inserts) */
#define MAX_PREFIX 20

/* ------------------------------------------------------------------------
 * Compiling a definition
 * ------------------------------------------------------------------------ */

/* Compiles source into a one-coupon program, or gives in *errj (when not
 * NULL) the compiler's error: message, status, line, column, path and the
 * rendered text (line 0 for an error that has no position). */
static cl_program *compile_source(const char *source, json_t **errj)
{
    cl_error err;
    cl_program *p = cl_compile(shop_env(), source, strlen(source), "coupon", &err);
    const char *why = NULL;
    char msg[160];
    if (p == NULL) {
        char text[2048];
        cl_error_format(&err, source, strlen(source), text, sizeof text);
        *errj = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "message", err.message, "status",
                          cl_status_name(err.code), "line", (int)err.line, "column",
                          (int)err.column, "path", err.path, "text", text);
        return NULL;
    }
    if (cl_program_count(p) != 1) {
        why = "a coupon definition holds exactly one coupon";
    } else {
        const char *cur = cl_program_currency(p, 0);
        if (cur[0] != '\0' && strcmp(cur, shop_cfg.currency) != 0) {
            snprintf(msg, sizeof msg, "the coupon's currency %s is not the shop's %s", cur,
                     shop_cfg.currency);
            why = msg;
        }
    }
    if (why != NULL) {
        cl_program_free(p);
        *errj = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "message", why, "status", "shop",
                          "line", 0, "column", 0, "path", "", "text", why);
        return NULL;
    }
    return p;
}

/* compile_source(), answering 400 with the compiler's error. */
static cl_program *compile_one(const char *source, svc_resp *resp)
{
    json_t *e = NULL;
    cl_program *p = compile_source(source, &e);
    if (p == NULL) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", json_string_value(json_object_get(e, "message")));
        json_object_del(e, "message");
        if (strcmp(json_string_value(json_object_get(e, "status")), "shop") == 0)
            e = (json_decref(e), NULL);      /* the shop's refusal: no position */
        svc_error_with(resp, 400, "compile_error", e, "%s", msg);
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

/* Adds to the coupon c of row i (source in column 11) its limits as
 * written, what is left of them, its validity and its requirements. */
static void add_limits(json_t *c, PGresult *r, int i)
{
    const char *src = PQgetvalue(r, i, 11);
    outline_limits lim;
    json_t *valid = NULL;
    json_t *reqs = outline_requirements(src, strlen(src), shop_cfg.currency, &lim, &valid);
    long long uses = strtoll(PQgetvalue(r, i, 9), NULL, 10);
    long long spent = strtoll(PQgetvalue(r, i, 10), NULL, 10);
    char budget[32], left[32];
    json_t *l = json_object();
    if (lim.uses >= 0) {
        json_object_set_new(l, "uses", json_integer(lim.uses));
        json_object_set_new(c, "uses_left", json_integer(lim.uses > uses ? lim.uses - uses : 0));
    }
    if (lim.per_user >= 0)
        json_object_set_new(l, "per_user", json_integer(lim.per_user));
    if (lim.budget >= 0) {
        cl_amount_format(lim.budget, shop_cfg.currency, budget, sizeof budget);
        cl_amount_format(lim.budget > spent ? lim.budget - spent : 0, shop_cfg.currency, left,
                         sizeof left);
        json_object_set_new(l, "budget", json_string(budget));
        json_object_set_new(c, "budget_left", json_string(left));
    }
    json_object_set_new(c, "limits", l);
    json_object_set_new(c, "valid", valid ? valid : json_null());
    json_object_set_new(c, "requirements", reqs ? reqs : json_array());
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
    add_limits(c, r, 0);
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
    /* the state row first: coupon writes and code generation take turns, so
     * a new coupon's code and a generated code can never be the same */
    int taken = -1;
    if (svc_pg_cmd(pg, "BEGIN") == 0 &&
        svc_pg_cmd(pg, "SELECT 1 FROM coupons.state FOR UPDATE") == 0) {
        PGresult *g = svc_pg_exec(pg, "SELECT 1 FROM coupons.generated_codes "
                                      "WHERE code_key = $1", 1, v, NULL);
        taken = g == NULL ? -1 : PQntuples(g) > 0;
        PQclear(g);
    }
    if (taken == 1) {
        svc_pg_cmd(pg, "ROLLBACK");
        svc_error(resp, 409, "conflict", "this code is a generated code of a campaign");
        cl_program_free(p);
        svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
        return;
    }
    if (taken == 0)
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
    snprintf(sql, sizeof sql, "SELECT %s, c.source FROM coupons.coupons c "
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
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *c = coupon_json(r, i);
        add_limits(c, r, i);
        json_object_del(c, "requirements");
        json_array_append_new(list, c);
    }
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
 * Generated codes
 * ------------------------------------------------------------------------ */

/* The codes of b (one per line) as a PostgreSQL text[] literal: the codes
 * are drawn from [0-9A-Z] and the prefix from [A-Z0-9_-], so no quoting. */
static char *codes_array(const svc_text *b)
{
    char *out = malloc(b->len + 3), *o = out;
    if (out == NULL)
        return NULL;
    *o++ = '{';
    for (size_t i = 0; i < b->len; i++)
        *o++ = b->buf[i] == '\n' ? (i + 1 < b->len ? ',' : '}') : b->buf[i];
    if (o == out + 1)
        *o++ = '}';
    *o = '\0';
    return out;
}

static json_t *batch_json(PGresult *r, int i)
{
    return json_pack("{s:I, s:s, s:s, s:i, s:b, s:i, s:i, s:I, s:I, s:s, s:s}", "id",
                     (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10), "coupon",
                     PQgetvalue(r, i, 1), "prefix", PQgetvalue(r, i, 2), "length",
                     atoi(PQgetvalue(r, i, 3)), "check", PQgetvalue(r, i, 4)[0] == 't', "uses",
                     atoi(PQgetvalue(r, i, 5)), "count", atoi(PQgetvalue(r, i, 6)), "used",
                     (json_int_t)strtoll(PQgetvalue(r, i, 7), NULL, 10), "redemptions",
                     (json_int_t)strtoll(PQgetvalue(r, i, 8), NULL, 10), "created_by",
                     PQgetvalue(r, i, 9), "created_at", PQgetvalue(r, i, 10));
}

/* The batches of the coupon key, or of one batch when id is not NULL. */
static PGresult *read_batches(PGconn *pg, const char *key, const char *id)
{
    const char *v[2] = {key, id};
    return svc_pg_exec(pg, "SELECT b.id, c.code, b.prefix, b.length, b.check_char, "
                           "b.max_uses, b.count, "
                           "(SELECT count(*) FROM coupons.generated_codes g "
                           " JOIN checkout.code_usage u ON u.code_key = g.code_key "
                           " WHERE g.batch_id = b.id AND u.uses > 0), "
                           "(SELECT coalesce(sum(u.uses), 0) FROM coupons.generated_codes g "
                           " JOIN checkout.code_usage u ON u.code_key = g.code_key "
                           " WHERE g.batch_id = b.id), b.created_by, "
                           "to_char(b.created_at AT TIME ZONE 'UTC', "
                           "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                           "FROM coupons.code_batches b JOIN coupons.coupons c "
                           "ON c.code_key = b.parent_key "
                           "WHERE b.parent_key = $1 AND ($2::bigint IS NULL OR b.id = $2) "
                           "ORDER BY b.id", 2, v, NULL);
}

/* Inserts count fresh codes of spec into batch id of parent key, drawing
 * again for the rare code that is taken already (by another batch or by a
 * coupon). Returns 0, 1 when the code space is nearly used up, -1 on an SQL
 * failure; a cl_codes_generate error answers 400 (2). */
static int insert_codes(PGconn *pg, const cl_code_spec *spec, long long count, const char *id,
                        const char *key, const char *uses, svc_resp *resp)
{
    long long need = count;
    for (int round = 0; need > 0 && round < 8; round++) {
        svc_text b = {0};
        cl_error err;
        if (cl_codes_generate(shop_env(), spec, (size_t)need, svc_text_append, &b, &err) !=
            CL_OK) {
            free(b.buf);
            svc_error(resp, 400, "bad_request", "%s", err.message);
            return 2;
        }
        char *arr = codes_array(&b);
        free(b.buf);
        if (arr == NULL)
            return -1;
        const char *v[4] = {arr, id, key, uses};
        PGresult *r = svc_pg_exec(pg, "INSERT INTO coupons.generated_codes "
                                      "(code_key, code, batch_id, parent_key, max_uses) "
                                      "SELECT lower(c), c, $2, $3, $4 "
                                      "FROM unnest($1::text[]) AS c "
                                      "WHERE NOT EXISTS (SELECT 1 FROM coupons.coupons k "
                                      "WHERE k.code_key = lower(c)) "
                                      "ON CONFLICT DO NOTHING", 4, v, NULL);
        free(arr);
        if (r == NULL)
            return -1;
        need -= strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    return need > 0 ? 1 : 0;
}

static void generate_codes(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"count", "length", "prefix", "check", "uses", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    long long count = svc_get_int(&chk, req->json, "count", true, 0, 1, MAX_GENERATE);
    long long length = svc_get_int(&chk, req->json, "length", false, 10, 6, 32);
    const char *prefix = svc_get_string(&chk, req->json, "prefix", false, MAX_PREFIX);
    int check = svc_get_bool(&chk, req->json, "check", 1);
    long long uses = svc_get_int(&chk, req->json, "uses", false, 1, 1, 1000000);
    char up[MAX_PREFIX + 1] = "";
    for (size_t i = 0; prefix != NULL && prefix[i]; i++) {
        unsigned char c = (unsigned char)prefix[i];
        if (!isalnum(c) && c != '-' && c != '_') {
            svc_check_fail(&chk, "\"prefix\" may hold only letters, digits, - and _");
            break;
        }
        up[i] = (char)toupper(c);
        up[i + 1] = '\0';
    }
    char key[80];
    if (!chk.failed && !shop_code_key(req->params[0], key, sizeof key))
        svc_check_fail(&chk, "no such coupon");
    if (svc_check_done(&chk, resp))
        return;
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    char counts[24], lens[24], usess[24];
    snprintf(counts, sizeof counts, "%lld", count);
    snprintf(lens, sizeof lens, "%lld", length);
    snprintf(usess, sizeof usess, "%lld", uses);
    const char *kv[1] = {key};
    PGresult *c = NULL, *b = NULL;
    if (svc_pg_cmd(pg, "BEGIN") != 0 ||
        svc_pg_cmd(pg, "SELECT 1 FROM coupons.state FOR UPDATE") != 0 ||
        (c = svc_pg_exec(pg, "SELECT automatic FROM coupons.coupons "
                             "WHERE code_key = $1 AND active", 1, kv, NULL)) == NULL) {
        svc_unavailable(resp, "the coupon store", "read failed");
        goto done;
    }
    if (PQntuples(c) == 0) {
        svc_error(resp, 404, "not_found", "no such coupon");
        goto done;
    }
    if (PQgetvalue(c, 0, 0)[0] == 't') {
        svc_error(resp, 409, "conflict", "an automatic coupon applies without a code; "
                  "generated codes need a coupon that is entered");
        goto done;
    }
    const char *iv[7] = {key, up, lens, check ? "t" : "f", usess, counts, req->who.id};
    b = svc_pg_exec(pg, "INSERT INTO coupons.code_batches "
                        "(parent_key, prefix, length, check_char, max_uses, count, created_by) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id", 7, iv, NULL);
    if (b == NULL) {
        svc_unavailable(resp, "the coupon store", "insert failed");
        goto done;
    }
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(b, 0, 0));
    cl_code_spec spec = {.length = (size_t)length, .prefix = up, .check = check != 0};
    int rc = insert_codes(pg, &spec, count, id, key, usess, resp);
    if (rc == 2)
        goto done;
    if (rc == 1) {
        svc_error(resp, 409, "conflict", "the codes of this prefix and length are nearly "
                  "used up; use longer codes or another prefix");
        goto done;
    }
    if (rc != 0 || svc_pg_cmd(pg, "UPDATE coupons.state SET generation = generation + 1") != 0 ||
        svc_pg_cmd(pg, "COMMIT") != 0) {
        svc_unavailable(resp, "the coupon store", "insert failed");
        goto done;
    }
    PQclear(b);
    b = read_batches(pg, key, id);
    if (b == NULL || PQntuples(b) != 1) {
        svc_unavailable(resp, "the coupon store", "read failed");
        goto done;
    }
    snprintf(resp->location, sizeof resp->location, "/api/coupons/%s/codes?batch=%s",
             PQgetvalue(b, 0, 1), id);
    svc_ok(resp, 201, batch_json(b, 0));
done:
    if (PQtransactionStatus(pg) != PQTRANS_IDLE)
        svc_pg_cmd(pg, "ROLLBACK");
    PQclear(c);
    PQclear(b);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
}

/* A batch id in a query: 1 to 18 digits, or absent. */
static bool batch_param(const svc_req *req, const char **id, svc_resp *resp)
{
    *id = svc_query(req, "batch");
    if (*id == NULL)
        return true;
    size_t n = strlen(*id);
    bool ok = n >= 1 && n <= 18;
    for (const char *p = *id; ok && *p; p++)
        ok = isdigit((unsigned char)*p);
    if (!ok)
        svc_error(resp, 400, "bad_request", "\"batch\" must be a batch id (digits)");
    return ok;
}

static void download_codes(svc_req *req, svc_resp *resp)
{
    char key[80];
    const char *batch;
    if (!batch_param(req, &batch, resp))
        return;
    if (!shop_code_key(req->params[0], key, sizeof key)) {
        svc_error(resp, 404, "not_found", "no such coupon");
        return;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the coupon store", "no connection");
        return;
    }
    const char *v[2] = {key, batch};
    PGresult *c = svc_pg_exec(pg, "SELECT code FROM coupons.coupons WHERE code_key = $1", 1, v,
                              NULL);
    PGresult *r = c && PQntuples(c) == 1
                      ? svc_pg_exec(pg, "SELECT g.code, g.batch_id, coalesce(u.uses, 0), "
                                        "g.max_uses FROM coupons.generated_codes g "
                                        "LEFT JOIN checkout.code_usage u "
                                        "ON u.code_key = g.code_key WHERE g.parent_key = $1 "
                                        "AND ($2::bigint IS NULL OR g.batch_id = $2) "
                                        "ORDER BY g.batch_id, g.code", 2, v, NULL)
                      : NULL;
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    if (c == NULL || (PQntuples(c) == 1 && r == NULL)) {
        svc_unavailable(resp, "the coupon store", "read failed");
    } else if (PQntuples(c) == 0) {
        svc_error(resp, 404, "not_found", "no such coupon");
    } else {
        svc_text out = {0};
        static const char head[] = "code,batch,uses,max_uses\r\n";
        int bad = svc_text_append(&out, head, sizeof head - 1);
        for (int i = 0; !bad && i < PQntuples(r); i++) {
            char line[200];
            int n = snprintf(line, sizeof line, "%s,%s,%s,%s\r\n", PQgetvalue(r, i, 0),
                             PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
            bad = n < 0 || (size_t)n >= sizeof line ||
                  svc_text_append(&out, line, (size_t)n);
        }
        if (bad) {
            free(out.buf);
            svc_error(resp, 500, "internal", "out of memory");
        } else {
            char name[80];
            size_t k = 0;
            for (const char *p = PQgetvalue(c, 0, 0); *p && k + 1 < sizeof name; p++)
                name[k++] = isalnum((unsigned char)*p) || *p == '-' ? *p : '_';
            name[k] = '\0';
            svc_ok_raw(resp, 200, "text/csv; charset=utf-8", out.buf, out.len);
            snprintf(resp->disposition, sizeof resp->disposition,
                     "attachment; filename=\"%s-codes.csv\"", name);
        }
    }
    PQclear(r);
    PQclear(c);
}

static void list_batches(svc_req *req, svc_resp *resp)
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
    PGresult *c = svc_pg_exec(pg, "SELECT 1 FROM coupons.coupons WHERE code_key = $1", 1, v,
                              NULL);
    PGresult *r = c && PQntuples(c) == 1 ? read_batches(pg, key, NULL) : NULL;
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    if (c == NULL || (PQntuples(c) == 1 && r == NULL)) {
        svc_unavailable(resp, "the coupon store", "read failed");
    } else if (PQntuples(c) == 0) {
        svc_error(resp, 404, "not_found", "no such coupon");
    } else {
        json_t *list = json_array();
        for (int i = 0; i < PQntuples(r); i++)
            json_array_append_new(list, batch_json(r, i));
        svc_ok(resp, 200, json_pack("{s:o}", "batches", list));
    }
    PQclear(r);
    PQclear(c);
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

/* What a shopper is told of one entered code. */
static json_t *code_view(cl_vm *vm, cl_program *prog, cl_context *ctx, const shop_entry *e)
{
    json_t *o = NULL, *reasons;
    long idx = -1;
    cl_error err;
    if (e->kind == SHOP_CODE_COUPON || e->kind == SHOP_CODE_GENERATED) {
        idx = cl_program_find(prog, e->coupon);
        size_t ix = (size_t)idx;
        const cl_result *res;
        if (idx >= 0 &&
            cl_vm_eval_some(vm, prog, ctx, &ix, 1, CL_EVAL_ENTERED, &res, &err) == CL_OK) {
            json_t *arr = shop_result_json(res);
            o = json_incref(json_array_get(arr, 0));
            json_decref(arr);
        }
    }
    if (o == NULL) {
        o = json_pack("{s:b}", "applicable", 0);
        reasons = shop_entry_reasons(e);
    } else {
        reasons = shop_shopper_reasons(o);
    }
    bool masked = shop_reasons_masked(reasons);
    bool ok = json_is_true(json_object_get(o, "applicable")) && !masked;
    json_t *view = json_pack("{s:s, s:b, s:o}", "code", e->entered, "applicable", ok,
                             "reasons", reasons);
    static const char *const amounts[] = {"discount", "shipping_discount"};
    for (int k = 0; k < 2; k++) {
        json_t *amt = ok ? json_object_get(o, amounts[k]) : NULL;
        char zero[32];
        cl_amount_format(0, shop_cfg.currency, zero, sizeof zero);
        json_object_set_new(view, amounts[k], json_is_string(amt) ? json_incref(amt)
                                                                  : json_string(zero));
    }
    if (ok) {
        json_object_set_new(view, "name", json_string(cl_program_name(prog, (size_t)idx)));
        if (e->kind == SHOP_CODE_GENERATED)
            json_object_set_new(view, "coupon", json_string(e->coupon));
    }
    json_decref(o);
    return view;
}

/* Evaluates the entered codes one by one and the best combination. */
static void evaluate(cl_program *prog, cl_context *ctx, const shop_codes *codes, svc_resp *resp)
{
    cl_vm *vm = cl_vm_new(shop_env());
    if (vm == NULL) {
        svc_error(resp, 500, "internal", "out of memory");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < codes->n; i++)
        json_array_append_new(list, code_view(vm, prog, ctx, &codes->e[i]));
    const cl_result *best;
    cl_error err;
    json_t *b = NULL;
    if (cl_vm_best_flags(vm, prog, ctx, CL_BEST_INDEXED, &best, &err) == CL_OK)
        b = shop_result_json(best);
    cl_vm_free(vm);
    if (b == NULL) {
        json_decref(list);
        svc_error(resp, 422, "evaluation_failed", "%s", err.message);
        return;
    }
    size_t i;
    json_t *rej = json_object_get(b, "rejected"), *r;
    json_array_foreach(rej, i, r) json_object_set_new(r, "reasons", shop_shopper_reasons(r));
    /* the codes refused before evaluation are rejected too, as entered */
    for (size_t k = 0; k < codes->n; k++) {
        const shop_entry *e = &codes->e[k];
        if (e->kind != SHOP_CODE_COUPON && e->kind != SHOP_CODE_GENERATED)
            json_array_append_new(rej, json_pack("{s:s, s:o}", "code", e->entered, "reasons",
                                                 shop_entry_reasons(e)));
    }
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
    const char *detail = NULL;
    shop_catalog *cat = shop_catalog_get(pg, &detail);
    shop_order order = {0};
    cl_context *ctx = cl_context_new(shop_env());
    json_t *cj = NULL, *ccodes = NULL;
    shop_codes entries;
    char state[6] = "";
    if (cat == NULL || ctx == NULL || predict_order(pg, req->who.id, &order) != 0 ||
        shop_resolve_codes(pg, cat, codes, false, &entries, state) != 0) {
        svc_unavailable(resp, "the coupon store", detail ? detail : state);
        goto done;
    }
    ccodes = shop_context_codes(&entries);
    cj = shop_context(&req->who, cart, ccodes, payment, shipping, &order);
    char *text = json_dumps(cj, JSON_COMPACT);
    cl_error err;
    cl_status st = text ? cl_context_parse(ctx, text, strlen(text), &err) : CL_ENOMEM;
    free(text);
    if (st != CL_OK) {
        svc_error(resp, 422, "bad_context", "the checkout cannot be priced: %s", err.message);
        goto done;
    }
    json_t *ckeys = shop_candidate_keys(cat->prog, ccodes);
    int ur = shop_read_usage(pg, ctx, ckeys, req->who.id, false, state);
    json_decref(ckeys);
    if (ur != 0) {
        svc_unavailable(resp, "the coupon store", state);
        goto done;
    }
    evaluate(cat->prog, ctx, &entries, resp);
done:
    json_decref(ccodes);
    json_decref(cj);
    cl_context_free(ctx);
    shop_catalog_release(cat);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    json_decref(cart);
}

/* ------------------------------------------------------------------------
 * The console's tools: checking, trying and simulating a definition
 * ------------------------------------------------------------------------ */

/* The source of the active coupon code (the caller frees it), or NULL
 * having answered 404 or 503. */
static char *stored_source(const char *code, svc_resp *resp)
{
    char key[80];
    if (!shop_code_key(code, key, sizeof key)) {
        svc_error(resp, 404, "not_found", "no such coupon");
        return NULL;
    }
    PGconn *pg = svc_pool_get(pg_pool);
    if (pg == NULL) {
        svc_unavailable(resp, "the coupon store", "no connection");
        return NULL;
    }
    const char *v[1] = {key};
    PGresult *r = svc_pg_exec(pg, "SELECT source FROM coupons.coupons "
                                  "WHERE code_key = $1 AND active", 1, v, NULL);
    svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    char *src = NULL;
    if (r == NULL)
        svc_unavailable(resp, "the coupon store", "read failed");
    else if (PQntuples(r) == 0)
        svc_error(resp, 404, "not_found", "no such coupon");
    else if ((src = strdup(PQgetvalue(r, 0, 0))) == NULL)
        svc_error(resp, 500, "internal", "out of memory");
    PQclear(r);
    return src;
}

/* The definition a request names: its "source", or the stored source of
 * its "code" (exactly one of them; chk has read both). Returns the source
 * (*owned is the copy to free, or NULL) or NULL having answered. */
static const char *definition(svc_check *chk, const json_t *body, svc_resp *resp, char **owned)
{
    *owned = NULL;
    const char *src = svc_get_string(chk, body, "source", false, MAX_SOURCE);
    const char *code = svc_get_string(chk, body, "code", false, 64);
    if (!chk->failed && (src == NULL) == (code == NULL))
        svc_check_fail(chk, "give either \"source\" (a definition) or \"code\" (a saved coupon)");
    if (svc_check_done(chk, resp))
        return NULL;
    if (src != NULL)
        return src;
    return *owned = stored_source(code, resp);
}

/* POST /api/coupons/check {source}: compiles without saving. 200 either
 * way: {"ok": true, code, name, automatic, requirements} or {"ok": false,
 * "error": {message, status, line, column, path, text}}. */
static void check_coupon(svc_req *req, svc_resp *resp)
{
    const char *src = get_source(req, resp, NULL);
    if (src == NULL)
        return;
    json_t *e = NULL;
    cl_program *p = compile_source(src, &e);
    if (p == NULL) {
        svc_ok(resp, 200, json_pack("{s:b, s:o}", "ok", 0, "error", e));
        return;
    }
    json_t *reqs = outline_requirements(src, strlen(src), shop_cfg.currency, NULL, NULL);
    svc_ok(resp, 200, json_pack("{s:b, s:s, s:s, s:b, s:o}", "ok", 1, "code",
                                cl_program_code(p, 0), "name", cl_program_name(p, 0),
                                "automatic", cl_program_automatic(p, 0),
                                "requirements", reqs ? reqs : json_array()));
    cl_program_free(p);
}

/* Parses the context object cj into ctx, or answers 422 with where it is
 * wrong. */
static bool parse_context(cl_context *ctx, const json_t *cj, svc_resp *resp)
{
    char *text = json_dumps(cj, JSON_COMPACT);
    cl_error err;
    cl_status st = text ? cl_context_parse(ctx, text, strlen(text), &err) : CL_ENOMEM;
    free(text);
    if (st == CL_ENOMEM) {
        svc_error(resp, 500, "internal", "out of memory");
        return false;
    }
    if (st != CL_OK) {
        svc_error_with(resp, 422, "bad_context", json_pack("{s:s, s:s}", "status",
                                                           cl_status_name(err.code), "path",
                                                           err.path),
                       "the context is not valid: %s", err.message);
        return false;
    }
    return true;
}

/* POST /api/coupons/evaluate {source | code, context, entered?}: what the
 * definition gives on one checkout context (SPEC section 3): the result
 * (SPEC section 5, the discount per line) and every requirement, met or
 * not. "entered" honours the context's codes; without it the coupon is
 * evaluated as if its code had been entered. Nothing is saved or counted. */
static void evaluate_coupon(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"source", "code", "context", "entered", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const json_t *cj = svc_get_object(&chk, req->json, "context", true);
    int entered = svc_get_bool(&chk, req->json, "entered", 0);
    char *owned;
    const char *src = definition(&chk, req->json, resp, &owned);
    if (src == NULL)
        return;
    cl_program *p = compile_one(src, resp);
    cl_context *ctx = p ? cl_context_new(shop_env()) : NULL;
    cl_vm *vm = ctx ? cl_vm_new(shop_env()) : NULL;
    if (p != NULL && vm == NULL) {
        svc_error(resp, 500, "internal", "out of memory");
    } else if (p != NULL && parse_context(ctx, cj, resp)) {
        const cl_result *res;
        cl_error err;
        if (cl_vm_eval(vm, p, ctx, entered ? CL_EVAL_ENTERED : 0, &res, &err) != CL_OK) {
            svc_error(resp, 422, "evaluation_failed", "%s", err.message);
        } else {
            json_t *arr = shop_result_json(res);
            json_t *o = json_incref(json_array_get(arr, 0));
            json_decref(arr);
            json_t *reqs = outline_requirements(src, strlen(src), shop_cfg.currency, NULL, NULL);
            json_t *judged = o && reqs ? outline_judge(reqs, o) : NULL;
            json_decref(reqs);
            char sub[32], ship[32];
            cl_amount_format(cl_result_total(res, CL_TOTAL_SUBTOTAL), cl_result_currency(res),
                             sub, sizeof sub);
            cl_amount_format(cl_result_total(res, CL_TOTAL_SHIPPING), cl_result_currency(res),
                             ship, sizeof ship);
            if (o == NULL || judged == NULL) {
                json_decref(o);
                json_decref(judged);
                svc_error(resp, 500, "internal", "out of memory");
            } else {
                svc_ok(resp, 200, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "code",
                                            cl_program_code(p, 0), "name", cl_program_name(p, 0),
                                            "subtotal", sub, "shipping", ship, "result", o,
                                            "requirements", judged));
            }
        }
    }
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    free(owned);
}

/* A "YYYY-MM-DD" date of the body that exists, or NULL. */
static const char *get_date(svc_check *chk, const json_t *body, const char *key)
{
    const char *s = svc_get_string(chk, body, key, false, 10);
    if (s == NULL || chk->failed)
        return NULL;
    int y, m, d;
    char tail;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool ok = strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
              sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && y >= 1970 && y <= 9999 &&
              m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] &&
              !(m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
    if (!ok)
        svc_check_fail(chk, "\"%s\" must be a date such as \"2026-11-28\"", key);
    return ok ? s : NULL;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

#define SIM_BATCH 1000
#define SIM_DEFAULT 100000
#define SIM_MAX 1000000

/* POST /api/coupons/simulate {source | code, view?, entered?, from?,
 * until?, limit?, include_cancelled?}: replays the checkout contexts of
 * the recorded orders (the newest `limit` placed between `from` and
 * `until`, local dates of the shop) against the definition with cl_sim and
 * answers its report (docs/simulation.md) with what was replayed. */
static void simulate(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"source", "code", "view", "entered", "from", "until",
                                       "limit", "include_cancelled", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const char *view = svc_get_string(&chk, req->json, "view", false, 8);
    int entered = svc_get_bool(&chk, req->json, "entered", 0);
    const char *from = get_date(&chk, req->json, "from");
    const char *until = get_date(&chk, req->json, "until");
    long long limit = svc_get_int(&chk, req->json, "limit", false, SIM_DEFAULT, 1, SIM_MAX);
    int cancelled = svc_get_bool(&chk, req->json, "include_cancelled", 0);
    unsigned flags = 0;
    if (view == NULL || strcmp(view, "eval") == 0)
        flags = CL_SIM_EVAL;
    else if (strcmp(view, "best") == 0)
        flags = CL_SIM_BEST;
    else if (strcmp(view, "both") == 0)
        flags = CL_SIM_EVAL | CL_SIM_BEST;
    else
        svc_check_fail(&chk, "\"view\" must be eval, best or both");
    if (from && until && strcmp(from, until) > 0)
        svc_check_fail(&chk, "\"from\" is after \"until\"");
    if (entered)
        flags |= CL_EVAL_ENTERED;
    char *owned;
    const char *src = definition(&chk, req->json, resp, &owned);
    if (src == NULL)
        return;
    cl_program *p = compile_one(src, resp);
    if (p == NULL) {
        free(owned);
        return;
    }
    cl_error err;
    cl_sim *sim = cl_sim_new(shop_env(), p, flags, &err);
    PGconn *pg = sim ? svc_pool_get(pg_pool) : NULL;
    long long replayed = 0, errors_seen = 0;
    char last[24] = "";
    svc_text out = {0};
    if (sim == NULL || cl_sim_set_currency(sim, shop_cfg.currency) != CL_OK) {
        svc_error(resp, 500, "internal", "the simulation could not start: %s",
                  sim ? "bad currency" : err.message);
        goto done;
    }
    if (pg == NULL) {
        svc_unavailable(resp, "the order store", "no connection");
        goto done;
    }
    double t0 = now_ms();
    while (replayed < limit) {
        char n[24];
        snprintf(n, sizeof n, "%lld", limit - replayed < SIM_BATCH ? limit - replayed : SIM_BATCH);
        const char *v[6] = {last[0] ? last : NULL, cancelled ? "t" : "f", from, until,
                            shop_cfg.timezone, n};
        /* newest first, a batch at a time from below the last id seen: an
         * index range scan each (a condition "$1 IS NULL OR id < $1" would
         * scan the rows already seen again, every batch) */
        char sql[640];
        snprintf(sql, sizeof sql, "SELECT id, context::text FROM checkout.orders "
                 "WHERE %s (status = 'placed' OR $2) "
                 "AND ($3::date IS NULL OR "
                 "created_at >= $3::date::timestamp AT TIME ZONE $5) "
                 "AND ($4::date IS NULL OR "
                 "created_at < ($4::date + 1)::timestamp AT TIME ZONE $5) "
                 "ORDER BY id DESC LIMIT $6::bigint",
                 last[0] ? "id < $1::bigint AND" : "$1::bigint IS NULL AND");
        PGresult *r = svc_pg_exec(pg, sql, 6, v, NULL);
        if (r == NULL) {
            svc_unavailable(resp, "the order store", "read failed");
            goto done;
        }
        int rows = PQntuples(r);
        for (int i = 0; i < rows; i++) {
            const char *text = PQgetvalue(r, i, 1);
            cl_status st = cl_sim_add_json(sim, text, (size_t)PQgetlength(r, i, 1), &err);
            if (st == CL_ENOMEM) {
                PQclear(r);
                svc_error(resp, 500, "internal", "out of memory");
                goto done;
            }
            if (st != CL_OK && errors_seen++ < 3)
                svc_log("simulate: order %s refused: %s", PQgetvalue(r, i, 0), err.message);
        }
        if (rows > 0)
            snprintf(last, sizeof last, "%s", PQgetvalue(r, rows - 1, 0));
        replayed += rows;
        PQclear(r);
        if (rows < SIM_BATCH)
            break;
    }
    double ms = now_ms() - t0;
    json_t *report = NULL;
    if (cl_sim_write_json(sim, svc_text_append, &out) == CL_OK && out.buf != NULL)
        report = json_loadb(out.buf, out.len, 0, NULL);
    if (report == NULL) {
        svc_error(resp, 500, "internal", "out of memory");
        goto done;
    }
    json_object_set_new(report, "replay",
                        json_pack("{s:I, s:I, s:o, s:o, s:b, s:i}", "orders",
                                  (json_int_t)replayed, "limit", (json_int_t)limit, "from",
                                  from ? json_string(from) : json_null(), "until",
                                  until ? json_string(until) : json_null(), "include_cancelled",
                                  cancelled, "elapsed_ms", (int)(ms + 0.5)));
    svc_ok(resp, 200, report);
done:
    free(out.buf);
    if (pg != NULL)
        svc_pool_put(pg_pool, pg, svc_pg_broken(pg));
    cl_sim_free(sim);
    cl_program_free(p);
    free(owned);
}

static const svc_route routes[] = {
    {"GET", "/api/coupons", SVC_ADMIN, list_coupons},
    {"POST", "/api/coupons", SVC_ADMIN, create_coupon},
    {"POST", "/api/coupons/validate", SVC_CUSTOMER, validate},
    {"POST", "/api/coupons/check", SVC_ADMIN, check_coupon},
    {"POST", "/api/coupons/evaluate", SVC_ADMIN, evaluate_coupon},
    {"POST", "/api/coupons/simulate", SVC_ADMIN, simulate},
    {"GET", "/api/coupons/{}", SVC_ADMIN, get_coupon},
    {"PUT", "/api/coupons/{}", SVC_ADMIN, update_coupon},
    {"DELETE", "/api/coupons/{}", SVC_ADMIN, delete_coupon},
    {"GET", "/api/coupons/{}/versions", SVC_ADMIN, list_versions},
    {"POST", "/api/coupons/{}/codes", SVC_ADMIN, generate_codes},
    {"GET", "/api/coupons/{}/codes", SVC_ADMIN, download_codes},
    {"GET", "/api/coupons/{}/batches", SVC_ADMIN, list_batches},
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
