/*
 * opcodes.c - the opcode table made from opcodes.def, and the disassembler.
 */
#include "program.h"

#include "money.h"

#include <inttypes.h>
#include <stdio.h>

const clP_opinfo clP_ops[OP__COUNT] = {
#define X(name, a, b, c, pops, pushes, synopsis) \
    {#name, OPND_##a, OPND_##b, OPND_##c, pops, pushes, synopsis},
#include "opcodes.def"
#undef X
};

const char *const clP_field_names[FLD__COUNT] = {
    [FLD_USER_ID] = "user.id", [FLD_USER_EMAIL] = "user.email",
    [FLD_ORDER_NUMBER] = "order.number", [FLD_PAYMENT_METHOD] = "payment.method",
    [FLD_PAYMENT_NETWORK] = "payment.network", [FLD_PAYMENT_BIN] = "payment.bin",
    [FLD_PAYMENT_WALLET] = "payment.wallet", [FLD_SHIPPING_METHOD] = "shipping.method",
    [FLD_SHIPPING_COUNTRY] = "shipping.country", [FLD_CURRENCY] = "currency",
    [FLD_USER_ORDERS] = "user.orders_completed", [FLD_ORDER_SERIAL] = "order.serial",
    [FLD_ORDER_SEQUENCE] = "order.sequence", [FLD_CART_QUANTITY] = "cart.quantity",
    [FLD_CART_SUBTOTAL] = "cart.subtotal", [FLD_SHIPPING_AMOUNT] = "shipping.amount",
};

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------ */

typedef struct out {
    cl_write_fn write;
    void *ud;
    int failed;
} out;

static void emit(out *o, const char *fmt, ...) CL_PRINTF(2, 3);
static void emit(out *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0 || o->failed)
        return;
    size_t n = (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1;
    if (o->write(o->ud, buf, n) != 0)
        o->failed = 1;
}

/* A string constant quoted and shortened for a listing. */
static void quoted(const clP_unit *u, uint32_t s, char *buf, size_t size)
{
    const char *p = clP_text(u, s);
    size_t n = u->strs[s].len, k = 0;
    buf[k++] = '"';
    /* Room for one character at its longest (4), the "..." (3), the
     * closing quote and the NUL. */
    for (size_t i = 0; i < n && k + 9 < size; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            buf[k++] = '\\';
            buf[k++] = (char)c;
        } else if (c < 0x20) {
            k += (size_t)snprintf(buf + k, size - k, "\\x%02x", c);
        } else {
            buf[k++] = (char)c;
        }
        if (i == 47 && n > 52) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
    }
    buf[k++] = '"';
    buf[k] = '\0';
}

static void set_text(const clP_unit *u, uint32_t set, char *buf, size_t size)
{
    const clP_set *s = &u->sets[set];
    size_t k = (size_t)snprintf(buf, size, "{");
    for (uint32_t i = 0; i < s->count && i < 5 && k < size; i++) {
        char q[128];
        quoted(u, u->items[s->first + i], q, sizeof q);
        k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? ", " : "", q);
    }
    if (k < size && s->count > 5)
        k += (size_t)snprintf(buf + k, size - k, ", ... %" PRIu32 " in all", s->count);
    if (k < size)
        snprintf(buf + k, size - k, "}%s", s->fold ? " (any case)" : "");
}

static void iset_text(const clP_unit *u, uint32_t iset, char *buf, size_t size)
{
    const clP_iset *s = &u->isets[iset];
    size_t k = (size_t)snprintf(buf, size, "{");
    for (uint32_t i = 0; i < s->count && i < 8 && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%" PRId64, i ? ", " : "", u->ints[s->first + i]);
    if (k < size && s->count > 8)
        k += (size_t)snprintf(buf + k, size - k, ", ... %" PRIu32 " in all", s->count);
    if (k < size)
        snprintf(buf + k, size - k, "}");
}

/* ------------------------------------------------------------------------
 * Operands
 * ------------------------------------------------------------------------ */

static void operand(const clP_unit *u, int kind, uint32_t v, char *buf, size_t size)
{
    static const char *const cmps[CMP__COUNT] = {"==", "!=", "<", "<=", ">", ">="};
    static const char *const modes[TAGS__COUNT] = {"any", "all", "none"};
    static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    buf[0] = '\0';
    switch ((clP_opnd)kind) {
    case OPND_NONE:
        break;
    case OPND_FSTR: case OPND_FINT: case OPND_FAMT:
        snprintf(buf, size, "%s", v < FLD__COUNT ? clP_field_names[v] : "?");
        break;
    case OPND_CMP:
        snprintf(buf, size, "%s", v < CMP__COUNT ? cmps[v] : "?");
        break;
    case OPND_MODE:
        snprintf(buf, size, "%s", v < TAGS__COUNT ? modes[v] : "?");
        break;
    case OPND_MASK: {
        size_t k = 0;
        for (int d = 0; d < 7 && k < size; d++)
            if (v & (1u << d))
                k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? "," : "", days[d]);
        break;
    }
    case OPND_DIR:
        snprintf(buf, size, "%s", v ? "until" : "from");
        break;
    case OPND_FORM:
        snprintf(buf, size, "%s", v ? "local" : "instant");
        break;
    case OPND_REASON:
        snprintf(buf, size, "%s", cl_reason_name((int)v));
        break;
    case OPND_INT:
        snprintf(buf, size, "%" PRId64, u->ints[v]);
        break;
    case OPND_INT2:
        snprintf(buf, size, "[%" PRId64 ", %" PRId64 "]", u->ints[v], u->ints[v + 1]);
        break;
    case OPND_STR:
        quoted(u, v, buf, size);
        break;
    case OPND_SET:
        set_text(u, v, buf, size);
        break;
    case OPND_ISET:
        iset_text(u, v, buf, size);
        break;
    case OPND_REGEX: {
        char q[128];
        quoted(u, u->regexes[v].pattern, q, sizeof q);
        snprintf(buf, size, "/%.*s/", (int)strlen(q) - 2, q + 1);
        break;
    }
    case OPND_FILTER:
        snprintf(buf, size, "filter#%" PRIu32, v);
        break;
    case OPND_DATESPEC:
        snprintf(buf, size, "date#%" PRIu32, v);
        break;
    case OPND_ANNIV:
        snprintf(buf, size, "anniversary#%" PRIu32, v);
        break;
    case OPND_MSG: {
        char q[128];
        quoted(u, u->msgs[v].text, q, sizeof q);
        snprintf(buf, size, "%s (line %" PRIu32 ")", q, u->msgs[v].line);
        break;
    }
    case OPND_DISC:
        snprintf(buf, size, "discount#%" PRIu32, v);
        break;
    case OPND_JABSENT: case OPND_JALWAYS: case OPND_JKEEP:
        snprintf(buf, size, "-> %" PRIu32, v);
        break;
    }
}

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

static void list_filters(out *o, const clP_unit *u)
{
    static const char *const sk[SP__COUNT] = {"eq", "ne", "in", "not_in", "prefix", "matches"};
    for (uint32_t i = 0; i < u->n_filters; i++) {
        const clP_filter *f = &u->filters[i];
        char buf[600];
        emit(o, "filter#%" PRIu32 ":", i);
        for (uint32_t k = 0; k < f->sku_count; k++) {
            const clP_spred *p = &u->spreds[f->sku_first + k];
            operand(u, p->kind == SP_MATCH ? OPND_REGEX : p->kind <= SP_NE ? OPND_STR : OPND_SET,
                    p->arg, buf, sizeof buf);
            emit(o, " sku %s %s;", sk[p->kind], buf);
        }
        for (uint32_t k = 0; k < f->xsku_count; k++) {
            const clP_spred *p = &u->spreds[f->xsku_first + k];
            operand(u, p->kind == SP_MATCH ? OPND_REGEX : p->kind <= SP_NE ? OPND_STR : OPND_SET,
                    p->arg, buf, sizeof buf);
            emit(o, " exclude sku %s %s;", sk[p->kind], buf);
        }
        if (f->cat != CL_NONE) {
            set_text(u, f->cat, buf, sizeof buf);
            emit(o, " category %s;", buf);
        }
        if (f->xcat != CL_NONE) {
            set_text(u, f->xcat, buf, sizeof buf);
            emit(o, " exclude category %s;", buf);
        }
        if (f->tags != CL_NONE) {
            set_text(u, f->tags, buf, sizeof buf);
            emit(o, " tags %s %s;", f->tags_mode == TAGS_ANY ? "any" : f->tags_mode == TAGS_ALL
                                                                          ? "all" : "none", buf);
        }
        if (f->on_sale)
            emit(o, " on_sale %s;", f->on_sale == 1 ? "true" : "false");
        if (f->price_count)
            emit(o, " unit_price (%" PRIu32 " tests);", f->price_count);
        emit(o, " min_quantity %" PRId64 "; min_amount %" PRId64 "\n", f->min_quantity,
             f->min_amount);
    }
}

static void list_discounts(out *o, const clP_unit *u)
{
    static const char *const kinds[DK__COUNT] = {"percent", "amount", "amount_per_item",
                                                 "fixed_price", "buy_get", "tiers",
                                                 "free_shipping"};
    static const char *const targets[TG__COUNT] = {"order", "shipping", "items"};
    for (uint32_t i = 0; i < u->n_discounts; i++) {
        const clP_discount *d = &u->discounts[i];
        emit(o, "discount#%" PRIu32 ": %s value %" PRId64 " target %s", i, kinds[d->kind],
             d->value, targets[d->target]);
        if (d->target == TG_ITEMS)
            emit(o, " filter#%" PRIu32, d->filter);
        if (d->max_amount >= 0)
            emit(o, " max_amount %" PRId64, d->max_amount);
        if (d->max_units >= 0)
            emit(o, " max_units %" PRId64, d->max_units);
        if (d->kind == DK_BUY_GET)
            emit(o, " buy %" PRId64 " get %" PRId64, d->buy, d->get);
        for (uint32_t t = 0; t < d->tier_count; t++) {
            const clP_tier *tr = &u->tiers[d->tier_first + t];
            emit(o, " tier[min %" PRId64 " %s %" PRId64 "]", tr->min,
                 tr->percent ? "bp" : "amount", tr->value);
        }
        emit(o, "%s\n", d->exclude_sale ? " exclude_sale_items" : "");
    }
}

/* ------------------------------------------------------------------------
 * The listing
 * ------------------------------------------------------------------------ */

static void list_coupon_code(out *o, const clP_unit *u, uint32_t first, uint32_t end)
{
    for (uint32_t pc = first; pc < end; pc++) {
        const clP_insn *in = &u->code[pc];
        const clP_opinfo *op = &clP_ops[in->op];
        char a[160], b[160], c[600];
        operand(u, op->a, in->a, a, sizeof a);
        operand(u, op->b, in->b, b, sizeof b);
        operand(u, op->c, in->c, c, sizeof c);
        char line[1024];
        int k = snprintf(line, sizeof line, "%6" PRIu32 "  %-12s", pc, op->name);
        const char *parts[3] = {a, b, c};
        for (int i = 0; i < 3 && k > 0 && (size_t)k < sizeof line; i++)
            if (parts[i][0])
                k += snprintf(line + k, sizeof line - (size_t)k, " %s", parts[i]);
        /* trim trailing blanks of the padded name */
        size_t n = strlen(line);
        while (n > 0 && line[n - 1] == ' ')
            line[--n] = '\0';
        emit(o, "%s\n", line);
    }
}

int clP_disasm_unit(const clP_unit *u, cl_write_fn write, void *ud)
{
    out o = {write, ud, 0};
    emit(&o, "; %s: %" PRIu32 " coupons, %" PRIu32 " instructions, %" PRIu32 " strings, %" PRIu32
         " sets, %" PRIu32 " regexes\n", u->source, u->n_coupons, u->n_code, u->n_strs, u->n_sets,
         u->n_regexes);
    for (uint32_t i = 0; i < u->n_coupons; i++) {
        const clP_coupon *c = &u->coupons[i];
        uint32_t end = i + 1 < u->n_coupons ? u->coupons[i + 1].entry : u->n_code;
        emit(&o, "\ncoupon %s (line %" PRIu32 "): priority %" PRId64 ", %s%s%s, discount#%" PRIu32
             "%s%s\n", clP_text(u, c->code), c->line, c->priority,
             c->exclusive ? "exclusive" : "stackable", c->automatic ? ", automatic" : "",
             c->stop ? ", stop" : "", c->discount, c->zone != CL_NONE ? ", zone " : "",
             c->zone != CL_NONE ? u->zones[c->zone]->name : "");
        list_coupon_code(&o, u, c->entry, end);
    }
    if (u->n_discounts || u->n_filters)
        emit(&o, "\n");
    list_discounts(&o, u);
    list_filters(&o, u);
    return o.failed ? CL_EIO : CL_OK;
}
