/*
 * serialize.c - saving compiled programs to bytes and loading them back.
 *
 * The format is portable (little-endian, fixed-width integers, no padding,
 * no pointers) and self-contained: constants, code, line filters, rules and
 * the time zones a program was compiled with all travel with it, so a loaded
 * program evaluates exactly as the saved one did, on any machine. Only
 * runtime objects are rebuilt on load: the compiled regexes (PCRE2, JIT) and
 * the hash slots of string sets.
 *
 *     offset  size  what
 *     0       8     magic "\x89CLPROG\n"
 *     8       4     bytecode version (CLP_BYTECODE_VERSION)
 *     12      4     fingerprint of opcodes.def (names, operands, effects)
 *     16      8     payload length
 *     24      4     CRC-32 (IEEE) of the payload
 *     28      4     zero
 *     32      ...   payload: the program, then each unit
 *
 * Loading never trusts the bytes: the header, the length and the checksum
 * are checked first, every count is bounded by the bytes that remain (so a
 * hostile count cannot make a huge allocation), every zone is checked, and
 * every unit then goes through the verifier, as freshly compiled units do.
 */
#include "build.h"

#include "regex.h"

#include <stddef.h>
#include <stdio.h>

static const unsigned char magic[8] = {0x89, 'C', 'L', 'P', 'R', 'O', 'G', '\n'};

#define HEADER_SIZE 32

/* ------------------------------------------------------------------------
 * Checksum and fingerprint
 * ------------------------------------------------------------------------ */

static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* A hash of the opcode table: a saved program whose opcodes mean something
 * else in this build is refused even if the version was not bumped. */
static uint32_t fingerprint(void)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < OP__COUNT; i++) {
        const clP_opinfo *op = &clP_ops[i];
        const char *parts[3] = {op->name, op->pops, op->pushes};
        for (int k = 0; k < 3; k++)
            for (const char *s = parts[k]; *s; s++)
                h = (h ^ (unsigned char)*s) * 16777619u;
        h = (h ^ (uint32_t)(op->a | op->b << 8 | op->c << 16)) * 16777619u;
    }
    return h;
}

/* ------------------------------------------------------------------------
 * Record layouts
 *
 * A record is written field by field, each as a little-endian integer of the
 * field's own size (or as raw bytes for character arrays). The lists below
 * are the format: a field added to a struct must be added here, and the
 * bytecode version bumped.
 * ------------------------------------------------------------------------ */

typedef struct field {
    uint16_t off;
    uint8_t size;
    uint8_t raw;   /* bytes, not an integer */
} field;

#define F(T, m) {offsetof(T, m), sizeof(((T *)0)->m), 0}
#define RAW(T, m) {offsetof(T, m), sizeof(((T *)0)->m), 1}

static const field insn_f[] = {F(clP_insn, op), F(clP_insn, a), F(clP_insn, b), F(clP_insn, c)};
static const field i64_f[] = {{0, 8, 0}};
static const field u32_f[] = {{0, 4, 0}};
static const field str_f[] = {F(clP_str, off), F(clP_str, len)};
static const field set_f[] = {F(clP_set, first), F(clP_set, count), F(clP_set, fold)};
static const field iset_f[] = {F(clP_iset, first), F(clP_iset, count)};
static const field regex_f[] = {F(clP_regex, pattern), F(clP_regex, line), F(clP_regex, col)};
static const field spred_f[] = {F(clP_spred, kind), F(clP_spred, arg)};
static const field ipred_f[] = {F(clP_ipred, kind), F(clP_ipred, arg)};
static const field filter_f[] = {
    F(clP_filter, sku_first), F(clP_filter, sku_count), F(clP_filter, xsku_first),
    F(clP_filter, xsku_count), F(clP_filter, cat), F(clP_filter, xcat), F(clP_filter, tags),
    F(clP_filter, tags_mode), F(clP_filter, on_sale), F(clP_filter, price_first),
    F(clP_filter, price_count), F(clP_filter, min_quantity), F(clP_filter, min_amount),
};
static const field discount_f[] = {
    F(clP_discount, kind), F(clP_discount, target), F(clP_discount, exclude_sale),
    F(clP_discount, filter), F(clP_discount, value), F(clP_discount, max_amount),
    F(clP_discount, max_units), F(clP_discount, buy), F(clP_discount, get),
    F(clP_discount, max_groups), F(clP_discount, tier_first), F(clP_discount, tier_count),
    F(clP_discount, msg), F(clP_discount, msg2), F(clP_discount, line),
};
static const field tier_f[] = {F(clP_tier, min), F(clP_tier, percent), F(clP_tier, value)};
static const field msg_f[] = {F(clP_msg, text), F(clP_msg, line), F(clP_msg, reason)};
static const field datespec_f[] = {
    F(clP_datespec, kind), F(clP_datespec, full), F(clP_datespec, annual),
    F(clP_datespec, from), F(clP_datespec, to), F(clP_datespec, annual_range),
    F(clP_datespec, months), F(clP_datespec, days),
};
static const field calendar_f[] = {
    F(clP_calendar, name), F(clP_calendar, calendar), F(clP_calendar, kind),
    F(clP_calendar, month), F(clP_calendar, weekday), F(clP_calendar, n), F(clP_calendar, day),
    F(clP_calendar, observed), F(clP_calendar, date), F(clP_calendar, offset),
    F(clP_calendar, span), F(clP_calendar, from_year), F(clP_calendar, until_year),
    F(clP_calendar, except), F(clP_calendar, moved), F(clP_calendar, group),
    F(clP_calendar, group_n),
};
static const field anniv_f[] = {F(clP_anniv, within), F(clP_anniv, years)};
static const field coupon_f[] = {
    F(clP_coupon, code), F(clP_coupon, name), F(clP_coupon, group), F(clP_coupon, entry),
    F(clP_coupon, discount), F(clP_coupon, zone), F(clP_coupon, priority),
    F(clP_coupon, uses), F(clP_coupon, per_user), F(clP_coupon, budget), F(clP_coupon, line),
    F(clP_coupon, col), F(clP_coupon, automatic), F(clP_coupon, exclusive),
    F(clP_coupon, stop), F(clP_coupon, rounding), F(clP_coupon, weekend),
    RAW(clP_coupon, currency), F(clP_coupon, exponent),
};
static const field ttype_f[] = {F(clT_ttype, utoff), F(clT_ttype, isdst)};
static const field ruledate_f[] = {
    F(clT_ruledate, kind), F(clT_ruledate, month), F(clT_ruledate, week),
    F(clT_ruledate, wday), F(clT_ruledate, yday), F(clT_ruledate, time),
};
static const field rule_f[] = {F(clT_rule, std_off), F(clT_rule, dst_off), F(clT_rule, has_dst)};

static size_t wire_size(const field *f, size_t n)
{
    size_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += f[i].size;
    return s;
}


/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

typedef struct writer {
    const cl_env *env;
    clB_str out;
    bool oom;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (!w->oom && !clB_str_append(w->env, &w->out, p, n))
        w->oom = true;
}

/* v as a little-endian integer of size (1 to 8) bytes. */
static void put_uint(writer *w, uint64_t v, size_t size)
{
    unsigned char b[8];
    for (size_t i = 0; i < size; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, size);
}

static uint64_t get_field(const void *rec, const field *f)
{
    const unsigned char *p = (const unsigned char *)rec + f->off;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    switch (f->size) {
    case 1: memcpy(&u8, p, 1); return u8;
    case 2: memcpy(&u16, p, 2); return u16;
    case 4: memcpy(&u32, p, 4); return u32;
    default: memcpy(&u64, p, 8); return u64;
    }
}

static void put_record(writer *w, const void *rec, const field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].raw)
            put(w, (const unsigned char *)rec + f[i].off, f[i].size);
        else
            put_uint(w, get_field(rec, &f[i]), f[i].size);
    }
}

/* A table: its count, then each record. */
static void put_table(writer *w, const void *table, uint32_t n, size_t size, const field *f,
                      size_t nf)
{
    put_uint(w, n, 4);
    for (uint32_t i = 0; i < n; i++)
        put_record(w, (const unsigned char *)table + (size_t)i * size, f, nf);
}

#define PUT_TABLE(w, u, name, f) \
    put_table((w), (u)->name, (u)->n_##name, sizeof *(u)->name, (f), CL_COUNTOF(f))

static void put_zone(writer *w, const clT_zone *z)
{
    put(w, z->name, sizeof z->name);
    put_uint(w, z->ntrans, 4);
    for (uint32_t i = 0; i < z->ntrans; i++)
        put_uint(w, (uint64_t)z->trans[i], 8);
    put(w, z->trans_type, z->ntrans);
    put_table(w, z->types, z->ntypes, sizeof *z->types, ttype_f, CL_COUNTOF(ttype_f));
    put_uint(w, z->has_rule, 1);
    put_record(w, &z->rule, rule_f, CL_COUNTOF(rule_f));
    put_record(w, &z->rule.start, ruledate_f, CL_COUNTOF(ruledate_f));
    put_record(w, &z->rule.end, ruledate_f, CL_COUNTOF(ruledate_f));
}

static void put_unit(writer *w, const clP_unit *u)
{
    size_t srclen = u->source_size - 1;
    put_uint(w, srclen, 4);
    put(w, u->source, srclen);
    put_uint(w, u->max_coupons, 8);
    PUT_TABLE(w, u, code, insn_f);
    PUT_TABLE(w, u, ints, i64_f);
    put_uint(w, u->n_pool, 4);
    put(w, u->pool, u->n_pool);
    PUT_TABLE(w, u, strs, str_f);
    PUT_TABLE(w, u, sets, set_f);
    PUT_TABLE(w, u, items, u32_f);
    PUT_TABLE(w, u, isets, iset_f);
    PUT_TABLE(w, u, regexes, regex_f);
    PUT_TABLE(w, u, spreds, spred_f);
    PUT_TABLE(w, u, ipreds, ipred_f);
    PUT_TABLE(w, u, filters, filter_f);
    PUT_TABLE(w, u, discounts, discount_f);
    PUT_TABLE(w, u, tiers, tier_f);
    PUT_TABLE(w, u, msgs, msg_f);
    PUT_TABLE(w, u, datespecs, datespec_f);
    PUT_TABLE(w, u, calendars, calendar_f);
    PUT_TABLE(w, u, annivs, anniv_f);
    PUT_TABLE(w, u, coupons, coupon_f);
    put_uint(w, u->n_zones, 4);
    for (uint32_t i = 0; i < u->n_zones; i++)
        put_zone(w, u->zones[i]);
}

CL_API cl_status cl_program_save(const cl_program *p, cl_write_fn write, void *ud)
{
    if (p == NULL || write == NULL)
        return CL_EINVAL;
    writer w = {p->env, {NULL, 0, 0}, false};
    put(&w, magic, sizeof magic);
    put_uint(&w, CLP_BYTECODE_VERSION, 4);
    put_uint(&w, fingerprint(), 4);
    put_uint(&w, 0, 8);                  /* length, checksum and zero: filled in below */
    put_uint(&w, 0, 8);
    put_uint(&w, p->nunits, 4);
    put_uint(&w, p->max_coupons, 8);
    put_uint(&w, p->ncoupons, 4);
    for (size_t i = 0; i < p->ncoupons; i++) {
        put_uint(&w, p->coupons[i].unit, 4);
        put_uint(&w, p->coupons[i].index, 4);
    }
    for (size_t i = 0; i < p->nunits; i++)
        put_unit(&w, p->units[i]);
    if (w.oom) {
        clB_str_free(p->env, &w.out);
        return CL_ENOMEM;
    }
    unsigned char *b = (unsigned char *)w.out.p;
    uint64_t len = w.out.n - HEADER_SIZE;
    uint32_t crc = crc32(b + HEADER_SIZE, (size_t)len);
    for (int i = 0; i < 8; i++)
        b[16 + i] = (unsigned char)(len >> (8 * i));
    for (int i = 0; i < 4; i++)
        b[24 + i] = (unsigned char)(crc >> (8 * i));
    int r = write(ud, w.out.p, w.out.n);
    clB_str_free(p->env, &w.out);
    return r == 0 ? CL_OK : CL_EIO;
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

typedef struct reader {
    const cl_env *env;
    const unsigned char *p;
    size_t len, at;
    cl_error *err;
    int rc;               /* the first error */
} reader;

static int fail(reader *r, int code, const char *fmt, ...) CL_PRINTF(3, 4);
static int fail(reader *r, int code, const char *fmt, ...)
{
    if (r->rc != CL_OK)
        return r->rc;
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cl_pos pos = {0, 0, r->at};
    if (code == CL_ENOMEM)
        clE_set(r->err, code, pos, "out of memory");
    else
        clE_set(r->err, code, pos, "saved program: %s (at byte %zu)", msg, r->at);
    r->rc = code;
    return code;
}

static bool have(reader *r, size_t n)
{
    if (r->rc != CL_OK)
        return false;
    if (n > r->len - r->at) {
        fail(r, CL_EFORMAT, "truncated");
        return false;
    }
    return true;
}

static uint64_t get_uint(reader *r, size_t size)
{
    if (!have(r, size))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)r->p[r->at + i] << (8 * i);
    r->at += size;
    return v;
}

static void set_field(void *rec, const field *f, uint64_t v)
{
    unsigned char *p = (unsigned char *)rec + f->off;
    uint8_t u8 = (uint8_t)v;
    uint16_t u16 = (uint16_t)v;
    uint32_t u32 = (uint32_t)v;
    switch (f->size) {
    case 1: memcpy(p, &u8, 1); break;
    case 2: memcpy(p, &u16, 2); break;
    case 4: memcpy(p, &u32, 4); break;
    default: memcpy(p, &v, 8); break;
    }
}

static void get_record(reader *r, void *rec, const field *f, size_t n)
{
    for (size_t i = 0; i < n && r->rc == CL_OK; i++) {
        if (f[i].raw) {
            if (have(r, f[i].size)) {
                memcpy((unsigned char *)rec + f[i].off, r->p + r->at, f[i].size);
                r->at += f[i].size;
            }
        } else {
            set_field(rec, &f[i], get_uint(r, f[i].size));
        }
    }
}

/* A count of records of `wire` bytes each, which must fit in what is left. */
static uint32_t get_count(reader *r, size_t wire, const char *what)
{
    uint64_t n = get_uint(r, 4);
    if (r->rc == CL_OK && wire > 0 && n > (r->len - r->at) / wire)
        fail(r, CL_EFORMAT, "%s: %llu records cannot fit in the bytes left", what,
             (unsigned long long)n);
    return r->rc == CL_OK ? (uint32_t)n : 0;
}

/* A table into a new zeroed array (NULL when empty); *n gets its count. */
static void *get_table(reader *r, uint32_t *n, size_t size, const field *f, size_t nf,
                       const char *what)
{
    *n = get_count(r, wire_size(f, nf), what);
    if (r->rc != CL_OK || *n == 0) {
        *n = 0;
        return NULL;
    }
    unsigned char *t = clB_calloc(r->env, *n, size);
    if (t == NULL) {
        *n = 0;
        fail(r, CL_ENOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < *n && r->rc == CL_OK; i++)
        get_record(r, t + (size_t)i * size, f, nf);
    return t;
}

#define GET_TABLE(r, u, name, f) \
    ((u)->name = get_table((r), &(u)->n_##name, sizeof *(u)->name, (f), CL_COUNTOF(f), #name))

static bool ruledate_ok(const clT_ruledate *d)
{
    bool when = d->time > -168 * 3600 && d->time < 168 * 3600;
    switch (d->kind) {
    case 'M':
        return when && d->month >= 1 && d->month <= 12 && d->week >= 1 && d->week <= 5 &&
               d->wday <= 6;
    case 'J':
        return when && d->yday >= 1 && d->yday <= 365;
    case 'D':
        return when && d->yday >= 0 && d->yday <= 365;
    default:
        return false;
    }
}

/* What clT_zone_parse guarantees of a zone, checked again for loaded ones. */
static bool zone_ok(const clT_zone *z)
{
    if (z->ntypes < 1 || z->ntypes > 256 || z->name[sizeof z->name - 1] != '\0' ||
        z->name[0] == '\0' || z->has_rule > 1)
        return false;
    for (uint32_t i = 0; i < z->ntypes; i++)
        if (z->types[i].utoff <= -90000 || z->types[i].utoff >= 93600 || z->types[i].isdst > 1)
            return false;
    for (uint32_t i = 0; i < z->ntrans; i++)
        if (z->trans_type[i] >= z->ntypes || (i > 0 && z->trans[i] <= z->trans[i - 1]))
            return false;
    const clT_rule *ru = &z->rule;
    if (!z->has_rule)
        return true;
    if (ru->std_off <= -90000 || ru->std_off >= 93600 || ru->dst_off <= -90000 ||
        ru->dst_off >= 93600 || ru->has_dst > 1)
        return false;
    return !ru->has_dst || (ruledate_ok(&ru->start) && ruledate_ok(&ru->end));
}

static clT_zone *get_zone(reader *r)
{
    char name[sizeof(((clT_zone *)0)->name)];
    if (!have(r, sizeof name))
        return NULL;
    memcpy(name, r->p + r->at, sizeof name);
    r->at += sizeof name;
    if (name[sizeof name - 1] != '\0') {
        fail(r, CL_EFORMAT, "a zone name is not terminated");
        return NULL;
    }
    uint32_t ntrans = get_count(r, 9, "zone transitions");
    if (r->rc != CL_OK)
        return NULL;
    size_t mark = r->at;
    r->at += (size_t)ntrans * 9;
    uint32_t ntypes = get_count(r, wire_size(ttype_f, CL_COUNTOF(ttype_f)), "zone types");
    if (r->rc != CL_OK)
        return NULL;
    if (ntypes == 0 || ntypes > 256) {
        fail(r, CL_EFORMAT, "zone %s has %u local time types", name, (unsigned)ntypes);
        return NULL;
    }
    size_t bytes = sizeof(clT_zone) + (size_t)ntrans * 9 + (size_t)ntypes * sizeof(clT_ttype);
    clT_zone *z = clB_alloc(r->env, bytes);
    if (z == NULL) {
        fail(r, CL_ENOMEM, "out of memory");
        return NULL;
    }
    memset(z, 0, sizeof *z);
    memcpy(z->name, name, sizeof name);
    z->ntrans = ntrans;
    z->ntypes = ntypes;
    z->trans = (int64_t *)(z + 1);
    z->types = (clT_ttype *)(z->trans + ntrans);
    z->trans_type = (uint8_t *)(z->types + ntypes);
    size_t after = r->at;
    r->at = mark;
    for (uint32_t i = 0; i < ntrans; i++)
        z->trans[i] = (int64_t)get_uint(r, 8);
    memcpy(z->trans_type, r->p + r->at, ntrans);
    r->at = after;
    for (uint32_t i = 0; i < ntypes; i++)
        get_record(r, &z->types[i], ttype_f, CL_COUNTOF(ttype_f));
    z->has_rule = (uint8_t)get_uint(r, 1);
    get_record(r, &z->rule, rule_f, CL_COUNTOF(rule_f));
    get_record(r, &z->rule.start, ruledate_f, CL_COUNTOF(ruledate_f));
    get_record(r, &z->rule.end, ruledate_f, CL_COUNTOF(ruledate_f));
    if (r->rc == CL_OK && !zone_ok(z))
        fail(r, CL_EFORMAT, "zone %s is malformed", name);
    if (r->rc != CL_OK) {
        clT_zone_free(r->env, z);
        return NULL;
    }
    return z;
}

/* Compiles every regex of u (under the regex length limit). */
static int compile_regexes(reader *r, clP_unit *u)
{
    if (u->n_regexes == 0)
        return CL_OK;
    u->re = clB_calloc(r->env, u->n_regexes, sizeof *u->re);
    if (u->re == NULL)
        return fail(r, CL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < u->n_regexes; i++) {
        uint32_t s = u->regexes[i].pattern;
        if (s >= u->n_strs || (uint64_t)u->strs[s].off + u->strs[s].len >= u->n_pool)
            return fail(r, CL_EFORMAT, "regex %u has no pattern", (unsigned)i);
        size_t n = u->strs[s].len;
        if (n > r->env->limits[CL_LIMIT_REGEX_LENGTH])
            return fail(r, CL_ELIMIT, "regex %u is longer than the limit", (unsigned)i);
        char msg[256];
        size_t off;
        u->re[i] = clR_compile(r->env, u->pool + u->strs[s].off, n, msg, sizeof msg, &off);
        if (u->re[i] == NULL)
            return fail(r, CL_EFORMAT, "regex %u does not compile: %s", (unsigned)i, msg);
    }
    return CL_OK;
}

/* The strings and sets must be sound before their hash slots are built
 * (the verifier checks the rest afterwards). */
static int build_sets(reader *r, clP_unit *u)
{
    for (uint32_t i = 0; i < u->n_strs; i++) {
        const clP_str *s = &u->strs[i];
        if ((uint64_t)s->off + s->len >= u->n_pool || u->pool[s->off + s->len] != '\0')
            return fail(r, CL_EFORMAT, "string %u lies outside the pool", (unsigned)i);
    }
    for (uint32_t i = 0; i < u->n_items; i++)
        if (u->items[i] >= u->n_strs)
            return fail(r, CL_EFORMAT, "set member %u is not a string", (unsigned)i);
    for (uint32_t i = 0; i < u->n_sets; i++)
        if ((uint64_t)u->sets[i].first + u->sets[i].count > u->n_items || u->sets[i].fold > 1)
            return fail(r, CL_EFORMAT, "set %u is malformed", (unsigned)i);
    if (!clC_size_slots(u))
        return fail(r, CL_ENOMEM, "out of memory");
    if (!clP_build_sets(u))
        return fail(r, CL_EFORMAT, "a string set has repeated members");
    return CL_OK;
}

static clP_unit *get_unit(reader *r)
{
    clP_unit *u = clB_calloc(r->env, 1, sizeof *u);
    if (u == NULL) {
        fail(r, CL_ENOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&u->refs, 1);
    u->env = r->env;
    uint32_t srclen = get_count(r, 1, "source name");
    if (r->rc == CL_OK) {
        u->source = clB_strndup(r->env, (const char *)r->p + r->at, srclen);
        if (u->source == NULL)
            fail(r, CL_ENOMEM, "out of memory");
        else
            u->source_size = (size_t)srclen + 1;
        r->at += srclen;
    }
    u->max_coupons = get_uint(r, 8);
    GET_TABLE(r, u, code, insn_f);
    GET_TABLE(r, u, ints, i64_f);
    uint32_t npool = get_count(r, 1, "string pool");
    if (r->rc == CL_OK && npool > 0) {
        u->pool = clB_alloc(r->env, npool);
        if (u->pool == NULL) {
            fail(r, CL_ENOMEM, "out of memory");
        } else {
            memcpy(u->pool, r->p + r->at, npool);
            u->n_pool = npool;
            r->at += npool;
        }
    }
    GET_TABLE(r, u, strs, str_f);
    GET_TABLE(r, u, sets, set_f);
    GET_TABLE(r, u, items, u32_f);
    GET_TABLE(r, u, isets, iset_f);
    GET_TABLE(r, u, regexes, regex_f);
    GET_TABLE(r, u, spreds, spred_f);
    GET_TABLE(r, u, ipreds, ipred_f);
    GET_TABLE(r, u, filters, filter_f);
    GET_TABLE(r, u, discounts, discount_f);
    GET_TABLE(r, u, tiers, tier_f);
    GET_TABLE(r, u, msgs, msg_f);
    GET_TABLE(r, u, datespecs, datespec_f);
    GET_TABLE(r, u, calendars, calendar_f);
    GET_TABLE(r, u, annivs, anniv_f);
    GET_TABLE(r, u, coupons, coupon_f);
    uint32_t nzones = get_count(r, 64 + 4 + 4 + 1, "zones");
    if (r->rc == CL_OK && nzones > 0) {
        u->zones = clB_calloc(r->env, nzones, sizeof *u->zones);
        if (u->zones == NULL)
            fail(r, CL_ENOMEM, "out of memory");
        for (uint32_t i = 0; u->zones != NULL && i < nzones && r->rc == CL_OK; i++) {
            u->zones[i] = get_zone(r);
            u->n_zones = i + (u->zones[i] != NULL);
        }
        /* Free the whole array, however far it got. */
        if (u->zones != NULL && r->rc != CL_OK) {
            for (uint32_t i = 0; i < u->n_zones; i++)
                clT_zone_free(r->env, u->zones[i]);
            clB_free(r->env, u->zones, nzones * sizeof *u->zones);
            u->zones = NULL;
            u->n_zones = 0;
        } else {
            u->n_zones = nzones;
        }
    }
    if (r->rc == CL_OK)
        compile_regexes(r, u);
    if (r->rc == CL_OK)
        build_sets(r, u);
    if (r->rc == CL_OK) {
        int rc = clK_verify(u, r->err);
        if (rc != CL_OK) {
            r->rc = rc;
            if (r->err != NULL)
                r->err->offset = r->at;
        }
    }
    if (r->rc != CL_OK) {
        clC_unit_free(u);
        return NULL;
    }
    return u;
}

/* The header: magic, version, fingerprint, length, checksum. */
static int check_header(reader *r)
{
    if (r->len < HEADER_SIZE || memcmp(r->p, magic, sizeof magic) != 0)
        return fail(r, CL_EFORMAT, "not a saved couponlib program (bad magic)");
    r->at = 8;
    uint32_t version = (uint32_t)get_uint(r, 4);
    if (version != CLP_BYTECODE_VERSION)
        return fail(r, CL_EFORMAT, "bytecode version %u, but this library reads version %u; "
                    "compile the coupons again", (unsigned)version, CLP_BYTECODE_VERSION);
    if ((uint32_t)get_uint(r, 4) != fingerprint())
        return fail(r, CL_EFORMAT, "made by a build with other opcodes; compile the coupons "
                    "again");
    uint64_t len = get_uint(r, 8);
    uint32_t crc = (uint32_t)get_uint(r, 4);
    if (get_uint(r, 4) != 0)
        return fail(r, CL_EFORMAT, "bad header");
    if (len != r->len - HEADER_SIZE)
        return fail(r, CL_EFORMAT, "the payload is %llu bytes but %zu follow the header",
                    (unsigned long long)len, r->len - HEADER_SIZE);
    if (crc32(r->p + HEADER_SIZE, r->len - HEADER_SIZE) != crc)
        return fail(r, CL_EFORMAT, "checksum mismatch (the bytes are corrupted)");
    return CL_OK;
}

/* The program's coupon list: each (unit, index) once, in range. */
static int check_refs(reader *r, const cl_program *p)
{
    for (size_t i = 0; i < p->ncoupons; i++) {
        const clP_ref *c = &p->coupons[i];
        if (c->unit >= p->nunits || c->index >= p->units[c->unit]->n_coupons)
            return fail(r, CL_EFORMAT, "coupon %zu refers to no coupon", i);
    }
    return CL_OK;
}

static cl_program *load(reader *r)
{
    if (check_header(r) != CL_OK)
        return NULL;
    uint32_t nunits = get_count(r, 4 + 8 + 4, "units");
    uint64_t max_coupons = get_uint(r, 8);
    uint32_t ncoupons = get_count(r, 8, "coupons");
    if (r->rc != CL_OK)
        return NULL;
    if (ncoupons > r->env->limits[CL_LIMIT_COUPONS]) {
        fail(r, CL_ELIMIT, "%u coupons exceed the limit of %llu", (unsigned)ncoupons,
             (unsigned long long)r->env->limits[CL_LIMIT_COUPONS]);
        return NULL;
    }
    cl_program *p = clP_program_new(r->env, nunits, ncoupons);
    if (p == NULL) {
        fail(r, CL_ENOMEM, "out of memory");
        return NULL;
    }
    p->max_coupons = max_coupons;
    for (uint32_t i = 0; i < ncoupons; i++) {
        p->coupons[i].unit = (uint32_t)get_uint(r, 4);
        p->coupons[i].index = (uint32_t)get_uint(r, 4);
    }
    p->ncoupons = ncoupons;
    for (uint32_t i = 0; i < nunits && r->rc == CL_OK; i++) {
        clP_unit *u = get_unit(r);
        if (u != NULL)
            p->units[p->nunits++] = u;
    }
    if (r->rc == CL_OK && r->at != r->len)
        fail(r, CL_EFORMAT, "%zu bytes after the last unit", r->len - r->at);
    if (r->rc == CL_OK)
        check_refs(r, p);
    if (r->rc == CL_OK) {
        int rc = clP_program_index(p, r->err);
        if (rc != CL_OK)
            r->rc = rc == CL_EDUPLICATE ? CL_EFORMAT : rc;
    }
    if (r->rc != CL_OK) {
        if (r->err != NULL && r->err->code == CL_EDUPLICATE)
            r->err->code = CL_EFORMAT;
        cl_program_free(p);
        return NULL;
    }
    return p;
}

CL_API cl_program *cl_program_load(const cl_env *env, const void *data, size_t len,
                                   cl_error *err)
{
    clE_clear(err);
    if (env == NULL || (data == NULL && len > 0)) {
        clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "cl_program_load needs an env and bytes");
        return NULL;
    }
    if (len > env->limits[CL_LIMIT_INPUT_BYTES]) {
        clE_set(err, CL_ELIMIT, (cl_pos){0, 0, 0}, "a saved program of %zu bytes exceeds the "
                "limit of %llu", len, (unsigned long long)env->limits[CL_LIMIT_INPUT_BYTES]);
        return NULL;
    }
    reader r = {env, data, len, 0, err, CL_OK};
    return load(&r);
}

CL_API bool cl_program_is_saved(const void *data, size_t len)
{
    return data != NULL && len >= sizeof magic && memcmp(data, magic, sizeof magic) == 0;
}
