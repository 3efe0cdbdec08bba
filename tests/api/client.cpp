// client.cpp - a C++ program using couponlib through its public header,
// linked against the shared library (header.sh builds and runs it).
#include <couponlib/couponlib.h>

#include <cstdio>
#include <cstring>
#include <string>

int main()
{
    const std::string src = "currency: EUR\ncode: CXX\nautomatic: true\n"
                            "discount: { percent: 25 }\n";
    cl_env *env = cl_env_new(nullptr, nullptr);
    cl_error err;
    cl_program *prog = cl_compile(env, src.data(), src.size(), "cxx.yaml", &err);
    if (prog == nullptr) {
        std::fprintf(stderr, "compile: %s\n", err.message);
        return 1;
    }
    cl_context *ctx = cl_context_new(env);
    cl_context_set_now(ctx, 1767225600);
    cl_context_set_currency(ctx, "EUR");
    cl_context_add_item(ctx, "A", 2, 1000, nullptr);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *res = nullptr;
    int rc = cl_vm_eval(vm, prog, ctx, 0, &res, &err);
    bool ok = rc == CL_OK && cl_result_count(res) == 1 && cl_result_discount(res, 0) == 500 &&
              std::strcmp(cl_result_code(res, 0), "CXX") == 0;
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(prog);
    cl_env_free(env);
    if (!ok)
        std::fprintf(stderr, "eval: %d %s\n", rc, err.message);
    return ok ? 0 : 1;
}
