/*
 * native.h - the C half of the Python binding: what the SWIG typemaps call,
 * and the few functions that turn C results into Python objects and Python
 * dicts into contexts without a round trip through text.
 *
 * All of it runs with the GIL held unless a comment says otherwise.
 */
#ifndef CL_PY_NATIVE_H
#define CL_PY_NATIVE_H

#include <Python.h>

#include "couponlib/couponlib.h"

/* couponlib._cl.Error, created when the module initialises. */
extern PyObject *cl_py_error;

/* The allocator of every environment: malloc, counting the bytes held. */
void *cl_py_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Called around every evaluation, without the GIL: count the threads inside. */
void cl_py_enter(void);
void cl_py_leave(void);

/* Raises couponlib._cl.Error with args (code, line, column, offset, source,
 * path, message). */
void cl_py_raise(const cl_error *e);

/* What a writer callback collects; the caller frees p. */
typedef struct cl_py_buf {
    char *p;
    size_t n, cap;
} cl_py_buf;
int cl_py_write(void *ud, const char *s, size_t n);

/* ---- wrapped for Python ---------------------------------------------------- */

/* Renders an error jq-style (cl_error_format) from its parts, with the
 * source line when len > 0. */
PyObject *cl_py_render(int code, unsigned line, unsigned column, const char *source,
                       const char *message, const char *src, size_t len);

/* Bytes held by all environments of this process. */
long long cl_py_memory(void);

/* For out-of-memory tests: every allocation after the next n fails (n < 0:
 * none does). Process-wide; meant for a single-threaded test. */
void cl_py_fail_after(long long n);

/* The most threads seen inside an evaluation at once since the last reset,
 * and the reset (to the number inside now). */
int cl_py_peak_inside(void);
void cl_py_reset_peak(void);

/* Registers the classes results are made of: a tuple (Result, Line, Reason,
 * Decimal), the first three tuple subclasses (named tuples). */
PyObject *cl_py_setup(PyObject *classes);

/* Outcomes first .. first+n-1 of res as a tuple of Result objects, each
 * with its Line and Reason objects; skus come from ctx. Amounts are Decimals
 * with exactly the currency's decimals, shared through cache (a dict from
 * minor units to Decimal, for res's currency). */
PyObject *cl_py_outcomes(const cl_result *res, const cl_context *ctx, size_t first, size_t n,
                         PyObject *cache);

/* The Decimal of minor units of currency, through cache as above. */
PyObject *cl_py_amount(long long minor, const char *currency, PyObject *cache);

/* Clears ctx and fills it from data, a dict in the shape of SPEC section 3,
 * read by exactly the rules (and with the errors) of cl_context_parse: the
 * dict becomes the tree that parsing its JSON would give. Python values
 * other than dict, list, tuple, str, int, bool and None go through
 * convert(value) first, as json.dumps's default= does. Returns CL_OK, a
 * status with *err filled, or -1 when data holds something the tree cannot
 * stand for exactly (a float, a non-str key, a NUL in text, nesting beyond
 * the depth limit): then the caller goes the JSON way. A Python exception
 * raised by convert is passed on (-2). */
int cl_py_context_fill(cl_context *ctx, PyObject *data, PyObject *convert, cl_error *err);

#endif /* CL_PY_NATIVE_H */
