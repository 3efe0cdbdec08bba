/*
 * outline.h - where the requirements of a coupon's YAML source are, so the
 * console can show every one of them as met or not met.
 *
 * couponlib reports only the requirements that failed (reason code, message,
 * source line). The outline lists them all: the validity, the owner, each
 * condition of `when` (a nested `all` flattened, as the library does), the
 * limits and the discount's target, each with its line and the reason codes
 * it can give. outline_judge() then gives each failed reason of a result to
 * the requirement it came from: a requirement with none passed.
 *
 * The outline reads a source that compiled (cl_compile accepted it), so it
 * only has to find its way, never to judge it.
 */
#ifndef OUTLINE_H
#define OUTLINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The limits of a coupon, as written (-1 when absent). */
typedef struct outline_limits {
    long long uses, per_user;
    int64_t budget;            /* minor units of currency */
} outline_limits;

/* The requirements of the one coupon of source, as a JSON array of
 * {"name", "line", "source", "reasons": [codes it can give]}, in SPEC
 * order; NULL when out of memory or when source is not a YAML mapping. *lim
 * (may be NULL) receives the limits, amounts in currency. *valid (may be
 * NULL) receives {"from", "until"} as written, or NULL without `valid`. */
json_t *outline_requirements(const char *source, size_t len, const char *currency,
                             outline_limits *lim, json_t **valid);

/* Marks the requirements of outline (from outline_requirements) met or not
 * for one result (an object of SPEC section 5): each reason of the result
 * goes to the first requirement that can give its code on its line, else to
 * the first that can give its code; a reason that fits none is added as a
 * requirement of its own. Returns a new array of {"name", "line", "source",
 * "passed", "reasons": [the result's reasons it got]}. */
json_t *outline_judge(const json_t *outline, const json_t *result);

#endif
