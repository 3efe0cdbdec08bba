/*
 * context.h - the checkout context as the VM reads it.
 */
#ifndef CL_CONTEXT_H
#define CL_CONTEXT_H

#include "program.h"
#include "yamldoc.h"

typedef struct clX_str {
    const char *p;     /* in the context's pool, NUL-terminated; NULL = absent */
    uint32_t n;
} clX_str;

/* A list of strings kept in the pool, grown by copying. */
typedef struct clX_list {
    clX_str *v;
    uint32_t n, cap;
} clX_list;

/* A category path of a line, or one of its ancestors ("a/b" of "a/b/c"),
 * with its hash (clP_hash, case kept), so that subtree matching looks up
 * each without hashing it again. */
typedef struct clX_prefix {
    const char *p;         /* the category path's text (its first len bytes) */
    uint32_t len;
    uint32_t hash;
} clX_prefix;

typedef struct clX_item {
    clX_str sku;
    int64_t quantity;      /* > 0 */
    int64_t unit_price;    /* minor units, >= 0 */
    int64_t amount;        /* quantity x unit_price */
    clX_list categories;
    clX_prefix *prefixes;  /* every category path and ancestor, in the pool */
    uint32_t nprefixes, prefixes_cap;
    uint64_t cat_bloom;    /* bit (hash >> 26) of every prefix's hash, as sets keep
                              theirs: no common bit, no category of the set */
    clX_list tags;
    uint8_t on_sale;
} clX_item;

typedef struct clX_usage {
    clX_str code;
    int64_t total, user, spent;
} clX_usage;

/* A block of the context's pool. */
typedef struct clX_chunk {
    struct clX_chunk *next;           /* the next one, kept for reuse after a clear */
    size_t size;                      /* bytes of data */
    _Alignas(16) char data[];
} clX_chunk;

struct cl_context {
    const cl_env *env;
    /* The pool every string and list is cut from: blocks kept from one
     * clear to the next, used in turn. */
    clX_chunk *chunks;                /* the first block */
    clX_chunk *chunk;                 /* the one in use (NULL: none yet) */
    char *bump;                       /* its free bytes */
    size_t bump_left;
    uint8_t has_now;
    int64_t now;                      /* seconds since the epoch */
    clT_zone *zone;                   /* owned; NULL = none */
    clT_zone *spare;                  /* owned: the zone of before the last clear, kept
                                         so that contexts reused for the same shop do
                                         not read the same tz file again */
    char currency[4];                 /* "" until set */
    int exponent;                     /* of currency, -1 until set */
    clX_str str[FLD_FIRST_INT];       /* string fields; FLD_CURRENCY mirrors currency */
    uint8_t has_int[FLD_FIRST_AMT - FLD_FIRST_INT];
    int64_t ints[FLD_FIRST_AMT - FLD_FIRST_INT];   /* CART_QUANTITY is derived */
    uint8_t has_shipping;
    int64_t shipping;                 /* shipping.amount */
    uint8_t has_birthday, has_signup;
    int64_t birthday, signup;         /* days since the epoch */
    clX_list codes;
    clX_list user_tags;
    CL_VEC(clX_item) items;
    CL_VEC(int64_t) amounts;          /* items[i].amount, contiguous: the original
                                         remainders every discount starts from */
    CL_VEC(clX_usage) usage;
    int64_t subtotal;                 /* sum of line amounts */
    int64_t quantity;                 /* sum of quantities */
    uint32_t on_sale;                 /* lines with on_sale set */
};

/* Fills ctx (cleared first) from a parsed JSON/YAML node. Errors carry the
 * node's position and path. */
int clX_from_node(cl_context *ctx, const clY_doc *doc, const clY_node *node, cl_error *err);

/* cl_context_parse(), with or without its fast way for plain JSON (the
 * tests compare the two). */
int clX_parse(cl_context *ctx, const char *text, size_t len, cl_error *err, bool fast_way);

/* Sets the context's zone to name[0..n) (NULL: none), reusing the spare
 * zone when it is the same one. CL_OK, CL_EZONE (err filled), CL_ENOMEM. */
int clX_set_zone(cl_context *ctx, const char *name, size_t n, cl_error *err);

/* The setters with counted strings (the public ones measure theirs with
 * strlen): the same checks and statuses. index must be a line of ctx. */
int clX_set_string(cl_context *ctx, cl_field field, const char *value, size_t n);
int clX_add_code(cl_context *ctx, const char *code, size_t n);
int clX_add_user_tag(cl_context *ctx, const char *tag, size_t n);
int clX_add_item(cl_context *ctx, const char *sku, size_t n, int64_t quantity,
                 int64_t unit_price, size_t *index);
int clX_add_category(cl_context *ctx, size_t index, const char *path, size_t n);
int clX_add_item_tag(cl_context *ctx, size_t index, const char *tag, size_t n);
int clX_set_usage(cl_context *ctx, const char *code, size_t n, int64_t total, int64_t user,
                  int64_t spent);

/* The usage record of a code (case-insensitive), or NULL. */
const clX_usage *clX_usage_of(const cl_context *ctx, const char *code, size_t n);

/* Whether the customer entered code (case-insensitive). */
bool clX_entered(const cl_context *ctx, const char *code, size_t n);

/* The value of an integer field, with order.sequence derived from
 * user.orders_completed and cart.quantity from the lines. */
bool clX_int(const cl_context *ctx, int field, int64_t *out);

#endif /* CL_CONTEXT_H */
