/*
 * error.c - status codes, the error struct, jq-style rendering of an error
 * with its source line, and "did you mean" suggestions.
 */
#include "core.h"

#include <stdio.h>

static const struct {
    const char *name;   /* short stable name, printed as error[name] */
    const char *text;   /* English description */
} statuses[CL_STATUS_COUNT] = {
    [CL_OK] = {"ok", "no error"},
    [CL_ENOMEM] = {"out-of-memory", "an allocation failed"},
    [CL_EINVAL] = {"invalid-argument", "a bad argument to an API function"},
    [CL_EIO] = {"io", "a file could not be read or written"},
    [CL_ESYNTAX] = {"syntax", "a YAML or JSON syntax error"},
    [CL_EKEY] = {"unknown-key", "an unknown key"},
    [CL_ETYPE] = {"type", "a value of the wrong type"},
    [CL_EVALUE] = {"value", "a value out of range or malformed"},
    [CL_EMISSING] = {"missing", "a required key is missing"},
    [CL_EAMOUNT] = {"amount", "a malformed amount"},
    [CL_ECURRENCY] = {"currency", "an unknown currency, or amounts without one"},
    [CL_EREGEX] = {"regex", "a regular expression does not compile"},
    [CL_EZONE] = {"zone", "an unknown time zone"},
    [CL_EDATE] = {"date", "a malformed date, time or instant"},
    [CL_EDUPLICATE] = {"duplicate", "a duplicate key or coupon code"},
    [CL_ELIMIT] = {"limit", "an input exceeds a limit"},
    [CL_EOVERFLOW] = {"overflow", "an amount or quantity overflows"},
    [CL_EVERIFY] = {"verify", "bytecode failed verification"},
    [CL_EFORMAT] = {"format", "a saved program is malformed"},
    [CL_ESTEPS] = {"steps", "evaluation exceeded its step budget"},
    [CL_ERANGE] = {"range", "an index out of range"},
};

CL_API const char *cl_strerror(int status)
{
    if (status < 0 || status >= CL_STATUS_COUNT)
        return "unknown status";
    return statuses[status].text;
}

CL_API const char *cl_status_name(int status)
{
    if (status < 0 || status >= CL_STATUS_COUNT)
        return "unknown";
    return statuses[status].name;
}

/* ------------------------------------------------------------------------
 * Filling the error struct
 * ------------------------------------------------------------------------ */

static void copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void clE_clear(cl_error *err)
{
    if (err == NULL)
        return;
    err->code = CL_OK;
    err->line = err->column = 0;
    err->offset = 0;
    err->source[0] = err->path[0] = err->message[0] = '\0';
}

int clE_vset(cl_error *err, int code, cl_pos pos, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->line = pos.line;
    err->column = pos.col;
    err->offset = pos.offset;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

int clE_set(cl_error *err, int code, cl_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    clE_vset(err, code, pos, fmt, ap);
    va_end(ap);
    return code;
}

void clE_source(cl_error *err, const char *name)
{
    if (err != NULL && err->source[0] == '\0' && name != NULL)
        copy(err->source, sizeof err->source, name);
}

void clE_path(cl_error *err, const char *path)
{
    if (err != NULL)
        copy(err->path, sizeof err->path, path ? path : "");
}

/* ------------------------------------------------------------------------
 * Rendering
 * ------------------------------------------------------------------------ */

size_t clE_line_break(const char *s, size_t len, size_t i)
{
    const unsigned char *u = (const unsigned char *)s;
    if (i >= len)
        return 0;
    if (u[i] == '\r')
        return i + 1 < len && u[i + 1] == '\n' ? 2 : 1;
    if (u[i] == '\n')
        return 1;
    if (u[i] == 0xC2 && i + 1 < len && u[i + 1] == 0x85)
        return 2;
    if (u[i] == 0xE2 && i + 2 < len && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
        return 3;
    return 0;
}

/* Finds line `line` (1-based) of src; returns its start and length. */
static bool find_line(const char *src, size_t len, unsigned line, size_t *start, size_t *n)
{
    size_t i = 0;
    for (unsigned l = 1; l < line; l++) {
        size_t w = 0;
        while (i < len && (w = clE_line_break(src, len, i)) == 0)
            i++;
        if (i >= len)
            return false;
        i += w;
    }
    size_t e = i;
    while (e < len && clE_line_break(src, len, e) == 0)
        e++;
    *start = i;
    *n = e - i;
    return true;
}

CL_API size_t cl_error_format(const cl_error *err, const char *src, size_t len, char *buf,
                              size_t size)
{
    char head[1200];
    const char *source = err->source[0] ? err->source : "<input>";
    int k;
    if (err->line > 0 && err->column > 0)
        k = snprintf(head, sizeof head, "%s:%u:%u: error[%s]: %s", source, err->line,
                     err->column, cl_status_name(err->code), err->message);
    else if (err->line > 0)
        k = snprintf(head, sizeof head, "%s:%u: error[%s]: %s", source, err->line,
                     cl_status_name(err->code), err->message);
    else
        k = snprintf(head, sizeof head, "%s: error[%s]: %s", source,
                     cl_status_name(err->code), err->message);
    if (k < 0)
        k = 0;
    size_t need = (size_t)k;
    size_t start, n;
    char tail[1024] = "";
    if (src != NULL && err->line > 0 && find_line(src, len, err->line, &start, &n)) {
        if (n > 200)
            n = 200;
        char caret[256];
        /* The column counts characters; tabs are kept so the caret lines up. */
        size_t c = 0, pos = 0;
        for (size_t i = 0; i < n && c + 1 < err->column && pos < sizeof caret - 2; i++) {
            unsigned char ch = (unsigned char)src[start + i];
            if ((ch & 0xC0) == 0x80)
                continue;
            caret[pos++] = ch == '\t' ? '\t' : ' ';
            c++;
        }
        caret[pos++] = '^';
        caret[pos] = '\0';
        int t = snprintf(tail, sizeof tail, "\n%5u | %.*s\n      | %s", err->line, (int)n,
                         src + start, err->column > 0 ? caret : "");
        if (t > 0)
            need += (size_t)t < sizeof tail ? (size_t)t : sizeof tail - 1;
    }
    if (size > 0)
        snprintf(buf, size, "%s%s", head, tail);
    return need;
}

/* ------------------------------------------------------------------------
 * Suggestions
 * ------------------------------------------------------------------------ */

/* Levenshtein distance of two short strings, capped at 99. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

const char *clE_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    int bestd = 99;
    size_t wl = strlen(word);
    int allowed = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        int d = distance(word, candidates[i]);
        if (d < bestd) {
            bestd = d;
            best = candidates[i];
        }
    }
    return bestd <= allowed ? best : NULL;
}
