/*
 * svc_util.c - configuration, typed JSON fields, connection pools for
 * PostgreSQL and Redis, calls to other services, small helpers.
 */
#include "svc.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

const char *svc_env(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : def;
}

long svc_env_long(const char *name, long def, long lo, long hi)
{
    const char *v = svc_env(name, NULL);
    if (v == NULL)
        return def;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < lo || n > hi) {
        fprintf(stderr, "%s must be an integer from %ld to %ld, not \"%s\"\n", name, lo, hi, v);
        exit(2);
    }
    return n;
}

/* ------------------------------------------------------------------------
 * Fault injection
 * ------------------------------------------------------------------------ */

#define MAX_FAULTS 16

enum { FAULT_KILL, FAULT_EXIT, FAULT_SLEEP };

/* Read once by svc_init, read-only afterwards. */
static struct {
    size_t n;
    struct {
        char point[64];
        int action;
        long ms;
    } f[MAX_FAULTS];
} faults;

static int faults_init(void)
{
    const char *spec = svc_env("SVC_FAULT", NULL);
    if (spec == NULL)
        return 0;
    char *copy = strdup(spec), *save = NULL;
    if (copy == NULL)
        return -1;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        char *end = NULL;
        if (eq == NULL || eq == t || (size_t)(eq - t) >= sizeof faults.f[0].point ||
            faults.n == MAX_FAULTS)
            goto bad;
        *eq = '\0';
        int action;
        long ms = 0;
        if (strcmp(eq + 1, "kill") == 0) {
            action = FAULT_KILL;
        } else if (strcmp(eq + 1, "exit") == 0) {
            action = FAULT_EXIT;
        } else if (strncmp(eq + 1, "sleep:", 6) == 0) {
            action = FAULT_SLEEP;
            errno = 0;
            ms = strtol(eq + 7, &end, 10);
            if (errno != 0 || end == eq + 7 || *end != '\0' || ms < 0 || ms > 600000)
                goto bad;
        } else {
            goto bad;
        }
        snprintf(faults.f[faults.n].point, sizeof faults.f[0].point, "%s", t);
        faults.f[faults.n].action = action;
        faults.f[faults.n].ms = ms;
        faults.n++;
        fprintf(stderr, "SVC_FAULT: %s=%s armed\n", t, eq + 1);
    }
    free(copy);
    return 0;
bad:
    fprintf(stderr, "SVC_FAULT: bad entry in \"%s\" (want point=kill|exit|sleep:MS, at most %d)\n",
            spec, MAX_FAULTS);
    free(copy);
    return -1;
}

void svc_fault(const char *point)
{
    for (size_t i = 0; i < faults.n; i++) {
        if (strcmp(faults.f[i].point, point) != 0)
            continue;
        switch (faults.f[i].action) {
        case FAULT_KILL:
            fprintf(stderr, "SVC_FAULT: %s: kill -9\n", point);
            kill(getpid(), SIGKILL);
            _exit(137);   /* not reached */
        case FAULT_EXIT:
            fprintf(stderr, "SVC_FAULT: %s: exit\n", point);
            _exit(70);
        default: {
            struct timespec ts = {faults.f[i].ms / 1000, (faults.f[i].ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
        }
    }
}

int svc_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || sodium_init() < 0) {
        fprintf(stderr, "cannot initialise libcurl or libsodium\n");
        return -1;
    }
    if (faults_init() != 0)
        return -1;
    return svc_jwt_init();
}

void svc_done(void)
{
    svc_jwt_done();
    curl_global_cleanup();
}

/* ------------------------------------------------------------------------
 * Typed fields
 * ------------------------------------------------------------------------ */

void svc_check_fail(svc_check *chk, const char *fmt, ...)
{
    if (chk->failed)
        return;
    chk->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(chk->message, sizeof chk->message, fmt, ap);
    va_end(ap);
}

bool svc_check_object(svc_check *chk, const json_t *obj, const char *what,
                      const char *const *keys)
{
    if (!json_is_object(obj)) {
        svc_check_fail(chk, "%s must be a JSON object", what);
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        bool known = false;
        for (const char *const *p = keys; *p && !known; p++)
            known = strcmp(*p, k) == 0;
        if (!known) {
            svc_check_fail(chk, "%s: unknown field \"%.64s\"", what, k);
            return false;
        }
    }
    return true;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static json_t *field(svc_check *chk, const json_t *obj, const char *key, bool required)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (v == NULL && required)
        svc_check_fail(chk, "\"%s\" is required", key);
    return v;
}

const char *svc_get_string(svc_check *chk, const json_t *obj, const char *key, bool required,
                           size_t maxlen)
{
    json_t *v = field(chk, obj, key, required);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v)) {
        svc_check_fail(chk, "\"%s\" must be a string, not %s", key, type_name(v));
        return NULL;
    }
    if (json_string_length(v) > maxlen) {
        svc_check_fail(chk, "\"%s\" is longer than %zu bytes", key, maxlen);
        return NULL;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        svc_check_fail(chk, "\"%s\" contains a NUL character", key);
        return NULL;
    }
    return json_string_value(v);
}

long long svc_get_int(svc_check *chk, const json_t *obj, const char *key, bool required,
                      long long def, long long lo, long long hi)
{
    json_t *v = field(chk, obj, key, required);
    if (v == NULL)
        return def;
    if (!json_is_integer(v)) {
        svc_check_fail(chk, "\"%s\" must be an integer, not %s", key, type_name(v));
        return def;
    }
    long long n = json_integer_value(v);
    if (n < lo || n > hi) {
        svc_check_fail(chk, "\"%s\" must be from %lld to %lld", key, lo, hi);
        return def;
    }
    return n;
}

int svc_get_bool(svc_check *chk, const json_t *obj, const char *key, int def)
{
    json_t *v = field(chk, obj, key, false);
    if (v == NULL)
        return def;
    if (!json_is_boolean(v)) {
        svc_check_fail(chk, "\"%s\" must be a boolean, not %s", key, type_name(v));
        return def;
    }
    return json_is_true(v);
}

const json_t *svc_get_strings(svc_check *chk, const json_t *obj, const char *key, bool required,
                              size_t max, size_t maxlen)
{
    json_t *v = field(chk, obj, key, required);
    if (v == NULL)
        return NULL;
    if (!json_is_array(v)) {
        svc_check_fail(chk, "\"%s\" must be an array of strings, not %s", key, type_name(v));
        return NULL;
    }
    if (json_array_size(v) > max) {
        svc_check_fail(chk, "\"%s\" has more than %zu entries", key, max);
        return NULL;
    }
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) {
        if (!json_is_string(s)) {
            svc_check_fail(chk, "\"%s\"[%zu] must be a string, not %s", key, i, type_name(s));
            return NULL;
        }
        if (json_string_length(s) == 0 || json_string_length(s) > maxlen ||
            strlen(json_string_value(s)) != json_string_length(s)) {
            svc_check_fail(chk, "\"%s\"[%zu] must be 1 to %zu bytes of text", key, i, maxlen);
            return NULL;
        }
    }
    return v;
}

const json_t *svc_get_object(svc_check *chk, const json_t *obj, const char *key, bool required)
{
    json_t *v = field(chk, obj, key, required);
    if (v != NULL && !json_is_object(v)) {
        svc_check_fail(chk, "\"%s\" must be an object, not %s", key, type_name(v));
        return NULL;
    }
    return v;
}

bool svc_check_done(svc_check *chk, svc_resp *resp)
{
    if (chk->failed)
        svc_error(resp, 400, "bad_request", "%s", chk->message);
    return chk->failed;
}

/* ------------------------------------------------------------------------
 * Pools
 * ------------------------------------------------------------------------ */

struct svc_pool {
    pthread_mutex_t lock;
    pthread_cond_t back;        /* a connection came back or was closed */
    void *(*open)(void *ud);
    void (*close)(void *conn);
    bool (*usable)(void *conn); /* vets an idle connection; NULL = any */
    void *ud;
    void **idle;                /* up to max idle connections */
    size_t n, max;
    size_t open_now, max_open;  /* max_open 0 = unbounded */
    long wait_ms;
};

svc_pool *svc_pool_new(void *(*open)(void *ud), void (*close)(void *conn), void *ud, size_t max)
{
    svc_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->idle = calloc(max, sizeof *p->idle);
    if (p->idle == NULL) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->back, NULL);
    p->open = open;
    p->close = close;
    p->ud = ud;
    p->max = max;
    return p;
}

void svc_pool_limit(svc_pool *p, size_t max_open, long wait_ms, bool (*usable)(void *conn))
{
    pthread_mutex_lock(&p->lock);
    p->max_open = max_open;
    p->wait_ms = wait_ms;
    p->usable = usable;
    pthread_mutex_unlock(&p->lock);
}

void svc_pool_free(svc_pool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        p->close(p->idle[i]);
    pthread_cond_destroy(&p->back);
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p->ud);
    free(p);
}

/* Closes conn, which the pool counted as open. */
static void pool_drop(svc_pool *p, void *conn)
{
    p->close(conn);
    pthread_mutex_lock(&p->lock);
    p->open_now--;
    pthread_cond_signal(&p->back);
    pthread_mutex_unlock(&p->lock);
}

void *svc_pool_get(svc_pool *p)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += p->wait_ms / 1000;
    until.tv_nsec += (p->wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    for (;;) {
        void *c = NULL;
        bool make = false;
        pthread_mutex_lock(&p->lock);
        while (p->n == 0 && p->max_open != 0 && p->open_now >= p->max_open) {
            if (pthread_cond_timedwait(&p->back, &p->lock, &until) == ETIMEDOUT &&
                p->n == 0 && p->open_now >= p->max_open) {
                pthread_mutex_unlock(&p->lock);
                svc_log("pool: no connection came back in %ld ms", p->wait_ms);
                return NULL;
            }
        }
        if (p->n > 0) {
            c = p->idle[--p->n];
        } else {
            p->open_now++;          /* reserved: opened outside the lock */
            make = true;
        }
        pthread_mutex_unlock(&p->lock);
        if (make) {
            c = p->open(p->ud);
            if (c == NULL) {
                pthread_mutex_lock(&p->lock);
                p->open_now--;
                pthread_cond_signal(&p->back);
                pthread_mutex_unlock(&p->lock);
            }
            return c;
        }
        if (p->usable == NULL || p->usable(c))
            return c;
        pool_drop(p, c);            /* dead while idle: try the next one */
    }
}

void svc_pool_put(svc_pool *p, void *conn, bool broken)
{
    if (conn == NULL)
        return;
    if (!broken) {
        pthread_mutex_lock(&p->lock);
        if (p->n < p->max) {
            p->idle[p->n++] = conn;
            conn = NULL;
            pthread_cond_signal(&p->back);
        }
        pthread_mutex_unlock(&p->lock);
    }
    if (conn != NULL)
        pool_drop(p, conn);
}

/* ------------------------------------------------------------------------
 * PostgreSQL
 * ------------------------------------------------------------------------ */

static void *pg_open(void *ud)
{
    PGconn *c = PQconnectdb(ud);
    if (PQstatus(c) != CONNECTION_OK) {
        svc_log("postgresql: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void pg_close(void *c)
{
    PQfinish(c);
}

/* An idle connection is usable when the server sent nothing while it sat in
 * the pool: a healthy idle connection has nothing to read (the services
 * LISTEN to nothing), while a server that stops or crashes sends a FATAL
 * error and closes the connection. One poll, no round trip. */
static bool pg_usable(void *c)
{
    struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
    if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE || pfd.fd < 0)
        return false;
    int n = poll(&pfd, 1, 0);
    return n == 0;
}

svc_pool *svc_pg_pool(const char *conninfo)
{
    char *ci = strdup(conninfo);
    if (ci == NULL)
        return NULL;
    svc_pool *p = svc_pool_new(pg_open, pg_close, ci, 64);
    if (p == NULL) {
        free(ci);
        return NULL;
    }
    svc_pool_limit(p, (size_t)svc_env_long("SVC_PG_MAX", 32, 1, 10000),
                   svc_env_long("SVC_PG_WAIT_MS", 5000, 1, 600000), pg_usable);
    return p;
}

PGresult *svc_pg_exec(PGconn *pg, const char *sql, int n, const char *const *values,
                      char *sqlstate)
{
    if (sqlstate)
        sqlstate[0] = '\0';
    PGresult *r = PQexecParams(pg, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (sqlstate)
        snprintf(sqlstate, 6, "%s", code ? code : "");
    /* Expected conflicts are the caller's business; log the rest. */
    if (code == NULL || (strcmp(code, "23505") != 0 && strcmp(code, "40P01") != 0 &&
                         strcmp(code, "40001") != 0))
        svc_log("postgresql: %s: %s", code ? code : "-", PQerrorMessage(pg));
    PQclear(r);
    return NULL;
}

int svc_pg_cmd(PGconn *pg, const char *sql)
{
    PGresult *r = svc_pg_exec(pg, sql, 0, NULL, NULL);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

bool svc_pg_broken(PGconn *pg)
{
    return PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) != PQTRANS_IDLE;
}

/* ------------------------------------------------------------------------
 * Redis
 * ------------------------------------------------------------------------ */

typedef struct redis_addr {
    char host[128];
    int port;
} redis_addr;

static void *redis_open(void *ud)
{
    redis_addr *a = ud;
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout(a->host, a->port, tv);
    if (c == NULL || c->err) {
        svc_log("redis: %s", c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

static void redis_close(void *c)
{
    redisFree(c);
}

svc_pool *svc_redis_pool(const char *host, int port)
{
    redis_addr *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    snprintf(a->host, sizeof a->host, "%s", host);
    a->port = port;
    svc_pool *p = svc_pool_new(redis_open, redis_close, a, 64);
    if (p == NULL)
        free(a);
    return p;
}

redisReply *svc_redis(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (r == NULL) {
        svc_log("redis: %s", c->errstr);
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        svc_log("redis: %s", r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* ------------------------------------------------------------------------
 * Calls to other services
 * ------------------------------------------------------------------------ */

typedef struct sink {
    char *buf;
    size_t len, cap, max;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t k = size * n;
    if (s->len + k + 1 > s->max)
        return 0;
    if (s->len + k + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + k + 1)
            cap *= 2;
        char *nb = realloc(s->buf, cap);
        if (nb == NULL)
            return 0;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, k);
    s->len += k;
    s->buf[s->len] = '\0';
    return k;
}

/* Each thread keeps its curl handle, and with it a kept-alive connection
 * to each service it calls: no TCP handshake and no new server thread per
 * call (the services run a thread per connection). A connection the other
 * side closed is noticed and replaced by curl. */
static pthread_key_t curl_key;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_drop(void *h)
{
    curl_easy_cleanup(h);
}

static void curl_key_make(void)
{
    if (pthread_key_create(&curl_key, curl_drop) != 0)
        abort();
}

static CURL *thread_curl(void)
{
    pthread_once(&curl_once, curl_key_make);
    CURL *h = pthread_getspecific(curl_key);
    if (h != NULL) {
        curl_easy_reset(h);
        return h;
    }
    h = curl_easy_init();
    if (h != NULL && pthread_setspecific(curl_key, h) != 0) {
        curl_easy_cleanup(h);
        h = NULL;
    }
    return h;
}

int svc_call(const char *method, const char *url, const char *bearer, const json_t *body,
             json_t **out)
{
    if (out)
        *out = NULL;
    CURL *h = thread_curl();
    if (h == NULL)
        return 0;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    char auth[8300];
    if (bearer != NULL && strlen(bearer) < sizeof auth - 16) {
        snprintf(auth, sizeof auth, "Authorization: %s", bearer);
        hdrs = curl_slist_append(hdrs, auth);
    }
    char *text = NULL;
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text ? text : "");
    }
    sink s = {.max = 16u << 20};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, svc_env_long("SVC_CALL_TIMEOUT_MS", 5000, 1, 600000));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    long status = 0;
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        svc_log("call %s %s: %s", method, url, curl_easy_strerror(rc));
    if (rc == CURLE_OK && out != NULL && s.len > 0)
        *out = json_loadb(s.buf, s.len, 0, NULL);
    free(s.buf);
    free(text);
    curl_slist_free_all(hdrs);
    return (int)status;
}

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

void svc_now_rfc3339(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void svc_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

char *svc_json_text(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
}

int svc_text_append(void *ud, const char *buf, size_t len)
{
    svc_text *t = ud;
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (nb == NULL)
            return 1;
        t->buf = nb;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, buf, len);
    t->len += len;
    t->buf[t->len] = '\0';
    return 0;
}
