/*
 * svc_http.c - the HTTP server every service runs: libmicrohttpd with a
 * thread per connection (handlers block on their stores), a route table,
 * body limits, JSON parsing, authentication, and the error shape.
 */
#include "svc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------ */

void svc_log(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", buf);
}

void svc_ok(svc_resp *resp, int status, json_t *body)
{
    json_decref(resp->body);
    free(resp->raw);
    resp->raw = NULL;
    resp->status = status;
    resp->body = body;
}

void svc_ok_raw(svc_resp *resp, int status, const char *content_type, char *buf, size_t len)
{
    svc_ok(resp, status, NULL);
    resp->raw = buf;
    resp->raw_len = len;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", content_type);
}

SVC_PRINTF(5, 0)
static void verror(svc_resp *resp, int status, const char *code, json_t *extra,
                   const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (extra != NULL) {
        json_object_update(err, extra);
        json_decref(extra);
    }
    svc_ok(resp, status, json_pack("{s:o}", "error", err));
}

void svc_error(svc_resp *resp, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(resp, status, code, NULL, fmt, ap);
    va_end(ap);
}

void svc_error_with(svc_resp *resp, int status, const char *code, json_t *extra,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(resp, status, code, extra, fmt, ap);
    va_end(ap);
}

void svc_unavailable(svc_resp *resp, const char *what, const char *detail)
{
    svc_log("unavailable: %s: %s", what, detail ? detail : "");
    svc_error(resp, 503, "unavailable", "%s is unavailable; try again", what);
    snprintf(resp->retry_after, sizeof resp->retry_after, "1");
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

/* What one request accumulates between libmicrohttpd's calls. */
typedef struct pending {
    char *buf;              /* the body so far, NUL-terminated */
    size_t len, cap;
    bool too_big;           /* the body passed the limit: answer 413 */
    struct timespec start;  /* for the access log */
    int status;             /* what was answered */
    bool routed;            /* a route's handler ran (not a health check) */
    char method[8];         /* for the access log */
    char url[120];
} pending;

typedef struct server {
    const char *name;
    const svc_route *routes;
    size_t max_body;
    char health[96];        /* "/api/<name>/healthz" */
    char sent_point[64];    /* the fault point "<name>.sent" */
    bool access_log;        /* one line per request on stderr */
} server;

const char *svc_query(const svc_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *svc_header(const svc_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static bool has_body(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0;
}

/* Matches url against pattern segment by segment: {} takes one non-empty
 * segment into params (pointers into segbuf, which receives a copy of url
 * with its separators replaced by NULs). */
static bool route_match(const char *pattern, const char *url, char *segbuf, size_t segsize,
                        const char **params, size_t *nparams)
{
    size_t n = 0, len = strlen(url);
    if (len + 1 > segsize || url[0] != '/' || pattern[0] != '/')
        return false;
    memcpy(segbuf, url, len + 1);
    char *u = segbuf + 1;
    const char *p = pattern + 1;
    for (;;) {
        char *ue = strchr(u, '/');
        const char *pe = strchr(p, '/');
        size_t ul = ue ? (size_t)(ue - u) : strlen(u);
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        if (pl == 2 && p[0] == '{' && p[1] == '}') {
            if (ul == 0 || n == SVC_MAX_PARAMS)
                return false;
            params[n++] = u;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            return false;
        }
        if ((ue == NULL) != (pe == NULL))
            return false;
        if (ue == NULL)
            break;
        *ue = '\0';
        u = ue + 1;
        p = pe + 1;
    }
    *nparams = n;
    return true;
}

/* The literal (not {}) segments of a route pattern. */
static int literals(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; *p; p++)
        if (*p == '/' && !(p[1] == '{' && p[2] == '}'))
            n++;
    return n;
}

/* Sends resp; returns libmicrohttpd's verdict. */
static enum MHD_Result send_resp(struct MHD_Connection *conn, svc_resp *resp,
                                 const char *allow, bool www_auth)
{
    char *text = NULL;
    size_t len = 0;
    const char *ctype = "application/json";
    if (resp->raw != NULL) {
        text = resp->raw;
        len = resp->raw_len;
        resp->raw = NULL;
        ctype = resp->content_type;
    } else if (resp->body != NULL) {
        /* sorted keys: the same answer is the same bytes (an idempotent
         * replay, read back from PostgreSQL, included) */
        text = svc_json_text(resp->body);
        if (text == NULL) {
            resp->status = 500;
            text = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
        }
        len = text ? strlen(text) : 0;
    }
    struct MHD_Response *r;
    if (text != NULL)
        r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    if (text != NULL)
        MHD_add_response_header(r, "Content-Type", ctype);
    if (resp->disposition[0])
        MHD_add_response_header(r, "Content-Disposition", resp->disposition);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (resp->location[0])
        MHD_add_response_header(r, "Location", resp->location);
    if (resp->retry_after[0])
        MHD_add_response_header(r, "Retry-After", resp->retry_after);
    if (allow != NULL)
        MHD_add_response_header(r, "Allow", allow);
    if (www_auth)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"couponlib\"");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* The bearer token of the Authorization header, or NULL. */
static const char *bearer_token(const char *h)
{
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

static bool json_content_type(const char *ct)
{
    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Authenticates, parses the body and runs the route's handler. */
static void dispatch(server *srv, svc_req *req, const svc_route *rt, svc_resp *resp,
                     bool *www_auth)
{
    if (rt->level > SVC_PUBLIC) {
        const char *tok = bearer_token(req->bearer);
        char why[200];
        if (tok == NULL) {
            *www_auth = true;
            svc_error(resp, 401, "unauthorized", "a bearer token is required");
            return;
        }
        if (svc_jwt_verify(tok, &req->who, why, sizeof why) != 0) {
            *www_auth = true;
            svc_error(resp, 401, "unauthorized", "invalid token: %s", why);
            return;
        }
        req->authed = true;
        if (rt->level == SVC_ADMIN && !req->who.admin) {
            svc_error(resp, 403, "forbidden", "this needs the admin role");
            return;
        }
    }
    if (has_body(req->method) && req->body_len > 0) {
        const char *ct = svc_header(req, "Content-Type");
        if (!json_content_type(ct)) {
            svc_error(resp, 415, "unsupported_media_type",
                      "the body must be application/json");
            return;
        }
        json_error_t jerr;
        req->json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (req->json == NULL) {
            svc_error(resp, 400, "bad_request", "malformed JSON at line %d, column %d: %s",
                      jerr.line, jerr.column, jerr.text);
            return;
        }
    }
    (void)srv;
    rt->handler(req, resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
{
    server *srv = cls;
    pending *pd = *state;
    (void)version;
    if (pd == NULL) {
        pd = calloc(1, sizeof *pd);
        if (pd == NULL)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &pd->start);
        snprintf(pd->method, sizeof pd->method, "%s", method);
        snprintf(pd->url, sizeof pd->url, "%s", url);
        *state = pd;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!pd->too_big && pd->len + *upload_size > srv->max_body) {
            pd->too_big = true;
            free(pd->buf);
            pd->buf = NULL;
            pd->len = pd->cap = 0;
        }
        if (!pd->too_big) {
            if (pd->len + *upload_size + 1 > pd->cap) {
                size_t cap = pd->cap ? pd->cap : 1024;
                while (cap < pd->len + *upload_size + 1)
                    cap *= 2;
                char *nb = realloc(pd->buf, cap);
                if (nb == NULL)
                    return MHD_NO;
                pd->buf = nb;
                pd->cap = cap;
            }
            memcpy(pd->buf + pd->len, upload, *upload_size);
            pd->len += *upload_size;
            pd->buf[pd->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }

    svc_req req = {0};
    svc_resp resp = {0};
    req.conn = conn;
    req.method = method;
    req.url = url;
    req.body = pd->buf ? pd->buf : "";
    req.body_len = pd->len;
    req.bearer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    bool www_auth = false;
    char allow[64] = "";
    char segbuf[2048];

    bool health = strcmp(url, "/healthz") == 0 || strcmp(url, srv->health) == 0;
    if (health && strcmp(method, "GET") == 0) {
        svc_ok(&resp, 200, json_pack("{s:s, s:s}", "status", "ok", "service", srv->name));
    } else if (health) {
        snprintf(allow, sizeof allow, "GET");
        svc_error(&resp, 405, "method_not_allowed", "%s is not allowed here; use GET", method);
    } else if (pd->too_big) {
        svc_error(&resp, 413, "too_large", "the body is larger than %zu bytes", srv->max_body);
    } else {
        /* A path's own routes are the matching patterns with the most
         * literal segments: /api/coupons/validate is not /api/coupons/{} */
        int best = -1;
        const char *params[SVC_MAX_PARAMS];
        size_t np = 0;
        for (const svc_route *rt = srv->routes; rt->method != NULL; rt++)
            if (literals(rt->pattern) > best &&
                route_match(rt->pattern, url, segbuf, sizeof segbuf, params, &np))
                best = literals(rt->pattern);
        const svc_route *found = NULL;
        for (const svc_route *rt = srv->routes; best >= 0 && rt->method != NULL; rt++) {
            if (literals(rt->pattern) != best ||
                !route_match(rt->pattern, url, segbuf, sizeof segbuf, params, &np))
                continue;
            if (strcmp(rt->method, method) == 0) {
                found = rt;
                memcpy(req.params, params, sizeof params);
                req.nparams = np;
                break;
            }
            size_t al = strlen(allow);
            if (al + strlen(rt->method) + 3 < sizeof allow)
                snprintf(allow + al, sizeof allow - al, "%s%s", al ? ", " : "", rt->method);
        }
        if (found != NULL) {
            allow[0] = '\0';
            pd->routed = true;
            dispatch(srv, &req, found, &resp, &www_auth);
        } else if (allow[0] != '\0') {
            svc_error(&resp, 405, "method_not_allowed", "%s is not allowed here; use %s",
                      method, allow);
        } else {
            svc_error(&resp, 404, "not_found", "no such resource: %s", url);
        }
    }
    if (resp.status == 0)
        svc_error(&resp, 500, "internal", "the handler gave no answer");
    pd->status = resp.status;
    enum MHD_Result r = send_resp(conn, &resp, allow[0] ? allow : NULL, www_auth);
    json_decref(resp.body);
    free(resp.raw);
    json_decref(req.json);
    if (req.authed)
        svc_user_clear(&req.who);
    return r;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **state,
                    enum MHD_RequestTerminationCode why)
{
    pending *pd = *state;
    if (pd == NULL)
        return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ms = (double)(end.tv_sec - pd->start.tv_sec) * 1e3 +
                (double)(end.tv_nsec - pd->start.tv_nsec) / 1e6;
    server *srv = cls;
    (void)conn;
    if (srv->access_log)
        fprintf(stderr, "%s: %s %s %d %.1fms\n", srv->name, pd->method, pd->url, pd->status, ms);
    bool answered = pd->routed && why == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    free(pd->buf);
    free(pd);
    *state = NULL;
    if (answered)
        svc_fault(srv->sent_point);
}

/* libmicrohttpd's own messages: its format strings are its own. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    fprintf(stderr, "mhd: %s\n", buf);
}
#pragma GCC diagnostic pop

int svc_run(const char *name, const svc_route *routes, int port, size_t max_body)
{
    server srv = {.name = name, .routes = routes};
    srv.max_body = (size_t)svc_env_long("SVC_MAX_BODY", (long)max_body, 1, 64L << 20);
    snprintf(srv.health, sizeof srv.health, "/api/%s/healthz", name);
    snprintf(srv.sent_point, sizeof srv.sent_point, "%s.sent", name);
    srv.access_log = svc_env_long("SVC_ACCESS_LOG", 1, 0, 1) != 0;
    const char *host = svc_env("SVC_HOST", "127.0.0.1");
    port = (int)svc_env_long("SVC_PORT", port, 1, 65535);

    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        svc_log("%s: SVC_HOST must be an IPv4 address, not %s", name, host);
        return 1;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, on_request, &srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, &srv,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)svc_env_long("SVC_MAX_CONNECTIONS", 512, 1, 100000),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)svc_env_long("SVC_IDLE_TIMEOUT", 60, 1, 3600),
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_END);
    if (d == NULL) {
        svc_log("%s: cannot listen on %s:%d: %s", name, host, port, strerror(errno));
        return 1;
    }
    svc_log("%s: listening on %s:%d", name, host, port);
    int sig = 0;
    sigwait(&set, &sig);
    svc_log("%s: stopping (signal %d)", name, sig);
    MHD_stop_daemon(d);
    return 0;
}
