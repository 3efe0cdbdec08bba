/*
 * couponlib.i - the SWIG interface of the Node binding (swig -javascript -node).
 *
 * The C API is wrapped as it is: opaque pointers, status codes, cl_error as
 * a struct with fields, enums as numbers. The JavaScript layer (index.js)
 * makes classes, plain objects and Errors of it. Only what a script cannot
 * call is replaced: writer callbacks and out-parameters go through the
 * helpers of src/clnode.h.
 */
%module couponlib_native

%include <stdint.i>

%{
#include <stdlib.h>
#include <node_buffer.h>
#include "couponlib/couponlib.h"
#include "clnode.h"

/* Storage a typemap borrows for one call, freed when the wrapper returns,
 * failure paths included (SWIG declares typemap locals at the top of the
 * wrapper, so its `goto fail` never crosses their construction). */
struct clnode_hold {
    void *p = nullptr;
    char *str = nullptr;
    ~clnode_hold() { free(p); delete[] str; }
};

/* A result as one flat array of primitives, read straight from the
 * cl_result_* accessors; index.js (resultsOf, choiceOf) makes the objects
 * of SPEC sections 5 and 6 of it. V8 makes an array of a C array in one
 * call and object literals in JavaScript cheaply, where setting properties
 * one by one through the API is slow, and a JSON round trip slower still.
 *
 *   outcome:  code, applicable, discount, shipping_discount,
 *             nlines, (index, sku, discount) * nlines,
 *             nreasons, (reason, message, line) * nreasons
 *   eval:     count, outcome * count
 *   best:     napplied, nrejected, discount, shipping_discount, subtotal,
 *             shipping, total, outcome * napplied,
 *             (code, nreasons, (reason, message, line) * nreasons) * nrejected
 *
 * Amounts are decimal strings with the currency's decimals; reasons are
 * cl_reason numbers; a line 0 means none. */
#include <vector>

namespace {

struct clnode_values {
    v8::Isolate *iso;
    const char *currency;
    std::vector<v8::Local<v8::Value>> v;

    void num(double x) { v.push_back(v8::Number::New(iso, x)); }
    void boolean(bool b) { v.push_back(v8::Boolean::New(iso, b)); }
    void str(const char *s) {
        v.push_back(v8::String::NewFromUtf8(iso, s ? s : "").ToLocalChecked());
    }
    void amount(int64_t minor) {
        char buf[48];
        size_t n = cl_amount_format(minor, currency, buf, sizeof buf);
        v.push_back(v8::String::NewFromOneByte(iso, (const uint8_t *) buf,
                                               v8::NewStringType::kNormal, (int) n).ToLocalChecked());
    }
    void reasons(const cl_result *res, size_t i) {
        size_t n = cl_result_reason_count(res, i);
        num((double) n);
        for (size_t j = 0; j < n; j++) {
            num(cl_result_reason(res, i, j));
            str(cl_result_reason_message(res, i, j));
            num(cl_result_reason_line(res, i, j));
        }
    }
    void outcome(const cl_result *res, const cl_context *ctx, size_t i) {
        str(cl_result_code(res, i));
        boolean(cl_result_applicable(res, i));
        amount(cl_result_discount(res, i));
        amount(cl_result_shipping_discount(res, i));
        size_t n = cl_result_line_count(res, i);
        num((double) n);
        for (size_t j = 0; j < n; j++) {
            size_t index = 0;
            int64_t discount = 0;
            cl_result_line(res, i, j, &index, &discount);
            num((double) index);
            str(cl_context_item_sku(ctx, index));
            amount(discount);
        }
        reasons(res, i);
    }
};

v8::Local<v8::Value> clnode_view_values(const clnode_view &view)
{
    clnode_values out;
    out.iso = v8::Isolate::GetCurrent();
    out.currency = cl_result_currency(view.res);
    if (out.currency == NULL)
        out.currency = "";
    const cl_result *res = view.res;
    size_t count = cl_result_count(res);
    out.v.reserve(64);
    if (!view.best) {
        out.num((double) count);
        for (size_t i = 0; i < count; i++)
            out.outcome(res, view.ctx, i);
    } else {
        size_t rejected = cl_result_rejected_count(res);
        out.num((double) count);
        out.num((double) rejected);
        static const cl_total totals[] = {CL_TOTAL_DISCOUNT, CL_TOTAL_SHIPPING_DISCOUNT,
                                          CL_TOTAL_SUBTOTAL, CL_TOTAL_SHIPPING, CL_TOTAL_TOTAL};
        for (cl_total t : totals)
            out.amount(cl_result_total(res, t));
        for (size_t i = 0; i < count; i++)
            out.outcome(res, view.ctx, i);
        for (size_t i = count; i < count + rejected; i++) {
            out.str(cl_result_code(res, i));
            out.reasons(res, i);
        }
    }
    return v8::Array::New(out.iso, out.v.data(), out.v.size());
}

}  // namespace
%}

/* Text in: a string (UTF-8), a Buffer / Uint8Array (its bytes, unchanged), or
 * null (NULL, 0). */
%typemap(in, fragment="SWIG_AsCharPtrAndSize") (const char *TEXT, size_t LEN) (clnode_hold hold) {
  if ($input->IsNullOrUndefined()) {
    $1 = NULL;
    $2 = 0;
  } else if (node::Buffer::HasInstance($input)) {
    $1 = ($1_ltype) node::Buffer::Data($input);
    $2 = node::Buffer::Length($input);
  } else {
    size_t size = 0;
    int alloc = 0;
    if (!$input->IsString() || !SWIG_IsOK(SWIG_AsCharPtrAndSize($input, &hold.str, &size, &alloc)))
      SWIG_exception_fail(SWIG_TypeError, "expected a string, a Buffer or null");
    $1 = ($1_ltype) hold.str;
    $2 = size ? size - 1 : 0;
  }
}
%typemap(in) (const void *DATA, size_t LEN) = (const char *TEXT, size_t LEN);
%apply (const char *TEXT, size_t LEN) {
  (const char *src, size_t len), (const char *text, size_t len)
};
%apply (const void *DATA, size_t LEN) { (const void *data, size_t len) };

/* A list of programs, from an array of program pointers. */
%typemap(in) (const cl_program *const *programs, size_t n) (clnode_hold hold) {
  if (!$input->IsArray())
    SWIG_exception_fail(SWIG_TypeError, "expected an array of programs");
  v8::Local<v8::Array> list = v8::Local<v8::Array>::Cast($input);
  $2 = list->Length();
  hold.p = calloc($2 ? $2 : 1, sizeof(cl_program *));
  if (hold.p == NULL)
    SWIG_exception_fail(SWIG_MemoryError, "out of memory");
  $1 = ($1_ltype) hold.p;
  for (size_t i = 0; i < $2; i++) {
    void *p = 0;
    if (!SWIG_IsOK(SWIG_ConvertPtr(SWIGV8_ARRAY_GET(list, (uint32_t) i), &p, $descriptor(cl_program *), 0)) || !p)
      SWIG_exception_fail(SWIG_TypeError, "expected an array of programs");
    ((const cl_program **) hold.p)[i] = (const cl_program *) p;
  }
}

/* Coupon indexes, from an array of non-negative integers. */
%typemap(in) (const size_t *indexes, size_t n) (clnode_hold hold) {
  if (!$input->IsArray())
    SWIG_exception_fail(SWIG_TypeError, "expected an array of coupon indexes");
  v8::Local<v8::Array> list = v8::Local<v8::Array>::Cast($input);
  $2 = list->Length();
  hold.p = calloc($2 ? $2 : 1, sizeof(size_t));
  if (hold.p == NULL)
    SWIG_exception_fail(SWIG_MemoryError, "out of memory");
  $1 = ($1_ltype) hold.p;
  for (size_t i = 0; i < $2; i++) {
    v8::Local<v8::Value> v = SWIGV8_ARRAY_GET(list, (uint32_t) i);
    if (!v->IsUint32())
      SWIG_exception_fail(SWIG_TypeError, "expected an array of coupon indexes");
    ((size_t *) hold.p)[i] = v->Uint32Value(SWIGV8_CURRENT_CONTEXT()).FromJust();
  }
}

/* Text out: a string; the helper's buffer is freed. A failure (only ever
 * out of memory) throws. */
%typemap(out) clnode_text {
  if ($1.data == NULL)
    SWIG_exception_fail(SWIG_MemoryError, cl_strerror($1.status));
  $result = SWIG_FromCharPtrAndSize($1.data, $1.len);
  free($1.data);
}

/* Bytes out: a Buffer. */
%typemap(out) clnode_bytes {
  if ($1.data == NULL)
    SWIG_exception_fail(SWIG_MemoryError, cl_strerror($1.status));
  $result = node::Buffer::Copy(v8::Isolate::GetCurrent(), $1.data, $1.len).ToLocalChecked();
  free($1.data);
}

/* A result out: the flat array of clnode_view_values(). */
%typemap(out) clnode_view {
  if ($1.res == NULL || $1.ctx == NULL)
    SWIG_exception_fail(SWIG_ValueError, "expected a result and its context");
  $result = clnode_view_values($1);
}

/* Everything of the header but what takes a callback or an out-parameter:
 * those are reached through the helpers. */
%ignore cl_env_new;
%ignore cl_error_format;
%ignore cl_amount_parse;
%ignore cl_amount_format;
%ignore cl_program_disasm;
%ignore cl_program_save;
%ignore cl_vm_eval;
%ignore cl_vm_eval_some;
%ignore cl_vm_best;
%ignore cl_result_line;
%ignore cl_result_write_json;
%ignore cl_sim_write_json;
%ignore cl_sim_get;
%ignore cl_sim_percentile;
%ignore cl_sim_reason;

%inline %{
/* cl_env_new() with the default allocator. */
cl_env *clnode_env_new(void) { return cl_env_new(NULL, NULL); }
%}

%include "couponlib/couponlib.h"

/* The amount of a helper that fails is reported through its status. */
%typemap(out) clnode_text clnode_amount_normalize, clnode_text clnode_sim_percentile {
  if ($1.data == NULL) {
    $result = SWIGV8_INTEGER_NEW($1.status);
  } else {
    $result = SWIG_FromCharPtrAndSize($1.data, $1.len);
    free($1.data);
  }
}

%ignore clnode_text;
%ignore clnode_bytes;
%ignore clnode_view;
%include "clnode.h"
