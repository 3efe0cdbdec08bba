/*
 * yamldoc.c - libyaml events into a clY_node tree, with limits on size,
 * depth, string length, list length and alias expansion.
 */
#include "yamldoc.h"

#include <yaml.h>

/* An open container while its children are being read. */
typedef struct frame {
    clY_node *node;     /* the container */
    size_t base;        /* first child in the builder's child stack */
} frame;

typedef struct anchor {
    const char *name;
    clY_node *node;
} anchor;

typedef CL_VEC(clY_node *) nodevec;

typedef struct builder {
    const cl_env *env;
    clY_doc *doc;
    cl_error *err;
    CL_VEC(frame) frames;
    nodevec kids;                  /* children of every open container */
    CL_VEC(anchor) anchors;
    nodevec roots;
    uint64_t nodes;                /* nodes created */
    uint64_t aliased;              /* nodes reached through aliases */
    bool lines_known;              /* breaks and last_cols are counted */
    size_t breaks;                 /* line breaks in the source */
    size_t last_cols;              /* characters on its last line */
} builder;

/*
 * libyaml ends an input whose last line has no line break with one line
 * more: a mark at column 0 of a line past the last. Such a mark is the end
 * of the last line, where the input ends.
 */
static yaml_mark_t end_mark(builder *b, yaml_mark_t m)
{
    if (m.column != 0 || m.line == 0)
        return m;
    if (!b->lines_known) {
        const char *s = b->doc->src;
        size_t len = b->doc->len, w;
        for (size_t i = 0; i < len; i += w ? w : 1) {
            w = clE_line_break(s, len, i);
            if (w > 0) {
                b->breaks++;
                b->last_cols = 0;
            } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
                b->last_cols++;
            }
        }
        b->lines_known = true;
    }
    if (m.line <= b->breaks)
        return m;
    m.line = b->breaks;
    m.column = b->last_cols;
    return m;
}

static cl_pos mark_pos(builder *b, yaml_mark_t m)
{
    m = end_mark(b, m);
    clY_node tmp = {.line = (uint32_t)m.line + 1, .col = (uint32_t)m.column + 1};
    return clY_pos(b->doc, &tmp);
}

static int fail(builder *b, int code, yaml_mark_t m, const char *fmt, ...) CL_PRINTF(4, 5);
static int fail(builder *b, int code, yaml_mark_t m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    clE_vset(b->err, code, mark_pos(b, m), fmt, ap);
    va_end(ap);
    return code;
}

/* ------------------------------------------------------------------------
 * Building nodes
 * ------------------------------------------------------------------------ */

static clY_node *new_node(builder *b, clY_kind kind, yaml_mark_t m)
{
    if (++b->nodes > b->env->limits[CL_LIMIT_NODES]) {
        fail(b, CL_ELIMIT, m, "document has more than %llu nodes",
             (unsigned long long)b->env->limits[CL_LIMIT_NODES]);
        return NULL;
    }
    clY_node *n = clB_arena_alloc(&b->doc->arena, sizeof *n);
    if (n == NULL) {
        fail(b, CL_ENOMEM, m, "out of memory");
        return NULL;
    }
    n->kind = (uint8_t)kind;
    m = end_mark(b, m);
    n->line = (uint32_t)m.line + 1;
    n->col = (uint32_t)m.column + 1;
    n->weight = 1;
    return n;
}

static int remember_anchor(builder *b, const yaml_char_t *name, clY_node *node, yaml_mark_t m)
{
    if (name == NULL)
        return CL_OK;
    anchor a = {clB_arena_strndup(&b->doc->arena, (const char *)name,
                                  strlen((const char *)name)),
                node};
    if (a.name == NULL || !CL_PUSH(b->env, b->anchors, a))
        return fail(b, CL_ENOMEM, m, "out of memory");
    return CL_OK;
}

/* Attaches a finished node to its parent (or makes it a document root). */
static int attach(builder *b, clY_node *node, yaml_mark_t m)
{
    if (b->frames.n == 0) {
        if (!CL_PUSH(b->env, b->roots, node))
            return fail(b, CL_ENOMEM, m, "out of memory");
        return CL_OK;
    }
    frame *f = &b->frames.v[b->frames.n - 1];
    size_t count = b->kids.n - f->base + 1;
    uint64_t max = b->env->limits[CL_LIMIT_LIST];
    if (f->node->kind == CLY_MAP ? count > 2 * max : count > max)
        return fail(b, CL_ELIMIT, m, "more than %llu entries in one %s",
                    (unsigned long long)max, f->node->kind == CLY_MAP ? "mapping" : "list");
    if (!CL_PUSH(b->env, b->kids, node))
        return fail(b, CL_ENOMEM, m, "out of memory");
    f->node->weight += node->weight;
    return CL_OK;
}

static int on_scalar(builder *b, const yaml_event_t *e)
{
    const char *tag = (const char *)e->data.scalar.tag;
    if (tag != NULL && strcmp(tag, YAML_STR_TAG) != 0 && strcmp(tag, "!") != 0)
        return fail(b, CL_ETYPE, e->start_mark, "YAML tag %s is not supported", tag);
    if (e->data.scalar.length > b->env->limits[CL_LIMIT_STRING])
        return fail(b, CL_ELIMIT, e->start_mark, "text of %zu bytes exceeds the limit of %llu",
                    e->data.scalar.length,
                    (unsigned long long)b->env->limits[CL_LIMIT_STRING]);
    clY_node *n = new_node(b, CLY_SCALAR, e->start_mark);
    if (n == NULL)
        return b->err ? b->err->code : CL_ENOMEM;
    n->str = clB_arena_strndup(&b->doc->arena, (const char *)e->data.scalar.value,
                               e->data.scalar.length);
    if (n->str == NULL)
        return fail(b, CL_ENOMEM, e->start_mark, "out of memory");
    if (memchr(n->str, '\0', e->data.scalar.length) != NULL)
        return fail(b, CL_EVALUE, e->start_mark, "text contains a NUL character");
    n->n = (uint32_t)e->data.scalar.length;
    n->quoted = e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || tag != NULL;
    int rc = remember_anchor(b, e->data.scalar.anchor, n, e->start_mark);
    return rc ? rc : attach(b, n, e->start_mark);
}

static int on_start(builder *b, const yaml_event_t *e, clY_kind kind)
{
    const yaml_char_t *tag = kind == CLY_MAP ? e->data.mapping_start.tag
                                             : e->data.sequence_start.tag;
    const char *want = kind == CLY_MAP ? YAML_MAP_TAG : YAML_SEQ_TAG;
    if (tag != NULL && strcmp((const char *)tag, want) != 0)
        return fail(b, CL_ETYPE, e->start_mark, "YAML tag %s is not supported",
                    (const char *)tag);
    if (b->frames.n >= b->env->limits[CL_LIMIT_DEPTH])
        return fail(b, CL_ELIMIT, e->start_mark, "nesting deeper than %llu levels",
                    (unsigned long long)b->env->limits[CL_LIMIT_DEPTH]);
    clY_node *n = new_node(b, kind, e->start_mark);
    if (n == NULL)
        return b->err ? b->err->code : CL_ENOMEM;
    const yaml_char_t *name = kind == CLY_MAP ? e->data.mapping_start.anchor
                                              : e->data.sequence_start.anchor;
    int rc = remember_anchor(b, name, n, e->start_mark);
    if (rc)
        return rc;
    frame f = {n, b->kids.n};
    if (!CL_PUSH(b->env, b->frames, f))
        return fail(b, CL_ENOMEM, e->start_mark, "out of memory");
    return CL_OK;
}

static int on_alias(builder *b, const yaml_event_t *e)
{
    const char *name = (const char *)e->data.alias.anchor;
    for (size_t i = b->anchors.n; i-- > 0;) {
        if (strcmp(b->anchors.v[i].name, name) != 0)
            continue;
        clY_node *target = b->anchors.v[i].node;
        for (size_t k = 0; k < b->frames.n; k++)
            if (b->frames.v[k].node == target)
                return fail(b, CL_EVALUE, e->start_mark,
                            "alias *%s refers to a node that contains it", name);
        b->aliased += target->weight;
        if (b->aliased > b->env->limits[CL_LIMIT_ALIASES])
            return fail(b, CL_ELIMIT, e->start_mark,
                        "aliases expand to more than %llu nodes",
                        (unsigned long long)b->env->limits[CL_LIMIT_ALIASES]);
        return attach(b, target, e->start_mark);
    }
    return fail(b, CL_EVALUE, e->start_mark, "unknown anchor *%s", name);
}

/* ------------------------------------------------------------------------
 * Closing mappings: merge keys and duplicate keys
 * ------------------------------------------------------------------------ */

static bool same_key(const clY_node *a, const clY_node *b)
{
    return a->kind == CLY_SCALAR && b->kind == CLY_SCALAR && clB_eq(a->str, a->n, b->str, b->n);
}

static bool has_key(clY_node **pairs, size_t npairs, const clY_node *key)
{
    for (size_t i = 0; i < npairs; i++)
        if (same_key(pairs[2 * i], key))
            return true;
    return false;
}

/* Appends the pairs of `from` (a mapping) that `pairs` lacks. */
static int merge_from(builder *b, nodevec *out, const clY_node *from, yaml_mark_t m)
{
    if (from->kind != CLY_MAP)
        return fail(b, CL_ETYPE, m, "a merge key (<<) takes a mapping or a list of mappings");
    for (uint32_t i = 0; i < from->n; i++) {
        if (has_key(out->v, out->n / 2, from->items[2 * i]))
            continue;
        if (!CL_PUSH(b->env, *out, from->items[2 * i]) ||
            !CL_PUSH(b->env, *out, from->items[2 * i + 1]))
            return fail(b, CL_ENOMEM, m, "out of memory");
    }
    return CL_OK;
}

/* Resolves `<<` keys of a mapping's pairs: explicit keys win, then the merged
 * mappings in order. Rewrites kids[base..] in place through a temporary. */
static int resolve_merges(builder *b, size_t base, yaml_mark_t m)
{
    size_t npairs = (b->kids.n - base) / 2;
    bool any = false;
    for (size_t i = 0; i < npairs; i++)
        any |= clY_plain_is(b->kids.v[base + 2 * i], "<<");
    if (!any)
        return CL_OK;
    nodevec out = {0};
    int rc = CL_OK;
    for (size_t i = 0; i < npairs && rc == CL_OK; i++) {
        clY_node *k = b->kids.v[base + 2 * i], *v = b->kids.v[base + 2 * i + 1];
        if (clY_plain_is(k, "<<"))
            continue;
        if (!CL_PUSH(b->env, out, k) || !CL_PUSH(b->env, out, v))
            rc = fail(b, CL_ENOMEM, m, "out of memory");
    }
    for (size_t i = 0; i < npairs && rc == CL_OK; i++) {
        clY_node *k = b->kids.v[base + 2 * i], *v = b->kids.v[base + 2 * i + 1];
        if (!clY_plain_is(k, "<<"))
            continue;
        if (v->kind == CLY_SEQ) {
            for (uint32_t j = 0; j < v->n && rc == CL_OK; j++)
                rc = merge_from(b, &out, v->items[j], m);
        } else {
            rc = merge_from(b, &out, v, m);
        }
    }
    if (rc == CL_OK) {
        b->kids.n = base;
        if (!CL_RESERVE(b->env, b->kids, out.n))
            rc = fail(b, CL_ENOMEM, m, "out of memory");
        else {
            memcpy(b->kids.v + base, out.v, out.n * sizeof *out.v);
            b->kids.n = base + out.n;
        }
    }
    CL_VEC_FREE(b->env, out);
    return rc;
}

static int key_cmp(const void *pa, const void *pb)
{
    const clY_node *a = *(clY_node *const *)pa, *b = *(clY_node *const *)pb;
    if (a->kind != CLY_SCALAR || b->kind != CLY_SCALAR)
        return (a->kind > b->kind) - (a->kind < b->kind);
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->str, b->str, n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

int clY_check_keys(const cl_env *env, const clY_doc *doc, clY_node *const *items, size_t npairs,
                   cl_error *err)
{
    for (size_t i = 0; i < npairs; i++) {
        const clY_node *k = items[2 * i];
        if (k->kind != CLY_SCALAR)
            return clE_set(err, CL_ETYPE, clY_pos(doc, k), "a mapping key must be text, not %s",
                           clY_kind_name(k));
    }
    if (npairs < 2)
        return CL_OK;
    nodevec keys = {0};
    if (!CL_RESERVE(env, keys, npairs))
        return clE_set(err, CL_ENOMEM, clY_pos(doc, items[0]), "out of memory");
    for (size_t i = 0; i < npairs; i++)
        keys.v[keys.n++] = items[2 * i];
    qsort(keys.v, keys.n, sizeof *keys.v, key_cmp);
    int rc = CL_OK;
    for (size_t i = 1; i < keys.n && rc == CL_OK; i++) {
        if (!same_key(keys.v[i - 1], keys.v[i]))
            continue;
        const clY_node *first = keys.v[i - 1], *second = keys.v[i];
        if (first->line > second->line || (first->line == second->line && first->col > second->col)) {
            const clY_node *t = first;
            first = second;
            second = t;
        }
        rc = clE_set(err, CL_EDUPLICATE, clY_pos(doc, second), "duplicate key \"%s\" (first at "
                     "line %u)", second->str, first->line);
    }
    CL_VEC_FREE(env, keys);
    return rc;
}

static int on_end(builder *b, const yaml_event_t *e)
{
    frame f = b->frames.v[--b->frames.n];
    clY_node *n = f.node;
    int rc = CL_OK;
    if (n->kind == CLY_MAP && (rc = resolve_merges(b, f.base, e->start_mark)) != CL_OK)
        return rc;
    size_t count = b->kids.n - f.base;
    if (count > 0) {
        n->items = clB_arena_alloc(&b->doc->arena, count * sizeof *n->items);
        if (n->items == NULL)
            return fail(b, CL_ENOMEM, e->start_mark, "out of memory");
        memcpy(n->items, b->kids.v + f.base, count * sizeof *n->items);
    }
    n->n = (uint32_t)(n->kind == CLY_MAP ? count / 2 : count);
    b->kids.n = f.base;
    if (n->kind == CLY_MAP && (rc = clY_check_keys(b->env, b->doc, n->items, n->n, b->err)))
        return rc;
    return attach(b, n, e->start_mark);
}

/* ------------------------------------------------------------------------
 * The event loop
 * ------------------------------------------------------------------------ */

static int syntax_error(builder *b, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return fail(b, CL_ENOMEM, p->problem_mark, "out of memory in the YAML parser");
    const char *problem = p->problem ? p->problem : "malformed input";
    if (p->context != NULL)
        return fail(b, CL_ESYNTAX, p->problem_mark, "%s (%s at line %zu)", problem, p->context,
                    end_mark(b, p->context_mark).line + 1);
    return fail(b, CL_ESYNTAX, p->problem_mark, "%s", problem);
}

static int dispatch(builder *b, const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(b, e);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, e, CLY_SEQ);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, e, CLY_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(b, e);
    case YAML_ALIAS_EVENT:
        return on_alias(b, e);
    case YAML_DOCUMENT_START_EVENT:
        b->anchors.n = 0; /* anchors are local to a document */
        return CL_OK;
    default:
        return CL_OK;
    }
}

static void builder_free(builder *b)
{
    CL_VEC_FREE(b->env, b->frames);
    CL_VEC_FREE(b->env, b->kids);
    CL_VEC_FREE(b->env, b->anchors);
    CL_VEC_FREE(b->env, b->roots);
}

static int finish(builder *b, yaml_mark_t m)
{
    clY_doc *doc = b->doc;
    if (b->roots.n == 0)
        return CL_OK;
    doc->roots = clB_arena_alloc(&doc->arena, b->roots.n * sizeof *doc->roots);
    if (doc->roots == NULL)
        return fail(b, CL_ENOMEM, m, "out of memory");
    memcpy(doc->roots, b->roots.v, b->roots.n * sizeof *doc->roots);
    doc->nroots = b->roots.n;
    return CL_OK;
}

int clY_load(const cl_env *env, const char *src, size_t len, clY_doc *doc, cl_error *err)
{
    memset(doc, 0, sizeof *doc);
    clB_arena_init(&doc->arena, env);
    doc->src = src;
    doc->len = len;
    builder b = {.env = env, .doc = doc, .err = err};
    yaml_mark_t start = {0, 0, 0};
    if (len > env->limits[CL_LIMIT_INPUT_BYTES]) /* no position: the whole input */
        return clE_set(err, CL_ELIMIT, (cl_pos){0, 0, 0},
                       "input of %zu bytes exceeds the limit of %llu", len,
                       (unsigned long long)env->limits[CL_LIMIT_INPUT_BYTES]);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fail(&b, CL_ENOMEM, start, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)src, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    int rc = CL_OK;
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&parser, &e)) {
            rc = syntax_error(&b, &parser);
            break;
        }
        bool end = e.type == YAML_STREAM_END_EVENT;
        rc = dispatch(&b, &e);
        if (rc == CL_OK && end)
            rc = finish(&b, e.start_mark);
        yaml_event_delete(&e);
        if (rc != CL_OK || end)
            break;
    }
    yaml_parser_delete(&parser);
    builder_free(&b);
    if (rc != CL_OK) {
        doc->roots = NULL;
        doc->nroots = 0;
    }
    return rc;
}

void clY_free(clY_doc *doc)
{
    clB_arena_free(&doc->arena);
    doc->roots = NULL;
    doc->nroots = 0;
}

/* ------------------------------------------------------------------------
 * Reading the tree
 * ------------------------------------------------------------------------ */

cl_pos clY_pos(const clY_doc *doc, const clY_node *node)
{
    cl_pos p = {node->line, node->col, 0};
    if (doc == NULL || doc->src == NULL)
        return p;
    size_t i = 0, w = 0;
    /* Lines end at YAML's line breaks, as libyaml counts them. */
    for (uint32_t l = 1; l < node->line && i < doc->len; l++) {
        while (i < doc->len && (w = clE_line_break(doc->src, doc->len, i)) == 0)
            i++;
        i += w;
    }
    /* The column counts characters: step over UTF-8 continuation bytes. */
    for (uint32_t c = 1; c < node->col && i < doc->len &&
                         clE_line_break(doc->src, doc->len, i) == 0; c++) {
        i++;
        while (i < doc->len && ((unsigned char)doc->src[i] & 0xC0) == 0x80)
            i++;
    }
    p.offset = i;
    return p;
}

const clY_node *clY_get(const clY_node *map, const char *key)
{
    if (map == NULL || map->kind != CLY_MAP)
        return NULL;
    size_t kn = strlen(key);
    for (uint32_t i = 0; i < map->n; i++) {
        const clY_node *k = map->items[2 * i];
        if (k->kind == CLY_SCALAR && clB_eq(k->str, k->n, key, kn))
            return map->items[2 * i + 1];
    }
    return NULL;
}

bool clY_plain_is(const clY_node *node, const char *lit)
{
    return node != NULL && node->kind == CLY_SCALAR && !node->quoted &&
           strcmp(node->str, lit) == 0;
}

const char *clY_kind_name(const clY_node *node)
{
    switch (node ? node->kind : 0) {
    case CLY_SCALAR:
        return "text";
    case CLY_SEQ:
        return "a list";
    case CLY_MAP:
        return "a mapping";
    default:
        return "nothing";
    }
}
