/*
 * test_error.c - unit tests of error.c: every status's name and text, the
 * error struct's setters, jq-style rendering with the source line and a
 * caret, and the "did you mean" suggester.
 */
#include "core.h"
#include "testutil.h"

#include <ctype.h>
#include <stdio.h>

/* ------------------------------------------------------------------------
 * Statuses
 * ------------------------------------------------------------------------ */

START_TEST(test_status_names)
{
    static const struct {
        int status;
        const char *name;
    } names[] = {
        {CL_OK, "ok"},
        {CL_ENOMEM, "out-of-memory"},
        {CL_EINVAL, "invalid-argument"},
        {CL_EIO, "io"},
        {CL_ESYNTAX, "syntax"},
        {CL_EKEY, "unknown-key"},
        {CL_ETYPE, "type"},
        {CL_EVALUE, "value"},
        {CL_EMISSING, "missing"},
        {CL_EAMOUNT, "amount"},
        {CL_ECURRENCY, "currency"},
        {CL_EREGEX, "regex"},
        {CL_EZONE, "zone"},
        {CL_EDATE, "date"},
        {CL_EDUPLICATE, "duplicate"},
        {CL_ELIMIT, "limit"},
        {CL_EOVERFLOW, "overflow"},
        {CL_EVERIFY, "verify"},
        {CL_EFORMAT, "format"},
        {CL_ESTEPS, "steps"},
        {CL_ERANGE, "range"},
    };
    /* the table above names every status, so a new one must be added here */
    ck_assert_int_eq(CL_COUNTOF(names), CL_STATUS_COUNT);
    for (size_t i = 0; i < CL_COUNTOF(names); i++)
        ck_assert_str_eq(cl_status_name(names[i].status), names[i].name);
}
END_TEST

START_TEST(test_status_texts)
{
    for (int s = 0; s < CL_STATUS_COUNT; s++) {
        const char *name = cl_status_name(s), *text = cl_strerror(s);
        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(text);
        ck_assert_uint_gt(strlen(text), 5);
        ck_assert_str_ne(text, "unknown status");
        /* names are short, lower case and dashes: they are printed as error[name] */
        ck_assert_uint_gt(strlen(name), 1);
        for (const char *p = name; *p; p++)
            ck_assert_msg(islower((unsigned char)*p) || *p == '-', "status %d: name %s", s, name);
        /* English sentences without a capital or a full stop, like strerror */
        ck_assert_msg(text[strlen(text) - 1] != '.', "status %d: %s", s, text);
        for (int t = 0; t < s; t++) {
            ck_assert_str_ne(name, cl_status_name(t));
            ck_assert_str_ne(text, cl_strerror(t));
        }
    }
    ck_assert_str_eq(cl_strerror(CL_ENOMEM), "an allocation failed");
    ck_assert_str_eq(cl_strerror(-1), "unknown status");
    ck_assert_str_eq(cl_strerror(CL_STATUS_COUNT), "unknown status");
    ck_assert_str_eq(cl_strerror(1 << 30), "unknown status");
    ck_assert_str_eq(cl_status_name(-1), "unknown");
    ck_assert_str_eq(cl_status_name(CL_STATUS_COUNT), "unknown");
}
END_TEST

/* ------------------------------------------------------------------------
 * The error struct
 * ------------------------------------------------------------------------ */

START_TEST(test_set_and_clear)
{
    cl_error e;
    memset(&e, 0x5A, sizeof e);
    clE_clear(&e);
    ck_assert_int_eq(e.code, CL_OK);
    ck_assert_uint_eq(e.line + e.column + e.offset, 0);
    ck_assert_str_eq(e.source, "");
    ck_assert_str_eq(e.path, "");
    ck_assert_str_eq(e.message, "");
    clE_clear(NULL);
    ck_assert_int_eq(clE_set(NULL, CL_EVALUE, (cl_pos){1, 2, 3}, "x"), CL_EVALUE);
    ck_assert_int_eq(clE_set(&e, CL_EKEY, (cl_pos){12, 7, 99}, "unknown key \"%s\"", "amout"),
                     CL_EKEY);
    ck_assert_int_eq(e.code, CL_EKEY);
    ck_assert_uint_eq(e.line, 12);
    ck_assert_uint_eq(e.column, 7);
    ck_assert_uint_eq(e.offset, 99);
    ck_assert_str_eq(e.message, "unknown key \"amout\"");
    /* the source is set once: the first name given wins */
    clE_source(&e, "a.yaml");
    clE_source(&e, "b.yaml");
    clE_source(&e, NULL);
    clE_source(NULL, "c.yaml");
    ck_assert_str_eq(e.source, "a.yaml");
    clE_path(&e, "coupons[2].when.items.sku");
    ck_assert_str_eq(e.path, "coupons[2].when.items.sku");
    clE_path(&e, NULL);
    ck_assert_str_eq(e.path, "");
    clE_path(NULL, "x");
}
END_TEST

START_TEST(test_truncation)
{
    cl_error e;
    clE_clear(&e);
    char longs[2000];
    memset(longs, 'm', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    clE_set(&e, CL_EVALUE, (cl_pos){1, 1, 0}, "%s", longs);
    ck_assert_uint_eq(strlen(e.message), sizeof e.message - 1);
    clE_source(&e, longs);
    ck_assert_uint_eq(strlen(e.source), sizeof e.source - 1);
    clE_path(&e, longs);
    ck_assert_uint_eq(strlen(e.path), sizeof e.path - 1);
    char buf[4096];
    size_t n = cl_error_format(&e, NULL, 0, buf, sizeof buf);
    ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

/* ------------------------------------------------------------------------
 * Rendering
 * ------------------------------------------------------------------------ */

static cl_error make(int code, unsigned line, unsigned col, const char *source, const char *msg)
{
    cl_error e;
    clE_clear(&e);
    clE_set(&e, code, (cl_pos){line, col, 0}, "%s", msg);
    clE_source(&e, source);
    return e;
}

START_TEST(test_format_heads)
{
    char buf[1024];
    cl_error e = make(CL_EKEY, 12, 7, "coupons.yaml", "unknown key \"amout\"");
    cl_error_format(&e, NULL, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "coupons.yaml:12:7: error[unknown-key]: unknown key \"amout\"");
    e = make(CL_ESYNTAX, 3, 0, "f.yaml", "bad");
    cl_error_format(&e, NULL, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "f.yaml:3: error[syntax]: bad");
    e = make(CL_EIO, 0, 0, "f.yaml", "cannot open f.yaml");
    cl_error_format(&e, "x", 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "f.yaml: error[io]: cannot open f.yaml");
    e = make(CL_EVALUE, 1, 1, "", "m");
    cl_error_format(&e, NULL, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "<input>:1:1: error[value]: m");
}
END_TEST

START_TEST(test_format_source_line)
{
    static const char src[] = "version: 1\n"
                              "coupons:\n"
                              "  - code: A\n"
                              "    discount: { amout: \"5.00\" }\n";
    char buf[1024];
    cl_error e = make(CL_EKEY, 4, 17, "c.yaml", "unknown key \"amout\"");
    size_t n = cl_error_format(&e, src, sizeof src - 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "c.yaml:4:17: error[unknown-key]: unknown key \"amout\"\n"
                          "    4 |     discount: { amout: \"5.00\" }\n"
                          "      |                 ^");
    ck_assert_uint_eq(n, strlen(buf));
    /* the first line and the last line without a newline */
    e = make(CL_EVALUE, 1, 1, "c.yaml", "m");
    cl_error_format(&e, "abc", 3, buf, sizeof buf);
    ck_assert_str_eq(buf, "c.yaml:1:1: error[value]: m\n    1 | abc\n      | ^");
    /* a column past the end of the line puts the caret after it */
    e = make(CL_EVALUE, 1, 9, "c.yaml", "m");
    cl_error_format(&e, "abc\n", 4, buf, sizeof buf);
    ck_assert_str_eq(buf, "c.yaml:1:9: error[value]: m\n    1 | abc\n      |    ^");
    /* a line past the end of the text: no source shown */
    e = make(CL_EVALUE, 7, 1, "c.yaml", "m");
    cl_error_format(&e, src, sizeof src - 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "c.yaml:7:1: error[value]: m");
    /* a line without a column: the line, no caret */
    e = make(CL_ESYNTAX, 2, 0, "c.yaml", "m");
    cl_error_format(&e, src, sizeof src - 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "c.yaml:2: error[syntax]: m\n    2 | coupons:\n      | ");
}
END_TEST

START_TEST(test_format_tabs_utf8_crlf)
{
    char buf[1024];
    /* tabs are kept under the caret so that it lines up */
    cl_error e = make(CL_EVALUE, 1, 3, "t", "m");
    cl_error_format(&e, "\t\tx: 1", 6, buf, sizeof buf);
    ck_assert_str_eq(buf, "t:1:3: error[value]: m\n    1 | \t\tx: 1\n      | \t\t^");
    /* columns count characters, not bytes: "é" is one column */
    e = make(CL_EVALUE, 1, 4, "t", "m");
    cl_error_format(&e, "\xc3\xa9t\xc3\xa9x", 6, buf, sizeof buf);
    ck_assert_str_eq(buf, "t:1:4: error[value]: m\n    1 | \xc3\xa9t\xc3\xa9x\n      |    ^");
    /* a CR before the newline is not part of the line */
    e = make(CL_EVALUE, 2, 1, "t", "m");
    cl_error_format(&e, "a\r\nbc\r\nd", 8, buf, sizeof buf);
    ck_assert_str_eq(buf, "t:2:1: error[value]: m\n    2 | bc\n      | ^");
}
END_TEST

START_TEST(test_format_sizes)
{
    static const char src[] = "alpha\nbeta gamma\n";
    cl_error e = make(CL_EVALUE, 2, 6, "some/file.yaml", "a message of some length");
    size_t need = cl_error_format(&e, src, sizeof src - 1, NULL, 0);
    char full[512];
    ck_assert_uint_eq(cl_error_format(&e, src, sizeof src - 1, full, sizeof full), need);
    ck_assert_uint_eq(strlen(full), need);
    for (size_t size = 1; size <= need + 1; size++) {
        char small[512];
        memset(small, '#', sizeof small);
        ck_assert_uint_eq(cl_error_format(&e, src, sizeof src - 1, small, size), need);
        REQUIRE(strlen(small) == size - 1, "size %zu: length %zu", size, strlen(small));
        REQUIRE(memcmp(small, full, size - 1) == 0, "size %zu: a different prefix", size);
        REQUIRE(small[size] == '#', "size %zu: wrote past the buffer", size);
    }
    /* a very long source line is cut, but the text stays well formed */
    char line[1000];
    memset(line, 'x', sizeof line);
    e = make(CL_EVALUE, 1, 500, "t", "m");
    char out[2048];
    size_t n = cl_error_format(&e, line, sizeof line, out, sizeof out);
    ck_assert_uint_eq(n, strlen(out));
    ck_assert_uint_lt(n, 1000);
}
END_TEST

/* ------------------------------------------------------------------------
 * Suggestions
 * ------------------------------------------------------------------------ */

START_TEST(test_suggest)
{
    static const char *const keys[] = {"percent", "amount", "amount_per_item", "fixed_price",
                                       "free_shipping", "buy_get", "tiers", "target",
                                       "max_amount", "max_units", "exclude_sale_items"};
    size_t n = CL_COUNTOF(keys);
    ck_assert_str_eq(clE_suggest("amout", keys, n), "amount");
    ck_assert_str_eq(clE_suggest("percnet", keys, n), "percent");      /* a swap is 2 edits */
    ck_assert_str_eq(clE_suggest("targets", keys, n), "target");
    ck_assert_str_eq(clE_suggest("max_unit", keys, n), "max_units");
    ck_assert_str_eq(clE_suggest("exclude_sale_item", keys, n), "exclude_sale_items");
    ck_assert_str_eq(clE_suggest("fixedprice", keys, n), "fixed_price");
    ck_assert_str_eq(clE_suggest("Percent", keys, n), "percent");      /* case is an edit */
    ck_assert_ptr_null(clE_suggest("discount", keys, n));
    ck_assert_ptr_null(clE_suggest("", keys, n));
    ck_assert_ptr_null(clE_suggest("amount", keys, 0));
    ck_assert_str_eq(clE_suggest("amount", keys, n), "amount");        /* distance 0 */
}
END_TEST

/* How far a word may be from its suggestion grows with its length: one
 * edit up to 3 characters, two up to 6, three beyond. */
START_TEST(test_suggest_thresholds)
{
    static const char *const c3[] = {"abc"};
    ck_assert_str_eq(clE_suggest("abd", c3, 1), "abc");
    ck_assert_ptr_null(clE_suggest("axd", c3, 1));
    static const char *const c6[] = {"abcdef"};
    ck_assert_str_eq(clE_suggest("abxdxf", c6, 1), "abcdef");
    ck_assert_ptr_null(clE_suggest("axxdxf", c6, 1));
    static const char *const c9[] = {"abcdefghi"};
    ck_assert_str_eq(clE_suggest("axcxexghi", c9, 1), "abcdefghi");
    ck_assert_ptr_null(clE_suggest("axcxexgxi", c9, 1));
    /* insertions and deletions count one each */
    static const char *const ins[] = {"orders_completed"};
    ck_assert_str_eq(clE_suggest("order_complete", ins, 1), "orders_completed");
    /* the closest wins; among equals the first */
    static const char *const two[] = {"eq", "ne", "in"};
    ck_assert_str_eq(clE_suggest("nq", two, 3), "eq");
    ck_assert_str_eq(clE_suggest("ix", two, 3), "in");
    /* words longer than the matrix are never suggested, and never crash */
    char longw[200];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    const char *const cl[] = {longw};
    ck_assert_ptr_null(clE_suggest(longw, cl, 1));
    ck_assert_ptr_null(clE_suggest("aaa", cl, 1));
}
END_TEST

static Suite *error_suite(void)
{
    const test_entry tests[] = {
        {"status", test_status_names},     {"status", test_status_texts},
        {"struct", test_set_and_clear},    {"struct", test_truncation},
        {"format", test_format_heads},     {"format", test_format_source_line},
        {"format", test_format_tabs_utf8_crlf}, {"format", test_format_sizes},
        {"suggest", test_suggest},         {"suggest", test_suggest_thresholds},
    };
    return test_suite("error", tests, CL_COUNTOF(tests), 60);
}

TEST_MAIN(error_suite)
