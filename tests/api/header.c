/*
 * header.c - the public header alone, compiled as C99 with -pedantic and
 * -Werror (and as C++ by header.sh): it must need nothing of the library's
 * internals and use nothing newer than C99. Every type and enum is touched
 * so that the compiler looks at all of it.
 */
#include <couponlib/couponlib.h>

int header_check(void);
int header_check(void)
{
    cl_error err;
    cl_status s = CL_OK;
    cl_limit l = CL_LIMIT_STEPS;
    cl_field f = CL_FIELD_SHIPPING_AMOUNT;
    cl_reason r = CL_R_CONDITION;
    cl_total t = CL_TOTAL_TOTAL;
    cl_alloc_fn alloc = 0;
    cl_write_fn write = 0;
    cl_env *env = 0;
    cl_program *prog = 0;
    cl_context *ctx = 0;
    cl_vm *vm = 0;
    const cl_result *res = 0;
    unsigned flags = CL_EVAL_ENTERED;
    err.code = s;
    (void)alloc;
    (void)write;
    (void)env;
    (void)prog;
    (void)ctx;
    (void)vm;
    (void)res;
    return (int)l + (int)f + (int)r + (int)t + (int)flags + err.code + CL_VERSION_MAJOR +
           CL_STATUS_COUNT + CL_LIMIT_COUNT + CL_FIELD_COUNT + CL_R_COUNT +
           (int)sizeof(CL_VERSION_STRING);
}
