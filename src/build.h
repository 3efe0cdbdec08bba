/*
 * build.h - the unit builder: growable versions of every table of a unit,
 * with interning, shared by the loader (which fills the constants) and the
 * compiler (which emits code). clC_finish() turns it into an immutable,
 * verified unit.
 */
#ifndef CL_BUILD_H
#define CL_BUILD_H

#include "program.h"
#include "yamldoc.h"

typedef struct clC_builder {
    const cl_env *env;
    cl_error *err;
    const clY_doc *doc;             /* the document being loaded */
    clB_arena *arena;               /* AST nodes and messages */
    const char *source;             /* source name for diagnostics */
    char path[256];                 /* document path of the node being loaded */

    CL_VEC(clP_insn) code;
    CL_VEC(int64_t) ints;
    clB_str pool;
    CL_VEC(clP_str) strs;
    CL_VEC(uint32_t) strhash;       /* interning table: string index + 1, 0 = empty */
    CL_VEC(clP_set) sets;
    CL_VEC(uint32_t) items;
    CL_VEC(clP_iset) isets;
    CL_VEC(clP_regex) regexes;
    CL_VEC(pcre2_code *) re;        /* compiled alongside, for errors at load time */
    CL_VEC(clP_spred) spreds;
    CL_VEC(clP_ipred) ipreds;
    CL_VEC(clP_filter) filters;
    CL_VEC(clP_discount) discounts;
    CL_VEC(clP_tier) tiers;
    CL_VEC(clP_msg) msgs;
    CL_VEC(clP_datespec) datespecs;
    CL_VEC(clP_calendar) calendars;
    CL_VEC(clP_anniv) annivs;
    CL_VEC(clP_coupon) coupons;
    CL_VEC(clT_zone *) zones;
    uint64_t max_coupons;
} clC_builder;

void clC_init(clC_builder *b, const cl_env *env, clB_arena *arena, const char *source,
              cl_error *err);
void clC_free(clC_builder *b);

/* Each returns CL_OK or an error code (with err filled at pos); indexes come
 * back through *out. */
int clC_str(clC_builder *b, const char *s, size_t n, uint32_t *out);
int clC_int(clC_builder *b, int64_t v, uint32_t *out);
int clC_int2(clC_builder *b, int64_t v0, int64_t v1, uint32_t *out);
/* A set of n strings (duplicates collapse); fold: lower-cased members, looked
 * up ignoring case. */
int clC_set(clC_builder *b, const char *const *s, const size_t *lens, size_t n, bool fold,
            uint32_t *out);
/* A set of n integers (sorted and deduplicated here). */
int clC_iset(clC_builder *b, const int64_t *v, size_t n, uint32_t *out);
/* A regex, compiled now so that errors carry the pattern's position: pos is
 * where the pattern's text starts in the file (its first character). */
int clC_regex(clC_builder *b, const char *pattern, size_t n, cl_pos pos, uint32_t *out);
int clC_msg(clC_builder *b, int reason, const char *text, uint32_t line, uint32_t *out);
int clC_zone(clC_builder *b, const char *name, size_t n, cl_pos pos, uint32_t *out);

/* Appends one instruction; returns its index through *at (may be NULL). */
int clC_op(clC_builder *b, int op, unsigned a, unsigned bb, uint32_t c, uint32_t *at);

/* Out of memory at pos. */
int clC_oom(clC_builder *b);

/* Makes the unit: moves every table into it (exact sizes), builds set
 * slots, verifies it. On success *out owns everything and the builder is
 * empty; on failure the tables moved so far are freed with the unit, and
 * clC_free() frees what the builder still holds. */
int clC_finish(clC_builder *b, clP_unit **out);

/* Gives every set of u its place in the hash slots and allocates them (the
 * slots are filled by clP_build_sets). False when out of memory. */
bool clC_size_slots(clP_unit *u);

/* Frees a unit's tables (used by clP_unit_release and on load failure). */
void clC_unit_free(clP_unit *u);

#endif /* CL_BUILD_H */
