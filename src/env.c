/*
 * env.c - the environment: allocator, limits and the tz directory.
 */
#include "core.h"
#include "regex.h"

#include <stdlib.h>

static const uint64_t default_limits[CL_LIMIT_COUNT] = {
    [CL_LIMIT_INPUT_BYTES] = 16u << 20,
    [CL_LIMIT_DEPTH] = 64,
    [CL_LIMIT_COUPONS] = 100000,
    [CL_LIMIT_LIST] = 2000000,
    [CL_LIMIT_STRING] = 65536,
    [CL_LIMIT_REGEX_LENGTH] = 1024,
    [CL_LIMIT_ALIASES] = 10000,
    [CL_LIMIT_NODES] = 4000000,
    [CL_LIMIT_MATCH] = 100000,
    [CL_LIMIT_MATCH_DEPTH] = 1000,
    [CL_LIMIT_STEPS] = 1000000,
    [CL_LIMIT_ITEMS] = 10000,
};

static const char default_tzdir[] = "/usr/share/zoneinfo";

/* The default allocator: the C library's, in Lua's shape. */
static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    CL_UNUSED(ud);
    CL_UNUSED(osize);
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

CL_API const char *cl_version(void)
{
    return CL_VERSION_STRING;
}

CL_API cl_env *cl_env_new(cl_alloc_fn alloc, void *ud)
{
    if (alloc == NULL)
        alloc = default_alloc;
    cl_env *env = alloc(ud, NULL, 0, sizeof *env);
    if (env == NULL)
        return NULL;
    memset(env, 0, sizeof *env);
    env->alloc = alloc;
    env->ud = ud;
    memcpy(env->limits, default_limits, sizeof env->limits);
    env->tzdir = clB_strndup(env, default_tzdir, sizeof default_tzdir - 1);
    if (env->tzdir == NULL) {
        alloc(ud, env, sizeof *env, 0);
        return NULL;
    }
    env->tzdir_size = sizeof default_tzdir;
    if (!clR_env_init(env)) {
        clB_free(env, env->tzdir, env->tzdir_size);
        alloc(ud, env, sizeof *env, 0);
        return NULL;
    }
    return env;
}

CL_API void cl_env_free(cl_env *env)
{
    if (env == NULL)
        return;
    clR_env_free(env);
    clB_free(env, env->tzdir, env->tzdir_size);
    env->alloc(env->ud, env, sizeof *env, 0);
}

CL_API cl_status cl_env_set_limit(cl_env *env, cl_limit which, uint64_t value)
{
    if (env == NULL || (unsigned)which >= CL_LIMIT_COUNT || value == 0)
        return CL_EINVAL;
    env->limits[which] = value;
    return CL_OK;
}

CL_API uint64_t cl_env_limit(const cl_env *env, cl_limit which)
{
    if (env == NULL || (unsigned)which >= CL_LIMIT_COUNT)
        return 0;
    return env->limits[which];
}

CL_API cl_status cl_env_set_tzdir(cl_env *env, const char *dir)
{
    if (env == NULL || dir == NULL || dir[0] == '\0')
        return CL_EINVAL;
    size_t n = strlen(dir);
    char *copy = clB_strndup(env, dir, n);
    if (copy == NULL)
        return CL_ENOMEM;
    clB_free(env, env->tzdir, env->tzdir_size);
    env->tzdir = copy;
    env->tzdir_size = n + 1;
    return CL_OK;
}
