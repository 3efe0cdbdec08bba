/*
 * yamldoc.h - YAML (and JSON, a subset libyaml reads too) into a small
 * immutable tree with positions, under the environment's limits.
 *
 * libyaml has no allocator hook: its parser and events use malloc, and every
 * one of them is freed before clY_load returns. The tree itself lives in an
 * arena made through the environment's allocator.
 *
 * Scalars keep their text and whether they were quoted; nothing is converted
 * (SPEC section 9: only plain `true` and `false` are booleans, and that is
 * for the reader of the tree to decide). Aliases share the anchored node;
 * their expanded size counts against CL_LIMIT_ALIASES, so alias bombs are
 * refused. Merge keys (`<<: *base`) are resolved. Duplicate keys are errors.
 */
#ifndef CL_YAMLDOC_H
#define CL_YAMLDOC_H

#include "core.h"

typedef enum clY_kind {
    CLY_SCALAR = 1,
    CLY_SEQ,
    CLY_MAP
} clY_kind;

typedef struct clY_node clY_node;
struct clY_node {
    uint8_t kind;        /* clY_kind */
    uint8_t quoted;      /* scalar: written quoted or as a block scalar */
    uint32_t line, col;  /* 1-based position of the node's start */
    uint32_t n;          /* scalar: bytes of str; seq: items; map: pairs */
    uint64_t weight;     /* nodes in this subtree, aliases expanded */
    const char *str;     /* scalar: NUL-terminated text */
    clY_node **items;    /* seq: n items; map: 2n nodes, key then value */
};

typedef struct clY_doc {
    clB_arena arena;     /* every node and string */
    clY_node **roots;    /* one per YAML document in the stream */
    size_t nroots;
    const char *src;     /* the source text (not owned) */
    size_t len;
} clY_doc;

/* Parses src[0..len) into doc. On error fills err (position, message) and
 * returns its code with doc empty; doc must still be freed with clY_free()
 * either way. An empty stream gives nroots == 0. */
int clY_load(const cl_env *env, const char *src, size_t len, clY_doc *doc, cl_error *err);

void clY_free(clY_doc *doc);

/* Parses JSON (RFC 8259) in src[0..len) into the same tree, much faster
 * than libyaml for the checkout contexts it is used for (json.c): strings
 * become quoted scalars, numbers and true/false/null plain ones. The same
 * limits hold (input size, depth, nodes, list and string lengths);
 * duplicate keys are errors; positions count characters as libyaml does.
 * doc must be freed with clY_free() either way. */
int clJ_load(const cl_env *env, const char *src, size_t len, clY_doc *doc, cl_error *err);

/* Refuses a mapping (npairs key/value pairs in items) with a key that is
 * not text or two equal keys, at the second one's position. */
int clY_check_keys(const cl_env *env, const clY_doc *doc, clY_node *const *items, size_t npairs,
                   cl_error *err);

/* Position of a node (byte offset computed from the source). */
cl_pos clY_pos(const clY_doc *doc, const clY_node *node);

/* The value of key in a mapping, or NULL. */
const clY_node *clY_get(const clY_node *map, const char *key);

/* A plain (unquoted) scalar equal to lit. */
bool clY_plain_is(const clY_node *node, const char *lit);

/* Human name of a node's kind: "a mapping", "a list", "text". */
const char *clY_kind_name(const clY_node *node);

#endif /* CL_YAMLDOC_H */
