/*
 * native.c - the C half of the Python binding (see native.h).
 *
 * Compiled into the extension together with the core library's sources, so
 * it may use the core's internal headers: cl_py_context_fill() builds the
 * same clY_node tree that parsing a context's JSON gives and hands it to the
 * core's own reader (clX_from_node), so a dict is checked by exactly the
 * rules of the JSON, with the same errors, at a fraction of the cost of
 * encoding it and parsing it back.
 */
#define PY_SSIZE_T_CLEAN
#include "native.h"

#include "context.h"
#include "yamldoc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PyObject *cl_py_error;

/* ------------------------------------------------------------------------
 * Diagnostics: bytes held, threads inside an evaluation. The library keeps
 * no global state; these counters are the binding's, and atomic.
 * ------------------------------------------------------------------------ */

static atomic_llong bytes_held;
static atomic_llong allowed = -1;     /* allocations left before failing; -1 = no limit */
static atomic_int inside, peak;

void *cl_py_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    if (nsize == 0) {
        if (ptr != NULL)
            atomic_fetch_sub(&bytes_held, (long long)osize);
        free(ptr);
        return NULL;
    }
    if (atomic_load(&allowed) >= 0 && atomic_fetch_sub(&allowed, 1) <= 0) {
        atomic_store(&allowed, 0);
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p != NULL)
        atomic_fetch_add(&bytes_held, (long long)nsize - (ptr ? (long long)osize : 0));
    return p;
}

void cl_py_enter(void)
{
    int n = atomic_fetch_add(&inside, 1) + 1;
    int p = atomic_load(&peak);
    while (n > p && !atomic_compare_exchange_weak(&peak, &p, n)) {
    }
}

void cl_py_leave(void)
{
    atomic_fetch_sub(&inside, 1);
}

long long cl_py_memory(void)
{
    return atomic_load(&bytes_held);
}

void cl_py_fail_after(long long n)
{
    atomic_store(&allowed, n < 0 ? -1 : n);
}

int cl_py_peak_inside(void)
{
    return atomic_load(&peak);
}

void cl_py_reset_peak(void)
{
    atomic_store(&peak, atomic_load(&inside));
}

/* ------------------------------------------------------------------------
 * Errors and writers
 * ------------------------------------------------------------------------ */

static PyObject *str_of(const char *s)
{
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

void cl_py_raise(const cl_error *e)
{
    PyObject *args = Py_BuildValue("(iIInNNN)", e->code, e->line, e->column,
                                   (Py_ssize_t)e->offset, str_of(e->source), str_of(e->path),
                                   str_of(e->message));
    if (args != NULL) {
        PyErr_SetObject(cl_py_error, args);
        Py_DECREF(args);
    }
}

int cl_py_write(void *ud, const char *s, size_t n)
{
    cl_py_buf *b = ud;
    if (n > SIZE_MAX / 2 - b->n)
        return 1;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return 1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

PyObject *cl_py_render(int code, unsigned line, unsigned column, const char *source,
                       const char *message, const char *src, size_t len)
{
    cl_error e;
    memset(&e, 0, sizeof e);
    e.code = code;
    e.line = line;
    e.column = column;
    snprintf(e.source, sizeof e.source, "%s", source);
    snprintf(e.message, sizeof e.message, "%s", message);
    char small[2048];
    size_t need = cl_error_format(&e, len ? src : NULL, len, small, sizeof small);
    if (need < sizeof small)
        return str_of(small);
    char *big = malloc(need + 1);
    if (big == NULL)
        return PyErr_NoMemory();
    cl_error_format(&e, len ? src : NULL, len, big, need + 1);
    PyObject *o = str_of(big);
    free(big);
    return o;
}

/* ------------------------------------------------------------------------
 * Results into Python objects
 * ------------------------------------------------------------------------ */

static PyTypeObject *result_type, *line_type, *reason_type;
static PyObject *decimal_type;
static PyObject *reason_names[CL_R_COUNT];

PyObject *cl_py_setup(PyObject *classes)
{
    PyObject *r, *l, *x, *d;
    if (!PyArg_ParseTuple(classes, "O!O!O!O", &PyType_Type, &r, &PyType_Type, &l,
                          &PyType_Type, &x, &d))
        return NULL;
    PyTypeObject *t[3] = {(PyTypeObject *)r, (PyTypeObject *)l, (PyTypeObject *)x};
    for (int i = 0; i < 3; i++)
        if (!PyType_IsSubtype(t[i], &PyTuple_Type)) {
            PyErr_SetString(PyExc_TypeError, "result classes must be named tuples");
            return NULL;
        }
    for (int i = 0; i < CL_R_COUNT; i++)
        if (reason_names[i] == NULL &&
            (reason_names[i] = PyUnicode_InternFromString(cl_reason_name(i))) == NULL)
            return NULL;
    Py_INCREF(r);
    Py_INCREF(l);
    Py_INCREF(x);
    Py_INCREF(d);
    Py_XSETREF(result_type, t[0]);
    Py_XSETREF(line_type, t[1]);
    Py_XSETREF(reason_type, t[2]);
    Py_XSETREF(decimal_type, d);
    Py_RETURN_NONE;
}

/* A named tuple of type t from n new references (stolen, even on failure). */
static PyObject *make(PyTypeObject *t, Py_ssize_t n, PyObject **v)
{
    PyObject *o = NULL;
    bool ok = true;
    for (Py_ssize_t i = 0; i < n; i++)
        ok = ok && v[i] != NULL;
    if (ok)
        o = t->tp_alloc(t, n);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (o != NULL)
            PyTuple_SET_ITEM(o, i, v[i]);
        else
            Py_XDECREF(v[i]);
    }
    return o;
}

static PyObject *amount(long long minor, const char *currency, PyObject *cache)
{
    PyObject *key = PyLong_FromLongLong(minor);
    if (key == NULL)
        return NULL;
    PyObject *d = PyDict_GetItemWithError(cache, key);
    if (d != NULL || PyErr_Occurred()) {
        Py_XINCREF(d);
        Py_DECREF(key);
        return d;
    }
    char buf[48];
    cl_amount_format(minor, currency, buf, sizeof buf);
    d = PyObject_CallFunction(decimal_type, "s", buf);
    if (d != NULL && PyDict_Size(cache) >= 4096)
        PyDict_Clear(cache);
    if (d != NULL && PyDict_SetItem(cache, key, d) < 0)
        Py_CLEAR(d);
    Py_DECREF(key);
    return d;
}

PyObject *cl_py_amount(long long minor, const char *currency, PyObject *cache)
{
    if (decimal_type == NULL || !PyDict_Check(cache)) {
        PyErr_SetString(PyExc_RuntimeError, "cl_py_setup() first, with a dict cache");
        return NULL;
    }
    return amount(minor, currency, cache);
}

static PyObject *lines_of(const cl_result *res, const cl_context *ctx, size_t i,
                          const char *currency, PyObject *cache)
{
    size_t n = cl_result_line_count(res, i);
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t j = 0; t != NULL && j < n; j++) {
        size_t index = 0;
        int64_t minor = 0;
        cl_result_line(res, i, j, &index, &minor);
        const char *sku = cl_context_item_sku(ctx, index);
        PyObject *v[3] = {PyLong_FromSize_t(index), str_of(sku ? sku : ""),
                          amount(minor, currency, cache)};
        PyObject *line = make(line_type, 3, v);
        if (line == NULL)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, (Py_ssize_t)j, line);
    }
    return t;
}

static PyObject *reasons_of(const cl_result *res, size_t i)
{
    size_t n = cl_result_reason_count(res, i);
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t j = 0; t != NULL && j < n; j++) {
        int code = cl_result_reason(res, i, j);
        unsigned line = cl_result_reason_line(res, i, j);
        PyObject *name = code >= 0 && code < CL_R_COUNT ? reason_names[code]
                                                        : str_of(cl_reason_name(code));
        if (code >= 0 && code < CL_R_COUNT)
            Py_INCREF(name);
        PyObject *lineobj = line ? PyLong_FromUnsignedLong(line) : Py_NewRef(Py_None);
        PyObject *v[3] = {name, str_of(cl_result_reason_message(res, i, j)), lineobj};
        PyObject *reason = make(reason_type, 3, v);
        if (reason == NULL)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, (Py_ssize_t)j, reason);
    }
    return t;
}

PyObject *cl_py_outcomes(const cl_result *res, const cl_context *ctx, size_t first, size_t n,
                         PyObject *cache)
{
    if (result_type == NULL || !PyDict_Check(cache)) {
        PyErr_SetString(PyExc_RuntimeError, "cl_py_setup() first, with a dict cache");
        return NULL;
    }
    const char *currency = cl_result_currency(res);
    if (currency == NULL || first + n < first ||
        first + n > cl_result_count(res) + cl_result_rejected_count(res)) {
        PyErr_SetString(PyExc_IndexError, "outcome out of range");
        return NULL;
    }
    PyObject *cur = str_of(currency);
    PyObject *out = cur ? PyTuple_New((Py_ssize_t)n) : NULL;
    for (size_t k = 0; out != NULL && k < n; k++) {
        size_t i = first + k;
        long coupon = cl_result_coupon(res, i);
        Py_INCREF(cur);
        PyObject *v[8] = {
            str_of(cl_result_code(res, i)),
            PyBool_FromLong(cl_result_applicable(res, i)),
            amount(cl_result_discount(res, i), currency, cache),
            amount(cl_result_shipping_discount(res, i), currency, cache),
            lines_of(res, ctx, i, currency, cache),
            reasons_of(res, i),
            cur,
            coupon >= 0 ? PyLong_FromLong(coupon) : Py_NewRef(Py_None),
        };
        PyObject *r = make(result_type, 8, v);
        if (r == NULL)
            Py_CLEAR(out);
        else
            PyTuple_SET_ITEM(out, (Py_ssize_t)k, r);
    }
    Py_XDECREF(cur);
    return out;
}

/* ------------------------------------------------------------------------
 * Dicts into contexts
 * ------------------------------------------------------------------------ */

enum { FILL_JSON = -1, FILL_PYERR = -2 };

typedef struct tree {
    clY_doc *doc;
    const cl_env *env;
    PyObject *convert;
    uint64_t nodes;
    int why;            /* FILL_JSON, FILL_PYERR or CL_ENOMEM once it failed */
} tree;

static clY_node *node(tree *t, int kind, uint32_t n)
{
    if (++t->nodes > t->env->limits[CL_LIMIT_NODES] ||
        (kind != CLY_SCALAR && n > t->env->limits[CL_LIMIT_LIST])) {
        t->why = FILL_JSON;       /* the JSON way reports the limit */
        return NULL;
    }
    clY_node *x = clB_arena_alloc(&t->doc->arena, sizeof *x);
    if (x != NULL && kind != CLY_SCALAR && n > 0)
        x->items = clB_arena_alloc(&t->doc->arena, (kind == CLY_MAP ? 2 : 1) * n *
                                   sizeof *x->items);
    if (x == NULL || (kind != CLY_SCALAR && n > 0 && x->items == NULL)) {
        t->why = CL_ENOMEM;
        return NULL;
    }
    x->kind = (uint8_t)kind;
    x->n = n;
    x->weight = 1;
    return x;
}

static clY_node *scalar(tree *t, const char *s, size_t n, bool quoted)
{
    if (n > t->env->limits[CL_LIMIT_STRING] || n > UINT32_MAX || memchr(s, '\0', n)) {
        t->why = FILL_JSON;
        return NULL;
    }
    clY_node *x = node(t, CLY_SCALAR, 0);
    if (x == NULL)
        return NULL;
    if ((x->str = clB_arena_strndup(&t->doc->arena, s, n)) == NULL) {
        t->why = CL_ENOMEM;
        return NULL;
    }
    x->n = (uint32_t)n;
    x->quoted = quoted;
    return x;
}

static clY_node *text(tree *t, PyObject *o, bool quoted)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s == NULL) {
        PyErr_Clear();            /* lone surrogates: json raises the error */
        t->why = FILL_JSON;
        return NULL;
    }
    return scalar(t, s, (size_t)n, quoted);
}

/* The node of o, as json.dumps(o) parsed by clY_load would give it. */
static clY_node *build(tree *t, PyObject *o, unsigned depth)
{
    if (PyUnicode_Check(o))
        return text(t, o, true);
    if (o == Py_True || o == Py_False || o == Py_None) {
        const char *s = o == Py_True ? "true" : o == Py_False ? "false" : "null";
        return scalar(t, s, strlen(s), false);
    }
    if (PyLong_Check(o)) {
        PyObject *s = PyLong_Type.tp_repr(o);     /* as json writes it */
        clY_node *x = s ? text(t, s, false) : NULL;
        if (s == NULL)
            t->why = FILL_PYERR;
        Py_XDECREF(s);
        return x;
    }
    bool seq = PyList_Check(o) || PyTuple_Check(o), map = PyDict_Check(o);
    if ((seq || map) && depth >= t->env->limits[CL_LIMIT_DEPTH]) {
        t->why = FILL_JSON;
        return NULL;
    }
    if (seq) {
        PyObject *fast = PySequence_Fast(o, "");
        if (fast == NULL) {
            t->why = FILL_PYERR;
            return NULL;
        }
        Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
        clY_node *x = node(t, CLY_SEQ, (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n));
        for (Py_ssize_t i = 0; x != NULL && i < n; i++) {
            /* convert() may change the list under us: hold the item, and
             * give up on the native way if the list shrank. */
            if (i >= PySequence_Fast_GET_SIZE(fast)) {
                t->why = FILL_JSON;
                x = NULL;
                break;
            }
            PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(fast, i));
            if ((x->items[i] = build(t, item, depth + 1)) == NULL)
                x = NULL;
            Py_DECREF(item);
        }
        Py_DECREF(fast);
        return x;
    }
    if (map) {
        Py_ssize_t n = PyDict_Size(o), pos = 0, i = 0;
        PyObject *k, *v;
        clY_node *x = node(t, CLY_MAP, (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n));
        while (x != NULL && PyDict_Next(o, &pos, &k, &v)) {
            /* json's own rules for other keys; and convert() may change the
             * dict under us: then the native way gives up. */
            if (!PyUnicode_CheckExact(k) || PyUnicode_CompareWithASCIIString(k, "<<") == 0 ||
                i >= n || PyDict_Size(o) != n) {
                t->why = FILL_JSON;
                return NULL;
            }
            Py_INCREF(k);
            Py_INCREF(v);
            bool ok = (x->items[2 * i] = text(t, k, true)) != NULL &&
                      (x->items[2 * i + 1] = build(t, v, depth + 1)) != NULL;
            Py_DECREF(k);
            Py_DECREF(v);
            if (!ok)
                return NULL;
            i++;
        }
        if (x != NULL && (i != n || PyDict_Size(o) != n)) {
            t->why = FILL_JSON;
            return NULL;
        }
        return x;
    }
    if (PyFloat_Check(o)) {
        t->why = FILL_JSON;           /* refused or written by the JSON way */
        return NULL;
    }
    /* Anything else goes through convert(), as json's default= does. */
    if (depth >= t->env->limits[CL_LIMIT_DEPTH]) {
        t->why = FILL_JSON;
        return NULL;
    }
    PyObject *c = PyObject_CallOneArg(t->convert, o);
    if (c == NULL) {
        t->why = FILL_PYERR;
        return NULL;
    }
    clY_node *x = build(t, c, depth + 1);
    Py_DECREF(c);
    return x;
}

int cl_py_context_fill(cl_context *ctx, PyObject *data, PyObject *convert, cl_error *err)
{
    if (ctx == NULL || !PyDict_Check(data) || !PyCallable_Check(convert))
        return FILL_JSON;
    clY_doc doc;
    memset(&doc, 0, sizeof doc);
    clB_arena_init(&doc.arena, ctx->env);
    tree t = {&doc, ctx->env, convert, 0, 0};
    clY_node *root = build(&t, data, 0);
    int rc;
    if (root == NULL && t.why == CL_ENOMEM)
        rc = clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    else if (root == NULL)
        rc = t.why;
    else {
        clE_clear(err);
        clE_source(err, "<context>");
        Py_BEGIN_ALLOW_THREADS
        rc = clX_from_node(ctx, &doc, root, err);
        Py_END_ALLOW_THREADS
    }
    clY_free(&doc);
    return rc;
}
