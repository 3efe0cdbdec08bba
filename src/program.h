/*
 * program.h - the compiled form of coupons.
 *
 * A unit is what one coupon file compiles to: code and constant tables, all
 * addressed by 32-bit indexes (never pointers), so that a unit can be saved,
 * loaded and verified. Only the compiled regexes, the string sets' hash
 * slots and the zones are runtime objects, rebuilt on load.
 *
 * A cl_program is a list of shared, reference-counted units and an index of
 * their coupons by code; linking several programs shares their units.
 */
#ifndef CL_PROGRAM_H
#define CL_PROGRAM_H

#include "core.h"
#include "tz.h"

#include <stdatomic.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* ------------------------------------------------------------------------
 * Opcodes and instructions
 * ------------------------------------------------------------------------ */

typedef enum clP_opcode {
#define X(name, a, b, c, pops, pushes, synopsis) OP_##name,
#include "opcodes.def"
#undef X
    OP__COUNT
} clP_opcode;

/* Kinds of operand; the verifier checks each against its table. */
typedef enum clP_opnd {
    OPND_NONE,     /* must be zero */
    OPND_FSTR,     /* a string field */
    OPND_FINT,     /* an integer field */
    OPND_FAMT,     /* an amount field */
    OPND_CMP,      /* a clP_cmp */
    OPND_MODE,     /* a clP_tagmode */
    OPND_MASK,     /* a weekday mask, bits 0..6 */
    OPND_DIR,      /* 0 = from, 1 = until */
    OPND_FORM,     /* 0 = an instant, 1 = a local date-time */
    OPND_REASON,   /* a cl_reason */
    OPND_INT,      /* index into ints */
    OPND_INT2,     /* index of a pair in ints */
    OPND_STR,      /* index into strs */
    OPND_SET,      /* index into sets */
    OPND_ISET,     /* index into isets */
    OPND_REGEX,    /* index into regexes */
    OPND_FILTER,   /* index into filters */
    OPND_DATESPEC, /* index into datespecs */
    OPND_ANNIV,    /* index into annivs */
    OPND_MSG,      /* index into msgs */
    OPND_DISC,     /* index into discounts */
    OPND_JABSENT,  /* forward jump, taken when a field is absent */
    OPND_JALWAYS,  /* forward jump, unconditional */
    OPND_JKEEP     /* forward jump, conditional, keeps the tested value */
} clP_opnd;

typedef struct clP_opinfo {
    const char *name;      /* "LOAD_STR" */
    uint8_t a, b, c;       /* clP_opnd of each operand */
    const char *pops;      /* stack types popped, bottom to top */
    const char *pushes;    /* stack types pushed */
    const char *synopsis;  /* one line */
} clP_opinfo;

extern const clP_opinfo clP_ops[OP__COUNT];

/* The deepest stack any verified code uses; the VM's stack has this size. */
#define CLP_MAX_STACK 32

typedef struct clP_insn {
    uint8_t op;   /* clP_opcode */
    uint8_t a;
    uint16_t b;
    uint32_t c;
} clP_insn;

typedef enum clP_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP__COUNT } clP_cmp;
typedef enum clP_tagmode { TAGS_ANY, TAGS_ALL, TAGS_NONE, TAGS__COUNT } clP_tagmode;

/* ------------------------------------------------------------------------
 * Fields of the context that conditions read
 * ------------------------------------------------------------------------ */

typedef enum clP_field {
    /* strings */
    FLD_USER_ID, FLD_USER_EMAIL, FLD_ORDER_NUMBER, FLD_PAYMENT_METHOD, FLD_PAYMENT_NETWORK,
    FLD_PAYMENT_BIN, FLD_PAYMENT_WALLET, FLD_SHIPPING_METHOD, FLD_SHIPPING_COUNTRY,
    FLD_CURRENCY,
    /* integers */
    FLD_USER_ORDERS, FLD_ORDER_SERIAL, FLD_ORDER_SEQUENCE, FLD_CART_QUANTITY,
    /* amounts */
    FLD_CART_SUBTOTAL, FLD_SHIPPING_AMOUNT,
    FLD__COUNT
} clP_field;

extern const char *const clP_field_names[FLD__COUNT];

#define FLD_FIRST_INT FLD_USER_ORDERS
#define FLD_FIRST_AMT FLD_CART_SUBTOTAL

/* ------------------------------------------------------------------------
 * Constant tables
 * ------------------------------------------------------------------------ */

typedef struct clP_str {
    uint32_t off;   /* into pool; the text is NUL-terminated there */
    uint32_t len;
} clP_str;

/* A set of strings: members are items[first .. first+count) (string
 * indexes); slots[slot .. slot+nslots) is an open-addressing hash table of
 * member string indexes (CL_NONE = empty), rebuilt whenever a unit is made
 * or loaded. */
typedef struct clP_set {
    uint32_t first, count;  /* members in items */
    uint32_t slot, nslots;  /* hash table; nslots a power of two */
    uint8_t fold;           /* members are lower case; look up ignoring case */
    uint64_t bloom;         /* bit (hash >> 26) of every member's hash: a clear bit
                               answers "not a member" without probing */
} clP_set;

/* A set of integers: ints[first .. first+count), ascending, no duplicates. */
typedef struct clP_iset {
    uint32_t first, count;
} clP_iset;

typedef struct clP_regex {
    uint32_t pattern;       /* string index */
    uint32_t line, col;     /* source position, for load-time errors */
} clP_regex;

/* A predicate on a string, used by line filters. */
typedef enum clP_spk { SP_EQ, SP_NE, SP_IN, SP_NOT_IN, SP_PREFIX, SP_MATCH, SP__COUNT } clP_spk;
typedef struct clP_spred {
    uint8_t kind;           /* clP_spk */
    uint32_t arg;           /* string (EQ, NE), set (IN, NOT_IN, PREFIX), regex (MATCH) */
} clP_spred;

/* A predicate on an integer (a unit price in a line filter). */
typedef enum clP_ipk {
    IP_EQ, IP_NE, IP_LT, IP_LE, IP_GT, IP_GE, IP_BETWEEN, IP_IN, IP_NOT_IN, IP_EVERY, IP__COUNT
} clP_ipk;
typedef struct clP_ipred {
    uint8_t kind;           /* clP_ipk */
    uint32_t arg;           /* ints index (pairs for BETWEEN, EVERY) or iset (IN, NOT_IN) */
} clP_ipred;

/* A line filter (SPEC 4.3). Predicate lists are ranges of spreds/ipreds
 * that must all hold; count 0 means no constraint. */
typedef struct clP_filter {
    uint32_t sku_first, sku_count;     /* spreds on the SKU */
    uint32_t xsku_first, xsku_count;   /* a line whose SKU meets all of these is excluded */
    uint32_t cat;                      /* set of category paths (subtrees), or CL_NONE */
    uint32_t xcat;                     /* set of excluded category subtrees, or CL_NONE */
    uint32_t tags;                     /* set, or CL_NONE */
    uint8_t tags_mode;                 /* clP_tagmode */
    uint8_t on_sale;                   /* 0 = either, 1 = only on sale, 2 = only not on sale */
    uint32_t price_first, price_count; /* ipreds on the unit price */
    int64_t min_quantity;              /* >= 1 */
    int64_t min_amount;                /* >= 0 */
} clP_filter;

typedef enum clP_dkind {
    DK_PERCENT, DK_AMOUNT, DK_PER_ITEM, DK_FIXED_PRICE, DK_BUY_GET, DK_TIERS,
    DK_FREE_SHIPPING, DK__COUNT
} clP_dkind;

typedef enum clP_target { TG_ORDER, TG_SHIPPING, TG_ITEMS, TG__COUNT } clP_target;

typedef struct clP_tier {
    int64_t min;            /* eligible amount needed */
    uint8_t percent;        /* 1: value is basis points; 0: an amount */
    int64_t value;
} clP_tier;

typedef struct clP_discount {
    uint8_t kind;           /* clP_dkind */
    uint8_t target;         /* clP_target */
    uint8_t exclude_sale;   /* lines on sale are not eligible */
    uint32_t filter;        /* line filter for TG_ITEMS, else CL_NONE */
    int64_t value;          /* basis points (PERCENT, BUY_GET), minor units (others) */
    int64_t max_amount;     /* cap, -1 = none */
    int64_t max_units;      /* -1 = none */
    int64_t buy, get;       /* BUY_GET */
    int64_t max_groups;     /* BUY_GET, -1 = none */
    uint32_t tier_first, tier_count;
    uint32_t msg;           /* TARGET's failure: nothing eligible (ITEMS or SHIPPING) */
    uint32_t msg2;          /* TARGET's failure: too few units (BUY_GET, ITEMS) or no tier
                               reached (TIERS, MIN_SUBTOTAL); CL_NONE otherwise */
    uint32_t line;          /* source line of `discount` */
} clP_discount;

/* A reason message: what REQUIRE, GUARD and TARGET record. */
typedef struct clP_msg {
    uint32_t text;          /* string index */
    uint32_t line;          /* source line of the condition, 0 = none */
    uint8_t reason;         /* cl_reason */
} clP_msg;

/* A `date:` rule (SPEC 4.4). */
typedef enum clP_datek { DS_ON, DS_BETWEEN, DS_MONTHDAY, DS__COUNT } clP_datek;
typedef struct clP_datespec {
    uint8_t kind;           /* clP_datek */
    uint32_t full;          /* ON: iset of days since epoch; CL_NONE if empty */
    uint32_t annual;        /* ON: iset of month*100+day; CL_NONE if empty */
    int64_t from, to;       /* BETWEEN: days, or month*100+day when annual */
    uint8_t annual_range;   /* BETWEEN: from/to are month*100+day */
    uint16_t months;        /* MONTHDAY: bit m (1..12); 0 = any month */
    uint32_t days;          /* MONTHDAY: bit d (1..31); 0 = any day */
} clP_datespec;

/* A named special day (SPEC 4.4, docs/time.md). */
typedef enum clP_calk { CAL_DATE, CAL_ANNUAL, CAL_NTH, CAL_EASTER, CAL_ORTHODOX, CAL__COUNT } clP_calk;
/* How a day that falls on a weekend (Saturday or Sunday) is observed. */
typedef enum clP_observed {
    OBS_NONE,       /* on the day itself */
    OBS_NEAREST,    /* Saturday -> Friday, Sunday -> Monday */
    OBS_FOLLOWING,  /* the next weekday that is not already a day of its calendar */
    OBS__COUNT
} clP_observed;
/* A calendar with a `following` day holds at most this many entries. */
#define CLP_GROUP_MAX 64
typedef struct clP_calendar {
    uint32_t name;          /* string index */
    uint32_t calendar;      /* string index of the shipped calendar, CL_NONE = the file's */
    uint8_t kind;           /* clP_calk */
    uint8_t month, weekday; /* ANNUAL, NTH (weekday 0 = Mon) */
    int8_t n;               /* NTH: 1..5, -1..-5 */
    uint8_t day;            /* ANNUAL */
    uint8_t observed;       /* clP_observed */
    int64_t date;           /* DATE: days since epoch */
    int32_t offset;         /* days added to the rule's day (EASTER: its offset) */
    int32_t span;           /* days the occasion lasts, >= 1 */
    int32_t from_year;      /* yearly rules: first year, 0 = no bound */
    int32_t until_year;     /* yearly rules: last year, 0 = no bound */
    uint32_t except;        /* iset of years without the day, CL_NONE = none */
    uint32_t moved;         /* iset of year*10000 + month*100 + day: the day in that
                               year, instead of the rule's; CL_NONE = none */
    uint32_t group;         /* first entry of its calendar (the file's own or a shipped one) */
    uint32_t group_n;       /* entries in that calendar */
} clP_calendar;

/* An `anniversary:` rule. */
typedef struct clP_anniv {
    int64_t within;         /* days either side */
    uint32_t years;         /* iset of years, or CL_NONE for any year >= 1 */
} clP_anniv;

/* A coupon. */
typedef struct clP_coupon {
    uint32_t code, name, group;  /* string indexes; name and group may be CL_NONE */
    uint32_t entry;              /* first instruction */
    uint32_t discount;           /* index into discounts */
    uint32_t zone;               /* index into zones, or CL_NONE for the context's */
    int64_t priority;
    int64_t uses, per_user;      /* -1 = no limit */
    int64_t budget;              /* minor units, -1 = no budget */
    uint32_t line, col;          /* position of the coupon */
    uint8_t automatic, exclusive, stop;
    uint8_t rounding;            /* clM_rounding */
    uint8_t weekend;             /* weekday mask of `weekend` */
    char currency[4];            /* "" when the file has none */
    int8_t exponent;             /* of currency, -1 when none */
} clP_coupon;

/* One table of a unit: a pointer and a count. */
#define CLP_TABLE(T, name) T *name; uint32_t n_##name

typedef struct clP_unit {
    atomic_size_t refs;                 /* shared by programs */
    const cl_env *env;
    char *source;                       /* source name (owned), NUL-terminated */
    size_t source_size;
    CLP_TABLE(clP_insn, code);
    CLP_TABLE(int64_t, ints);
    CLP_TABLE(char, pool);              /* string bytes */
    CLP_TABLE(clP_str, strs);
    CLP_TABLE(clP_set, sets);
    CLP_TABLE(uint32_t, items);         /* set members (string indexes) */
    CLP_TABLE(uint32_t, slots);         /* set hash slots */
    CLP_TABLE(clP_iset, isets);
    CLP_TABLE(clP_regex, regexes);
    CLP_TABLE(clP_spred, spreds);
    CLP_TABLE(clP_ipred, ipreds);
    CLP_TABLE(clP_filter, filters);
    CLP_TABLE(clP_discount, discounts);
    CLP_TABLE(clP_tier, tiers);
    CLP_TABLE(clP_msg, msgs);
    CLP_TABLE(clP_datespec, datespecs);
    CLP_TABLE(clP_calendar, calendars);
    CLP_TABLE(clP_anniv, annivs);
    CLP_TABLE(clP_coupon, coupons);
    CLP_TABLE(clT_zone *, zones);       /* owned */
    pcre2_code **re;                    /* [n_regexes] compiled (JIT where available) */
    uint64_t max_coupons;               /* selection.max_coupons; 0 = no limit */
} clP_unit;

typedef struct clI_index clI_index;

/* A coupon's place in a program. */
typedef struct clP_ref {
    uint32_t unit;
    uint32_t index;
} clP_ref;

struct cl_program {
    const cl_env *env;
    clP_unit **units;
    size_t nunits, units_cap;
    clP_ref *coupons;       /* program order */
    size_t ncoupons, coupons_cap;
    uint32_t *lookup;       /* hash of codes (folded) -> coupon index; CL_NONE = empty */
    size_t nlookup;         /* power of two */
    uint64_t max_coupons;   /* 0 = no limit */
    clI_index *index;       /* which automatic coupons could apply (index.c) */
};

/* ------------------------------------------------------------------------
 * Functions
 * ------------------------------------------------------------------------ */

static inline const char *clP_text(const clP_unit *u, uint32_t i)
{
    return u->pool + u->strs[i].off;
}

static inline const clP_coupon *clP_coupon_of(const cl_program *p, size_t i, const clP_unit **u)
{
    *u = p->units[p->coupons[i].unit];
    return &(*u)->coupons[p->coupons[i].index];
}

/* Case-insensitive (when fold) FNV-1a hash of s[0..n): the steps below,
 * from CLP_HASH_START, finished by clP_hash_final. */
uint32_t clP_hash(const char *s, size_t n, bool fold);

#define CLP_HASH_START 2166136261u

static inline uint32_t clP_hash_step(uint32_t h, unsigned char c, bool fold)
{
    if (fold && c >= 'A' && c <= 'Z')
        c = (unsigned char)(c + ('a' - 'A'));
    return (h ^ c) * 16777619u;
}

static inline uint32_t clP_hash_final(uint32_t h)
{
    return h ^ (h >> 15);
}



/* Fills the hash slots of every set of u (u->slots must be sized). Returns
 * false when a set's members are not distinct. */
bool clP_build_sets(clP_unit *u);

/* Sets of at most this many members are looked up by comparing with each. */
#define CLP_SET_SCAN 4


/* a[0..n) == b[0..n), for the short strings sets hold (codes, tags,
 * categories): up to 16 bytes in a few overlapping word loads, longer ones
 * by memcmp. */
static inline bool clP_same(const char *a, const char *b, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n < 4) {
        for (size_t i = 0; i < n; i++)
            if (a[i] != b[i])
                return false;
        return true;
    }
    return memcmp(a, b, n) == 0;
}

/* Whether set i of u contains s[0..n). */
bool clP_set_has(const clP_unit *u, uint32_t set, const char *s, size_t n);

/* clP_set_has() with the hash of s[0..n) already known (clP_hash with the
 * set's fold). Inline: the VM's line filters call it per line. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline bool clP_set_has_hashed(const clP_unit *u, uint32_t set, uint32_t hash,
                                      const char *s, size_t n)
{
    const clP_set *st = &u->sets[set];
    if (!((st->bloom >> (hash >> 26)) & 1))
        return false;
    uint32_t mask = st->nslots - 1;
    const uint32_t *slots = u->slots + st->slot;
    for (uint32_t h = hash & mask;; h = (h + 1) & mask) {
        uint32_t str = slots[h];
        if (str == CL_NONE)
            return false;
        const clP_str *m = &u->strs[str];
        if (m->len == n && (st->fold ? clB_ieq(u->pool + m->off, m->len, s, n)
                                     : clP_same(u->pool + m->off, s, n)))
            return true;
    }
}

/* Whether iset i of u contains v (binary search). */
bool clP_iset_has(const clP_unit *u, uint32_t iset, int64_t v);

/* Reference counting of units; clP_unit_release frees on the last one. */
void clP_unit_retain(clP_unit *u);
void clP_unit_release(clP_unit *u);

/* The version of the saved bytecode format (serialize.c); bump it whenever
 * opcodes.def, an operand's meaning or a record layout changes. */
#define CLP_BYTECODE_VERSION 1

/* An empty program with room for nunits units and ncoupons coupons, or NULL
 * when out of memory. */
cl_program *clP_program_new(const cl_env *env, size_t nunits, size_t ncoupons);

/* Builds p's index of codes; a code defined twice is CL_EDUPLICATE, with
 * both positions in err. */
int clP_program_index(cl_program *p, cl_error *err);

/* Makes a program of one unit (taking over the caller's reference). */
cl_program *clP_program_of_unit(const cl_env *env, clP_unit *u, cl_error *err);

/* Verifies a unit's code and tables (verify.c). */
int clK_verify(const clP_unit *u, cl_error *err);

/* Writes the disassembly of one unit (opcodes.c). */
int clP_disasm_unit(const clP_unit *u, cl_write_fn write, void *ud);

#endif /* CL_PROGRAM_H */
