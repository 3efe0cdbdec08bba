/*
 * auth - registration, log-in and access tokens.
 *
 * Users live in PostgreSQL (schema auth); passwords are hashed with
 * Argon2id (libsodium's crypto_pwhash_str). A log-in returns an RS256 JWT
 * signed with this service's private key; its header names the key id, so
 * keys can be rotated by publishing the new public key to every service
 * (JWT_PUBLIC_KEYS) before signing with it.
 *
 *   POST /api/auth/register        {email, password, name?, birthday?}
 *   POST /api/auth/login           {email, password}
 *   GET  /api/auth/me              the caller's profile
 *   GET  /api/auth/keys            the public keys, by kid
 *   PUT  /api/auth/users/{id}/tags {tags}      (admin)
 *
 * Environment: PG_URL, AUTH_PRIVATE_KEY (PEM path), AUTH_KID,
 * AUTH_TOKEN_TTL (seconds, default 900), JWT_ISSUER, JWT_AUDIENCE,
 * JWT_PUBLIC_KEYS, AUTH_PWHASH_OPS / AUTH_PWHASH_MEM (Argon2id cost;
 * libsodium's "interactive" by default), AUTH_ADMIN_EMAIL and
 * AUTH_ADMIN_PASSWORD (an admin created at start-up when missing).
 */
#include "svc.h"

#include <ctype.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    svc_pool *pg;
    char *private_pem;
    size_t private_len;
    char kid[64];
    long ttl;
    unsigned long long ops;
    size_t mem;
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified against for unknown emails */
} A;

static const char USER_COLS[] =
    "id, email, role, name, coalesce(birthday::text, ''), signup_date::text, "
    "array_to_json(tags)::text";

/* The user of row i of r (columns USER_COLS) as JSON. */
static json_t *user_json(PGresult *r, int i)
{
    json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", PQgetvalue(r, i, 0), "email",
                          PQgetvalue(r, i, 1), "role", PQgetvalue(r, i, 2), "name",
                          PQgetvalue(r, i, 3), "signup_date", PQgetvalue(r, i, 5));
    if (PQgetvalue(r, i, 4)[0])
        json_object_set_new(u, "birthday", json_string(PQgetvalue(r, i, 4)));
    json_t *tags = json_loads(PQgetvalue(r, i, 6), 0, NULL);
    json_object_set_new(u, "tags", json_is_array(tags) ? tags : json_array());
    if (!json_is_array(tags))
        json_decref(tags);
    return u;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

/* Lower-cases a plausible email address into out, or returns false. */
static bool normal_email(const char *in, char *out, size_t size)
{
    size_t n = strlen(in);
    const char *at = strchr(in, '@');
    if (n < 3 || n >= size || n > 254 || at == NULL || at == in || at[1] == '\0' ||
        strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
        return false;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (i < n && (c <= ' ' || c >= 0x7f))
            return false;
        out[i] = (char)tolower(c);
    }
    return true;
}

/* The characters of a UTF-8 string (jansson's strings are valid UTF-8):
 * its bytes that do not continue a character. The API's lengths count
 * characters, as JSON Schema's minLength does. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool iso_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* ------------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------------ */

/* A signed access token for row i of r (columns USER_COLS), or NULL. */
static char *issue(PGresult *r, int i)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return NULL;
    long now = (long)time(NULL);
    unsigned char rnd[16];
    char jti[33];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(jti, sizeof jti, rnd, sizeof rnd);
    int bad = 0;
    bad |= jwt_add_grant(jwt, "iss", svc_env("JWT_ISSUER", "couponlib-auth"));
    bad |= jwt_add_grant(jwt, "aud", svc_env("JWT_AUDIENCE", "couponlib-shop"));
    bad |= jwt_add_grant(jwt, "sub", PQgetvalue(r, i, 0));
    bad |= jwt_add_grant(jwt, "email", PQgetvalue(r, i, 1));
    bad |= jwt_add_grant(jwt, "role", PQgetvalue(r, i, 2));
    if (PQgetvalue(r, i, 4)[0])
        bad |= jwt_add_grant(jwt, "birthday", PQgetvalue(r, i, 4));
    bad |= jwt_add_grant(jwt, "signup_date", PQgetvalue(r, i, 5));
    bad |= jwt_add_grant(jwt, "jti", jti);
    bad |= jwt_add_grant_int(jwt, "iat", now);
    bad |= jwt_add_grant_int(jwt, "nbf", now);
    bad |= jwt_add_grant_int(jwt, "exp", now + A.ttl);
    json_t *arr = json_loads(PQgetvalue(r, i, 6), 0, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        arr = json_array();
    }
    json_t *tags = json_pack("{s:o}", "tags", arr);
    char *tj = json_dumps(tags, JSON_COMPACT);
    json_decref(tags);
    bad |= tj ? jwt_add_grants_json(jwt, tj) : 1;
    free(tj);
    bad |= jwt_add_header(jwt, "kid", A.kid);
    bad |= jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)A.private_pem,
                       (int)A.private_len);
    char *tok = bad ? NULL : jwt_encode_str(jwt);
    jwt_free(jwt);
    return tok;
}

/* ------------------------------------------------------------------------
 * Handlers
 * ------------------------------------------------------------------------ */

static void do_register(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"email", "password", "name", "birthday", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const char *email = svc_get_string(&chk, req->json, "email", true, 254);
    const char *pw = svc_get_string(&chk, req->json, "password", true, 256);
    const char *name = svc_get_string(&chk, req->json, "name", false, 200);
    const char *bday = svc_get_string(&chk, req->json, "birthday", false, 10);
    char em[256];
    if (!chk.failed && !normal_email(email, em, sizeof em))
        svc_check_fail(&chk, "\"email\" is not an email address");
    if (!chk.failed && utf8_chars(pw) < 8)
        svc_check_fail(&chk, "\"password\" must have at least 8 characters");
    if (!chk.failed && bday != NULL && !iso_date(bday))
        svc_check_fail(&chk, "\"birthday\" must be a date YYYY-MM-DD");
    if (svc_check_done(&chk, resp))
        return;

    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, pw, strlen(pw), A.ops, A.mem) != 0) {
        svc_error(resp, 503, "unavailable", "out of memory hashing the password");
        return;
    }
    PGconn *pg = svc_pool_get(A.pg);
    if (pg == NULL) {
        svc_unavailable(resp, "the user store", "no connection");
        return;
    }
    const char *v[4] = {em, hash, name ? name : "", bday};
    char state[6];
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO auth.users (email, password_hash, role, name, birthday) "
             "VALUES ($1, $2, 'customer', $3, $4::date) RETURNING %s", USER_COLS);
    PGresult *r = svc_pg_exec(pg, sql, 4, v, state);
    if (r != NULL) {
        svc_ok(resp, 201, user_json(r, 0));
        snprintf(resp->location, sizeof resp->location, "/api/auth/users/%s",
                 PQgetvalue(r, 0, 0));
        PQclear(r);
    } else if (strcmp(state, "23505") == 0) {
        svc_error(resp, 409, "conflict", "this email is already registered");
    } else if (strncmp(state, "22", 2) == 0) {
        svc_error(resp, 400, "bad_request", "\"birthday\" is not a valid date");
    } else {
        svc_unavailable(resp, "the user store", state);
    }
    svc_pool_put(A.pg, pg, svc_pg_broken(pg));
}

static void do_login(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"email", "password", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const char *email = svc_get_string(&chk, req->json, "email", true, 254);
    const char *pw = svc_get_string(&chk, req->json, "password", true, 256);
    if (svc_check_done(&chk, resp))
        return;
    char em[256];
    if (!normal_email(email, em, sizeof em))
        em[0] = '\0';
    PGconn *pg = svc_pool_get(A.pg);
    if (pg == NULL) {
        svc_unavailable(resp, "the user store", "no connection");
        return;
    }
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s, password_hash FROM auth.users WHERE email = $1",
             USER_COLS);
    const char *v[1] = {em};
    PGresult *r = svc_pg_exec(pg, sql, 1, v, NULL);
    svc_pool_put(A.pg, pg, svc_pg_broken(pg));
    if (r == NULL) {
        svc_unavailable(resp, "the user store", "query failed");
        return;
    }
    bool found = PQntuples(r) == 1;
    /* An unknown email costs the same hash verification as a known one. */
    const char *hash = found ? PQgetvalue(r, 0, 7) : A.dummy_hash;
    bool ok = crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 && found;
    if (!ok) {
        PQclear(r);
        svc_error(resp, 401, "unauthorized", "wrong email or password");
        return;
    }
    char *tok = issue(r, 0);
    if (tok == NULL) {
        PQclear(r);
        svc_error(resp, 500, "internal", "the token could not be signed");
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:i, s:o}", "access_token", tok, "token_type", "Bearer",
                             "expires_in", (int)A.ttl, "user", user_json(r, 0));
    free(tok);
    PQclear(r);
    svc_ok(resp, 200, body);
}

static void do_me(svc_req *req, svc_resp *resp)
{
    PGconn *pg = svc_pool_get(A.pg);
    if (pg == NULL) {
        svc_unavailable(resp, "the user store", "no connection");
        return;
    }
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM auth.users WHERE id = $1", USER_COLS);
    const char *v[1] = {req->who.id};
    PGresult *r = svc_pg_exec(pg, sql, 1, v, NULL);
    svc_pool_put(A.pg, pg, svc_pg_broken(pg));
    if (r == NULL)
        svc_unavailable(resp, "the user store", "query failed");
    else if (PQntuples(r) == 0)
        svc_error(resp, 404, "not_found", "no such user");
    else
        svc_ok(resp, 200, user_json(r, 0));
    PQclear(r);
}

static void do_keys(svc_req *req, svc_resp *resp)
{
    (void)req;
    json_t *keys = json_array();
    const char *spec = svc_env("JWT_PUBLIC_KEYS", "");
    char *copy = strdup(spec), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        char *pem = svc_read_file(eq + 1, NULL);
        if (pem != NULL)
            json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s}", "kid", t, "alg",
                                                  "RS256", "use", "sig", "pem", pem));
        free(pem);
    }
    free(copy);
    svc_ok(resp, 200, json_pack("{s:o}", "keys", keys));
}

static void do_tags(svc_req *req, svc_resp *resp)
{
    static const char *const keys[] = {"tags", NULL};
    svc_check chk = {0};
    svc_check_object(&chk, req->json, "body", keys);
    const json_t *tags = svc_get_strings(&chk, req->json, "tags", true, 50, 64);
    if (svc_check_done(&chk, resp))
        return;
    char *t = json_dumps(tags, JSON_COMPACT);
    PGconn *pg = t ? svc_pool_get(A.pg) : NULL;
    if (pg == NULL) {
        free(t);
        svc_unavailable(resp, "the user store", "no connection");
        return;
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE auth.users SET tags = ARRAY(SELECT json_array_elements_text($2::json)) "
             "WHERE id = $1 RETURNING %s", USER_COLS);
    const char *v[2] = {req->params[0], t};
    PGresult *r = svc_pg_exec(pg, sql, 2, v, NULL);
    svc_pool_put(A.pg, pg, svc_pg_broken(pg));
    free(t);
    if (r == NULL)
        svc_unavailable(resp, "the user store", "query failed");
    else if (PQntuples(r) == 0)
        svc_error(resp, 404, "not_found", "no such user");
    else
        svc_ok(resp, 200, user_json(r, 0));
    PQclear(r);
}

/* ------------------------------------------------------------------------
 * Start-up
 * ------------------------------------------------------------------------ */

/* Creates the admin of AUTH_ADMIN_EMAIL / AUTH_ADMIN_PASSWORD when missing. */
static int bootstrap_admin(void)
{
    const char *email = svc_env("AUTH_ADMIN_EMAIL", NULL);
    const char *pw = svc_env("AUTH_ADMIN_PASSWORD", NULL);
    if (email == NULL || pw == NULL)
        return 0;
    char em[256], hash[crypto_pwhash_STRBYTES];
    if (!normal_email(email, em, sizeof em) ||
        crypto_pwhash_str(hash, pw, strlen(pw), A.ops, A.mem) != 0) {
        svc_log("AUTH_ADMIN_EMAIL is not an email address");
        return -1;
    }
    PGconn *pg = svc_pool_get(A.pg);
    if (pg == NULL)
        return -1;
    const char *v[2] = {em, hash};
    PGresult *r = svc_pg_exec(pg, "INSERT INTO auth.users (email, password_hash, role, name) "
                                  "VALUES ($1, $2, 'admin', 'Administrator') "
                                  "ON CONFLICT (email) DO NOTHING", 2, v, NULL);
    svc_pool_put(A.pg, pg, svc_pg_broken(pg));
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static const svc_route routes[] = {
    {"POST", "/api/auth/register", SVC_PUBLIC, do_register},
    {"POST", "/api/auth/login", SVC_PUBLIC, do_login},
    {"GET", "/api/auth/me", SVC_CUSTOMER, do_me},
    {"GET", "/api/auth/keys", SVC_PUBLIC, do_keys},
    {"PUT", "/api/auth/users/{}/tags", SVC_ADMIN, do_tags},
    {NULL, NULL, 0, NULL},
};

int main(void)
{
    if (svc_init() != 0)
        return 1;
    const char *keypath = svc_env("AUTH_PRIVATE_KEY", NULL);
    snprintf(A.kid, sizeof A.kid, "%s", svc_env("AUTH_KID", "k1"));
    A.ttl = svc_env_long("AUTH_TOKEN_TTL", 900, 10, 86400);
    A.ops = (unsigned long long)svc_env_long("AUTH_PWHASH_OPS", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                             1, 100);
    A.mem = (size_t)svc_env_long("AUTH_PWHASH_MEM", (long)crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                 8192, 1L << 30);
    A.private_pem = keypath ? svc_read_file(keypath, &A.private_len) : NULL;
    if (A.private_pem == NULL) {
        svc_log("auth: AUTH_PRIVATE_KEY must name a readable RSA private key (PEM)");
        return 1;
    }
    if (crypto_pwhash_str(A.dummy_hash, "no such user", 12, A.ops, A.mem) != 0)
        return 1;
    A.pg = svc_pg_pool(svc_env("PG_URL", "postgresql://shop@127.0.0.1:5432/shop"));
    if (A.pg == NULL || bootstrap_admin() != 0) {
        svc_log("auth: cannot reach PostgreSQL to create the admin");
        return 1;
    }
    int rc = svc_run("auth", routes, 8481, 16 * 1024);
    svc_pool_free(A.pg);
    sodium_memzero(A.private_pem, A.private_len);
    free(A.private_pem);
    svc_done();
    return rc;
}
