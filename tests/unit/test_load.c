/*
 * test_load.c - unit tests of the loader (load.c, load_cond.c,
 * load_discount.c), through cl_compile():
 *
 *   - every key of the language (but the time keys, tested with tz) given a
 *     value of the wrong type: the status, the position of the value and the
 *     path to it, such as coupons[1].when.items.sku.eq;
 *   - the value readers (whole numbers, amounts, percentages, texts) at
 *     their edges;
 *   - what a good file loads into: file settings, coupon records, discount
 *     records, line filters and the messages shoppers read.
 *
 * Every message the loader can produce is also exercised, with its source
 * line, by the compile_errors of tests/cases/errors.test.yaml.
 */
#include "program.h"
#include "testutil.h"

#include <stdio.h>

static cl_env *env;
static cl_error err;

static void setup(void)
{
    env = cl_env_new(NULL, NULL);
}

static void teardown(void)
{
    cl_env_free(env);
}

static cl_program *compile(const char *src)
{
    return cl_compile(env, src, strlen(src), "t.yaml", &err);
}

static cl_program *compile_ok(const char *src)
{
    cl_program *p = compile(src);
    ck_assert_msg(p != NULL, "%u:%u: %s (at %s)", err.line, err.column, err.message, err.path);
    return p;
}

/* Must fail with code at line:col (0 = not checked), path and a message
 * containing what. */
static void fails(const char *src, int code, unsigned line, unsigned col, const char *path,
                  const char *what)
{
    cl_program *p = compile(src);
    ck_assert_msg(p == NULL, "compiled: %s", src);
    ck_assert_msg(err.code == code, "%s: status %s, want %s (%s)", src,
                  cl_status_name(err.code), cl_status_name(code), err.message);
    ck_assert_msg(line == 0 || err.line == line, "%s: line %u, want %u (%s)", src, err.line,
                  line, err.message);
    ck_assert_msg(col == 0 || err.column == col, "%s: column %u, want %u (%s)", src,
                  err.column, col, err.message);
    ck_assert_msg(path == NULL || strcmp(err.path, path) == 0, "%s: path \"%s\", want \"%s\"",
                  src, err.path, path);
    ck_assert_msg(strstr(err.message, what) != NULL, "%s: message \"%s\" lacks \"%s\"", src,
                  err.message, what);
    ck_assert_str_eq(err.source, "t.yaml");
}

/* ------------------------------------------------------------------------
 * Wrong types, key by key
 * ------------------------------------------------------------------------ */

/*
 * Each template has one '@' where a value goes. It is replaced by each of
 * the wrong values given (separated by '|'), and the compile must fail with
 * the status given for that value, at the value's position, with the path.
 * A file of two coupons is used for coupon keys, so paths show the index.
 */
typedef struct typecase {
    const char *path;
    const char *tmpl;
    const char *values;   /* "[1]|{ a: 1 }" */
    const char *codes;    /* one status letter per value: T type, V value, K key */
} typecase;

#define DOC(body) "version: 1\ncurrency: USD\ncoupons:\n  - { code: FIRST, discount: { amount: \"1.00\" } }\n  - " body "\n"
#define P(x) "coupons[1]." x

static const typecase typecases[] = {
    {"version", "version: @\ncoupons: []\n", "2|[1]|{ a: 1 }", "VVV"},
    {"currency", "currency: @\ncoupons: []\n", "[USD]|{ a: 1 }", "TT"},
    {"rounding", "rounding: @\ncoupons: []\n", "[up]|{ a: 1 }|true", "TTT"},
    {"selection", "selection: @\ncoupons: []\n", "3|[3]", "TT"},
    {"selection.max_coupons", "selection: { max_coupons: @ }\ncoupons: []\n",
     "[3]|{ a: 1 }|x|0", "TTVV"},
    {"coupons", "coupons: @\n", "x|{ code: A }", "TT"},
    {"coupons[0]", "coupons: [ @ ]\n", "x|[1]", "TT"},
    {P("code"), DOC("{ code: @, discount: { percent: 5 } }"), "[A]|{ a: 1 }|true", "TTT"},
    {P("name"), DOC("{ code: B, name: @, discount: { percent: 5 } }"), "[n]|{ a: 1 }|false",
     "TTT"},
    {P("automatic"), DOC("{ code: B, automatic: @, discount: { percent: 5 } }"),
     "yes|'true'|[true]|{ a: 1 }", "TTTT"},
    {P("stop"), DOC("{ code: B, stop: @, discount: { percent: 5 } }"), "1|[true]", "TT"},
    {P("owner"), DOC("{ code: B, owner: @, discount: { percent: 5 } }"), "[u]|{ a: 1 }", "TT"},
    {P("priority"), DOC("{ code: B, priority: @, discount: { percent: 5 } }"),
     "[1]|{ a: 1 }|high|1.5", "TTVV"},
    {P("combine"), DOC("{ code: B, combine: @, discount: { percent: 5 } }"),
     "[exclusive]|{ a: 1 }|alone", "VVV"},
    {P("group"), DOC("{ code: B, group: @, discount: { percent: 5 } }"), "[g]|{ a: 1 }|''",
     "TTV"},
    {P("when"), DOC("{ code: B, when: @, discount: { percent: 5 } }"), "x|[a]", "TT"},
    {P("discount"), DOC("{ code: B, discount: @ }"), "x|[a]", "TT"},
    {P("limits"), DOC("{ code: B, limits: @, discount: { percent: 5 } }"), "x|[a]", "TT"},
    {P("limits.uses"), DOC("{ code: B, limits: { uses: @ }, discount: { percent: 5 } }"),
     "[1]|{ a: 1 }|0|many", "TTVV"},
    {P("limits.per_user"),
     DOC("{ code: B, limits: { per_user: @ }, discount: { percent: 5 } }"), "[1]|-1", "TV"},
    {P("limits.budget"), DOC("{ code: B, limits: { budget: @ }, discount: { percent: 5 } }"),
     "[1]|{ a: 1 }", "TT"},
    /* value conditions */
    {P("when.order.sequence"),
     DOC("{ code: B, when: { order.sequence: @ }, discount: { percent: 5 } }"),
     "abc|[{ a: 1 }]|[x]|{ eq: 1, bad: 2 }", "VTVK"},
    {P("when.order.sequence.gte"),
     DOC("{ code: B, when: { order.sequence: { gte: @ } }, discount: { percent: 5 } }"),
     "[1]|{ a: 1 }|one", "TTV"},
    {P("when.order.sequence.between"),
     DOC("{ code: B, when: { order.sequence: { between: @ } }, discount: { percent: 5 } }"),
     "1|[1]|[1, 2, 3]|{ a: 1 }", "TTTT"},
    {P("when.order.sequence.every"),
     DOC("{ code: B, when: { order.sequence: { every: @ } }, discount: { percent: 5 } }"),
     "[1]|0|-2", "TVV"},
    {P("when.order.sequence.offset"),
     DOC("{ code: B, when: { order.sequence: { every: 2, offset: @ } }, discount: { percent: 5 } }"),
     "[1]|x", "TV"},
    {P("when.order.serial.in"),
     DOC("{ code: B, when: { order.serial: { in: @ } }, discount: { percent: 5 } }"),
     "[[1]]|x", "TV"},
    {P("when.order.number"),
     DOC("{ code: B, when: { order.number: @ }, discount: { percent: 5 } }"),
     "[{ a: 1 }]|true|{ gte: 1 }", "TTK"},
    {P("when.order.number.eq"),
     DOC("{ code: B, when: { order.number: { eq: @ } }, discount: { percent: 5 } }"),
     "[a]|{ a: 1 }|false", "TTT"},
    {P("when.order.number.prefix"),
     DOC("{ code: B, when: { order.number: { prefix: @ } }, discount: { percent: 5 } }"),
     "[[a]]|{ a: 1 }|[]", "TTV"},
    {P("when.order.number.matches"),
     DOC("{ code: B, when: { order.number: { matches: @ } }, discount: { percent: 5 } }"),
     "[a]|{ a: 1 }", "TT"},
    {P("when.payment.method.not_in"),
     DOC("{ code: B, when: { payment.method: { not_in: @ } }, discount: { percent: 5 } }"),
     "[{ a: 1 }]|[]", "TV"},
    {P("when.payment.network"),
     DOC("{ code: B, when: { payment.network: @ }, discount: { percent: 5 } }"),
     "{ domain: [x] }", "K"},
    {P("when.payment.bin.prefix"),
     DOC("{ code: B, when: { payment.bin: { prefix: @ } }, discount: { percent: 5 } }"),
     "[[4]]", "T"},
    {P("when.payment.wallet.ne"),
     DOC("{ code: B, when: { payment.wallet: { ne: @ } }, discount: { percent: 5 } }"),
     "[x]", "T"},
    {P("when.user.id"), DOC("{ code: B, when: { user.id: @ }, discount: { percent: 5 } }"),
     "[[u]]|{}", "TV"},
    {P("when.user.email.domain"),
     DOC("{ code: B, when: { user.email: { domain: @ } }, discount: { percent: 5 } }"),
     "{ a: 1 }|[[x]]|[]", "TTV"},
    {P("when.user.orders_completed.lt"),
     DOC("{ code: B, when: { user.orders_completed: { lt: @ } }, discount: { percent: 5 } }"),
     "{ a: 1 }|2.5", "TV"},
    {P("when.user.tags"), DOC("{ code: B, when: { user.tags: @ }, discount: { percent: 5 } }"),
     "[{ a: 1 }]|{}|{ some: [x] }", "TVK"},
    {P("when.user.tags.any"),
     DOC("{ code: B, when: { user.tags: { any: @ } }, discount: { percent: 5 } }"),
     "{ a: 1 }|[]|[true]", "TVT"},
    {P("when.cart.subtotal"),
     DOC("{ code: B, when: { cart.subtotal: @ }, discount: { percent: 5 } }"),
     "abc|[{ a: 1 }]|{ matches: x }", "ATK"},
    {P("when.cart.subtotal.gte"),
     DOC("{ code: B, when: { cart.subtotal: { gte: @ } }, discount: { percent: 5 } }"),
     "[1]|{ a: 1 }|-1", "TTA"},
    {P("when.cart.quantity"),
     DOC("{ code: B, when: { cart.quantity: @ }, discount: { percent: 5 } }"),
     "{ prefix: [1] }|1.0", "KV"},
    {P("when.shipping.country"),
     DOC("{ code: B, when: { shipping.country: @ }, discount: { percent: 5 } }"),
     "[[US]]|true", "TT"},
    {P("when.shipping.method.in"),
     DOC("{ code: B, when: { shipping.method: { in: @ } }, discount: { percent: 5 } }"),
     "[{ a: 1 }]", "T"},
    {P("when.shipping.amount.lte"),
     DOC("{ code: B, when: { shipping.amount: { lte: @ } }, discount: { percent: 5 } }"),
     "[1]|1.234", "TA"},
    {P("when.currency"), DOC("{ code: B, when: { currency: @ }, discount: { percent: 5 } }"),
     "[[USD]]|{ gt: 1 }", "TK"},
    /* composites */
    {P("when.all"), DOC("{ code: B, when: { all: @ }, discount: { percent: 5 } }"),
     "x|{ a: 1 }", "TT"},
    {P("when.all[1]"),
     DOC("{ code: B, when: { all: [ { user.id: u }, @ ] }, discount: { percent: 5 } }"),
     "x|[1]|{ nothing: 1 }", "TTK"},
    {P("when.any"), DOC("{ code: B, when: { any: @ }, discount: { percent: 5 } }"), "x", "T"},
    {P("when.any[0].not"),
     DOC("{ code: B, when: { any: [ { not: @ } ] }, discount: { percent: 5 } }"), "x|[1]",
     "TT"},
    {P("when.not"), DOC("{ code: B, when: { not: @ }, discount: { percent: 5 } }"), "x|[1]",
     "TT"},
    /* line filters */
    {P("when.items"), DOC("{ code: B, when: { items: @ }, discount: { percent: 5 } }"),
     "x|[1]|{ color: red }", "TTK"},
    {P("when.items.sku"),
     DOC("{ code: B, when: { items: { sku: @ } }, discount: { percent: 5 } }"),
     "[{ a: 1 }]|{ domain: [x] }|{ gte: 1 }", "TKK"},
    {P("when.items.sku.eq"),
     DOC("{ code: B, when: { items: { sku: { eq: @ } } }, discount: { percent: 5 } }"),
     "[a]|{ a: 1 }", "TT"},
    {P("when.items.exclude_sku"),
     DOC("{ code: B, when: { items: { exclude_sku: @ } }, discount: { percent: 5 } }"),
     "[[a]]|{}", "TV"},
    {P("when.items.category"),
     DOC("{ code: B, when: { items: { category: @ } }, discount: { percent: 5 } }"),
     "{ a: 1 }|[[a]]|/a|a/|a//b|''", "TTVVVV"},
    {P("when.items.exclude_category"),
     DOC("{ code: B, when: { items: { exclude_category: @ } }, discount: { percent: 5 } }"),
     "{ a: 1 }|[]", "TV"},
    {P("when.items.tags"),
     DOC("{ code: B, when: { items: { tags: @ } }, discount: { percent: 5 } }"),
     "{ any: [a], none: [b] }|{}|{ many: [a] }|[{ a: 1 }]", "VVKT"},
    {P("when.items.on_sale"),
     DOC("{ code: B, when: { items: { on_sale: @ } }, discount: { percent: 5 } }"),
     "{ a: 1 }|no|'false'", "TTT"},
    {P("when.items.unit_price"),
     DOC("{ code: B, when: { items: { unit_price: @ } }, discount: { percent: 5 } }"),
     "[{ a: 1 }]|{ prefix: [1] }|x", "TKA"},
    {P("when.items.unit_price.between"),
     DOC("{ code: B, when: { items: { unit_price: { between: @ } } }, discount: { percent: 5 } }"),
     "[\"2.00\", \"1.00\"]|[\"1.00\"]", "VT"},
    {P("when.items.min_quantity"),
     DOC("{ code: B, when: { items: { min_quantity: @ } }, discount: { percent: 5 } }"),
     "[1]|0|x", "TVV"},
    {P("when.items.min_amount"),
     DOC("{ code: B, when: { items: { min_amount: @ } }, discount: { percent: 5 } }"),
     "[1]|1.001", "TA"},
    {P("when.category"), DOC("{ code: B, when: { category: @ }, discount: { percent: 5 } }"),
     "{ a: 1 }|[/x]", "TV"},
    /* discounts */
    {P("discount.percent"), DOC("{ code: B, discount: { percent: @ } }"),
     "{ a: 1 }|[5]|0|101|12.345|-5|ten|100.5", "TTVVVVVV"},
    {P("discount.amount"), DOC("{ code: B, discount: { amount: @ } }"), "{ a: 1 }|[1]|0|-1",
     "TTVA"},
    {P("discount.amount_per_item"), DOC("{ code: B, discount: { amount_per_item: @ } }"),
     "{ a: 1 }|0", "TV"},
    {P("discount.fixed_price"), DOC("{ code: B, discount: { fixed_price: @ } }"),
     "{ a: 1 }|[1]|x", "TTA"},
    {P("discount.free_shipping"), DOC("{ code: B, discount: { free_shipping: @ } }"),
     "[true]|yes|false|{ cap: 1 }", "VVVK"},
    {P("discount.free_shipping.max_amount"),
     DOC("{ code: B, discount: { free_shipping: { max_amount: @ } } }"), "[1]|x", "TA"},
    {P("discount.buy_get"), DOC("{ code: B, discount: { buy_get: @ } }"),
     "x|[1]|{ buy: 1 }|{ buy: 1, get: 1, give: 2 }", "TTMK"},
    {P("discount.buy_get.buy"), DOC("{ code: B, discount: { buy_get: { buy: @, get: 1 } } }"),
     "[1]|0|1000001", "TVV"},
    {P("discount.buy_get.get"), DOC("{ code: B, discount: { buy_get: { buy: 1, get: @ } } }"),
     "{ a: 1 }|-1", "TV"},
    {P("discount.buy_get.percent"),
     DOC("{ code: B, discount: { buy_get: { buy: 1, get: 1, percent: @ } } }"), "[50]|0",
     "TV"},
    {P("discount.buy_get.max_groups"),
     DOC("{ code: B, discount: { buy_get: { buy: 1, get: 1, max_groups: @ } } }"), "[1]|0",
     "TV"},
    {P("discount.tiers"), DOC("{ code: B, discount: { tiers: @ } }"), "x|{ a: 1 }|[]", "TTV"},
    {P("discount.tiers[1]"),
     DOC("{ code: B, discount: { tiers: [ { min: \"1.00\", amount: \"1.00\" }, @ ] } }"),
     "x|[1]|{ min: \"2.00\" }|{ min: \"2.00\", amount: \"1.00\", percent: 5 }|{ amount: \"1.00\" }|"
     "{ min: \"1.00\", amount: \"2.00\" }|{ min: \"2.00\", amount: \"1.00\", at: 1 }",
     "TTMMMVK"},
    {P("discount.tiers[0].min"), DOC("{ code: B, discount: { tiers: [ { min: @, amount: \"1.00\" } ] } }"),
     "[1]|x", "TA"},
    {P("discount.tiers[0].amount"), DOC("{ code: B, discount: { tiers: [ { min: \"1.00\", amount: @ } ] } }"),
     "{ a: 1 }", "T"},
    {P("discount.tiers[0].percent"), DOC("{ code: B, discount: { tiers: [ { min: \"1.00\", percent: @ } ] } }"),
     "{ a: 1 }|200", "TV"},
    {P("discount.target"), DOC("{ code: B, discount: { percent: 5, target: @ } }"),
     "[order]|lines|{ lines: 1 }|{}", "VVKM"},
    {P("discount.target.items"), DOC("{ code: B, discount: { percent: 5, target: { items: @ } } }"),
     "x|[1]|{ sku: { gt: 1 } }", "TTK"},
    {P("discount.target.items.min_quantity"),
     DOC("{ code: B, discount: { percent: 5, target: { items: { min_quantity: @ } } } }"),
     "[2]", "T"},
    {P("discount.max_amount"), DOC("{ code: B, discount: { percent: 5, max_amount: @ } }"),
     "[1]|{ a: 1 }|0", "TTV"},
    {P("discount.max_units"),
     DOC("{ code: B, discount: { amount_per_item: \"1.00\", max_units: @ } }"), "[1]|0|x",
     "TVV"},
    {P("discount.exclude_sale_items"),
     DOC("{ code: B, discount: { percent: 5, exclude_sale_items: @ } }"), "[true]|1", "TT"},
};

static int status_of(char c)
{
    switch (c) {
    case 'T': return CL_ETYPE;
    case 'V': return CL_EVALUE;
    case 'K': return CL_EKEY;
    case 'A': return CL_EAMOUNT;
    case 'M': return CL_EMISSING;
    default: return -1;
    }
}

/* Where the '@' of tmpl falls: line and column. */
static void marker(const char *tmpl, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = tmpl; *p != '@'; p++) {
        if (*p == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

START_TEST(test_wrong_types)
{
    int checked = 0;
    for (size_t i = 0; i < CL_COUNTOF(typecases); i++) {
        const typecase *t = &typecases[i];
        unsigned line, col;
        marker(t->tmpl, &line, &col);
        const char *v = t->values;
        for (size_t k = 0; t->codes[k]; k++) {
            const char *end = strchr(v, '|');
            size_t vn = end ? (size_t)(end - v) : strlen(v);
            char src[2048];
            const char *at = strchr(t->tmpl, '@');
            snprintf(src, sizeof src, "%.*s%.*s%s", (int)(at - t->tmpl), t->tmpl, (int)vn, v,
                     at + 1);
            cl_program *p = compile(src);
            ck_assert_msg(p == NULL, "%s = %.*s compiled", t->path, (int)vn, v);
            int want = status_of(t->codes[k]);
            ck_assert_msg(err.code == want, "%s = %.*s: status %s, want %s: %s", t->path,
                          (int)vn, v, cl_status_name(err.code), cl_status_name(want),
                          err.message);
            /* the error sits on the value, or inside it (a list's item, a
             * mapping's key) on the same line */
            ck_assert_msg(err.line == line && err.column >= col && err.column < col + vn,
                          "%s = %.*s: at %u:%u, want %u:%u: %s", t->path, (int)vn, v,
                          err.line, err.column, line, col, err.message);
            /* an unknown key adds itself to the path */
            bool key = want == CL_EKEY;
            ck_assert_msg(strncmp(err.path, t->path, strlen(t->path)) == 0 &&
                              (key ? err.path[strlen(t->path)] == '.'
                                   : err.path[strlen(t->path)] == '\0'),
                          "%s = %.*s: path %s", t->path, (int)vn, v, err.path);
            checked++;
            v = end ? end + 1 : v + vn;
        }
    }
    ck_assert_int_gt(checked, 150);
}
END_TEST

/* ------------------------------------------------------------------------
 * Value readers
 * ------------------------------------------------------------------------ */

#define SEQ(v) "currency: USD\ncode: A\nwhen: { order.serial: " v " }\ndiscount: { percent: 5 }\n"

START_TEST(test_whole_numbers)
{
    static const struct {
        const char *text;
        int64_t value;
    } ok[] = {
        {"0", 0}, {"7", 7}, {"'42'", 42}, {"\"-3\"", -3}, {"-0", 0}, {"007", 7},
        {"9223372036854775807", INT64_MAX}, {"-9223372036854775807", -INT64_MAX},
    };
    for (size_t i = 0; i < CL_COUNTOF(ok); i++) {
        char src[256];
        snprintf(src, sizeof src, SEQ("%s"), ok[i].text);
        cl_program *p = compile_ok(src);
        const clP_unit *u = p->units[0];
        /* the constant of the comparison is the number */
        bool found = false;
        for (uint32_t k = 0; k < u->n_code && !found; k++)
            found = u->code[k].op == OP_INT_CMP && u->ints[u->code[k].c] == ok[i].value;
        ck_assert_msg(found, "%s did not load as %lld", ok[i].text, (long long)ok[i].value);
        cl_program_free(p);
    }
    fails(SEQ("9223372036854775808"), CL_EVALUE, 3, 23, "when.order.serial",
          "number 9223372036854775808 is too large");
    fails(SEQ("99999999999999999999999"), CL_EVALUE, 3, 23, NULL, "is too large");
    fails(SEQ("-9223372036854775808"), CL_EVALUE, 3, 23, NULL, "is too large");
    fails(SEQ("1e3"), CL_EVALUE, 3, 23, NULL, "expected a whole number, found \"1e3\"");
    fails(SEQ("+1"), CL_EVALUE, 3, 23, NULL, "found \"+1\"");
    fails(SEQ("' 1'"), CL_EVALUE, 3, 23, NULL, "found \" 1\"");
    fails(SEQ("'-'"), CL_EVALUE, 3, 23, NULL, "found \"-\"");
    fails(SEQ("''"), CL_EVALUE, 3, 23, NULL, "found \"\"");
    fails(SEQ("0x10"), CL_EVALUE, 3, 23, NULL, "found \"0x10\"");
    fails("currency: USD\ncode: A\npriority: 1000000001\ndiscount: { percent: 5 }\n",
          CL_EVALUE, 3, 11, "priority",
          "expected a number from -1000000000 to 1000000000, found 1000000001");
    fails("currency: USD\ncode: A\nlimits: { uses: 0 }\ndiscount: { percent: 5 }\n", CL_EVALUE,
          3, 17, "limits.uses", "expected a number of at least 1, found 0");
}
END_TEST

START_TEST(test_amounts_and_percents)
{
    static const char *const good[] = {"\"12.50\"", "12", "'0.5'", "\"0.01\"", "0"};
    static const int64_t minor[] = {1250, 1200, 50, 1, 0};
    for (size_t i = 0; i < CL_COUNTOF(good); i++) {
        char src[256];
        snprintf(src, sizeof src,
                 "currency: USD\ncode: A\ndiscount: { percent: 5, max_amount: \"1.00\" }\n"
                 "when: { cart.subtotal: { gte: %s } }\n", good[i]);
        cl_program *p = compile_ok(src);
        const clP_unit *u = p->units[0];
        bool found = false;
        for (uint32_t k = 0; k < u->n_code && !found; k++)
            found = u->code[k].op == OP_INT_CMP && u->ints[u->code[k].c] == minor[i];
        ck_assert_msg(found, "%s did not load as %lld", good[i], (long long)minor[i]);
        cl_program_free(p);
    }
    /* JPY has no decimals, KWD three */
    cl_program *p = compile_ok("currency: JPY\ncode: A\ndiscount: { amount: 500 }\n");
    ck_assert_int_eq(p->units[0]->discounts[0].value, 500);
    cl_program_free(p);
    p = compile_ok("currency: KWD\ncode: A\ndiscount: { amount: \"1.005\" }\n");
    ck_assert_int_eq(p->units[0]->discounts[0].value, 1005);
    cl_program_free(p);
    fails("currency: JPY\ncode: A\ndiscount: { amount: \"5.5\" }\n", CL_EAMOUNT, 3, 21,
          "discount.amount", "amount 5.5 has 1 decimals but JPY has 0");
    fails("currency: USD\ncode: A\ndiscount: { amount: \"92233720368547758.08\" }\n",
          CL_EOVERFLOW, 3, 21, "discount.amount", "amount 92233720368547758.08 is too large");
    fails("currency: USD\ncode: A\ndiscount: { amount: \"1,50\" }\n", CL_EAMOUNT, 3, 21, NULL,
          "expected an amount such as \"12.50\" (not negative), found \"1,50\"");
    fails("currency: USD\ncode: A\ndiscount: { amount: \"-1.50\" }\n", CL_EAMOUNT, 3, 21, NULL,
          "not negative");
    fails("code: A\ndiscount: { amount: \"1.50\" }\n", CL_ECURRENCY, 2, 21, "discount.amount",
          "an amount needs the file's currency");
    /* percentages become basis points */
    static const struct {
        const char *text;
        int64_t bp;
    } pct[] = {{"12.5", 1250}, {"100", 10000}, {"0.01", 1}, {"'33.33'", 3333}, {"7", 700}};
    for (size_t i = 0; i < CL_COUNTOF(pct); i++) {
        char src[128];
        snprintf(src, sizeof src, "code: A\ndiscount: { percent: %s }\n", pct[i].text);
        p = compile_ok(src);
        ck_assert_int_eq(p->units[0]->discounts[0].value, pct[i].bp);
        cl_program_free(p);
    }
    fails("code: A\ndiscount: { percent: 12.345 }\n", CL_EVALUE, 2, 22, "discount.percent",
          "percent 12.345 has more than two decimals");
    fails("code: A\ndiscount: { percent: 0.00 }\n", CL_EVALUE, 2, 22, NULL,
          "percent must be greater than 0 and at most 100, found 0.00");
    fails("code: A\ndiscount: { percent: 100.01 }\n", CL_EVALUE, 2, 22, NULL, "at most 100");
    fails("code: A\ndiscount: { percent: 5% }\n", CL_EVALUE, 2, 22, NULL,
          "expected a percentage such as 12.5, found \"5%\"");
}
END_TEST

START_TEST(test_texts_and_codes)
{
    /* text: only plain true/false are refused; quoted they are text */
    cl_program *p = compile_ok("code: A\nname: 'true'\ngroup: \"false\"\ndiscount: { percent: 5 }\n");
    ck_assert_str_eq(cl_program_name(p, 0), "true");
    ck_assert_str_eq(cl_program_group(p, 0), "false");
    cl_program_free(p);
    /* SPEC 9: `country: NO` and keys like `on` are safe */
    p = compile_ok("code: A\nwhen: { shipping.country: NO }\ndiscount: { percent: 5 }\n");
    cl_program_free(p);
    fails("code: true\ndiscount: { percent: 5 }\n", CL_ETYPE, 1, 7, "code",
          "expected text, found the boolean true (quote it to mean the text)");
    fails("code: ''\ndiscount: { percent: 5 }\n", CL_EVALUE, 1, 7, "code",
          "a code has 1 to 64 characters");
    char src[256];
    snprintf(src, sizeof src, "code: %065d\ndiscount: { percent: 5 }\n", 7);
    fails(src, CL_EVALUE, 1, 7, "code", "a code has 1 to 64 characters");
    snprintf(src, sizeof src, "code: %064d\ndiscount: { percent: 5 }\n", 7);
    p = compile_ok(src);
    cl_program_free(p);
    fails("code: 'TEN OFF'\ndiscount: { percent: 5 }\n", CL_EVALUE, 1, 7, "code",
          "code \"TEN OFF\" may only have letters, digits, '-', '_' and '.'");
    fails("code: \"\xc3\x89T\xc3\x89\"\ndiscount: { percent: 5 }\n", CL_EVALUE, 1, 7, "code",
          "may only have");
    p = compile_ok("code: A-b_C.9\ndiscount: { percent: 5 }\n");
    ck_assert_str_eq(cl_program_code(p, 0), "A-b_C.9");
    cl_program_free(p);
    /* a very long name is kept whole */
    char longname[3000];
    memset(longname, 'n', 2000);
    longname[2000] = '\0';
    char big[4096];
    snprintf(big, sizeof big, "code: A\nname: %s\ndiscount: { percent: 5 }\n", longname);
    p = compile_ok(big);
    ck_assert_str_eq(cl_program_name(p, 0), longname);
    cl_program_free(p);
    cl_env_set_limit(env, CL_LIMIT_STRING, 100);
    fails(big, CL_ELIMIT, 2, 7, NULL, "text of 2000 bytes exceeds the limit of 100");
}
END_TEST

/* ------------------------------------------------------------------------
 * Documents and coupons
 * ------------------------------------------------------------------------ */

START_TEST(test_documents)
{
    fails("[a, b]\n", CL_ETYPE, 1, 1, "", "expected a coupon document (a mapping with `coupons`");
    fails("version: 1\n", CL_EMISSING, 1, 1, "", "a document needs `coupons`");
    fails("version: 1\ncupons: []\n", CL_EKEY, 2, 1, "cupons",
          "unknown key \"cupons\"; did you mean \"coupons\"?");
    fails("version: 1\nwhatever: 1\ncoupons: []\n", CL_EKEY, 2, 1, "whatever",
          "unknown key \"whatever\"");
    fails("version: 2\ncoupons: []\n", CL_EVALUE, 1, 10, "version",
          "unsupported version (this is couponlib's version 1 language; write `version: 1`)");
    fails("currency: usd\ncoupons: []\n", CL_ECURRENCY, 1, 11, "currency",
          "unknown currency \"usd\" (expected an ISO 4217 code such as USD, EUR or JPY)");
    fails("currency: XAU\ncoupons: []\n", CL_ECURRENCY, 1, 11, "currency", "unknown currency");
    fails("rounding: bankers\ncoupons: []\n", CL_EVALUE, 1, 11, "rounding",
          "unknown rounding \"bankers\" (expected half_even, half_up, down or up)");
    fails("selection: { max_coupon: 3 }\ncoupons: []\n", CL_EKEY, 1, 14, "selection.max_coupon",
          "did you mean \"max_coupons\"");
    fails("selection: { max_coupons: 1000001 }\ncoupons: []\n", CL_EVALUE, 1, 27,
          "selection.max_coupons", "expected a number from 1 to 1000000");
    /* an empty list of coupons, and an empty stream, are programs of none */
    cl_program *p = compile_ok("version: 1\ncoupons: []\n");
    ck_assert_uint_eq(cl_program_count(p), 0);
    cl_program_free(p);
    p = compile_ok("");
    ck_assert_uint_eq(cl_program_count(p), 0);
    cl_program_free(p);
    p = compile_ok("# nothing\n");
    ck_assert_uint_eq(cl_program_count(p), 0);
    cl_program_free(p);
}
END_TEST

START_TEST(test_coupon_keys)
{
    fails("coupons:\n  - code: A\n    discount: { percent: 5 }\n    currency: USD\n", CL_EKEY, 4,
          5, "coupons[0].currency", "unknown key \"currency\"");
    fails("coupons:\n  - code: A\n    discount: { percent: 5 }\n    prority: 1\n", CL_EKEY, 4, 5,
          "coupons[0].prority", "did you mean \"priority\"");
    fails("coupons:\n  - name: x\n    discount: { percent: 5 }\n", CL_EMISSING, 2, 5,
          "coupons[0]", "a coupon needs a `code`");
    fails("coupons:\n  - code: A\n  - code: B\n", CL_EMISSING, 2, 5, "coupons[0]",
          "coupon A needs a `discount`");
    fails("code: A\nname: x\nwhen: {}\n", CL_EMISSING, 1, 1, "", "coupon A needs a `discount`");
    /* a one-coupon file takes the settings beside the coupon's keys, but not `coupons` */
    fails("code: A\ncoupons: []\ndiscount: { percent: 5 }\n", CL_EKEY, 2, 1, "coupons",
          "unknown key \"coupons\"");
    cl_program *p = compile_ok("version: 1\ncode: A\ncurrency: EUR\nrounding: up\n"
                               "weekend: [fri, sat]\nselection: { max_coupons: 2 }\n"
                               "calendars: []\ndiscount: { amount: \"1.00\" }\n");
    const clP_unit *u = p->units[0];
    ck_assert_str_eq(u->coupons[0].currency, "EUR");
    ck_assert_int_eq(u->coupons[0].exponent, 2);
    ck_assert_int_eq(u->coupons[0].rounding, 3); /* up */
    ck_assert_int_eq(u->coupons[0].weekend, (1 << 4) | (1 << 5));
    ck_assert_uint_eq(p->max_coupons, 2);
    cl_program_free(p);
}
END_TEST

START_TEST(test_duplicate_codes)
{
    fails("coupons:\n  - { code: SAVE, discount: { percent: 5 } }\n"
          "  - { code: other, discount: { percent: 5 } }\n"
          "  - { code: save, discount: { percent: 5 } }\n",
          CL_EDUPLICATE, 4, 5, "", "duplicate coupon code save (first defined at line 2)");
    /* across the documents of one stream too */
    fails("code: A\ndiscount: { percent: 5 }\n---\ncode: a\ndiscount: { percent: 5 }\n",
          CL_EDUPLICATE, 4, 1, "", "first defined at line 1");
}
END_TEST

START_TEST(test_coupon_limit)
{
    cl_env_set_limit(env, CL_LIMIT_COUPONS, 2);
    cl_program *p = compile_ok("coupons:\n  - { code: A, discount: { percent: 5 } }\n"
                               "  - { code: B, discount: { percent: 5 } }\n");
    cl_program_free(p);
    fails("coupons:\n  - { code: A, discount: { percent: 5 } }\n"
          "  - { code: B, discount: { percent: 5 } }\n"
          "  - { code: C, discount: { percent: 5 } }\n",
          CL_ELIMIT, 4, 5, "coupons[2]", "more than 2 coupons");
    fails("code: A\ndiscount: { percent: 5 }\n---\ncode: B\ndiscount: { percent: 5 }\n---\n"
          "code: C\ndiscount: { percent: 5 }\n", CL_ELIMIT, 7, 1, "", "more than 2 coupons");
}
END_TEST

/* Several documents in one stream: each has its own settings. */
START_TEST(test_streams_settings)
{
    cl_program *p = compile_ok("currency: USD\ncode: A\ndiscount: { amount: \"1.00\" }\n"
                               "---\ncode: B\ndiscount: { percent: 5 }\n"
                               "---\nversion: 1\ncurrency: JPY\nrounding: down\n"
                               "selection: { max_coupons: 4 }\n"
                               "coupons: [ { code: C, discount: { amount: 100 } } ]\n");
    ck_assert_uint_eq(cl_program_count(p), 3);
    const clP_unit *u = p->units[0];
    ck_assert_str_eq(u->coupons[0].currency, "USD");
    ck_assert_str_eq(u->coupons[1].currency, "");
    ck_assert_int_eq(u->coupons[1].exponent, -1);
    ck_assert_int_eq(u->coupons[1].rounding, 0);
    ck_assert_str_eq(u->coupons[2].currency, "JPY");
    ck_assert_int_eq(u->coupons[2].rounding, 2);
    ck_assert_uint_eq(p->max_coupons, 4);
    cl_program_free(p);
    /* the smallest max_coupons of the documents holds */
    p = compile_ok("selection: { max_coupons: 5 }\ncode: A\ndiscount: { percent: 5 }\n---\n"
                   "selection: { max_coupons: 2 }\ncode: B\ndiscount: { percent: 5 }\n---\n"
                   "selection: { max_coupons: 9 }\ncode: C\ndiscount: { percent: 5 }\n");
    ck_assert_uint_eq(p->max_coupons, 2);
    cl_program_free(p);
    /* amounts in a currency-less document after a document with one */
    fails("currency: USD\ncode: A\ndiscount: { amount: \"1.00\" }\n---\ncode: B\n"
          "discount: { amount: \"1.00\" }\n", CL_ECURRENCY, 6, 21, "discount.amount",
          "needs the file's currency");
}
END_TEST

/* ------------------------------------------------------------------------
 * What a good file loads into
 * ------------------------------------------------------------------------ */

static const char rich[] =
    "version: 1\n"
    "currency: USD\n"
    "rounding: half_up\n"
    "coupons:\n"
    "  - code: PLAIN\n"
    "    discount: { percent: 10 }\n"
    "  - code: FULL\n"
    "    name: everything\n"
    "    automatic: true\n"
    "    owner: u-1\n"
    "    priority: -5\n"
    "    combine: exclusive\n"
    "    group: g1\n"
    "    stop: true\n"
    "    limits: { uses: 100, per_user: 2, budget: \"50.00\" }\n"
    "    discount:\n"
    "      amount_per_item: \"1.25\"\n"
    "      target: { items: { sku: { prefix: [HDMI-], ne: HDMI-X }, exclude_sku: [HDMI-Y],\n"
    "                         category: [a/b, c], exclude_category: [a/b/old],\n"
    "                         tags: { all: [x, y] }, on_sale: false,\n"
    "                         unit_price: { gte: \"1.00\", lt: \"100\" },\n"
    "                         min_quantity: 2, min_amount: \"3.00\" } }\n"
    "      max_amount: \"9.00\"\n"
    "      max_units: 4\n"
    "      exclude_sale_items: true\n"
    "  - code: BOGO\n"
    "    discount: { buy_get: { buy: 2, get: 1, percent: 50, max_groups: 3 } }\n"
    "  - code: TIERS\n"
    "    discount: { tiers: [ { min: \"10.00\", amount: \"1.00\" }, { min: \"20.00\", percent: 5 } ] }\n"
    "  - code: SHIP\n"
    "    discount: { free_shipping: { max_amount: \"4.00\" } }\n"
    "  - code: SHIP2\n"
    "    discount: { percent: 50, target: shipping }\n"
    "  - code: FIXED\n"
    "    discount: { fixed_price: \"0\", target: order }\n";

START_TEST(test_records)
{
    cl_program *p = compile_ok(rich);
    ck_assert_uint_eq(cl_program_count(p), 7);
    const clP_unit *u = p->units[0];
    const clP_coupon *plain = &u->coupons[0], *full = &u->coupons[1];
    ck_assert_int_eq(plain->automatic + plain->exclusive + plain->stop, 0);
    ck_assert_int_eq(plain->priority, 0);
    ck_assert_int_eq(plain->uses, -1);
    ck_assert_int_eq(plain->per_user, -1);
    ck_assert_int_eq(plain->budget, -1);
    ck_assert_uint_eq(plain->name, CL_NONE);
    ck_assert_uint_eq(plain->group, CL_NONE);
    ck_assert_uint_eq(plain->line, 5);
    ck_assert_uint_eq(plain->col, 5);
    ck_assert_int_eq(plain->rounding, 1);
    ck_assert_int_eq(plain->weekend, (1 << 5) | (1 << 6));
    ck_assert_str_eq(cl_program_name(p, 1), "everything");
    ck_assert_str_eq(cl_program_group(p, 1), "g1");
    ck_assert(full->automatic && full->exclusive && full->stop);
    ck_assert_int_eq(full->priority, -5);
    ck_assert_int_eq(full->uses, 100);
    ck_assert_int_eq(full->per_user, 2);
    ck_assert_int_eq(full->budget, 5000);
    const clP_discount *d = &u->discounts[full->discount];
    ck_assert_int_eq(d->kind, DK_PER_ITEM);
    ck_assert_int_eq(d->value, 125);
    ck_assert_int_eq(d->target, TG_ITEMS);
    ck_assert_int_eq(d->max_amount, 900);
    ck_assert_int_eq(d->max_units, 4);
    ck_assert_int_eq(d->exclude_sale, 1);
    ck_assert_uint_eq(d->line, 17);
    ck_assert_str_eq(clP_text(u, u->msgs[d->msg].text),
                     "requires items worth at least 3.00 (SKU starting with HDMI- and other than HDMI-X; "
                     "not SKU one of HDMI-Y; in a/b or c; not in a/b/old; tagged all of x or y; "
                     "not on sale; priced at least 1.00 and less than 100.00) that is not on "
                     "sale");
    ck_assert_int_eq(u->msgs[d->msg].reason, CL_R_ITEMS);
    ck_assert_uint_eq(d->msg2, CL_NONE);
    const clP_filter *f = &u->filters[d->filter];
    ck_assert_uint_eq(f->sku_count, 2);
    ck_assert_int_eq(u->spreds[f->sku_first].kind, SP_PREFIX);
    ck_assert_int_eq(u->spreds[f->sku_first + 1].kind, SP_NE);
    ck_assert_str_eq(clP_text(u, u->spreds[f->sku_first + 1].arg), "HDMI-X");
    ck_assert_uint_eq(f->xsku_count, 1);
    ck_assert_int_eq(u->spreds[f->xsku_first].kind, SP_IN);
    ck_assert_uint_eq(u->sets[f->cat].count, 2);
    ck_assert_uint_eq(u->sets[f->xcat].count, 1);
    ck_assert_int_eq(f->tags_mode, TAGS_ALL);
    ck_assert_uint_eq(u->sets[f->tags].count, 2);
    ck_assert_int_eq(f->on_sale, 2);
    ck_assert_uint_eq(f->price_count, 2);
    ck_assert_int_eq(u->ipreds[f->price_first].kind, IP_GE);
    ck_assert_int_eq(u->ints[u->ipreds[f->price_first].arg], 100);
    ck_assert_int_eq(u->ipreds[f->price_first + 1].kind, IP_LT);
    ck_assert_int_eq(u->ints[u->ipreds[f->price_first + 1].arg], 10000);
    ck_assert_int_eq(f->min_quantity, 2);
    ck_assert_int_eq(f->min_amount, 300);
    /* buy_get */
    d = &u->discounts[u->coupons[2].discount];
    ck_assert_int_eq(d->kind, DK_BUY_GET);
    ck_assert_int_eq(d->buy, 2);
    ck_assert_int_eq(d->get, 1);
    ck_assert_int_eq(d->value, 5000);
    ck_assert_int_eq(d->max_groups, 3);
    ck_assert_int_eq(d->target, TG_ORDER);
    ck_assert_uint_eq(d->filter, CL_NONE);
    ck_assert_str_eq(clP_text(u, u->msgs[d->msg].text), "requires an item in the cart");
    ck_assert_str_eq(clP_text(u, u->msgs[d->msg2].text),
                     "requires at least 3 eligible items (buy 2, get 1)");
    /* tiers */
    d = &u->discounts[u->coupons[3].discount];
    ck_assert_int_eq(d->kind, DK_TIERS);
    ck_assert_uint_eq(d->tier_count, 2);
    const clP_tier *t = &u->tiers[d->tier_first];
    ck_assert(t[0].min == 1000 && !t[0].percent && t[0].value == 100);
    ck_assert(t[1].min == 2000 && t[1].percent && t[1].value == 500);
    ck_assert_str_eq(clP_text(u, u->msgs[d->msg2].text), "spend at least 10.00 on eligible items");
    ck_assert_int_eq(u->msgs[d->msg2].reason, CL_R_MIN_SUBTOTAL);
    /* free shipping and a percent of shipping */
    d = &u->discounts[u->coupons[4].discount];
    ck_assert_int_eq(d->kind, DK_FREE_SHIPPING);
    ck_assert_int_eq(d->target, TG_SHIPPING);
    ck_assert_int_eq(d->value, 10000);
    ck_assert_int_eq(d->max_amount, 400);
    ck_assert_int_eq(u->msgs[d->msg].reason, CL_R_SHIPPING);
    ck_assert_str_eq(clP_text(u, u->msgs[d->msg].text), "there is no shipping cost to take off");
    d = &u->discounts[u->coupons[5].discount];
    ck_assert_int_eq(d->kind, DK_PERCENT);
    ck_assert_int_eq(d->target, TG_SHIPPING);
    /* a fixed price of zero is allowed (everything free), unlike other zeros */
    d = &u->discounts[u->coupons[6].discount];
    ck_assert_int_eq(d->kind, DK_FIXED_PRICE);
    ck_assert_int_eq(d->value, 0);
    cl_program_free(p);
}
END_TEST

/* The messages shoppers read for the value conditions. */
START_TEST(test_condition_messages)
{
    static const struct {
        const char *when, *message;
        int reason;
    } cases[] = {
        {"order.sequence: 1", "only for a customer's first order", CL_R_ORDER_SEQUENCE},
        {"order.sequence: { every: 10 }", "only for every 10th order of a customer",
         CL_R_ORDER_SEQUENCE},
        {"order.sequence: { every: 3, offset: 2 }",
         "the customer's order count must be 2, 5, 8, ... (every 3 from 2)", CL_R_ORDER_SEQUENCE},
        {"order.serial: { gte: 10, lt: 20 }",
         "the shop's order serial must be at least 10 and less than 20", CL_R_ORDER_SERIAL},
        {"order.serial: { between: [1, 5] }", "the shop's order serial must be between 1 and 5",
         CL_R_ORDER_SERIAL},
        {"order.serial: [1, 2]", "the shop's order serial must be one of 1, 2", CL_R_ORDER_SERIAL},
        {"order.serial: { not_in: [3] }", "the shop's order serial must be none of 3",
         CL_R_ORDER_SERIAL},
        {"order.serial: { ne: 4, gt: 1 }", "must be other than 4 and more than 1",
         CL_R_ORDER_SERIAL},
        {"order.serial: { lte: 9 }", "must be at most 9", CL_R_ORDER_SERIAL},
        {"order.number: { prefix: [B2B-, PRO-] }", "the order number must start with B2B- or PRO-",
         CL_R_ORDER_NUMBER},
        {"order.number: { matches: '^VIP' }", "the order number must match ^VIP",
         CL_R_ORDER_NUMBER},
        {"payment.method: card", "the payment method must be card", CL_R_PAYMENT},
        {"payment.network: [visa, amex]", "the card network must be one of visa, amex",
         CL_R_PAYMENT},
        {"payment.bin: { prefix: ['4111'] }", "the card number must start with 4111", CL_R_PAYMENT},
        {"payment.wallet: { ne: paypal }", "the wallet must be other than paypal", CL_R_PAYMENT},
        {"user.id: u-1", "the customer must be u-1", CL_R_USER},
        {"user.email: { domain: [a.example, b.example] }",
         "the email address must be at a.example or b.example", CL_R_USER},
        {"user.orders_completed: { gte: 3 }", "the customer's completed orders must be at least 3",
         CL_R_USER},
        {"user.tags: [vip, gold]", "only for customers tagged vip or gold", CL_R_USER},
        {"user.tags: { any: [vip], none: [blocked] }",
         "only for customers with the tags one of vip and none of blocked", CL_R_USER},
        {"cart.subtotal: { gte: \"50.00\" }", "the cart subtotal must be at least 50.00",
         CL_R_MIN_SUBTOTAL},
        {"cart.quantity: { gt: 2 }", "the number of items in the cart must be more than 2",
         CL_R_MIN_QUANTITY},
        {"shipping.country: [US, CA]", "the shipping country must be one of US, CA", CL_R_SHIPPING},
        {"shipping.method: express", "the shipping method must be express", CL_R_SHIPPING},
        {"shipping.amount: { lte: \"5\" }", "the shipping cost must be at most 5.00", CL_R_SHIPPING},
        {"currency: EUR", "the currency must be EUR", CL_R_CURRENCY},
        {"items: { sku: [TV-55] }", "requires an item (SKU one of TV-55)", CL_R_ITEMS},
        {"items: { category: [tv], min_quantity: 3 }", "requires at least 3 items (in tv)",
         CL_R_ITEMS},
        {"items: { min_amount: \"30.00\" }", "requires items worth at least 30.00", CL_R_ITEMS},
        {"items: { tags: { none: [x] } }", "requires an item (not tagged x)", CL_R_ITEMS},
        {"items: { on_sale: true }", "requires an item (on sale)", CL_R_ITEMS},
        {"category: [electronics, home]", "requires an item in electronics or home", CL_R_CATEGORY},
        {"any: [ { user.id: a }, { user.id: b } ]",
         "requires one of: the customer must be a; or the customer must be b", CL_R_CONDITION},
        {"not: { payment.method: cash }", "not available when: the payment method must be cash",
         CL_R_CONDITION},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        char src[512];
        snprintf(src, sizeof src, "currency: USD\ncode: A\nautomatic: true\nwhen: { %s }\n"
                 "discount: { percent: 5 }\n", cases[i].when);
        cl_program *p = compile_ok(src);
        const clP_unit *u = p->units[0];
        /* the first REQUIRE after the currency GUARD is the condition's */
        const clP_msg *m = NULL;
        for (uint32_t k = 0; k < u->n_code && m == NULL; k++)
            if (u->code[k].op == OP_REQUIRE)
                m = &u->msgs[u->code[k].c];
        ck_assert_ptr_nonnull(m);
        ck_assert_msg(strstr(clP_text(u, m->text), cases[i].message) != NULL,
                      "%s: message \"%s\"", cases[i].when, clP_text(u, m->text));
        ck_assert_msg(m->reason == cases[i].reason, "%s: reason %s", cases[i].when,
                      cl_reason_name(m->reason));
        ck_assert_uint_eq(m->line, 4);
        cl_program_free(p);
    }
}
END_TEST

/* Predicate lists: the documented shorthand and every key of a mapping. */
START_TEST(test_shorthands)
{
    /* a scalar where a list is expected is a one-element list */
    cl_program *p = compile_ok("code: A\nwhen: { category: electronics, payment.network: [visa] }\n"
                               "discount: { percent: 5, target: { items: { sku: TV } } }\n");
    const clP_unit *u = p->units[0];
    ck_assert_uint_eq(u->n_filters, 2);
    ck_assert_uint_eq(u->sets[u->filters[0].cat].count, 1);
    ck_assert_int_eq(u->spreds[u->filters[1].sku_first].kind, SP_EQ);
    cl_program_free(p);
    /* a tag list in a line filter means any */
    p = compile_ok("code: A\nwhen: { items: { tags: [a, b] } }\ndiscount: { percent: 5 }\n");
    ck_assert_int_eq(p->units[0]->filters[0].tags_mode, TAGS_ANY);
    cl_program_free(p);
    /* duplicates in a set collapse; folded sets (email domains) are lower case */
    p = compile_ok("code: A\nwhen: { payment.method: [card, card, upi], "
                   "user.email: { domain: [Shop.Example, shop.example] } }\n"
                   "discount: { percent: 5 }\n");
    u = p->units[0];
    ck_assert_uint_eq(u->n_sets, 2);
    ck_assert_uint_eq(u->sets[0].count, 2);
    ck_assert_uint_eq(u->sets[1].count, 1);
    ck_assert_int_eq(u->sets[1].fold, 1);
    ck_assert_str_eq(clP_text(u, u->items[u->sets[1].first]), "shop.example");
    cl_program_free(p);
    /* offset goes only with every; an empty predicate mapping says what to write */
    /* the message of a huge every does not overflow (UBSan watches) */
    p = compile_ok("code: A\nwhen: { order.serial: { every: 9223372036854775807, "
                   "offset: 4611686018427387903 } }\ndiscount: { percent: 5 }\n");
    u = p->units[0];
    ck_assert_uint_eq(u->n_msgs, 3); /* the target's, CODE_REQUIRED's and the serial's */
    ck_assert_str_eq(clP_text(u, u->msgs[2].text), "the shop's order serial must be "
                     "every 9223372036854775807 from 4611686018427387903");
    cl_program_free(p);
    p = compile_ok("code: A\nwhen: { order.serial: { every: 5, offset: -4611686018427387903 } }\n"
                   "discount: { percent: 5 }\n");
    cl_program_free(p);
    fails("code: A\nwhen: { order.serial: { offset: 1 } }\ndiscount: { percent: 5 }\n",
          CL_EVALUE, 2, 23, "when.order.serial", "offset goes with every");
    fails("code: A\nwhen: { order.serial: {} }\ndiscount: { percent: 5 }\n", CL_EVALUE, 2, 23,
          "when.order.serial", "an empty predicate; write a value or a test such as { gte: 1 }");
    fails("code: A\nwhen: { order.serial: [] }\ndiscount: { percent: 5 }\n", CL_EVALUE, 2, 23,
          "when.order.serial", "an empty list never matches; remove the condition");
    fails("code: A\nwhen: { order.serial: { between: [5, 1] } }\ndiscount: { percent: 5 }\n",
          CL_EVALUE, 2, 34, "when.order.serial.between", "between needs low <= high, found [5, 1]");
}
END_TEST

START_TEST(test_regex_errors)
{
    fails("code: A\nwhen: { order.number: { matches: \"^(ab\" } }\ndiscount: { percent: 5 }\n",
          CL_EREGEX, 2, 39, "when.order.number.matches",
          "bad regex: missing closing parenthesis (at offset 4 of the pattern)");
    /* a plain pattern is not shifted by a quote */
    fails("code: A\nwhen:\n  order.number:\n    matches: a[b\ndiscount: { percent: 5 }\n",
          CL_EREGEX, 4, 17, NULL, "missing terminating ] for character class");
    fails("code: A\nwhen: { items: { sku: { matches: '\xc3\xa9(' } } }\ndiscount: { percent: 5 }\n",
          CL_EREGEX, 2, 37, "when.items.sku.matches", "(at offset 3 of the pattern)");
    cl_env_set_limit(env, CL_LIMIT_REGEX_LENGTH, 5);
    cl_program *p = compile_ok("code: A\nwhen: { order.number: { matches: abcde } }\n"
                               "discount: { percent: 5 }\n");
    cl_program_free(p);
    fails("code: A\nwhen: { order.number: { matches: abcdef } }\ndiscount: { percent: 5 }\n",
          CL_ELIMIT, 2, 34, "when.order.number.matches",
          "regex of 6 bytes exceeds the limit of 5");
}
END_TEST

START_TEST(test_discount_rules)
{
    fails("code: A\ndiscount: { percent: 5, amount: \"1\" }\n", CL_EVALUE, 2, 33, "discount",
          "a discount has one kind; found both percent and amount");
    fails("code: A\ndiscount: { target: order }\n", CL_EMISSING, 2, 11, "discount",
          "a discount needs one of percent, amount");
    fails("code: A\ndiscount: { free_shipping: true, target: order }\n", CL_EVALUE, 2, 42,
          "discount.target", "free_shipping always targets shipping");
    fails("currency: USD\ncode: A\ndiscount: { amount_per_item: \"1\", target: shipping }\n",
          CL_EVALUE, 3, 43, "discount.target", "amount_per_item cannot target shipping");
    fails("currency: USD\ncode: A\ndiscount: { tiers: [ { min: \"1\", amount: \"1\" } ], "
          "target: shipping }\n", CL_EVALUE, 3, 59, "discount.target",
          "tiers cannot target shipping");
    fails("currency: USD\ncode: A\ndiscount: { free_shipping: { max_amount: \"1\" }, "
          "max_amount: \"2\" }\n", CL_EVALUE, 3, 61, "discount.max_amount",
          "give the cap once, in free_shipping.max_amount");
    fails("code: A\ndiscount: { percent: 5, max_units: 2 }\n", CL_EVALUE, 2, 36,
          "discount.max_units", "max_units goes with amount_per_item, fixed_price or buy_get");
    fails("code: A\ndiscount: { percent: 5, target: shipping, exclude_sale_items: true }\n",
          CL_EVALUE, 2, 63, "discount", "exclude_sale_items does not apply to shipping");
    fails("currency: USD\ncode: A\ndiscount: { tiers: [ { min: \"5\", amount: \"1\" }, "
          "{ min: \"5\", amount: \"2\" } ] }\n", CL_EVALUE, 3, 49, "discount.tiers[1]",
          "tiers go up: each min must be larger than the one before");
    fails("code: A\ndiscount: { percent: 5, target: { items: {}, x: 1 } }\n", CL_EKEY, 2, 46,
          "discount.target.x", "unknown key \"x\"");
    /* free_shipping: true with a cap beside it is fine */
    cl_program *p = compile_ok("currency: USD\ncode: A\n"
                               "discount: { free_shipping: true, max_amount: \"2.50\" }\n");
    ck_assert_int_eq(p->units[0]->discounts[0].max_amount, 250);
    cl_program_free(p);
}
END_TEST

static Suite *load_suite(void)
{
    const test_entry tests[] = {
        {"types", test_wrong_types},         {"values", test_whole_numbers},
        {"values", test_amounts_and_percents}, {"values", test_texts_and_codes},
        {"documents", test_documents},       {"documents", test_coupon_keys},
        {"documents", test_duplicate_codes}, {"documents", test_coupon_limit},
        {"documents", test_streams_settings}, {"records", test_records},
        {"records", test_condition_messages}, {"records", test_shorthands},
        {"records", test_regex_errors},      {"records", test_discount_rules},
    };
    return test_suite_fx("load", tests, CL_COUNTOF(tests), 120, setup, teardown);
}

TEST_MAIN(load_suite)
