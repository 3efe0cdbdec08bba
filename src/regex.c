/*
 * regex.c - PCRE2 through the environment's allocator, with limits.
 */
#include "regex.h"

#include <stdio.h>

/* PCRE2's free() gets no size, and our allocator wants one: every block
 * carries its size in a header. */
typedef union header {
    size_t size;
    max_align_t align;
} header;

static void *re_malloc(size_t size, void *ud)
{
    const cl_env *env = ud;
    if (size > SIZE_MAX - sizeof(header))
        return NULL;
    header *h = env->alloc(env->ud, NULL, 0, size + sizeof(header));
    if (h == NULL)
        return NULL;
    h->size = size + sizeof(header);
    return h + 1;
}

static void re_free(void *p, void *ud)
{
    const cl_env *env = ud;
    if (p == NULL)
        return;
    header *h = (header *)p - 1;
    env->alloc(env->ud, h, h->size, 0);
}

bool clR_env_init(cl_env *env)
{
    env->re_gctx = pcre2_general_context_create(re_malloc, re_free, env);
    return env->re_gctx != NULL;
}

void clR_env_free(cl_env *env)
{
    pcre2_general_context_free(env->re_gctx);
    env->re_gctx = NULL;
}

pcre2_code *clR_compile(const cl_env *env, const char *pattern, size_t n, char *msg,
                        size_t msgsize, size_t *offset)
{
    pcre2_compile_context *cctx = pcre2_compile_context_create(env->re_gctx);
    if (cctx == NULL) {
        snprintf(msg, msgsize, "out of memory");
        *offset = CLR_OOM;
        return NULL;
    }
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, n, PCRE2_UTF, &code, &off, cctx);
    pcre2_compile_context_free(cctx);
    if (re == NULL) {
        PCRE2_UCHAR buf[256];
        if (pcre2_get_error_message(code, buf, sizeof buf) < 0)
            snprintf((char *)buf, sizeof buf, "error %d", code);
        snprintf(msg, msgsize, "%s", (const char *)buf);
        *offset = code == PCRE2_ERROR_HEAP_FAILED ? CLR_OOM : off;
        return NULL;
    }
    /* JIT is an optimisation: where it is unavailable the interpreter runs. */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

bool clR_matcher_init(const cl_env *env, clR_matcher *m)
{
    m->md = pcre2_match_data_create(1, env->re_gctx);
    m->mctx = pcre2_match_context_create(env->re_gctx);
    if (m->md == NULL || m->mctx == NULL) {
        clR_matcher_free(m);
        return false;
    }
    uint64_t limit = env->limits[CL_LIMIT_MATCH];
    uint64_t depth = env->limits[CL_LIMIT_MATCH_DEPTH];
    pcre2_set_match_limit(m->mctx, limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit);
    pcre2_set_depth_limit(m->mctx, depth > UINT32_MAX ? UINT32_MAX : (uint32_t)depth);
    return true;
}

void clR_matcher_free(clR_matcher *m)
{
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    m->md = NULL;
    m->mctx = NULL;
}

int clR_match(clR_matcher *m, const pcre2_code *code, const char *s, size_t n)
{
    int rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, m->md, m->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return rc;
}
