/*
 * fuzz_compile.c - coupon source text (YAML) into cl_compile.
 *
 * What compiles is then exercised and cross-checked: its listing, every
 * evaluation on two fixed contexts, the program saved and loaded back
 * (which must evaluate and save exactly as the compiled one), and linked
 * with a fixed catalog (a code both define is a duplicate, never a crash).
 * What does not compile must say why, at a position inside the input.
 */
#include "fuzz.h"

static cl_context *ctx_rich, *ctx_plain;
static cl_program *fixed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_env_init();
    ctx_rich = fz_context_file("tests/oom/context.json");
    ctx_plain = fz_context_file("tests/fuzz/plain-context.json");
    fixed = fz_compile_file("tests/cases/discounts.yaml");
    fz_env_ready();
    return 0;
}

/* The error of a failed compile: a real status, a message, and a position
 * inside the source whose byte offset lies on the line it names. */
static void check_error(const cl_error *err, const char *src, size_t len)
{
    FZ_CHECK(err->code > CL_OK && err->code < CL_STATUS_COUNT, "status %d", err->code);
    FZ_CHECK(err->message[0] != '\0', "an error without a message");
    fz_check_position(err, src, len);
    char text[2048];
    size_t need = cl_error_format(err, src, len, text, sizeof text);
    FZ_CHECK(need > 0 && strlen(text) < sizeof text, "cl_error_format");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    cl_error err;
    cl_program *p = cl_compile(fz_env, src, size, "fuzz.yaml", &err);
    if (p == NULL) {
        check_error(&err, src, size);
        fz_env_check();
        return 0;
    }
    FZ_CHECK(err.code == CL_OK, "a program and an error");
    FZ_CHECK(cl_program_disasm(p, fz_discard, NULL) == CL_OK, "disasm");
    for (size_t i = 0; i < cl_program_count(p); i++)
        FZ_CHECK(cl_program_find(p, cl_program_code(p, i)) == (long)i, "find %zu", i);
    cl_vm *vm = cl_vm_new(fz_env);
    FZ_CHECK(vm != NULL, "vm");
    fz_buf first = {NULL, 0, 0}, again = {NULL, 0, 0};
    fz_evaluate(vm, p, ctx_rich, &first);
    fz_evaluate(vm, p, ctx_plain, &first);

    /* Saved and loaded, it is the same program. */
    fz_buf saved = {NULL, 0, 0}, resaved = {NULL, 0, 0};
    FZ_CHECK(cl_program_save(p, fz_write, &saved) == CL_OK, "save");
    FZ_CHECK(cl_program_is_saved(saved.p, saved.n), "is_saved");
    cl_program *q = cl_program_load(fz_env, saved.p, saved.n, &err);
    FZ_CHECK(q != NULL, "a saved program does not load: %s", err.message);
    FZ_CHECK(cl_program_save(q, fz_write, &resaved) == CL_OK, "save again");
    FZ_CHECK(fz_same(&saved, &resaved), "saving the loaded program gives other bytes");
    fz_evaluate(vm, q, ctx_rich, &again);
    fz_evaluate(vm, q, ctx_plain, &again);
    FZ_CHECK(fz_same(&first, &again), "the loaded program evaluates otherwise:\n%s\n---\n%s",
             first.p, again.p);

    /* Linked with a fixed catalog. */
    const cl_program *both[2] = {fixed, p};
    cl_program *l = cl_program_link(fz_env, both, 2, &err);
    if (l != NULL)
        fz_evaluate(vm, l, ctx_plain, NULL);
    else
        FZ_CHECK(err.code == CL_EDUPLICATE || err.code == CL_ELIMIT, "link: %s", err.message);
    cl_program_free(l);

    fz_buf_free(&saved);
    fz_buf_free(&resaved);
    fz_buf_free(&first);
    fz_buf_free(&again);
    cl_program_free(q);
    cl_vm_free(vm);
    cl_program_free(p);
    fz_env_check();
    return 0;
}
