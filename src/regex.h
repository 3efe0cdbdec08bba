/*
 * regex.h - PCRE2 behind the environment's allocator and limits.
 *
 * Patterns are compiled once (UTF mode, JIT where available) when a unit is
 * made or loaded; matching uses per-VM match data and a match context that
 * carries the match and depth limits, so a hostile pattern cannot hang an
 * evaluation.
 */
#ifndef CL_REGEX_H
#define CL_REGEX_H

#include "core.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Creates the PCRE2 general context routing allocations to env's allocator;
 * stored in env->re_gctx. Returns false when out of memory. */
bool clR_env_init(cl_env *env);
void clR_env_free(cl_env *env);

/* What clR_compile() puts in *offset when it failed for want of memory. */
#define CLR_OOM SIZE_MAX

/* Compiles pattern[0..n). On failure returns NULL and fills msg (a PCRE2
 * message) and *offset (the offending byte of the pattern, or CLR_OOM when
 * memory ran out). */
pcre2_code *clR_compile(const cl_env *env, const char *pattern, size_t n, char *msg,
                        size_t msgsize, size_t *offset);

/* Per-VM matching state. */
typedef struct clR_matcher {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
} clR_matcher;

bool clR_matcher_init(const cl_env *env, clR_matcher *m);
void clR_matcher_free(clR_matcher *m);

/* 1 when code finds a match in s[0..n), 0 when it does not, and a negative
 * PCRE2 error (a limit, bad UTF-8 in the subject) otherwise. */
int clR_match(clR_matcher *m, const pcre2_code *code, const char *s, size_t n);

#endif /* CL_REGEX_H */
