/*
 * load.h - what the parts of the loader share (load.c: documents and
 * coupons; load_cond.c: conditions and line filters; load_cal.c: calendars;
 * load_discount.c: discounts). The loader checks every key and value of a
 * coupon file, interns its constants in the builder and builds the AST;
 * every mistake is reported at its position with the path to it.
 */
#ifndef CL_LOAD_H
#define CL_LOAD_H

#include "ast.h"
#include "money.h"

/* The loader's state while one document is read. */
typedef struct clL_state {
    clC_builder *b;
    const clY_doc *doc;
    cl_error *err;
    char path[256];        /* "coupons[2].when.items.sku" */
    size_t pathlen;
    /* file settings */
    char currency[4];      /* "" when none */
    int exponent;          /* of currency, -1 when none */
    uint8_t rounding;      /* clM_rounding */
    uint8_t weekend;       /* weekday mask, bit 0 = Monday */
    uint32_t zone;         /* file zone index, CL_NONE = none */
    uint32_t ncalendars_named; /* calendars defined so far */
    uint64_t depth;        /* condition nesting */
    uint8_t oom;           /* a message could not be made: the load fails with CL_ENOMEM */
} clL_state;

/* ------------------------------------------------------------------------
 * Paths and errors
 * ------------------------------------------------------------------------ */

/* Appends ".key" or "[i]" to the path; returns the previous length, which
 * clL_pop() restores. */
size_t clL_push_key(clL_state *L, const char *key);
size_t clL_push_index(clL_state *L, size_t i);
void clL_pop(clL_state *L, size_t mark);

/* Reports an error at node (NULL: no position) with the current path. */
int clL_fail(clL_state *L, const clY_node *node, int code, const char *fmt, ...)
    CL_PRINTF(4, 5);

/* Refuses any key of map not among allowed[0..n) (with a suggestion). */
int clL_check_keys(clL_state *L, const clY_node *map, const char *const *allowed, size_t n);

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

int clL_expect(clL_state *L, const clY_node *node, clY_kind kind, const char *what);
int clL_bool(clL_state *L, const clY_node *node, bool *out);
/* An integer (plain or quoted, optional '-'), between lo and hi. */
int clL_int(clL_state *L, const clY_node *node, int64_t lo, int64_t hi, int64_t *out);
/* Text: a scalar (not a boolean), at most CL_LIMIT_STRING bytes. */
int clL_text(clL_state *L, const clY_node *node, const char **s, size_t *n);
/* An amount in the file's currency, >= 0. */
int clL_amount(clL_state *L, const clY_node *node, int64_t *out);
/* A percentage (0 < p <= 100, two decimals at most) as basis points. */
int clL_percent(clL_state *L, const clY_node *node, int64_t *out);

/* The items of a list; a scalar or a mapping is a one-element list. The
 * returned pointer is to node->items, or to `one` holding node. */
const clY_node *const *clL_list(const clY_node *node, size_t *n, const clY_node **one);

/* Formats an amount of the file's currency into buf. */
const char *clL_fmt_amount(const clL_state *L, int64_t v, char *buf, size_t size);

/* An arena copy of a formatted message. Never NULL: when out of memory it
 * is an empty string (in a zeroed block long enough that a caller skipping
 * a known prefix stays inside it) and L->oom is set, which makes the load
 * fail with CL_ENOMEM. */
const char *clL_msg(clL_state *L, const char *fmt, ...) CL_PRINTF(2, 3);

/* Joins the texts of a list node ("a, b or c") into an arena string; as
 * clL_msg() when out of memory. */
const char *clL_join(clL_state *L, const clY_node *list, const char *last_sep);

/* ------------------------------------------------------------------------
 * The parts
 * ------------------------------------------------------------------------ */

/* load_cond.c: a `when` condition (a mapping of condition keys, each one a
 * condition; several keys mean all of them) into *out. */
int clL_condition(clL_state *L, const clY_node *node, clL_cond **out);

/* load_cond.c: a line filter (SPEC 4.3) into the builder's filters; *out
 * receives its index, *desc a description for messages. as_target: used
 * as a discount target (min_quantity/min_amount are still allowed). */
int clL_filter(clL_state *L, const clY_node *node, uint32_t *out, const char **desc);

/* load_cond.c: a full date ("2026-12-25") into days since the epoch
 * (*annual false), or an every-year "MM-DD" into month*100+day (*annual
 * true). Both outputs are set (false, 0) on error too. */
int clL_read_day(clL_state *L, const clY_node *v, bool *annual, int64_t *out);

/* load_cal.c: the file's `calendars` list (named days and shipped
 * calendars). */
int clL_calendars(clL_state *L, const clY_node *node);

/* load_cal.c: the calendar entries a `holiday:` item names (a day, a
 * qualified "calendar/day" or a whole shipped calendar), appended to the
 * growable array (*v, *n, *cap) of entry indexes. */
int clL_holiday_days(clL_state *L, const clY_node *item, int64_t **v, size_t *n, size_t *cap);

/* The shipped calendars, embedded at build time from the YAML files of
 * data/calendars by scripts/embed_calendars.py (calendars_data.c), sorted by
 * name. */
typedef struct clL_shipped {
    const char *name;
    const char *text;       /* the YAML file, NUL-terminated */
    size_t len;
} clL_shipped;
extern const clL_shipped clL_shipped_calendars[];
extern const size_t clL_nshipped;

/* load_discount.c: a coupon's `discount` into the builder's discounts. */
int clL_discount(clL_state *L, const clY_node *node, uint32_t *out);

/* Weekday names ("mon".."sun") to 0..6, or -1. */
int clL_weekday(const char *s, size_t n);

#endif /* CL_LOAD_H */
