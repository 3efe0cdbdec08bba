/*
 * catalog - products and the category tree, in MongoDB (FerretDB here),
 * reached through libmongoc exactly as a real MongoDB. Products are
 * documents with free-form attributes; admins write, anyone reads.
 *
 *   GET    /api/catalog/products?q=&category=&tag=&limit=&offset=
 *   GET    /api/catalog/products/{sku}
 *   PUT    /api/catalog/products/{sku}   {name, price, categories?, tags?, on_sale?,
 *                                         description?, attributes?}        (admin)
 *   DELETE /api/catalog/products/{sku}                                      (admin)
 *   GET    /api/catalog/categories       the tree
 *   POST   /api/catalog/categories       {path, name}                       (admin)
 *   DELETE /api/catalog/categories?path=                                    (admin)
 *
 * Environment: MONGO_URL (default mongodb://127.0.0.1:27017), MONGO_DB
 * (default shop), SHOP_CURRENCY (prices are in it).
 */
#include "svc.h"

#include <couponlib/couponlib.h>
#include <ctype.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    mongoc_client_pool_t *pool;
    char db[64];
    char currency[4];
} C;

/* ------------------------------------------------------------------------
 * BSON <-> JSON
 * ------------------------------------------------------------------------ */

static json_t *doc_json(const bson_t *doc)
{
    size_t len;
    char *s = bson_as_relaxed_extended_json(doc, &len);
    json_t *v = s ? json_loadb(s, len, 0, NULL) : NULL;
    bson_free(s);
    if (json_is_object(v))
        json_object_del(v, "_id");
    return v;
}

static bson_t *json_doc(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    if (s == NULL)
        return NULL;
    bson_error_t e;
    bson_t *b = bson_new_from_json((const uint8_t *)s, (ssize_t)strlen(s), &e);
    if (b == NULL)
        svc_log("catalog: bson: %s", e.message);
    free(s);
    return b;
}

/* A collection of a pooled client; the caller gives both back. */
static mongoc_collection_t *coll(const char *name, mongoc_client_t **client)
{
    *client = mongoc_client_pool_pop(C.pool);
    return *client ? mongoc_client_get_collection(*client, C.db, name) : NULL;
}

static void give_back(mongoc_client_t *client, mongoc_collection_t *c)
{
    if (c)
        mongoc_collection_destroy(c);
    if (client)
        mongoc_client_pool_push(C.pool, client);
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

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

/* "electronics/tv": lower-case segments of letters, digits and '-'. */
static bool path_ok(const char *s)
{
    size_t n = strlen(s), seg = 0;
    if (n == 0 || n > 200)
        return false;
    for (; *s; s++) {
        if (*s == '/') {
            if (seg == 0)
                return false;
            seg = 0;
        } else if (islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-') {
            seg++;
        } else {
            return false;
        }
    }
    return seg > 0;
}

/* Keys MongoDB would refuse or read as operators, and arrays in arrays,
 * which FerretDB (the catalog store here) does not store. */
static bool attrs_ok(const json_t *v, int depth, char *why, size_t size)
{
    if (depth > 8) {
        snprintf(why, size, "\"attributes\" nests too deeply");
        return false;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (k[0] == '\0' || k[0] == '$' || strchr(k, '.') != NULL) {
                snprintf(why, size, "attribute key \"%.40s\" may not be empty, start with $ "
                         "or contain a dot", k);
                return false;
            }
            if (!attrs_ok(x, depth + 1, why, size))
                return false;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_array(x)) {
                snprintf(why, size, "\"attributes\" may not hold an array in an array");
                return false;
            }
            if (!attrs_ok(x, depth + 1, why, size))
                return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Products
 * ------------------------------------------------------------------------ */

static char *regex_escape(const char *s)
{
    char *out = malloc(2 * strlen(s) + 1), *p = out;
    if (out == NULL)
        return NULL;
    for (; *s; s++) {
        if (strchr("\\^$.|?*+()[]{}", *s))
            *p++ = '\\';
        *p++ = *s;
    }
    *p = '\0';
    return out;
}

static void list_products(svc_req *req, svc_resp *resp)
{
    const char *q = svc_query(req, "q"), *cat = svc_query(req, "category");
    const char *tag = svc_query(req, "tag"), *lim = svc_query(req, "limit");
    const char *off = svc_query(req, "offset");
    long limit = 50, offset = 0;
    char *end;
    if (lim && ((limit = strtol(lim, &end, 10)) < 1 || limit > 200 || *end || !*lim)) {
        svc_error(resp, 400, "bad_request", "\"limit\" must be an integer from 1 to 200");
        return;
    }
    if (off && ((offset = strtol(off, &end, 10)) < 0 || offset > 1000000 || *end || !*off)) {
        svc_error(resp, 400, "bad_request", "\"offset\" must be an integer from 0 to 1000000");
        return;
    }
    if ((q && strlen(q) > 100) || (tag && strlen(tag) > 64)) {
        svc_error(resp, 400, "bad_request", "\"q\" or \"tag\" is too long");
        return;
    }
    if (cat && !path_ok(cat)) {
        svc_error(resp, 400, "bad_request", "\"category\" must be a path such as electronics/tv");
        return;
    }
    json_t *all = json_array();
    if (q && *q) {
        char *rx = regex_escape(q);
        json_array_append_new(all, json_pack("{s:{s:s, s:s}}", "name", "$regex", rx ? rx : "",
                                             "$options", "i"));
        free(rx);
    }
    if (cat) {
        char *rx = regex_escape(cat), pat[512];
        snprintf(pat, sizeof pat, "^%s/", rx ? rx : "");
        free(rx);
        json_array_append_new(all, json_pack("{s:[{s:s}, {s:{s:s}}]}", "$or", "categories", cat,
                                             "categories", "$regex", pat));
    }
    if (tag)
        json_array_append_new(all, json_pack("{s:s}", "tags", tag));
    json_t *filter = json_array_size(all) ? json_pack("{s:o}", "$and", all) : json_object();
    if (!json_array_size(all))
        json_decref(all);
    bson_t *bf = json_doc(filter);
    json_decref(filter);
    bson_t *opts = BCON_NEW("sort", "{", "sku", BCON_INT32(1), "}", "limit", BCON_INT64(limit),
                            "skip", BCON_INT64(offset));
    mongoc_client_t *client;
    mongoc_collection_t *c = coll("products", &client);
    if (c == NULL || bf == NULL) {
        bson_destroy(bf);
        bson_destroy(opts);
        give_back(client, c);
        svc_unavailable(resp, "the catalog store", "no client");
        return;
    }
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, bf, opts, NULL);
    json_t *items = json_array();
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        json_t *p = doc_json(doc);
        if (p)
            json_array_append_new(items, p);
    }
    bson_error_t err;
    bool failed = mongoc_cursor_error(cur, &err);
    mongoc_cursor_destroy(cur);
    bson_destroy(bf);
    bson_destroy(opts);
    give_back(client, c);
    if (failed) {
        json_decref(items);
        svc_unavailable(resp, "the catalog store", err.message);
        return;
    }
    svc_ok(resp, 200, json_pack("{s:I, s:I, s:o}", "limit", (json_int_t)limit, "offset",
                                (json_int_t)offset, "items", items));
}

static void get_product(svc_req *req, svc_resp *resp)
{
    const char *sku = req->params[0];
    if (!sku_ok(sku)) {
        svc_error(resp, 404, "not_found", "no such product");
        return;
    }
    bson_t *f = BCON_NEW("_id", BCON_UTF8(sku));
    mongoc_client_t *client;
    mongoc_collection_t *c = coll("products", &client);
    if (c == NULL) {
        bson_destroy(f);
        give_back(client, c);
        svc_unavailable(resp, "the catalog store", "no client");
        return;
    }
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, f, NULL, NULL);
    const bson_t *doc;
    json_t *p = NULL;
    if (mongoc_cursor_next(cur, &doc))
        p = doc_json(doc);
    bson_error_t err;
    bool failed = mongoc_cursor_error(cur, &err);
    mongoc_cursor_destroy(cur);
    bson_destroy(f);
    give_back(client, c);
    if (failed)
        svc_unavailable(resp, "the catalog store", err.message);
    else if (p == NULL)
        svc_error(resp, 404, "not_found", "no such product");
    else
        svc_ok(resp, 200, p);
}

static void put_product(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"name", "price", "categories", "tags", "on_sale",
                                       "description", "attributes", NULL};
    const char *sku = req->params[0];
    svc_check chk = {0};
    if (!sku_ok(sku))
        svc_check_fail(&chk, "a SKU is 1 to 64 letters, digits, - or _");
    svc_check_object(&chk, req->json, "body", keys);
    const char *name = svc_get_string(&chk, req->json, "name", true, 200);
    const char *price = svc_get_string(&chk, req->json, "price", true, 32);
    const json_t *cats = svc_get_strings(&chk, req->json, "categories", false, 20, 200);
    const json_t *tags = svc_get_strings(&chk, req->json, "tags", false, 20, 64);
    int on_sale = svc_get_bool(&chk, req->json, "on_sale", 0);
    const char *desc = svc_get_string(&chk, req->json, "description", false, 2000);
    const json_t *attrs = svc_get_object(&chk, req->json, "attributes", false);
    int64_t minor = 0;
    if (!chk.failed && name[0] == '\0')
        svc_check_fail(&chk, "\"name\" may not be empty");
    if (!chk.failed) {
        cl_status st = cl_amount_parse(price, strlen(price), C.currency, &minor);
        if (st != CL_OK || minor < 0)
            svc_check_fail(&chk, "\"price\" must be an amount of %s such as \"12.50\" (%s)",
                           C.currency, st != CL_OK ? cl_strerror(st) : "negative");
    }
    size_t i;
    json_t *v;
    json_array_foreach(cats, i, v) {
        if (!chk.failed && !path_ok(json_string_value(v)))
            svc_check_fail(&chk, "\"categories\"[%zu] must be a path such as electronics/tv", i);
    }
    char why[128];
    if (!chk.failed && attrs && !attrs_ok(attrs, 0, why, sizeof why))
        svc_check_fail(&chk, "%s", why);
    if (svc_check_done(&chk, resp))
        return;

    char norm[32];
    cl_amount_format(minor, C.currency, norm, sizeof norm);
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:s}", "_id", sku, "sku", sku,
                          "name", name, "price", norm, "currency", C.currency, "categories",
                          cats ? json_deep_copy(cats) : json_array(), "tags",
                          tags ? json_deep_copy(tags) : json_array(), "on_sale", on_sale,
                          "description", desc ? desc : "");
    json_object_set_new(p, "attributes", attrs ? json_deep_copy(attrs) : json_object());
    bson_t *doc = json_doc(p);
    bson_t *sel = BCON_NEW("_id", BCON_UTF8(sku));
    bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
    mongoc_client_t *client;
    mongoc_collection_t *c = coll("products", &client);
    bson_error_t err;
    bool ok = c && doc && mongoc_collection_replace_one(c, sel, doc, opts, NULL, &err);
    give_back(client, c);
    bson_destroy(doc);
    bson_destroy(sel);
    bson_destroy(opts);
    if (!ok) {
        json_decref(p);
        svc_unavailable(resp, "the catalog store", c ? err.message : "no client");
        return;
    }
    json_object_del(p, "_id");
    svc_ok(resp, 200, p);
}

static void delete_by_id(svc_resp *resp, const char *collection, const char *id,
                         const char *what)
{
    bson_t *sel = BCON_NEW("_id", BCON_UTF8(id));
    bson_t reply;
    mongoc_client_t *client;
    mongoc_collection_t *c = coll(collection, &client);
    bson_error_t err;
    bool ok = c && mongoc_collection_delete_one(c, sel, NULL, &reply, &err);
    int64_t n = 0;
    bson_iter_t it;
    if (ok && bson_iter_init_find(&it, &reply, "deletedCount"))
        n = bson_iter_as_int64(&it);
    if (c)
        bson_destroy(&reply);
    give_back(client, c);
    bson_destroy(sel);
    if (!ok)
        svc_unavailable(resp, "the catalog store", c ? err.message : "no client");
    else if (n == 0)
        svc_error(resp, 404, "not_found", "no such %s", what);
    else
        svc_ok(resp, 204, NULL);
}

static void delete_product(svc_req *req, svc_resp *resp)
{
    if (!sku_ok(req->params[0])) {
        svc_error(resp, 404, "not_found", "no such product");
        return;
    }
    delete_by_id(resp, "products", req->params[0], "product");
}

/* ------------------------------------------------------------------------
 * Categories
 * ------------------------------------------------------------------------ */

/* Hangs node under the node of its parent path in index (path -> node). */
static void attach(json_t *roots, json_t *index, json_t *node)
{
    const char *path = json_string_value(json_object_get(node, "path"));
    const char *slash = strrchr(path, '/');
    json_t *parent = NULL;
    if (slash != NULL) {
        char up[256];
        snprintf(up, sizeof up, "%.*s", (int)(slash - path), path);
        parent = json_object_get(index, up);
    }
    json_array_append(parent ? json_object_get(parent, "children") : roots, node);
}

static void list_categories(svc_req *req, svc_resp *resp)
{
    (void)req;
    bson_t *f = bson_new();
    bson_t *opts = BCON_NEW("sort", "{", "path", BCON_INT32(1), "}");
    mongoc_client_t *client;
    mongoc_collection_t *c = coll("categories", &client);
    if (c == NULL) {
        bson_destroy(f);
        bson_destroy(opts);
        give_back(client, c);
        svc_unavailable(resp, "the catalog store", "no client");
        return;
    }
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, f, opts, NULL);
    json_t *roots = json_array(), *index = json_object();
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        json_t *d = doc_json(doc);
        const char *path = json_string_value(json_object_get(d, "path"));
        if (path != NULL) {
            json_t *node = json_pack("{s:s, s:O?, s:[]}", "path", path, "name",
                                     json_object_get(d, "name"), "children");
            attach(roots, index, node);
            json_object_set_new(index, path, node);
        }
        json_decref(d);
    }
    bson_error_t err;
    bool failed = mongoc_cursor_error(cur, &err);
    mongoc_cursor_destroy(cur);
    bson_destroy(f);
    bson_destroy(opts);
    give_back(client, c);
    json_decref(index);
    if (failed) {
        json_decref(roots);
        svc_unavailable(resp, "the catalog store", err.message);
        return;
    }
    svc_ok(resp, 200, json_pack("{s:o}", "categories", roots));
}

static void put_category(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"path", "name", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const char *path = svc_get_string(&chk, req->json, "path", true, 200);
    const char *name = svc_get_string(&chk, req->json, "name", true, 200);
    if (!chk.failed && !path_ok(path))
        svc_check_fail(&chk, "\"path\" must be lower-case segments such as electronics/tv");
    if (svc_check_done(&chk, resp))
        return;
    bson_t *sel = BCON_NEW("_id", BCON_UTF8(path));
    bson_t *doc = BCON_NEW("_id", BCON_UTF8(path), "path", BCON_UTF8(path), "name",
                           BCON_UTF8(name));
    bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
    mongoc_client_t *client;
    mongoc_collection_t *c = coll("categories", &client);
    bson_error_t err;
    bool ok = c && mongoc_collection_replace_one(c, sel, doc, opts, NULL, &err);
    give_back(client, c);
    bson_destroy(sel);
    bson_destroy(doc);
    bson_destroy(opts);
    if (!ok)
        svc_unavailable(resp, "the catalog store", c ? err.message : "no client");
    else
        svc_ok(resp, 200, json_pack("{s:s, s:s}", "path", path, "name", name));
}

static void delete_category(svc_req *req, svc_resp *resp)
{
    const char *path = svc_query(req, "path");
    if (path == NULL || !path_ok(path)) {
        svc_error(resp, 400, "bad_request", "\"path\" must be a path such as electronics/tv");
        return;
    }
    delete_by_id(resp, "categories", path, "category");
}

static const svc_route routes[] = {
    {"GET", "/api/catalog/products", SVC_PUBLIC, list_products},
    {"GET", "/api/catalog/products/{}", SVC_PUBLIC, get_product},
    {"PUT", "/api/catalog/products/{}", SVC_ADMIN, put_product},
    {"DELETE", "/api/catalog/products/{}", SVC_ADMIN, delete_product},
    {"GET", "/api/catalog/categories", SVC_PUBLIC, list_categories},
    {"POST", "/api/catalog/categories", SVC_ADMIN, put_category},
    {"DELETE", "/api/catalog/categories", SVC_ADMIN, delete_category},
    {NULL, NULL, 0, NULL},
};

int main(void)
{
    if (svc_init() != 0)
        return 1;
    mongoc_init();
    snprintf(C.db, sizeof C.db, "%s", svc_env("MONGO_DB", "shop"));
    snprintf(C.currency, sizeof C.currency, "%s", svc_env("SHOP_CURRENCY", "USD"));
    bson_error_t err;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(svc_env("MONGO_URL", "mongodb://127.0.0.1:27017"),
                                                  &err);
    if (uri == NULL) {
        svc_log("catalog: MONGO_URL: %s", err.message);
        return 1;
    }
    C.pool = mongoc_client_pool_new(uri);
    mongoc_uri_destroy(uri);
    mongoc_client_pool_set_error_api(C.pool, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_pool_set_appname(C.pool, "couponlib-catalog");
    int rc = svc_run("catalog", routes, 8482, 256 * 1024);
    mongoc_client_pool_destroy(C.pool);
    mongoc_cleanup();
    svc_done();
    return rc;
}
