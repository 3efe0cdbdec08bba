/*
 * test_verify.c - unit tests of verify.c on hand-built hostile units.
 *
 * A small, valid unit is laid out in static tables; each case breaks one
 * thing (a jump target, an index, the stack, a table entry) and the
 * verifier must refuse it with CL_EVERIFY and say why, never crash. A
 * property test then mutates the instructions of compiled coupons at random:
 * whatever the verifier accepts, the VM must run without fault (ASan and
 * valgrind watch).
 */
#include "program.h"
#include "context.h"
#include "testutil.h"

#include <stdio.h>

/* ------------------------------------------------------------------------
 * The fixture: one valid unit
 * ------------------------------------------------------------------------ */

#define NCODE 40

static clP_insn code[NCODE];
static int64_t ints[8];
static char pool[64];
static clP_str strs[6];
static clP_set sets[2];
static uint32_t items[4];
static uint32_t slots[8];
static clP_iset isets[2];
static clP_regex regexes[1];
static pcre2_code *re[1];
static clP_spred spreds[2];
static clP_ipred ipreds[2];
static clP_filter filters[1];
static clP_discount discounts[2];
static clP_tier tiers[2];
static clP_msg msgs[3];
static clP_datespec datespecs[1];
static clP_calendar calendars[1];
static clP_anniv annivs[1];
static clP_coupon coupons[2];
static clP_unit unit;
static cl_error err;
static cl_env *fx_env;

static void setup(void)
{
    fx_env = cl_env_new(NULL, NULL);
}

static void teardown(void)
{
    cl_env_free(fx_env);
}

static void put(uint32_t pc, int op, unsigned a, unsigned b, uint32_t c)
{
    code[pc] = (clP_insn){(uint8_t)op, (uint8_t)a, (uint16_t)b, c};
}

/*
 * coupon 0:  0 LOAD_STR payment.method -> 2   coupon 1:  5 TRUE
 *            1 STR_EQ "card"                              6 REQUIRE CONDITION msg 1
 *            2 REQUIRE PAYMENT msg 0                      7 TARGET discount 1
 *            3 TARGET discount 0                          8 HALT
 *            4 HALT
 */
static void fixture(void)
{
    memset(code, 0, sizeof code);
    put(0, OP_LOAD_STR, FLD_PAYMENT_METHOD, 0, 2);
    put(1, OP_STR_EQ, 0, 0, 0);
    put(2, OP_REQUIRE, CL_R_PAYMENT, 0, 0);
    put(3, OP_TARGET, 0, 0, 0);
    put(4, OP_HALT, 0, 0, 0);
    put(5, OP_TRUE, 0, 0, 0);
    put(6, OP_REQUIRE, CL_R_CONDITION, 0, 1);
    put(7, OP_TARGET, 0, 0, 1);
    put(8, OP_HALT, 0, 0, 0);
    /* strings: "card" "x" "y" "A" "B" "^a" */
    memcpy(pool, "card\0x\0y\0A\0B\0^a\0", 16);
    static const clP_str s[6] = {{0, 4}, {5, 1}, {7, 1}, {9, 1}, {11, 1}, {13, 2}};
    memcpy(strs, s, sizeof s);
    /* a set {x, y} in 4 slots, and an empty one */
    items[0] = 1;
    items[1] = 2;
    sets[0] = (clP_set){.first = 0, .count = 2, .slot = 0, .nslots = 4, .fold = 0};
    sets[1] = (clP_set){.first = 2, .count = 0, .slot = 4, .nslots = 0, .fold = 0};
    ints[0] = 1;
    ints[1] = 5;
    ints[2] = 10;
    ints[3] = 3;
    ints[4] = 0;
    isets[0] = (clP_iset){0, 3};
    isets[1] = (clP_iset){3, 0};
    regexes[0] = (clP_regex){5, 1, 1};
    re[0] = (pcre2_code *)&regexes[0]; /* never matched: the verifier only checks presence */
    spreds[0] = (clP_spred){SP_IN, 0};
    spreds[1] = (clP_spred){SP_MATCH, 0};
    ipreds[0] = (clP_ipred){IP_BETWEEN, 0};
    ipreds[1] = (clP_ipred){IP_EVERY, 2};
    filters[0] = (clP_filter){0, 2, 0, 0, 0, CL_NONE, 0, 0, 2, 0, 2, 1, 0};
    discounts[0] = (clP_discount){DK_PERCENT, TG_ORDER, 0, CL_NONE, 1000, -1, -1, 0, 0, -1,
                                  0, 0, 2, CL_NONE, 1};
    discounts[1] = (clP_discount){DK_TIERS, TG_ITEMS, 0, 0, 0, -1, -1, 0, 0, -1, 0, 2, 2, 2, 1};
    tiers[0] = (clP_tier){100, 0, 50};
    tiers[1] = (clP_tier){200, 1, 1000};
    msgs[0] = (clP_msg){0, 3, CL_R_PAYMENT};
    msgs[1] = (clP_msg){0, 4, CL_R_CONDITION};
    msgs[2] = (clP_msg){0, 5, CL_R_ITEMS};
    datespecs[0] = (clP_datespec){DS_ON, 0, CL_NONE, 0, 0, 0, 0, 0};
    calendars[0] = (clP_calendar){.name = 3, .calendar = CL_NONE, .kind = CAL_ANNUAL, .month = 12,
                                  .day = 25, .span = 1, .except = CL_NONE, .moved = CL_NONE,
                                  .group = 0, .group_n = 1};
    annivs[0] = (clP_anniv){0, 0};
    coupons[0] = (clP_coupon){3, CL_NONE, CL_NONE, 0, 0, CL_NONE, 0, -1, -1, -1, 1, 1, 0, 0, 0,
                              0, 0x60, "", -1};
    coupons[1] = coupons[0];
    coupons[1].code = 4;
    coupons[1].entry = 5;
    coupons[1].discount = 1;
    memset(&unit, 0, sizeof unit);
    unit.env = fx_env; /* the verifier's scratch memory */
    unit.code = code;
    unit.n_code = 9;
    unit.ints = ints;
    unit.n_ints = 5;
    unit.pool = pool;
    unit.n_pool = 16;
    unit.strs = strs;
    unit.n_strs = 6;
    unit.sets = sets;
    unit.n_sets = 2;
    unit.items = items;
    unit.n_items = 2;
    unit.slots = slots;
    unit.n_slots = 4;
    unit.isets = isets;
    unit.n_isets = 2;
    unit.regexes = regexes;
    unit.n_regexes = 1;
    unit.re = re;
    unit.spreds = spreds;
    unit.n_spreds = 2;
    unit.ipreds = ipreds;
    unit.n_ipreds = 2;
    unit.filters = filters;
    unit.n_filters = 1;
    unit.discounts = discounts;
    unit.n_discounts = 2;
    unit.tiers = tiers;
    unit.n_tiers = 2;
    unit.msgs = msgs;
    unit.n_msgs = 3;
    unit.datespecs = datespecs;
    unit.n_datespecs = 1;
    unit.calendars = calendars;
    unit.n_calendars = 1;
    unit.annivs = annivs;
    unit.n_annivs = 1;
    unit.coupons = coupons;
    unit.n_coupons = 2;
    ck_assert(clP_build_sets(&unit));
}

static void refused(const char *what, const char *why)
{
    clE_clear(&err);
    int rc = clK_verify(&unit, &err);
    ck_assert_msg(rc == CL_EVERIFY, "%s: accepted", what);
    ck_assert_int_eq(err.code, CL_EVERIFY);
    ck_assert_msg(strstr(err.message, "bytecode verification failed: ") == err.message, "%s: %s",
                  what, err.message);
    ck_assert_msg(strstr(err.message, why) != NULL, "%s: \"%s\" lacks \"%s\"", what,
                  err.message, why);
}

static void accepted(const char *what)
{
    clE_clear(&err);
    ck_assert_msg(clK_verify(&unit, &err) == CL_OK, "%s: %s", what, err.message);
}

START_TEST(test_fixture_ok)
{
    fixture();
    accepted("the fixture");
    ck_assert_int_eq(clK_verify(&unit, NULL), CL_OK);
    /* an empty unit is fine too */
    clP_unit empty;
    memset(&empty, 0, sizeof empty);
    ck_assert_int_eq(clK_verify(&empty, &err), CL_OK);
}
END_TEST

/* ------------------------------------------------------------------------
 * Control flow
 * ------------------------------------------------------------------------ */

START_TEST(test_jumps)
{
    static const struct {
        uint32_t pc, target;
    } bad[] = {{0, 0}, {0, 5}, {0, 9}, {0, 1000}, {0, UINT32_MAX}};
    for (size_t i = 0; i < CL_COUNTOF(bad); i++) {
        fixture();
        code[bad[i].pc].c = bad[i].target;
        refused("a LOAD_STR jump", "leaves its coupon or goes backwards");
    }
    /* a backward JUMP */
    fixture();
    put(5, OP_TRUE, 0, 0, 0);
    put(6, OP_JUMP, 0, 0, 5);
    refused("a backward JUMP", "goes backwards");
    /* a conditional jump into the next coupon */
    fixture();
    put(1, OP_STR_EQ, 0, 0, 0);
    put(2, OP_JF_KEEP, 0, 0, 6);
    refused("a jump into the next coupon", "leaves its coupon");
    /* a jump whose target sees another stack than the fall-through */
    fixture();
    put(5, OP_TRUE, 0, 0, 0);
    put(6, OP_JT_KEEP, 0, 0, 8); /* target 8 (HALT) sees a boolean; */
    put(7, OP_TARGET, 0, 0, 1);  /* the fall-through reaches it empty */
    put(8, OP_HALT, 0, 0, 0);
    refused("paths that disagree", "paths reach instruction 8 with different stacks");
    /* JF_KEEP's target keeps the boolean; a REQUIRE there consumes it */
    fixture();
    put(5, OP_TRUE, 0, 0, 0);
    put(6, OP_JF_KEEP, 0, 0, 8);
    put(7, OP_TRUE, 0, 0, 0);
    put(8, OP_REQUIRE, CL_R_CONDITION, 0, 1);
    put(9, OP_TARGET, 0, 0, 1);
    put(10, OP_HALT, 0, 0, 0);
    unit.n_code = 11;
    accepted("a JF_KEEP with agreeing paths");
}
END_TEST

START_TEST(test_reachability_and_halt)
{
    fixture();
    put(5, OP_JUMP, 0, 0, 7);
    put(6, OP_TRUE, 0, 0, 0); /* skipped */
    put(7, OP_TARGET, 0, 0, 1);
    refused("an unreachable instruction", "instruction 6 is unreachable");
    fixture();
    put(8, OP_TARGET, 0, 0, 1);
    refused("no HALT", "the code of a coupon does not end in HALT");
    fixture();
    put(3, OP_HALT, 0, 0, 0);
    refused("code after HALT", "code after HALT at 3");
    fixture();
    put(7, OP_TRUE, 0, 0, 0);
    refused("HALT with a value", "HALT at 8 leaves values on the stack");
    /* a JUMP as the last instruction */
    fixture();
    put(8, OP_JUMP, 0, 0, 9);
    refused("a final JUMP", "leaves its coupon");
}
END_TEST

/* ------------------------------------------------------------------------
 * Operands
 * ------------------------------------------------------------------------ */

typedef struct opcase {
    const char *what;
    uint32_t pc;
    clP_insn insn;
    const char *why;
} opcase;

START_TEST(test_operands)
{
    const opcase cases[] = {
        {"unknown opcode", 5, {OP__COUNT, 0, 0, 0}, "unknown opcode"},
        {"opcode 255", 5, {255, 0, 0, 0}, "unknown opcode 255 at 5"},
        {"an int field for LOAD_STR", 0, {OP_LOAD_STR, FLD_USER_ORDERS, 0, 2}, "bad operand of LOAD_STR"},
        {"field out of range", 0, {OP_LOAD_STR, 200, 0, 2}, "bad operand"},
        {"a string field for LOAD_INT", 0, {OP_LOAD_INT, FLD_USER_ID, 0, 2}, "bad operand of LOAD_INT"},
        {"an int field for LOAD_AMT", 0, {OP_LOAD_AMT, FLD_ORDER_SERIAL, 0, 2}, "bad operand of LOAD_AMT"},
        {"a non-zero NONE operand", 1, {OP_STR_EQ, 1, 0, 0}, "bad operand of STR_EQ"},
        {"a non-zero B", 1, {OP_STR_EQ, 0, 7, 0}, "bad operand"},
        {"string out of range", 1, {OP_STR_EQ, 0, 0, 6}, "bad operand of STR_EQ at 1"},
        {"set out of range", 1, {OP_STR_IN, 0, 0, 2}, "bad operand of STR_IN"},
        {"prefix set out of range", 1, {OP_STR_PREFIX, 0, 0, 99}, "bad operand"},
        {"domain set out of range", 1, {OP_STR_DOMAIN, 0, 0, 2}, "bad operand"},
        {"regex out of range", 1, {OP_STR_MATCH, 0, 0, 1}, "bad operand of STR_MATCH"},
        {"a reason out of range", 2, {OP_REQUIRE, CL_R_COUNT, 0, 0}, "bad operand of REQUIRE"},
        {"message out of range", 2, {OP_REQUIRE, CL_R_PAYMENT, 0, 3}, "bad operand of REQUIRE"},
        {"a message of another reason", 2, {OP_REQUIRE, CL_R_USER, 0, 0},
         "REQUIRE at 2 records a message of another reason"},
        {"a GUARD of another reason", 2, {OP_GUARD, CL_R_CURRENCY, 0, 0}, "another reason"},
        {"discount out of range", 3, {OP_TARGET, 0, 0, 2}, "bad operand of TARGET"},
        {"filter out of range", 5, {OP_ITEMS, 0, 0, 1}, "bad operand of ITEMS"},
        {"tag mode out of range", 5, {OP_TAGS, TAGS__COUNT, 0, 0}, "bad operand of TAGS"},
        {"tag set out of range", 5, {OP_TAGS, TAGS_ANY, 0, 2}, "bad operand"},
        {"weekday mask", 5, {OP_WEEKDAY, 0x80, 0, 0}, "bad operand of WEEKDAY"},
        {"a time pair out of range", 5, {OP_TIME_OF_DAY, 0, 0, 4}, "bad operand"},
        {"datespec out of range", 5, {OP_DATE, 0, 0, 1}, "bad operand of DATE"},
        {"holiday set out of range", 5, {OP_HOLIDAY, 0, 0, 2}, "bad operand"},
        {"birthday int out of range", 5, {OP_BIRTHDAY, 0, 0, 5}, "bad operand"},
        {"anniversary out of range", 5, {OP_ANNIV, 0, 0, 1}, "bad operand of ANNIV"},
        {"a direction of 2", 5, {OP_VALID, 2, 0, 0}, "bad operand of VALID"},
        {"a form of 2", 5, {OP_VALID, 0, 2, 0}, "bad operand of VALID"},
        {"uses int out of range", 5, {OP_USES, 0, 0, 5}, "bad operand of USES"},
        {"per_user int out of range", 5, {OP_PER_USER, 0, 0, 9}, "bad operand"},
        {"budget int out of range", 5, {OP_BUDGET, 0, 0, 5}, "bad operand"},
        {"ENTERED with an operand", 5, {OP_ENTERED, 0, 0, 1}, "bad operand of ENTERED"},
        {"TRUE with an operand", 5, {OP_TRUE, 1, 0, 0}, "bad operand of TRUE"},
        {"HALT with an operand", 8, {OP_HALT, 0, 0, 1}, "bad operand of HALT"},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        fixture();
        code[cases[i].pc] = cases[i].insn;
        refused(cases[i].what, cases[i].why);
    }
}
END_TEST

/* Integer operands: comparisons, pairs and sets at their edges. */
START_TEST(test_int_operands)
{
    fixture();
    put(0, OP_LOAD_INT, FLD_ORDER_SERIAL, 0, 2);
    put(1, OP_INT_CMP, CMP_GE, 0, 4);
    put(2, OP_REQUIRE, CL_R_PAYMENT, 0, 0);
    accepted("INT_CMP with the last number");
    code[1].a = CMP__COUNT;
    refused("a comparison out of range", "bad operand of INT_CMP");
    fixture();
    put(0, OP_LOAD_INT, FLD_ORDER_SERIAL, 0, 2);
    put(1, OP_INT_BETWEEN, 0, 0, 3);
    put(2, OP_REQUIRE, CL_R_PAYMENT, 0, 0);
    accepted("a pair ending at the last number");
    code[1].c = 4;
    refused("a pair past the end", "bad operand of INT_BETWEEN");
    code[1] = (clP_insn){OP_INT_EVERY, 0, 0, UINT32_MAX};
    refused("a pair at UINT32_MAX", "bad operand of INT_EVERY");
    code[1] = (clP_insn){OP_INT_IN, 0, 0, 2};
    refused("an integer set out of range", "bad operand of INT_IN");
}
END_TEST

/* ------------------------------------------------------------------------
 * The stack
 * ------------------------------------------------------------------------ */

START_TEST(test_stack)
{
    fixture();
    put(5, OP_REQUIRE, CL_R_CONDITION, 0, 1);
    refused("REQUIRE on an empty stack", "REQUIRE at 5 finds the wrong values on the stack");
    fixture();
    put(5, OP_NOT, 0, 0, 0);
    refused("NOT on an empty stack", "NOT at 5 finds the wrong values");
    fixture();
    put(0, OP_STR_EQ, 0, 0, 0);
    put(1, OP_TRUE, 0, 0, 0);
    refused("STR_EQ on an empty stack", "STR_EQ at 0 finds the wrong values");
    /* a string where an integer is expected, and the other way round */
    fixture();
    put(1, OP_INT_CMP, CMP_EQ, 0, 0);
    refused("INT_CMP on a string", "INT_CMP at 1 finds the wrong values");
    fixture();
    put(0, OP_LOAD_INT, FLD_ORDER_SERIAL, 0, 2);
    refused("STR_EQ on an integer", "STR_EQ at 1 finds the wrong values");
    /* a boolean is not a string */
    fixture();
    put(5, OP_TRUE, 0, 0, 0);
    put(6, OP_STR_IN, 0, 0, 0);
    put(7, OP_REQUIRE, CL_R_CONDITION, 0, 1);
    put(8, OP_TARGET, 0, 0, 1);
    put(9, OP_HALT, 0, 0, 0);
    unit.n_code = 10;
    refused("STR_IN on a boolean", "STR_IN at 6 finds the wrong values");
    /* a REQUIRE of a string */
    fixture();
    put(0, OP_LOAD_STR, FLD_PAYMENT_METHOD, 0, 1);
    put(1, OP_REQUIRE, CL_R_PAYMENT, 0, 0);
    put(2, OP_TRUE, 0, 0, 0);
    put(3, OP_REQUIRE, CL_R_PAYMENT, 0, 0);
    refused("REQUIRE of a string", "paths reach instruction 1 with different stacks");
    fixture();
    put(5, OP_LOAD_STR, FLD_USER_ID, 0, 7);
    put(6, OP_NOT, 0, 0, 0);
    put(7, OP_REQUIRE, CL_R_CONDITION, 0, 1);
    refused("NOT of a string", "NOT at 6 finds the wrong values");
}
END_TEST

/* CLP_MAX_STACK values fit; one more overflows. */
START_TEST(test_stack_depth)
{
    for (int extra = 0; extra <= 1; extra++) {
        fixture();
        int n = CLP_MAX_STACK + extra;
        uint32_t pc;
        /* the fixture's table is too small for 70 instructions: use a bigger one */
        static clP_insn big[100];
        memcpy(big, code, 5 * sizeof *big);
        pc = 5;
        for (int i = 0; i < n; i++)
            big[pc++] = (clP_insn){OP_TRUE, 0, 0, 0};
        for (int i = 0; i < n; i++)
            big[pc++] = (clP_insn){OP_REQUIRE, CL_R_CONDITION, 0, 1};
        big[pc++] = (clP_insn){OP_TARGET, 0, 0, 1};
        big[pc++] = (clP_insn){OP_HALT, 0, 0, 0};
        unit.code = big;
        unit.n_code = pc;
        if (extra == 0)
            accepted("a full stack");
        else
            refused("one value too many", "stack overflow at 37");
    }
    /* a LOAD's absent jump pushes a boolean at its target: that counts too */
    static clP_insn big[100];
    fixture();
    uint32_t pc = 0;
    for (int i = 0; i < CLP_MAX_STACK - 1; i++)
        big[pc++] = (clP_insn){OP_TRUE, 0, 0, 0};
    big[pc] = (clP_insn){OP_LOAD_STR, FLD_USER_ID, 0, pc + 2};
    pc++;
    big[pc++] = (clP_insn){OP_STR_EQ, 0, 0, 0};
    for (int i = 0; i < CLP_MAX_STACK; i++)
        big[pc++] = (clP_insn){OP_REQUIRE, CL_R_CONDITION, 0, 1};
    big[pc++] = (clP_insn){OP_TARGET, 0, 0, 1};
    big[pc++] = (clP_insn){OP_HALT, 0, 0, 0};
    unit.code = big;
    unit.n_code = pc;
    unit.n_coupons = 1;
    accepted("a full stack through an absent jump");
}
END_TEST

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

START_TEST(test_strings_and_sets)
{
    fixture();
    strs[0].len = 30;
    refused("a string past the pool", "string 0 lies outside the pool");
    fixture();
    strs[5].off = UINT32_MAX;
    refused("a string at UINT32_MAX", "string 5 lies outside the pool");
    fixture();
    pool[4] = 'X'; /* "card" no longer NUL-terminated */
    refused("a string without its NUL", "string 0 lies outside the pool");
    fixture();
    unit.n_pool = 15;
    refused("a pool cut short", "lies outside the pool");
    fixture();
    items[1] = 6;
    refused("a set member that is not a string", "set member 1 is not a string");
    fixture();
    sets[0].count = 3;
    refused("a set past its members", "set 0 is malformed");
    fixture();
    sets[0].nslots = 3;
    refused("slots not a power of two", "set 0 is malformed");
    fixture();
    sets[0].nslots = 2;
    sets[0].slot = 0;
    refused("too few slots", "set 0 is malformed");
    fixture();
    sets[1].slot = 4;
    sets[1].nslots = 2;
    refused("slots past the table", "set 1 is malformed");
    fixture();
    sets[0].fold = 2;
    refused("a fold flag of 2", "set 0 is malformed");
    fixture();
    slots[3] = 77;
    refused("a hash slot that is not a string", "hash slot 3 is not a string");
    fixture();
    isets[0].count = 9;
    refused("an integer set past the numbers", "integer set 0 lies outside the numbers");
    fixture();
    ints[1] = 1;
    refused("an integer set with a duplicate", "integer set 0 is not sorted");
    fixture();
    ints[0] = 99;
    refused("an integer set out of order", "integer set 0 is not sorted");
    fixture();
    regexes[0].pattern = 6;
    refused("a regex without its pattern", "regex 0 is malformed");
    fixture();
    re[0] = NULL;
    refused("a regex not compiled", "regex 0 is malformed");
    fixture();
    unit.re = NULL;
    refused("no compiled regexes", "regex 0 is malformed");
    fixture();
    msgs[2].text = 6;
    refused("a message without its text", "message 2 is malformed");
    fixture();
    msgs[2].reason = CL_R_COUNT;
    refused("a message of no reason", "message 2 is malformed");
}
END_TEST

START_TEST(test_filters)
{
    fixture();
    spreds[0].kind = SP__COUNT;
    refused("a string predicate of no kind", "string predicate 0 is malformed");
    fixture();
    spreds[0].arg = 2;
    refused("a predicate's set out of range", "string predicate 0 is malformed");
    fixture();
    spreds[1].arg = 1;
    refused("a predicate's regex out of range", "string predicate 1 is malformed");
    fixture();
    spreds[0] = (clP_spred){SP_EQ, 6};
    refused("a predicate's string out of range", "string predicate 0 is malformed");
    fixture();
    ipreds[0].kind = IP__COUNT;
    refused("a number predicate of no kind", "number predicate 0 is malformed");
    fixture();
    ipreds[0].arg = 4;
    refused("a pair past the numbers", "number predicate 0 is malformed");
    fixture();
    ints[2] = 0;
    isets[0].count = 2; /* keep the set sorted */
    refused("every 0 (a division by zero)", "number predicate 1 is malformed");
    fixture();
    ipreds[0] = (clP_ipred){IP_IN, 2};
    refused("a number predicate's set out of range", "number predicate 0 is malformed");
    fixture();
    ipreds[0] = (clP_ipred){IP_LT, 5};
    refused("a number out of range", "number predicate 0 is malformed");
    fixture();
    filters[0].sku_count = 3;
    refused("SKU predicates past the table", "line filter 0 is malformed");
    fixture();
    filters[0].xsku_first = 2;
    filters[0].xsku_count = 1;
    refused("excluded SKU predicates past the table", "line filter 0 is malformed");
    fixture();
    filters[0].price_first = UINT32_MAX;
    refused("price predicates at UINT32_MAX", "line filter 0 is malformed");
    fixture();
    filters[0].cat = 2;
    refused("a category set out of range", "line filter 0 is malformed");
    fixture();
    filters[0].xcat = 5;
    refused("an excluded category set out of range", "line filter 0 is malformed");
    fixture();
    filters[0].tags = 0;
    filters[0].tags_mode = TAGS__COUNT;
    refused("a tag mode out of range", "line filter 0 is malformed");
    fixture();
    filters[0].on_sale = 3;
    refused("on_sale 3", "line filter 0 is malformed");
    fixture();
    filters[0].min_quantity = 0;
    refused("min_quantity 0", "line filter 0 is malformed");
    fixture();
    filters[0].min_amount = -1;
    refused("a negative min_amount", "line filter 0 is malformed");
}
END_TEST

START_TEST(test_discounts)
{
    static const struct {
        const char *what;
        int which;     /* discount */
        int field;
        int64_t value;
    } cases[] = {
        {"a kind out of range", 0, 0, DK__COUNT},
        {"a target out of range", 0, 1, TG__COUNT},
        {"exclude_sale 2", 0, 2, 2},
        {"an order target with a filter", 0, 3, 0},
        {"an items target without a filter", 1, 3, CL_NONE},
        {"a filter out of range", 1, 3, 1},
        {"a negative value", 0, 4, -1},
        {"a percent of 0", 0, 4, 0},
        {"a percent over 100", 0, 4, 10001},
        {"a cap below -1", 0, 5, -2},
        {"max_units 0", 0, 6, 0},
        {"max_units below -1", 0, 6, -5},
        {"max_groups 0", 0, 9, 0},
        {"a message out of range", 0, 10, 3},
        {"a second message out of range", 0, 11, 3},
        {"tiers without their message", 1, 11, CL_NONE},
        {"no tiers", 1, 12, 0},
        {"tiers past the table", 1, 13, 3},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        fixture();
        clP_discount *d = &discounts[cases[i].which];
        switch (cases[i].field) {
        case 0: d->kind = (uint8_t)cases[i].value; break;
        case 1: d->target = (uint8_t)cases[i].value; break;
        case 2: d->exclude_sale = (uint8_t)cases[i].value; break;
        case 3: d->filter = (uint32_t)cases[i].value; break;
        case 4: d->value = cases[i].value; break;
        case 5: d->max_amount = cases[i].value; break;
        case 6: d->max_units = cases[i].value; break;
        case 9: d->max_groups = cases[i].value; break;
        case 10: d->msg = (uint32_t)cases[i].value; break;
        case 11: d->msg2 = (uint32_t)cases[i].value; break;
        case 12: d->tier_count = (uint32_t)cases[i].value; break;
        default: d->tier_first = (uint32_t)cases[i].value; break;
        }
        char why[64];
        snprintf(why, sizeof why, "discount %d is malformed", cases[i].which);
        refused(cases[i].what, why);
    }
    /* buy_get */
    fixture();
    discounts[0] = (clP_discount){DK_BUY_GET, TG_ORDER, 0, CL_NONE, 10000, -1, -1, 2, 1, -1, 0,
                                  0, 2, 2, 1};
    accepted("a buy_get");
    discounts[0].buy = 0;
    refused("buy 0", "discount 0 is malformed");
    discounts[0].buy = INT64_MAX / 2;
    refused("buy + get overflowing", "discount 0 is malformed");
    discounts[0].buy = 2;
    discounts[0].msg2 = CL_NONE;
    refused("buy_get without its message", "discount 0 is malformed");
    /* free shipping targets shipping only */
    fixture();
    discounts[0] = (clP_discount){DK_FREE_SHIPPING, TG_SHIPPING, 0, CL_NONE, 10000, -1, -1, 0, 0,
                                  -1, 0, 0, 0, CL_NONE, 1};
    accepted("free shipping");
    discounts[0].target = TG_ORDER;
    refused("free shipping of the order", "discount 0 is malformed");
    /* tiers */
    fixture();
    tiers[1].min = 100;
    refused("tiers that do not go up", "discount 1 is malformed");
    fixture();
    tiers[1].value = 0;
    refused("a tier of 0 percent", "discount 1 is malformed");
    fixture();
    tiers[0].percent = 2;
    refused("a tier of another kind", "discount 1 is malformed");
    fixture();
    tiers[0].min = -1;
    refused("a negative tier", "discount 1 is malformed");
}
END_TEST

START_TEST(test_time_tables)
{
    fixture();
    datespecs[0].kind = DS__COUNT;
    refused("a date rule of no kind", "date rule 0 is malformed");
    fixture();
    datespecs[0].full = 2;
    refused("a date rule's set out of range", "date rule 0 is malformed");
    fixture();
    calendars[0].month = 13;
    refused("a calendar in month 13", "calendar entry 0 is malformed");
    fixture();
    calendars[0].name = 6;
    refused("a calendar without its name", "calendar entry 0 is malformed");
    fixture();
    calendars[0].span = 0;
    refused("a calendar of no days", "calendar entry 0 is malformed");
    fixture();
    annivs[0].within = -1;
    refused("an anniversary window below 0", "anniversary rule 0 is malformed");
    fixture();
    annivs[0].years = 2;
    refused("an anniversary's years out of range", "anniversary rule 0 is malformed");
    fixture();
    unit.n_zones = 1;
    refused("a zone that is not there", "zone 0 is missing");
}
END_TEST

START_TEST(test_coupons)
{
    static const struct {
        const char *what;
        int field;
        int64_t value;
    } cases[] = {
        {"a code out of range", 0, 6},
        {"a name out of range", 1, 6},
        {"a group out of range", 2, 7},
        {"a discount out of range", 3, 2},
        {"a zone out of range", 4, 0},
        {"uses below -1", 5, -2},
        {"a budget below -1", 6, -9},
        {"rounding 4", 7, 4},
        {"a weekend mask of 0x80", 8, 0x80},
        {"automatic 2", 9, 2},
        {"an exponent of 5", 10, 5},
        {"per_user below -1", 11, -3},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        fixture();
        clP_coupon *c = &coupons[1];
        int64_t v = cases[i].value;
        switch (cases[i].field) {
        case 0: c->code = (uint32_t)v; break;
        case 1: c->name = (uint32_t)v; break;
        case 2: c->group = (uint32_t)v; break;
        case 3: c->discount = (uint32_t)v; break;
        case 4: c->zone = (uint32_t)v; break;
        case 5: c->uses = v; break;
        case 6: c->budget = v; break;
        case 7: c->rounding = (uint8_t)v; break;
        case 8: c->weekend = (uint8_t)v; break;
        case 9: c->automatic = (uint8_t)v; break;
        case 10: c->exponent = (int8_t)v; break;
        default: c->per_user = v; break;
        }
        refused(cases[i].what, "coupon 1 is malformed");
    }
    fixture();
    memcpy(coupons[1].currency, "USDX", 4);
    refused("a currency without its NUL", "coupon 1 is malformed");
    /* entries: in order, inside the code, the first at 0 */
    fixture();
    coupons[1].entry = 9;
    refused("an entry past the code", "coupon 1 is malformed");
    fixture();
    coupons[1].entry = 0;
    refused("two coupons at one entry", "coupon 1 is malformed");
    fixture();
    coupons[0].entry = 1;
    refused("a first entry after 0", "coupon 0 is malformed");
    fixture();
    unit.n_coupons = 0;
    refused("code without coupons", "code without coupons");
    /* a coupon entry in the middle of another coupon's code splits it */
    fixture();
    coupons[1].entry = 3;
    refused("an entry inside a coupon", "does not end in HALT");
}
END_TEST

/* ------------------------------------------------------------------------
 * Random mutations of compiled code
 * ------------------------------------------------------------------------ */

static const char mutant_src[] =
    "version: 1\n"
    "currency: USD\n"
    "coupons:\n"
    "  - code: A\n"
    "    owner: u-1\n"
    "    when:\n"
    "      any: [ { payment.method: [card, upi] }, { user.tags: { all: [vip] } } ]\n"
    "      order.serial: { gte: 1, lt: 100, not_in: [13] }\n"
    "      order.number: { matches: '^O', prefix: [OR] }\n"
    "      user.email: { domain: [example.com] }\n"
    "      not: { cart.quantity: { between: [50, 60] } }\n"
    "      items: { sku: { prefix: [S] }, unit_price: { gte: \"1.00\" } }\n"
    "      order.sequence: { every: 2 }\n"
    "    limits: { uses: 5, per_user: 1, budget: \"100.00\" }\n"
    "    discount: { percent: 10, target: { items: { category: [a] } } }\n"
    "  - code: B\n"
    "    automatic: true\n"
    "    when: { cart.subtotal: { gte: \"5.00\" }, shipping.amount: { gt: 0 } }\n"
    "    discount: { buy_get: { buy: 1, get: 1 } }\n";

static const char mutant_ctx[] =
    "{\"now\": \"2026-05-05T10:00:00Z\", \"currency\": \"USD\", \"codes\": [\"A\"],"
    " \"user\": {\"id\": \"u-1\", \"email\": \"a@example.com\", \"tags\": [\"vip\"]},"
    " \"order\": {\"serial\": 7, \"number\": \"OR-1\", \"sequence\": 4},"
    " \"payment\": {\"method\": \"card\"}, \"shipping\": {\"amount\": \"3.00\"},"
    " \"items\": [{\"sku\": \"S1\", \"quantity\": 2, \"unit_price\": \"4.00\","
    " \"categories\": [\"a\"]}, {\"sku\": \"T\", \"quantity\": 1, \"unit_price\": \"9.00\"}]}";

START_TEST(test_random_mutations)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error e;
    cl_program *p = cl_compile(env, mutant_src, sizeof mutant_src - 1, "m.yaml", &e);
    ck_assert_msg(p != NULL, "%s", e.message);
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_parse(ctx, mutant_ctx, sizeof mutant_ctx - 1, &e), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    clP_unit *real = p->units[0];
    clP_insn *own = real->code;
    uint32_t n = real->n_code;
    clP_insn *orig = malloc(n * sizeof *orig), *mut = malloc(n * sizeof *mut);
    memcpy(orig, real->code, n * sizeof *orig);
    test_rng r = {0xBADC0DE};
    int accepted_n = 0, refused_n = 0;
    long rounds = test_rounds(4000);
    for (long round = 0; round < rounds; round++) {
        memcpy(mut, orig, n * sizeof *mut);
        int changes = (int)test_range(&r, 1, 3);
        for (int k = 0; k < changes; k++) {
            clP_insn *in = &mut[test_range(&r, 0, n - 1)];
            switch (test_range(&r, 0, 4)) {
            case 0: in->op = (uint8_t)test_range(&r, 0, OP__COUNT); break;
            case 1: in->a = (uint8_t)test_range(&r, 0, 40); break;
            case 2: in->b = (uint16_t)test_range(&r, 0, 2); break;
            case 3: in->c = (uint32_t)test_range(&r, 0, n + 2); break;
            default: in->c = (uint32_t)test_range(&r, 0, 30); break;
            }
        }
        real->code = mut;
        int rc = clK_verify(real, &e);
        if (rc == CL_OK) {
            accepted_n++;
            const cl_result *res;
            int erc = cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, &res, &e);
            REQUIRE(erc == CL_OK || erc == CL_ESTEPS || erc == CL_ELIMIT,
                    "round %ld: a verified mutant failed with %s", round, cl_status_name(erc));
            erc = cl_vm_best(vm, p, ctx, &res, &e);
            REQUIRE(erc == CL_OK || erc == CL_ESTEPS || erc == CL_ELIMIT,
                    "round %ld: best of a verified mutant failed with %s", round,
                    cl_status_name(erc));
        } else {
            REQUIRE(rc == CL_EVERIFY, "round %ld: status %s", round, cl_status_name(rc));
            refused_n++;
        }
    }
    real->code = own;
    ck_assert_int_eq(clK_verify(real, &e), CL_OK);
    ck_assert_int_gt(refused_n, rounds / 4);
    ck_assert_int_gt(accepted_n, rounds / 400);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    free(orig);
    free(mut);
    cl_env_free(env);
}
END_TEST

static Suite *verify_suite(void)
{
    const test_entry tests[] = {
        {"fixture", test_fixture_ok},    {"flow", test_jumps},
        {"flow", test_reachability_and_halt}, {"operands", test_operands},
        {"operands", test_int_operands}, {"stack", test_stack},
        {"stack", test_stack_depth},     {"tables", test_strings_and_sets},
        {"tables", test_filters},        {"tables", test_discounts},
        {"tables", test_time_tables},    {"tables", test_coupons},
        {"mutations", test_random_mutations},
    };
    return test_suite_fx("verify", tests, CL_COUNTOF(tests), 300, setup, teardown);
}

TEST_MAIN(verify_suite)
