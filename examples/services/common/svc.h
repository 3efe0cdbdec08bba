/*
 * svc.h - the glue every reference service shares, written once: an HTTP
 * server with a route table (libmicrohttpd), JSON bodies and typed field
 * checks (jansson), JWT access tokens (libjwt, with every claim checked
 * here), configuration from the environment, pools of PostgreSQL and Redis
 * connections, and calls to the other services (libcurl).
 *
 * A service is a route table and a main():
 *
 *     static const svc_route routes[] = {
 *         {"GET", "/api/cart", SVC_CUSTOMER, get_cart},
 *         {"PUT", "/api/cart/items/{}", SVC_CUSTOMER, put_item},
 *         {NULL, NULL, 0, NULL}
 *     };
 *     int main(void) { ...; return svc_run("cart", routes, &cfg); }
 *
 * A handler receives the parsed request (its JSON body already parsed and
 * the caller already authenticated to the route's level) and fills in the
 * response. Anything that goes wrong before the handler runs (unknown route,
 * bad method, body too large, malformed JSON, missing or bad token, wrong
 * role) is answered by this module with the error shape
 *
 *     {"error": {"code": "bad_request", "message": "..."}}
 *
 * No state is global except the configuration read once at start-up and the
 * process-wide library initialisations (curl, mongoc, sodium).
 */
#ifndef SVC_H
#define SVC_H

#include <jansson.h>
#include <libpq-fe.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SVC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SVC_PRINTF(a, b)
#endif

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

/* The value of environment variable name, or def when unset or empty. */
const char *svc_env(const char *name, const char *def);

/* An integer environment variable within [lo, hi]; def when unset. Exits
 * with a message when it is set to something else. */
long svc_env_long(const char *name, long def, long lo, long hi);

/* Process-wide start-up: libcurl, libsodium and the token keys
 * (svc_jwt_init). 0, or -1 with a message on stderr. svc_done undoes it. */
int svc_init(void);
void svc_done(void);

/* ------------------------------------------------------------------------
 * Authentication (JWT access tokens, RS256 only)
 * ------------------------------------------------------------------------ */

enum { SVC_PUBLIC = 0, SVC_CUSTOMER = 1, SVC_ADMIN = 2 };

/* Who made a request, from a verified token. */
typedef struct svc_user {
    char id[64];          /* "sub": the user id, e.g. "u-12" */
    char email[256];      /* "email" */
    char role[16];        /* "admin" or "customer" */
    char birthday[16];    /* "birthday" (YYYY-MM-DD) or "" */
    char signup[16];      /* "signup_date" (YYYY-MM-DD) or "" */
    json_t *tags;         /* "tags": an array of strings (owned; never NULL once verified) */
    bool admin;           /* role == "admin" */
} svc_user;

/* Loads the verification keys, issuer and audience from the environment:
 *   JWT_PUBLIC_KEYS  "kid=path.pem[,kid2=path2.pem...]" (RSA public keys)
 *   JWT_ISSUER       expected "iss" (default "couponlib-auth")
 *   JWT_AUDIENCE     expected in "aud" (default "couponlib-shop")
 *   JWT_LEEWAY       seconds of clock skew allowed on exp/nbf (default 30)
 * Returns 0, or -1 with a message on stderr. */
int svc_jwt_init(void);
void svc_jwt_done(void);

/* Verifies token (a compact JWS) and fills *who. The header's alg must be
 * exactly RS256 and its kid one of the configured keys; the signature must
 * verify with that key; exp, nbf, iss, aud, sub and role must be present and
 * right. Returns 0, or -1 with the reason in why (size bytes). On success
 * the caller frees who->tags (svc_user_clear). */
int svc_jwt_verify(const char *token, svc_user *who, char *why, size_t size);

void svc_user_clear(svc_user *who);

/* The PEM text of the file at path (NUL-terminated, malloc'ed) and its
 * length in *len, or NULL. */
char *svc_read_file(const char *path, size_t *len);

/* ------------------------------------------------------------------------
 * Requests, responses, routes
 * ------------------------------------------------------------------------ */

#define SVC_MAX_PARAMS 4

typedef struct svc_req {
    struct MHD_Connection *conn;
    const char *method;
    const char *url;                   /* the path, without the query */
    const char *params[SVC_MAX_PARAMS];/* the {} segments of the route, decoded */
    size_t nparams;
    const char *body;                  /* raw body (NUL-terminated) */
    size_t body_len;
    json_t *json;                      /* the body parsed, for POST/PUT/PATCH; else NULL */
    svc_user who;                      /* the caller when the route is not public */
    bool authed;                       /* who is filled in */
    const char *bearer;                /* the raw Authorization header value */
} svc_req;

typedef struct svc_resp {
    int status;
    json_t *body;                      /* owned by the response; NULL = no body */
    char *raw;                         /* a body that is not JSON (owned, malloc'ed);
                                          sent instead of body when set */
    size_t raw_len;
    char content_type[64];             /* of raw */
    char disposition[160];             /* Content-Disposition header, when set */
    char location[256];                /* Location header, when set */
    char retry_after[16];              /* Retry-After header, when set */
} svc_resp;

typedef void (*svc_handler)(svc_req *req, svc_resp *resp);

typedef struct svc_route {
    const char *method;                /* "GET", "POST", ... */
    const char *pattern;               /* "/api/cart/items/{}": {} matches one segment */
    int level;                         /* SVC_PUBLIC, SVC_CUSTOMER or SVC_ADMIN */
    svc_handler handler;
} svc_route;

/* Runs the HTTP server of service name on SVC_HOST:SVC_PORT (defaults
 * 127.0.0.1 and port) until SIGTERM or SIGINT, then returns 0 (1 when the
 * server could not start). Bodies above SVC_MAX_BODY bytes (default
 * max_body) get 413. GET /healthz and GET /api/<name>/healthz answer 200
 * without a token. */
int svc_run(const char *name, const svc_route *routes, int port, size_t max_body);

/* The value of query parameter key, or NULL. */
const char *svc_query(const svc_req *req, const char *key);

/* The value of request header name, or NULL. */
const char *svc_header(const svc_req *req, const char *name);

/* Responses. svc_ok takes ownership of body (may be NULL). svc_error
 * answers {"error": {"code": code, "message": ...}}; svc_error_with adds
 * the members of extra (owned) to the error object. */
void svc_ok(svc_resp *resp, int status, json_t *body);
/* Answers a body that is not JSON (a CSV download): takes ownership of buf
 * (malloc'ed, len bytes). */
void svc_ok_raw(svc_resp *resp, int status, const char *content_type, char *buf, size_t len);
void svc_error(svc_resp *resp, int status, const char *code, const char *fmt, ...)
    SVC_PRINTF(4, 5);
void svc_error_with(svc_resp *resp, int status, const char *code, json_t *extra,
                    const char *fmt, ...) SVC_PRINTF(5, 6);
/* 503: a backing store failed; the detail goes to the log, not the client. */
void svc_unavailable(svc_resp *resp, const char *what, const char *detail);

void svc_log(const char *fmt, ...) SVC_PRINTF(1, 2);

/* A growing text, and a cl_write_fn-shaped writer that appends to it: 0, or
 * 1 when out of memory. The text stays NUL-terminated; free(buf) frees it. */
typedef struct svc_text {
    char *buf;
    size_t len, cap;
} svc_text;
int svc_text_append(void *ud, const char *buf, size_t len);

/* ------------------------------------------------------------------------
 * Fault injection (the reliability tests)
 * ------------------------------------------------------------------------ */

/* SVC_FAULT="point=action[,point=action...]", read once by svc_init, makes
 * the process misbehave at named points so that the tests can kill it at
 * every step of a request:
 *
 *   kill       SIGKILL itself (as kill -9 would)
 *   exit       _exit(70) without cleaning up
 *   sleep:MS   pause MS milliseconds, then carry on
 *
 * Points are "<service>.<step>" (checkout.begin, checkout.claimed, ...; see
 * docs/RELIABILITY.md) and "<service>.sent", after a response has gone out.
 * Unset, as in production, svc_fault costs one test of a counter. */
void svc_fault(const char *point);

/* ------------------------------------------------------------------------
 * Typed fields of a JSON body
 * ------------------------------------------------------------------------ */

/* A checker collects the first problem of a body: the handler asks for each
 * field, then looks at chk.failed once. Every getter returns the value or
 * the default (NULL / def) when the field is absent or wrong; wrong types
 * and out-of-range values record a message naming the field. */
typedef struct svc_check {
    bool failed;
    char message[256];
} svc_check;

void svc_check_fail(svc_check *chk, const char *fmt, ...) SVC_PRINTF(2, 3);

/* obj must be an object whose keys are all among the NULL-terminated
 * list; what names it in messages ("body", "payment"). */
bool svc_check_object(svc_check *chk, const json_t *obj, const char *what, const char *const *keys);

const char *svc_get_string(svc_check *chk, const json_t *obj, const char *key, bool required,
                           size_t maxlen);
long long svc_get_int(svc_check *chk, const json_t *obj, const char *key, bool required,
                      long long def, long long lo, long long hi);
int svc_get_bool(svc_check *chk, const json_t *obj, const char *key, int def);
/* An array of at most max strings, each at most maxlen bytes; NULL when absent. */
const json_t *svc_get_strings(svc_check *chk, const json_t *obj, const char *key, bool required,
                              size_t max, size_t maxlen);
/* An object (validated by the caller); NULL when absent. */
const json_t *svc_get_object(svc_check *chk, const json_t *obj, const char *key, bool required);

/* Answers 400 with chk's message when chk failed; returns chk->failed. */
bool svc_check_done(svc_check *chk, svc_resp *resp);

/* ------------------------------------------------------------------------
 * Pools of PostgreSQL and Redis connections
 * ------------------------------------------------------------------------ */

/* A pool hands out connections, making them on demand, and keeps up to
 * max idle ones. Thread-safe. */
typedef struct svc_pool svc_pool;

svc_pool *svc_pool_new(void *(*open)(void *ud), void (*close)(void *conn), void *ud, size_t max);
void svc_pool_free(svc_pool *pool);
/* Bounds the pool: at most max_open connections at once (a caller waits up
 * to wait_ms for one to come back, then gets NULL), and usable, when set,
 * vets an idle connection before it is handed out (a dead one is closed and
 * the next is tried). */
void svc_pool_limit(svc_pool *pool, size_t max_open, long wait_ms, bool (*usable)(void *conn));
/* A connection, or NULL when none could be opened (or none came back in
 * time). */
void *svc_pool_get(svc_pool *pool);
/* Gives conn back; broken = true closes it instead. */
void svc_pool_put(svc_pool *pool, void *conn, bool broken);

/* PostgreSQL: a pool of connections to conninfo ($PG_URL; default
 * "postgresql://shop@127.0.0.1:5432/shop"), at most $SVC_PG_MAX (32) open,
 * a request waiting up to $SVC_PG_WAIT_MS (5000) for one; an idle connection
 * whose server went away (a restart) is dropped, not handed out. */
svc_pool *svc_pg_pool(const char *conninfo);
/* Runs a parameterised statement; returns the result when its status is
 * PGRES_COMMAND_OK or PGRES_TUPLES_OK, else NULL after logging and
 * storing the SQLSTATE in sqlstate (6 bytes; may be NULL). */
PGresult *svc_pg_exec(PGconn *pg, const char *sql, int n, const char *const *values,
                      char *sqlstate);
/* Runs a statement without parameters and results ("BEGIN"); 0 or -1. */
int svc_pg_cmd(PGconn *pg, const char *sql);
bool svc_pg_broken(PGconn *pg);

/* Redis: a pool of connections to $REDIS_HOST:$REDIS_PORT with a timeout. */
svc_pool *svc_redis_pool(const char *host, int port);
/* A reply whose type is not an error, or NULL (then the connection is to
 * be put back broken when c->err is set). */
redisReply *svc_redis(redisContext *c, const char *fmt, ...);

/* ------------------------------------------------------------------------
 * Calls to other services
 * ------------------------------------------------------------------------ */

/* Sends method url with the optional JSON body and bearer token (the
 * caller's "Bearer ..." header value, forwarded). Returns the HTTP status
 * (0 when the service could not be reached) and the parsed JSON reply in
 * *out (may be NULL when there is none or it is not JSON). */
int svc_call(const char *method, const char *url, const char *bearer, const json_t *body,
             json_t **out);

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

/* Now as an RFC 3339 UTC instant "2026-11-28T15:30:00Z" into buf (32 bytes). */
void svc_now_rfc3339(char *buf, size_t size);

/* The hex SHA-256 of data (65 bytes with the NUL). */
void svc_sha256_hex(const void *data, size_t len, char out[65]);

/* json_dumps with the compact sorted form the services use; the caller frees. */
char *svc_json_text(const json_t *v);

#endif /* SVC_H */
