/*
 * couponlib.i - the SWIG interface of the Python binding.
 *
 * The C API is wrapped as it is; the typemaps below only adapt its few
 * shapes to Python. The Pythonic layer (couponlib/*.py) is written on top
 * of the resulting module, couponlib._cl, which is not meant to be used
 * directly.
 *
 *   cl_error *err           hidden; when the call fills it, couponlib._cl.Error
 *                           is raised with args (code, line, column, offset,
 *                           source, path, message)
 *   (text, len) pairs       take bytes
 *   writer callbacks        the call returns what was written, as bytes
 *   out-parameters          returned after the status code
 *   cl_status               returned as an int; the Python layer checks it
 *   the allocator           every environment counts the bytes it holds
 *
 * Compiling, linking, parsing a context, loading a zone, saving and loading
 * a program, evaluating, and counting, merging and writing simulations
 * release the GIL. The evaluations (and the orders a simulation counts)
 * also count how many threads are inside them at once (cl_py_peak_inside),
 * which is how the tests prove that they really run in parallel.
 */
%module(package="couponlib") cl

%{
#include "native.h"
%}

%init %{
    cl_py_error = PyErr_NewException("couponlib._cl.Error", NULL, NULL);
    Py_XINCREF(cl_py_error);
    if (cl_py_error == NULL || PyModule_AddObject(m, "Error", cl_py_error) < 0)
        return NULL;
%}

%include <stdint.i>
%include <typemaps.i>

/* ---- errors ------------------------------------------------------------ */

%typemap(in, numinputs=0) cl_error *err (cl_error temp) {
    temp.code = CL_OK;
    temp.line = temp.column = 0;
    temp.offset = 0;
    temp.source[0] = temp.path[0] = temp.message[0] = '\0';
    $1 = ($1_ltype)&temp;
}
%typemap(argout) cl_error *err {
    if (temp$argnum.code != CL_OK) {
        Py_XDECREF($result);
        $result = NULL;
        cl_py_raise(&temp$argnum);
        SWIG_fail;
    }
}

/* ---- bytes in, bytes out ----------------------------------------------- */

%typemap(in) (const char *BYTES, size_t LEN) (char *buf = NULL, Py_ssize_t n = 0) {
    if (PyBytes_AsStringAndSize($input, &buf, &n) < 0)
        SWIG_fail;
    $1 = ($1_ltype)buf;
    $2 = (size_t)n;
}
%apply (const char *BYTES, size_t LEN) {
    (const char *src, size_t len), (const char *text, size_t len),
    (const void *data, size_t len)
};

%typemap(in, numinputs=0) (cl_write_fn write, void *ud) (cl_py_buf buf) {
    buf.p = NULL;
    buf.n = buf.cap = 0;
    $1 = cl_py_write;
    $2 = &buf;
}
%typemap(argout) (cl_write_fn write, void *ud) {
    PyObject *o = PyBytes_FromStringAndSize(buf$argnum.p ? buf$argnum.p : "",
                                            (Py_ssize_t)buf$argnum.n);
    if (o == NULL)
        SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, o);
}
%typemap(freearg) (cl_write_fn write, void *ud) {
    free(buf$argnum.p);
}

/* ---- arrays in --------------------------------------------------------- */

%typemap(in) (const size_t *indexes, size_t n) (size_t *v = NULL) {
    PyObject *seq = PySequence_Fast($input, "expected a sequence of coupon indexes");
    if (seq == NULL)
        SWIG_fail;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    v = malloc((count ? (size_t)count : 1) * sizeof *v);
    for (Py_ssize_t i = 0; v != NULL && i < count; i++) {
        v[i] = PyLong_AsSize_t(PySequence_Fast_GET_ITEM(seq, i));
        if (v[i] == (size_t)-1 && PyErr_Occurred())
            break;
    }
    Py_DECREF(seq);
    if (v == NULL)
        PyErr_NoMemory();
    if (PyErr_Occurred())
        SWIG_fail;
    $1 = v;
    $2 = (size_t)count;
}
%typemap(freearg) (const size_t *indexes, size_t n) {
    free(v$argnum);
}

%typemap(in) (const cl_program *const *programs, size_t n) (const cl_program **v = NULL) {
    PyObject *seq = PySequence_Fast($input, "expected a sequence of programs");
    if (seq == NULL)
        SWIG_fail;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    v = malloc((count ? (size_t)count : 1) * sizeof *v);
    for (Py_ssize_t i = 0; v != NULL && i < count; i++) {
        void *p = NULL;
        if (!SWIG_IsOK(SWIG_ConvertPtr(PySequence_Fast_GET_ITEM(seq, i), &p,
                                       $descriptor(cl_program *), 0))) {
            PyErr_SetString(PyExc_TypeError, "expected a sequence of programs");
            break;
        }
        v[i] = p;
    }
    Py_DECREF(seq);
    if (v == NULL)
        PyErr_NoMemory();
    if (PyErr_Occurred())
        SWIG_fail;
    $1 = ($1_ltype)v;
    $2 = (size_t)count;
}
%typemap(freearg) (const cl_program *const *programs, size_t n) {
    free((void *)v$argnum);
}

/* ---- out-parameters ---------------------------------------------------- */

%typemap(in, numinputs=0) const cl_result **out (const cl_result *temp = NULL) {
    $1 = ($1_ltype)&temp;
}
%typemap(argout) const cl_result **out {
    $result = SWIG_Python_AppendOutput(
        $result, SWIG_NewPointerObj((void *)temp$argnum, $descriptor(cl_result *), 0));
}
%apply size_t *OUTPUT { size_t *index };
%apply long long *OUTPUT { int64_t *discount, int64_t *out, int64_t *orders, int64_t *only };

/* The allocator of every environment is the counting one. */
%typemap(in, numinputs=0) (cl_alloc_fn alloc, void *ud) {
    $1 = cl_py_alloc;
    $2 = NULL;
}

/* ---- the GIL ----------------------------------------------------------- */

%define CL_NOGIL(NAME)
%exception NAME {
    Py_BEGIN_ALLOW_THREADS
    $action
    Py_END_ALLOW_THREADS
}
%enddef
%define CL_NOGIL_COUNTED(NAME)
%exception NAME {
    Py_BEGIN_ALLOW_THREADS
    cl_py_enter();
    $action
    cl_py_leave();
    Py_END_ALLOW_THREADS
}
%enddef

CL_NOGIL(cl_compile)
CL_NOGIL(cl_program_link)
CL_NOGIL(cl_context_parse)
CL_NOGIL(cl_context_set_timezone)
CL_NOGIL(cl_program_save)
CL_NOGIL(cl_program_load)
CL_NOGIL_COUNTED(cl_vm_eval)
CL_NOGIL_COUNTED(cl_vm_eval_some)
CL_NOGIL_COUNTED(cl_vm_best)
CL_NOGIL_COUNTED(cl_vm_best_flags)
CL_NOGIL_COUNTED(cl_sim_add)
CL_NOGIL_COUNTED(cl_sim_add_json)
CL_NOGIL(cl_sim_merge)
CL_NOGIL(cl_sim_write_json)

/* ---- the API ----------------------------------------------------------- */

%ignore cl_error;
%ignore cl_error_format;
%ignore cl_compile_file;
%ignore cl_amount_format;

%include "couponlib/couponlib.h"

/* The binding's own C functions (native.c). */
%ignore cl_py_alloc;
%ignore cl_py_enter;
%ignore cl_py_leave;
%ignore cl_py_raise;
%ignore cl_py_write;
%ignore cl_py_buf;
%ignore cl_py_error;
%exception cl_py_context_fill {
    $action
    if (result == -2)
        SWIG_fail;
}
%include "native.h"
