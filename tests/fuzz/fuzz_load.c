/*
 * fuzz_load.c - bytes into cl_program_load, as they come and with the
 * header's length and checksum mended, so that the mutations reach the
 * structure parser and the verifier rather than stopping at the checksum.
 *
 * A blob that loads must be safe to use: its listing, every evaluation on
 * two fixed contexts, and saving it again, which must load to a program
 * that saves to the same bytes (the loader keeps nothing it did not check).
 */
#include "fuzz.h"

static cl_context *ctx_rich, *ctx_plain;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_env_init();
    ctx_rich = fz_context_file("tests/oom/context.json");
    ctx_plain = fz_context_file("tests/fuzz/plain-context.json");
    fz_env_ready();
    return 0;
}

/* The CRC-32 (IEEE) the header carries of the payload. */
static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static void use(cl_program *p)
{
    FZ_CHECK(cl_program_disasm(p, fz_discard, NULL) == CL_OK, "disasm");
    for (size_t i = 0; i < cl_program_count(p); i++) {
        FZ_CHECK(cl_program_code(p, i) != NULL && cl_program_name(p, i) != NULL &&
                     cl_program_group(p, i) != NULL && cl_program_currency(p, i) != NULL,
                 "coupon %zu", i);
        FZ_CHECK(cl_program_find(p, cl_program_code(p, i)) == (long)i, "find %zu", i);
    }
    cl_vm *vm = cl_vm_new(fz_env);
    FZ_CHECK(vm != NULL, "vm");
    fz_evaluate(vm, p, ctx_rich, NULL);
    fz_evaluate(vm, p, ctx_plain, NULL);
    cl_vm_free(vm);
    fz_buf a = {NULL, 0, 0}, b = {NULL, 0, 0};
    FZ_CHECK(cl_program_save(p, fz_write, &a) == CL_OK, "save");
    cl_error err;
    cl_program *q = cl_program_load(fz_env, a.p, a.n, &err);
    FZ_CHECK(q != NULL, "a loaded program, saved, does not load: %s", err.message);
    FZ_CHECK(cl_program_save(q, fz_write, &b) == CL_OK, "save again");
    FZ_CHECK(fz_same(&a, &b), "save(load(save(p))) differs from save(p)");
    cl_program_free(q);
    fz_buf_free(&a);
    fz_buf_free(&b);
}

static void try_load(const unsigned char *data, size_t size)
{
    cl_error err;
    cl_program *p = cl_program_load(fz_env, data, size, &err);
    if (p == NULL) {
        FZ_CHECK(err.code == CL_EFORMAT || err.code == CL_EVERIFY || err.code == CL_ELIMIT,
                 "load failed with %s: %s", cl_status_name(err.code), err.message);
        FZ_CHECK(err.offset <= size, "error offset %zu of %zu", err.offset, size);
        return;
    }
    use(p);
    cl_program_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_load(data, size);
    if (size >= 32 && cl_program_is_saved(data, size)) {
        unsigned char *m = malloc(size);
        FZ_CHECK(m != NULL, "out of memory in the fuzzer");
        memcpy(m, data, size);
        uint64_t len = size - 32;
        uint32_t crc = crc32(m + 32, size - 32);
        for (int i = 0; i < 8; i++)
            m[16 + i] = (unsigned char)(len >> (8 * i));
        for (int i = 0; i < 4; i++)
            m[24 + i] = (unsigned char)(crc >> (8 * i));
        try_load(m, size);
        free(m);
    }
    fz_env_check();
    return 0;
}
