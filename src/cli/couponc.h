/*
 * couponc.h - what the commands of couponc share.
 */
#ifndef COUPONC_H
#define COUPONC_H

#include "couponlib/couponlib.h"

#include <stdio.h>

/* Exit statuses (SPEC section 7). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* Reads a whole file ("-" = standard input); NULL with a message on stderr.
 * The caller frees the result with free(). */
char *cc_read_file(const char *path, size_t *len);

/* Prints a compile or parse error with its source line to stderr. */
void cc_print_error(const cl_error *err, const char *src, size_t len);

/* Compiles and links files into one program; NULL after printing why. */
cl_program *cc_load_programs(const cl_env *env, char **files, int n);

/* A cl_write_fn writing to a FILE*. */
int cc_write_file(void *ud, const char *buf, size_t len);

/* couponc test FILE... */
int cc_cmd_test(const cl_env *env, int argc, char **argv);

/* couponc bench [--quick] [NAME...] */
int cc_cmd_bench(const cl_env *env, int argc, char **argv);

/* couponc simulate --orders ORDERS FILE... (cmd_simulate.c) */
int cc_cmd_simulate(const cl_env *env, int argc, char **argv);

/* couponc simulate --synthesize N ... (synth.c) */
int cc_cmd_synthesize(const cl_env *env, int argc, char **argv);

#endif /* COUPONC_H */
