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
 * of SPEC sections 5 and 6 of it. Every call into V8's API costs, a string
 * most (~100 ns), where JavaScript slices a string in a few: so the array
 * holds numbers, and the text is one string (element 0) that each text
 * value is a slice of. A value that is not ASCII (whose slice would not be
 * at its byte offsets) is a string of its own.
 *
 *   text:     a string: start, end (a slice of element 0); or the
 *             string itself, 0
 *   outcome:  code (text), applicable (0/1), discount (text),
 *             shipping_discount (text),
 *             nlines, (index, sku (text), discount (text)) * nlines
 *             (without the sku under CLNODE_VIEW_NO_SKUS),
 *             nreasons, (reason, message (text), line) * nreasons
 *   eval:     text, count, outcome * count
 *   best:     text, napplied, nrejected, discount, shipping_discount,
 *             subtotal, shipping, total (5 texts), outcome * napplied,
 *             (code (text), nreasons, (reason, message, line) * nreasons)
 *             * nrejected
 *
 * Amounts are decimal strings with the currency's decimals; reasons are
 * cl_reason numbers; a line 0 means none. */
#include <string>
#include <vector>

namespace {

struct clnode_values {
    v8::Isolate *iso;
    const char *currency;
    bool skus;      /* the lines' SKUs (else JavaScript has them) */
    std::string text;
    std::vector<v8::Local<v8::Value>> v;

    int exponent;   /* the currency's decimals */

    /* Counts, indexes and offsets are small integers: Smis, which V8
     * makes without allocating (Number::New allocates a heap number). */
    void num(size_t x) {
        v.push_back(x <= INT32_MAX ? v8::Local<v8::Value>(v8::Integer::New(iso, (int32_t) x))
                                   : v8::Local<v8::Value>(v8::Number::New(iso, (double) x)));
    }
    void span(size_t from) {
        num(from);
        num(text.size());
    }
    void str(const char *s) {
        if (s == NULL)
            s = "";
        size_t n = 0;
        bool ascii = true;
        for (; s[n] != '\0'; n++)
            ascii = ascii && (unsigned char) s[n] < 0x80;
        if (ascii) {
            size_t from = text.size();
            text.append(s, n);
            span(from);
        } else {
            v.push_back(v8::String::NewFromUtf8(iso, s, v8::NewStringType::kNormal, (int) n).ToLocalChecked());
            num(0);
        }
    }
    /* minor with exactly the currency's decimals, as cl_amount_format()
     * writes it, without looking the currency up for each amount. */
    void amount(int64_t minor) {
        char tmp[48];
        size_t len = 0;
        uint64_t mag = minor < 0 ? (uint64_t) 0 - (uint64_t) minor : (uint64_t) minor;
        for (int k = 0; k <= exponent || mag != 0; k++) {
            if (k == exponent && exponent > 0)
                tmp[len++] = '.';
            tmp[len++] = (char) ('0' + mag % 10);
            mag /= 10;
        }
        if (minor < 0)
            tmp[len++] = '-';
        size_t from = text.size();
        for (size_t i = len; i > 0; i--)
            text.push_back(tmp[i - 1]);
        span(from);
    }
    void reasons(const cl_result *res, size_t i) {
        size_t n = cl_result_reason_count(res, i);
        num(n);
        for (size_t j = 0; j < n; j++) {
            num((size_t) cl_result_reason(res, i, j));
            str(cl_result_reason_message(res, i, j));
            num(cl_result_reason_line(res, i, j));
        }
    }
    void outcome(const cl_result *res, const cl_context *ctx, size_t i) {
        str(cl_result_code(res, i));
        num(cl_result_applicable(res, i) ? 1 : 0);
        amount(cl_result_discount(res, i));
        amount(cl_result_shipping_discount(res, i));
        size_t n = cl_result_line_count(res, i);
        num(n);
        for (size_t j = 0; j < n; j++) {
            size_t index = 0;
            int64_t discount = 0;
            cl_result_line(res, i, j, &index, &discount);
            num(index);
            if (skus)
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
    out.exponent = cl_currency_exponent(out.currency);
    if (out.exponent < 0)
        out.exponent = 2;   /* as cl_amount_format() */
    const cl_result *res = view.res;
    size_t count = cl_result_count(res);
    out.skus = !(view.flags & CLNODE_VIEW_NO_SKUS);
    out.v.reserve(96);
    out.text.reserve(256);
    out.v.push_back(v8::Undefined(out.iso));   /* the text, once made */
    if (!(view.flags & CLNODE_VIEW_BEST)) {
        out.num(count);
        for (size_t i = 0; i < count; i++)
            out.outcome(res, view.ctx, i);
    } else {
        size_t rejected = cl_result_rejected_count(res);
        out.num(count);
        out.num(rejected);
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
    out.v[0] = v8::String::NewFromOneByte(out.iso, (const uint8_t *) out.text.data(),
                                          v8::NewStringType::kNormal, (int) out.text.size()).ToLocalChecked();
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

/* A result out: the flat array of clnode_view_values(); null when there is
 * none (the evaluation failed: its cl_error tells why). */
%typemap(out) clnode_view {
  if ($1.res == NULL || $1.ctx == NULL)
    $result = SWIGV8_NULL();
  else
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
