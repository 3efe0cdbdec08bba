/*
 * result.c - evaluation results: storage reused between evaluations, the
 * public accessors, and the JSON of SPEC sections 5 and 6.
 */
#include "result.h"

#include "money.h"

#include <inttypes.h>
#include <stdio.h>

static const char *const reason_names[CL_R_COUNT] = {
    "NOT_STARTED", "EXPIRED", "WEEKDAY", "TIME_OF_DAY", "SPECIAL_DAY", "PAYMENT", "USER",
    "ORDER_SEQUENCE", "ORDER_SERIAL", "ORDER_NUMBER", "ITEMS", "CATEGORY", "MIN_SUBTOTAL",
    "MIN_QUANTITY", "SHIPPING", "CURRENCY", "USAGE_LIMIT", "PER_USER_LIMIT", "BUDGET",
    "CODE_REQUIRED", "NOT_COMBINABLE", "UNKNOWN_CODE", "CONDITION",
};

CL_API const char *cl_reason_name(int reason)
{
    return reason >= 0 && reason < CL_R_COUNT ? reason_names[reason] : "?";
}

/* ------------------------------------------------------------------------
 * Storage
 * ------------------------------------------------------------------------ */

void clR_reset(cl_result *r)
{
    r->out.n = 0;
    r->lines.n = 0;
    r->reasons.n = 0;
    r->text.n = 0;
    r->napplied = 0;
    r->is_best = 0;
    memset(r->totals, 0, sizeof r->totals);
}

void clR_free(cl_result *r)
{
    CL_VEC_FREE(r->env, r->out);
    CL_VEC_FREE(r->env, r->lines);
    CL_VEC_FREE(r->env, r->reasons);
    clB_str_free(r->env, &r->text);
}

clR_outcome *clR_begin(cl_result *r, long coupon, const char *code)
{
    clR_outcome o = {coupon, code, 0, 0, 0, (uint32_t)r->lines.n, 0, (uint32_t)r->reasons.n, 0};
    if (!CL_PUSH(r->env, r->out, o))
        return NULL;
    return &r->out.v[r->out.n - 1];
}

bool clR_reason_add(cl_result *r, int code, uint32_t line, const char *msg)
{
    clR_reason x = {(uint8_t)code, line, msg, 0};
    if (!CL_PUSH(r->env, r->reasons, x))
        return false;
    r->out.v[r->out.n - 1].reason_count++;
    return true;
}

bool clR_reason_addf(cl_result *r, int code, uint32_t line, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t n = k < 0 ? 0 : (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1;
    size_t off = r->text.n;
    if (!clB_str_append(r->env, &r->text, buf, n) || !clB_str_append(r->env, &r->text, "", 1))
        return false;
    clR_reason x = {(uint8_t)code, line, NULL, off};
    if (!CL_PUSH(r->env, r->reasons, x))
        return false;
    r->out.v[r->out.n - 1].reason_count++;
    return true;
}

bool clR_line_add(cl_result *r, uint32_t index, int64_t amount, const char *sku, size_t n)
{
    clR_line l = {index, amount, r->text.n};
    if (!clB_str_append(r->env, &r->text, sku, n) || !clB_str_append(r->env, &r->text, "", 1))
        return false;
    if (!CL_PUSH(r->env, r->lines, l))
        return false;
    r->out.v[r->out.n - 1].line_count++;
    return true;
}

/* ------------------------------------------------------------------------
 * Accessors
 * ------------------------------------------------------------------------ */

static const clR_outcome *at(const cl_result *r, size_t i)
{
    return r != NULL && i < r->out.n ? &r->out.v[i] : NULL;
}

CL_API const char *cl_result_currency(const cl_result *r)
{
    return r ? r->currency : NULL;
}

CL_API size_t cl_result_count(const cl_result *r)
{
    return r == NULL ? 0 : r->is_best ? r->napplied : r->out.n;
}

CL_API size_t cl_result_rejected_count(const cl_result *r)
{
    return r == NULL || !r->is_best ? 0 : r->out.n - r->napplied;
}

CL_API const char *cl_result_code(const cl_result *r, size_t i)
{
    const clR_outcome *o = at(r, i);
    return o ? o->code : NULL;
}

CL_API long cl_result_coupon(const cl_result *r, size_t i)
{
    const clR_outcome *o = at(r, i);
    return o ? o->coupon : -1;
}

CL_API bool cl_result_applicable(const cl_result *r, size_t i)
{
    const clR_outcome *o = at(r, i);
    return o && o->applicable;
}

CL_API int64_t cl_result_discount(const cl_result *r, size_t i)
{
    const clR_outcome *o = at(r, i);
    return o ? o->discount : 0;
}

CL_API int64_t cl_result_shipping_discount(const cl_result *r, size_t i)
{
    const clR_outcome *o = at(r, i);
    return o ? o->shipping : 0;
}

CL_API size_t cl_result_line_count(const cl_result *r, size_t i)
{
    const clR_outcome *o = at(r, i);
    return o ? o->line_count : 0;
}

CL_API cl_status cl_result_line(const cl_result *r, size_t i, size_t j, size_t *index,
                                int64_t *discount)
{
    const clR_outcome *o = at(r, i);
    if (o == NULL || j >= o->line_count)
        return CL_ERANGE;
    const clR_line *l = &r->lines.v[o->line_first + j];
    if (index != NULL)
        *index = l->index;
    if (discount != NULL)
        *discount = l->amount;
    return CL_OK;
}

CL_API size_t cl_result_reason_count(const cl_result *r, size_t i)
{
    const clR_outcome *o = at(r, i);
    return o ? o->reason_count : 0;
}

static const clR_reason *reason_at(const cl_result *r, size_t i, size_t j)
{
    const clR_outcome *o = at(r, i);
    return o != NULL && j < o->reason_count ? &r->reasons.v[o->reason_first + j] : NULL;
}

CL_API int cl_result_reason(const cl_result *r, size_t i, size_t j)
{
    const clR_reason *x = reason_at(r, i, j);
    return x ? x->code : -1;
}

CL_API const char *cl_result_reason_message(const cl_result *r, size_t i, size_t j)
{
    const clR_reason *x = reason_at(r, i, j);
    if (x == NULL)
        return NULL;
    return x->msg ? x->msg : r->text.p + x->off;
}

CL_API unsigned cl_result_reason_line(const cl_result *r, size_t i, size_t j)
{
    const clR_reason *x = reason_at(r, i, j);
    return x ? x->line : 0;
}

CL_API int64_t cl_result_total(const cl_result *r, cl_total which)
{
    if (r == NULL || (unsigned)which > CL_TOTAL_TOTAL)
        return 0;
    return r->totals[which];
}

/* ------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------ */

typedef struct jw {
    cl_write_fn write;
    void *ud;
    int failed;
    int exponent;
} jw;

static void put(jw *w, const char *s, size_t n)
{
    if (!w->failed && w->write(w->ud, s, n) != 0)
        w->failed = 1;
}

static void puts_(jw *w, const char *s)
{
    put(w, s, strlen(s));
}

/* A JSON string: quotes, escapes, control characters as \u00XX. */
static void jstr(jw *w, const char *s)
{
    put(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, run, (size_t)(s - run));
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        puts_(w, esc);
        run = s + 1;
    }
    put(w, run, (size_t)(s - run));
    put(w, "\"", 1);
}

static void jamount(jw *w, int64_t v)
{
    char buf[40];
    clM_format(v, w->exponent, buf + 1, sizeof buf - 2);
    buf[0] = '"';
    size_t n = strlen(buf);
    buf[n] = '"';
    put(w, buf, n + 1);
}

static void joutcome(jw *w, const cl_result *r, size_t i, const char *indent)
{
    const clR_outcome *o = &r->out.v[i];
    char buf[64];
    puts_(w, indent);
    puts_(w, "{ \"code\": ");
    jstr(w, o->code);
    puts_(w, o->applicable ? ", \"applicable\": true" : ", \"applicable\": false");
    puts_(w, ", \"discount\": ");
    jamount(w, o->discount);
    puts_(w, ", \"shipping_discount\": ");
    jamount(w, o->shipping);
    puts_(w, ",\n");
    puts_(w, indent);
    puts_(w, "  \"lines\": [");
    for (uint32_t k = 0; k < o->line_count; k++) {
        const clR_line *l = &r->lines.v[o->line_first + k];
        snprintf(buf, sizeof buf, "%s{ \"index\": %" PRIu32 ", \"sku\": ", k ? ", " : " ",
                 l->index);
        puts_(w, buf);
        jstr(w, r->text.p + l->sku);
        puts_(w, ", \"discount\": ");
        jamount(w, l->amount);
        puts_(w, " }");
    }
    puts_(w, o->line_count ? " ],\n" : "],\n");
    puts_(w, indent);
    puts_(w, "  \"reasons\": [");
    for (uint32_t k = 0; k < o->reason_count; k++) {
        const clR_reason *x = &r->reasons.v[o->reason_first + k];
        puts_(w, k ? ",\n" : "\n");
        puts_(w, indent);
        puts_(w, "    { \"code\": ");
        jstr(w, cl_reason_name(x->code));
        puts_(w, ", \"message\": ");
        jstr(w, x->msg ? x->msg : r->text.p + x->off);
        if (x->line) {
            snprintf(buf, sizeof buf, ", \"line\": %" PRIu32, x->line);
            puts_(w, buf);
        }
        puts_(w, " }");
    }
    if (o->reason_count) {
        puts_(w, "\n");
        puts_(w, indent);
        puts_(w, "  ");
    }
    puts_(w, "] }");
}

static void jbest(jw *w, const cl_result *r)
{
    static const char *const names[] = {"subtotal", "shipping", "discount", "shipping_discount",
                                        "total"};
    puts_(w, "{\n  \"coupons\": [");
    for (size_t i = 0; i < r->napplied; i++) {
        puts_(w, i ? ", " : "");
        jstr(w, r->out.v[i].code);
    }
    puts_(w, "],\n");
    static const int order[] = {CL_TOTAL_DISCOUNT, CL_TOTAL_SHIPPING_DISCOUNT,
                                CL_TOTAL_SUBTOTAL, CL_TOTAL_SHIPPING, CL_TOTAL_TOTAL};
    for (size_t k = 0; k < CL_COUNTOF(order); k++) {
        puts_(w, "  \"");
        puts_(w, names[order[k]]);
        puts_(w, "\": ");
        jamount(w, r->totals[order[k]]);
        puts_(w, ",\n");
    }
    puts_(w, "  \"applied\": [");
    for (size_t i = 0; i < r->napplied; i++) {
        puts_(w, i ? ",\n" : "\n");
        joutcome(w, r, i, "    ");
    }
    puts_(w, r->napplied ? "\n  ],\n" : "],\n");
    puts_(w, "  \"rejected\": [");
    for (size_t i = r->napplied; i < r->out.n; i++) {
        const clR_outcome *o = &r->out.v[i];
        puts_(w, i > r->napplied ? ",\n    { \"code\": " : "\n    { \"code\": ");
        jstr(w, o->code);
        puts_(w, ", \"reasons\": [");
        for (uint32_t k = 0; k < o->reason_count; k++) {
            const clR_reason *x = &r->reasons.v[o->reason_first + k];
            char buf[48];
            puts_(w, k ? ",\n        { \"code\": " : "\n        { \"code\": ");
            jstr(w, cl_reason_name(x->code));
            puts_(w, ", \"message\": ");
            jstr(w, x->msg ? x->msg : r->text.p + x->off);
            if (x->line) {
                snprintf(buf, sizeof buf, ", \"line\": %" PRIu32, x->line);
                puts_(w, buf);
            }
            puts_(w, " }");
        }
        puts_(w, o->reason_count ? " ] }" : "] }");
    }
    puts_(w, r->out.n > r->napplied ? "\n  ]\n}\n" : "]\n}\n");
}

CL_API cl_status cl_result_write_json(const cl_result *r, cl_write_fn write, void *ud)
{
    if (r == NULL || write == NULL)
        return CL_EINVAL;
    jw w = {write, ud, 0, r->exponent};
    if (r->is_best) {
        jbest(&w, r);
    } else {
        puts_(&w, "[");
        for (size_t i = 0; i < r->out.n; i++) {
            puts_(&w, i ? ",\n" : "\n");
            joutcome(&w, r, i, "  ");
        }
        puts_(&w, r->out.n ? "\n]\n" : "]\n");
    }
    return w.failed ? CL_EIO : CL_OK;
}
