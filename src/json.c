/*
 * json.c - JSON (RFC 8259) into the tree of yamldoc.h.
 *
 * Checkout contexts arrive as JSON many times a second (bindings, services,
 * simulations of a million orders); libyaml reads them too, but its event
 * machinery costs about ten times what a JSON reader needs. This one builds
 * the same clY_node tree in the same arena, under the same limits, so the
 * context reader above it does not know which one ran.
 *
 *     value  = object / array / string / number / true / false / null
 *     object = "{" [ string ":" value *( "," string ":" value ) ] "}"
 *     array  = "[" [ value *( "," value ) ] "]"
 *
 * Strings are checked for valid UTF-8 and unescaped (\uXXXX with surrogate
 * pairs); control characters and U+0000 are refused. Numbers keep their
 * text. It never recurses: open containers live on an explicit stack, so a
 * deep document costs heap, not C stack, and the depth limit holds.
 */
#include "yamldoc.h"

#include <stdio.h>

typedef struct frame {
    clY_node *node;     /* the container */
    size_t base;        /* its first child in the kids stack */
} frame;

typedef struct parser {
    const cl_env *env;
    clY_doc *doc;
    cl_error *err;
    const char *s;
    size_t len, at;
    uint32_t line, col;         /* of s[at], 1-based; col counts characters */
    CL_VEC(frame) frames;
    CL_VEC(clY_node *) kids;
    uint64_t nodes;
    char *buf;                  /* unescaped string being built */
    size_t buf_cap;
} parser;

static int fail(parser *p, int code, const char *fmt, ...) CL_PRINTF(3, 4);
static int fail(parser *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    clE_vset(p->err, code, (cl_pos){p->line, p->col, p->at}, fmt, ap);
    va_end(ap);
    return code;
}

static int oom(parser *p)
{
    return fail(p, CL_ENOMEM, "out of memory");
}

/* Steps over one byte, keeping line and column (continuation bytes of a
 * UTF-8 character do not count as columns). */
static void advance(parser *p)
{
    unsigned char c = (unsigned char)p->s[p->at++];
    if (c == '\n') {
        p->line++;
        p->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        p->col++;
    }
}

static void skip_space(parser *p)
{
    while (p->at < p->len) {
        char c = p->s[p->at];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        advance(p);
    }
}

/* What the next character is, for messages. */
static const char *found(const parser *p, char *buf, size_t size)
{
    if (p->at >= p->len)
        return "the end of the input";
    unsigned char c = (unsigned char)p->s[p->at];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static clY_node *new_node(parser *p, clY_kind kind, uint32_t line, uint32_t col)
{
    if (++p->nodes > p->env->limits[CL_LIMIT_NODES]) {
        fail(p, CL_ELIMIT, "document has more than %llu nodes",
             (unsigned long long)p->env->limits[CL_LIMIT_NODES]);
        return NULL;
    }
    clY_node *n = clB_arena_alloc(&p->doc->arena, sizeof *n);
    if (n == NULL) {
        oom(p);
        return NULL;
    }
    n->kind = (uint8_t)kind;
    n->line = line;
    n->col = col;
    n->weight = 1;
    return n;
}

/* ------------------------------------------------------------------------
 * Scalars
 * ------------------------------------------------------------------------ */

/* A scalar node at line:col holding a copy of s[0..n). */
static int scalar(parser *p, uint32_t line, uint32_t col, const char *s, size_t n, bool quoted,
                  clY_node **out)
{
    clY_node *node = new_node(p, CLY_SCALAR, line, col);
    if (node == NULL)
        return p->err ? p->err->code : CL_ENOMEM;
    node->str = clB_arena_strndup(&p->doc->arena, s, n);
    if (node->str == NULL)
        return oom(p);
    node->n = (uint32_t)n;
    node->quoted = quoted;
    *out = node;
    return CL_OK;
}

static bool put_byte(parser *p, size_t *n, unsigned char c)
{
    if (*n + 1 >= p->buf_cap) {
        size_t cap = p->buf_cap ? p->buf_cap * 2 : 256;
        char *b = clB_realloc(p->env, p->buf, p->buf_cap, cap);
        if (b == NULL)
            return false;
        p->buf = b;
        p->buf_cap = cap;
    }
    p->buf[(*n)++] = (char)c;
    return true;
}

static bool put_utf8(parser *p, size_t *n, uint32_t cp)
{
    if (cp < 0x80)
        return put_byte(p, n, (unsigned char)cp);
    if (cp < 0x800)
        return put_byte(p, n, (unsigned char)(0xC0 | cp >> 6)) &&
               put_byte(p, n, (unsigned char)(0x80 | (cp & 0x3F)));
    if (cp < 0x10000)
        return put_byte(p, n, (unsigned char)(0xE0 | cp >> 12)) &&
               put_byte(p, n, (unsigned char)(0x80 | ((cp >> 6) & 0x3F))) &&
               put_byte(p, n, (unsigned char)(0x80 | (cp & 0x3F)));
    return put_byte(p, n, (unsigned char)(0xF0 | cp >> 18)) &&
           put_byte(p, n, (unsigned char)(0x80 | ((cp >> 12) & 0x3F))) &&
           put_byte(p, n, (unsigned char)(0x80 | ((cp >> 6) & 0x3F))) &&
           put_byte(p, n, (unsigned char)(0x80 | (cp & 0x3F)));
}

/* Four hex digits after "\u"; -1 when they are not. */
static long hex4(const parser *p, size_t at)
{
    if (at + 4 > p->len)
        return -1;
    long v = 0;
    for (size_t i = at; i < at + 4; i++) {
        char c = p->s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The length of the valid UTF-8 character at s[at] (2 to 4 bytes: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const parser *p, size_t at)
{
    const unsigned char *u = (const unsigned char *)p->s + at;
    size_t left = p->len - at;
    if (u[0] >= 0xC2 && u[0] <= 0xDF)
        return left >= 2 && (u[1] & 0xC0) == 0x80 ? 2 : 0;
    if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        if (left < 3 || (u[1] & 0xC0) != 0x80 || (u[2] & 0xC0) != 0x80)
            return 0;
        if ((u[0] == 0xE0 && u[1] < 0xA0) || (u[0] == 0xED && u[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        if (left < 4 || (u[1] & 0xC0) != 0x80 || (u[2] & 0xC0) != 0x80 || (u[3] & 0xC0) != 0x80)
            return 0;
        if ((u[0] == 0xF0 && u[1] < 0x90) || (u[0] == 0xF4 && u[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* An escape after the backslash at s[at - 1]; appends what it means. */
static int escape(parser *p, size_t *n)
{
    static const char plain[] = "\"\\/bfnrt", means[] = "\"\\/\b\f\n\r\t";
    if (p->at >= p->len)
        return fail(p, CL_ESYNTAX, "unterminated string");
    char c = p->s[p->at];
    const char *k = c ? strchr(plain, c) : NULL;
    if (k != NULL) {
        advance(p);
        return put_byte(p, n, (unsigned char)means[k - plain]) ? CL_OK : oom(p);
    }
    if (c != 'u')
        return fail(p, CL_ESYNTAX, "unknown escape \\%c in a string", c);
    long cp = hex4(p, p->at + 1);
    if (cp < 0)
        return fail(p, CL_ESYNTAX, "\\u needs four hex digits");
    for (int i = 0; i < 5; i++)
        advance(p);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long lo = p->at + 1 < p->len && p->s[p->at] == '\\' && p->s[p->at + 1] == 'u'
                      ? hex4(p, p->at + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(p, CL_ESYNTAX, "a high surrogate \\u%04lX without its low half", cp);
        for (int i = 0; i < 6; i++)
            advance(p);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail(p, CL_ESYNTAX, "a low surrogate \\u%04lX without its high half", cp);
    }
    if (cp == 0)
        return fail(p, CL_EVALUE, "text contains a NUL character");
    return put_utf8(p, n, (uint32_t)cp) ? CL_OK : oom(p);
}

/* A string at s[at] == '"' into a new quoted scalar. */
static int string(parser *p, clY_node **out)
{
    uint32_t line = p->line, col = p->col;
    advance(p);
    /* Most strings are plain ASCII without escapes: copied in one go. */
    size_t start = p->at, i = start;
    while (i < p->len) {
        unsigned char c = (unsigned char)p->s[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        i++;
    }
    if (i < p->len && p->s[i] == '"') {
        if (i - start > p->env->limits[CL_LIMIT_STRING]) {
            p->line = line;
            p->col = col;
            p->at = start - 1;
            return fail(p, CL_ELIMIT, "text of %zu bytes exceeds the limit of %llu", i - start,
                        (unsigned long long)p->env->limits[CL_LIMIT_STRING]);
        }
        int rc = scalar(p, line, col, p->s + start, i - start, true, out);
        p->col += (uint32_t)(i - start + 1);
        p->at = i + 1;
        return rc;
    }
    size_t n = 0;
    for (;;) {
        if (p->at >= p->len) {
            p->line = line;
            p->col = col;
            p->at = start - 1;
            return fail(p, CL_ESYNTAX, "unterminated string");
        }
        unsigned char c = (unsigned char)p->s[p->at];
        if (c == '"') {
            advance(p);
            break;
        }
        if (c == '\\') {
            advance(p);
            int rc = escape(p, &n);
            if (rc != CL_OK)
                return rc;
        } else if (c < 0x20) {
            return fail(p, CL_ESYNTAX, "a control character (0x%02x) in a string; write it "
                        "escaped", c);
        } else if (c < 0x80) {
            advance(p);
            if (!put_byte(p, &n, c))
                return oom(p);
        } else {
            size_t k = utf8_len(p, p->at);
            if (k == 0)
                return fail(p, CL_ESYNTAX, "invalid UTF-8 in a string");
            for (size_t j = 0; j < k; j++) {
                if (!put_byte(p, &n, (unsigned char)p->s[p->at]))
                    return oom(p);
                advance(p);
            }
        }
    }
    if (n > p->env->limits[CL_LIMIT_STRING]) {
        p->line = line;
        p->col = col;
        p->at = start - 1;
        return fail(p, CL_ELIMIT, "text of %zu bytes exceeds the limit of %llu", n,
                    (unsigned long long)p->env->limits[CL_LIMIT_STRING]);
    }
    return scalar(p, line, col, p->buf ? p->buf : "", n, true, out);
}

static bool is_digit(const parser *p, size_t at)
{
    return at < p->len && p->s[at] >= '0' && p->s[at] <= '9';
}

/* A number (its text kept as a plain scalar) or true, false, null. */
static int bare(parser *p, clY_node **out)
{
    uint32_t line = p->line, col = p->col;
    size_t start = p->at, i = p->at;
    char c = p->s[i];
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (c == '-')
            i++;
        if (!is_digit(p, i))
            return fail(p, CL_ESYNTAX, "a number needs digits after '-'");
        if (p->s[i] == '0' && is_digit(p, i + 1))
            return fail(p, CL_ESYNTAX, "a number may not start with 0 (write \"%.*s\" as text "
                        "if it is a code)", (int)(i + 2 - start), p->s + start);
        while (is_digit(p, i))
            i++;
        if (i < p->len && p->s[i] == '.') {
            if (!is_digit(p, ++i))
                return fail(p, CL_ESYNTAX, "a number needs digits after '.'");
            while (is_digit(p, i))
                i++;
        }
        if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
            i++;
            if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
                i++;
            if (!is_digit(p, i))
                return fail(p, CL_ESYNTAX, "a number needs digits in its exponent");
            while (is_digit(p, i))
                i++;
        }
    } else {
        static const char *const words[] = {"true", "false", "null"};
        size_t k = 0;
        for (; k < 3; k++) {
            size_t wn = strlen(words[k]);
            if (p->len - i >= wn && memcmp(p->s + i, words[k], wn) == 0) {
                i += wn;
                break;
            }
        }
        char buf[16];
        if (k == 3)
            return fail(p, CL_ESYNTAX, "expected a value, found %s", found(p, buf, sizeof buf));
    }
    if (i < p->len && ((p->s[i] >= 'a' && p->s[i] <= 'z') || (p->s[i] >= 'A' && p->s[i] <= 'Z') ||
                       is_digit(p, i)))
        return fail(p, CL_ESYNTAX, "expected a value, found \"%.*s...\"",
                    (int)(i - start + 1 > 20 ? 20 : i - start + 1), p->s + start);
    while (p->at < i)
        advance(p);
    return scalar(p, line, col, p->s + start, i - start, false, out);
}

/* ------------------------------------------------------------------------
 * Containers
 * ------------------------------------------------------------------------ */

/* Adds a finished value to the innermost open container. */
static int attach(parser *p, clY_node *node)
{
    frame *f = &p->frames.v[p->frames.n - 1];
    size_t count = p->kids.n - f->base + 1;
    uint64_t max = p->env->limits[CL_LIMIT_LIST];
    if (f->node->kind == CLY_MAP ? count > 2 * max : count > max)
        return fail(p, CL_ELIMIT, "more than %llu entries in one %s", (unsigned long long)max,
                    f->node->kind == CLY_MAP ? "mapping" : "list");
    if (!CL_PUSH(p->env, p->kids, node))
        return oom(p);
    return CL_OK;
}

static int open_container(parser *p, clY_kind kind)
{
    if (p->frames.n >= p->env->limits[CL_LIMIT_DEPTH])
        return fail(p, CL_ELIMIT, "nesting deeper than %llu levels",
                    (unsigned long long)p->env->limits[CL_LIMIT_DEPTH]);
    clY_node *n = new_node(p, kind, p->line, p->col);
    if (n == NULL)
        return p->err ? p->err->code : CL_ENOMEM;
    advance(p);
    frame f = {n, p->kids.n};
    if (!CL_PUSH(p->env, p->frames, f))
        return oom(p);
    return CL_OK;
}

/* Closes the innermost container: its children move into the arena. The
 * closed node is left in *out. */
static int close_container(parser *p, clY_node **out)
{
    frame f = p->frames.v[--p->frames.n];
    clY_node *n = f.node;
    size_t count = p->kids.n - f.base;
    advance(p);
    if (count > 0) {
        n->items = clB_arena_alloc(&p->doc->arena, count * sizeof *n->items);
        if (n->items == NULL)
            return oom(p);
        memcpy(n->items, p->kids.v + f.base, count * sizeof *n->items);
    }
    n->n = (uint32_t)(n->kind == CLY_MAP ? count / 2 : count);
    p->kids.n = f.base;
    if (n->kind == CLY_MAP) {
        int rc = clY_check_keys(p->env, p->doc, n->items, n->n, p->err);
        if (rc != CL_OK)
            return rc;
    }
    *out = n;
    return CL_OK;
}

/* What the parser expects next. */
enum { WANT_VALUE, WANT_KEY, WANT_COLON, WANT_MORE, WANT_FIRST };

/*
 * The loop: one token at a time, with the state of the innermost container.
 * WANT_FIRST is just after '[' or '{' (the container may close at once),
 * WANT_MORE after a value inside one (',' or the close).
 */
static int parse(parser *p, clY_node **root)
{
    int want = WANT_VALUE;
    char buf[16];
    *root = NULL;
    for (;;) {
        skip_space(p);
        clY_node *value = NULL;
        int rc = CL_OK;
        bool in_map = p->frames.n > 0 && p->frames.v[p->frames.n - 1].node->kind == CLY_MAP;
        char c = p->at < p->len ? p->s[p->at] : '\0';
        if (p->at >= p->len) {
            if (want == WANT_VALUE && p->frames.n == 0)
                return fail(p, CL_ESYNTAX, "expected a JSON value, found the end of the input");
            return fail(p, CL_ESYNTAX, "unexpected end of the input (an unclosed %s)",
                        in_map ? "object" : "array");
        }
        if (want == WANT_FIRST && (c == '}' || c == ']')) {
            if (c != (in_map ? '}' : ']'))
                return fail(p, CL_ESYNTAX, "expected '%c', found '%c'", in_map ? '}' : ']', c);
            rc = close_container(p, &value);
        } else if (want == WANT_MORE) {
            if (c == ',') {
                advance(p);
                want = in_map ? WANT_KEY : WANT_VALUE;
                continue;
            }
            if (c != (in_map ? '}' : ']'))
                return fail(p, CL_ESYNTAX, "expected ',' or '%c', found %s", in_map ? '}' : ']',
                            found(p, buf, sizeof buf));
            rc = close_container(p, &value);
        } else if (want == WANT_COLON) {
            if (c != ':')
                return fail(p, CL_ESYNTAX, "expected ':' after a key, found %s",
                            found(p, buf, sizeof buf));
            advance(p);
            want = WANT_VALUE;
            continue;
        } else if ((want == WANT_KEY || (want == WANT_FIRST && in_map))) {
            if (c != '"')
                return fail(p, CL_ESYNTAX, "expected a key in double quotes, found %s",
                            found(p, buf, sizeof buf));
            if ((rc = string(p, &value)) == CL_OK && (rc = attach(p, value)) == CL_OK)
                want = WANT_COLON;
            if (rc != CL_OK)
                return rc;
            continue;
        } else if (c == '{' || c == '[') {
            if ((rc = open_container(p, c == '{' ? CLY_MAP : CLY_SEQ)) != CL_OK)
                return rc;
            want = WANT_FIRST;
            continue;
        } else if (c == '"') {
            rc = string(p, &value);
        } else {
            rc = bare(p, &value);
        }
        if (rc != CL_OK)
            return rc;
        /* A complete value: the document's, or a child of the container. */
        if (p->frames.n == 0) {
            *root = value;
            skip_space(p);
            if (p->at < p->len)
                return fail(p, CL_ESYNTAX, "more after the JSON value: %s",
                            found(p, buf, sizeof buf));
            return CL_OK;
        }
        if ((rc = attach(p, value)) != CL_OK)
            return rc;
        want = WANT_MORE;
    }
}

int clJ_load(const cl_env *env, const char *src, size_t len, clY_doc *doc, cl_error *err)
{
    memset(doc, 0, sizeof *doc);
    clB_arena_init(&doc->arena, env);
    doc->src = src;
    doc->len = len;
    parser p = {.env = env, .doc = doc, .err = err, .s = src, .len = len, .line = 1, .col = 1};
    if (len > env->limits[CL_LIMIT_INPUT_BYTES])
        return fail(&p, CL_ELIMIT, "input of %zu bytes exceeds the limit of %llu", len,
                    (unsigned long long)env->limits[CL_LIMIT_INPUT_BYTES]);
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        p.at = 3; /* a byte order mark */
    clY_node *root = NULL;
    int rc = parse(&p, &root);
    if (rc == CL_OK) {
        doc->roots = clB_arena_alloc(&doc->arena, sizeof *doc->roots);
        if (doc->roots == NULL) {
            rc = oom(&p);
        } else {
            doc->roots[0] = root;
            doc->nroots = 1;
        }
    }
    CL_VEC_FREE(env, p.frames);
    CL_VEC_FREE(env, p.kids);
    clB_free(env, p.buf, p.buf_cap);
    if (rc != CL_OK) {
        clB_arena_free(&doc->arena);
        clB_arena_init(&doc->arena, env);
        doc->roots = NULL;
        doc->nroots = 0;
    }
    return rc;
}
