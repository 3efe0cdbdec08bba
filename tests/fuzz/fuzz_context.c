/*
 * fuzz_context.c - JSON (or YAML) text into cl_context_parse, then every
 * evaluation of a fixed catalog (every condition family and discount kind)
 * against what parsed. A context that does not parse must say why, at a
 * position inside the text, and be left empty; one that does is parsed a
 * second time into the same object, which must evaluate the same.
 */
#include "fuzz.h"

static cl_program *catalog;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_env_init();
    const cl_program *in[2] = {fz_compile_file("tests/oom/catalog.yaml"),
                               fz_compile_file("tests/cases/discounts.yaml")};
    cl_error err;
    catalog = cl_program_link(fz_env, in, 2, &err);
    FZ_CHECK(catalog != NULL, "%s", err.message);
    cl_program_free((cl_program *)in[0]);
    cl_program_free((cl_program *)in[1]);
    fz_env_ready();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    cl_context *c = cl_context_new(fz_env);
    FZ_CHECK(c != NULL, "context");
    cl_error err;
    int rc = cl_context_parse(c, text, size, &err);
    if (rc != CL_OK) {
        FZ_CHECK(rc == err.code && err.message[0] != '\0', "status %d, error %d", rc, err.code);
        FZ_CHECK(rc != CL_ENOMEM && rc != CL_EINVAL, "parse failed with %s: %s",
                 cl_status_name(rc), err.message);
        fz_check_position(&err, text, size);
        FZ_CHECK(cl_context_item_count(c) == 0, "a failed parse left lines");
        cl_context_free(c);
        fz_env_check();
        return 0;
    }
    cl_vm *v = cl_vm_new(fz_env);
    FZ_CHECK(v != NULL, "vm");
    fz_buf a = {NULL, 0, 0}, b = {NULL, 0, 0};
    fz_evaluate(v, catalog, c, &a);
    FZ_CHECK(cl_context_parse(c, text, size, &err) == CL_OK, "a second parse failed: %s",
             err.message);
    fz_evaluate(v, catalog, c, &b);
    FZ_CHECK(fz_same(&a, &b), "parsing again into the same context evaluates otherwise");
    fz_buf_free(&a);
    fz_buf_free(&b);
    cl_vm_free(v);
    cl_context_free(c);
    fz_env_check();
    return 0;
}
