/*
 * svc_jwt.c - verifying access tokens. libjwt 1.10 (which auth signs with)
 * checks the signature with whatever algorithm the token's header names,
 * checks no claim, and parses the PEM key again on every call, which
 * OpenSSL 3 makes cost about 3 ms, more than everything else a request
 * does. So this module verifies tokens itself: it reads the header first,
 * accepts only RS256 with a known key id (no "none", no HMAC keyed by a
 * public key, no other RSA padding or hash), checks the RSASSA-PKCS1-v1_5
 * SHA-256 signature with OpenSSL against that key alone (parsed once at
 * start-up), and then checks exp, nbf, iss, aud, sub and role.
 */
#include "svc.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KEYS 8

typedef struct key {
    char kid[64];
    EVP_PKEY *pkey;      /* the RSA public key, parsed once; read-only afterwards */
} key;

/* Read once at start-up, read-only afterwards. */
static struct {
    key keys[MAX_KEYS];
    size_t nkeys;
    char issuer[128];
    char audience[128];
    long leeway;
} cfg;

char *svc_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

int svc_jwt_init(void)
{
    snprintf(cfg.issuer, sizeof cfg.issuer, "%s", svc_env("JWT_ISSUER", "couponlib-auth"));
    snprintf(cfg.audience, sizeof cfg.audience, "%s", svc_env("JWT_AUDIENCE", "couponlib-shop"));
    cfg.leeway = svc_env_long("JWT_LEEWAY", 30, 0, 3600);
    const char *spec = svc_env("JWT_PUBLIC_KEYS", NULL);
    if (spec == NULL) {
        svc_log("JWT_PUBLIC_KEYS is not set (kid=path.pem,...)");
        return -1;
    }
    char *copy = strdup(spec), *save = NULL;
    if (copy == NULL)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL || eq == tok || (size_t)(eq - tok) >= sizeof cfg.keys[0].kid ||
            cfg.nkeys == MAX_KEYS) {
            svc_log("JWT_PUBLIC_KEYS: bad entry \"%s\" (want kid=path, at most %d)", tok,
                    MAX_KEYS);
            free(copy);
            return -1;
        }
        key *k = &cfg.keys[cfg.nkeys];
        memcpy(k->kid, tok, (size_t)(eq - tok));
        k->kid[eq - tok] = '\0';
        size_t len;
        char *pem = svc_read_file(eq + 1, &len);
        BIO *bio = pem ? BIO_new_mem_buf(pem, (int)len) : NULL;
        k->pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        free(pem);
        if (k->pkey == NULL || EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA ||
            EVP_PKEY_get_bits(k->pkey) < 2048) {
            svc_log("JWT_PUBLIC_KEYS: %s is not an RSA public key of 2048 bits or more (PEM)",
                    eq + 1);
            EVP_PKEY_free(k->pkey);
            k->pkey = NULL;
            free(copy);
            return -1;
        }
        cfg.nkeys++;
    }
    free(copy);
    if (cfg.nkeys == 0) {
        svc_log("JWT_PUBLIC_KEYS names no key");
        return -1;
    }
    return 0;
}

void svc_jwt_done(void)
{
    for (size_t i = 0; i < cfg.nkeys; i++)
        EVP_PKEY_free(cfg.keys[i].pkey);
    cfg.nkeys = 0;
}

void svc_user_clear(svc_user *who)
{
    json_decref(who->tags);
    who->tags = NULL;
}

/* Decodes base64url text of len bytes (no padding) into out (size bytes).
 * Returns the decoded length, or -1 for anything but the one canonical
 * encoding (a stray character, a length of 4k+1, unused bits set), so a
 * token has a single spelling. */
static long b64url_decode(const char *in, size_t len, unsigned char *out, size_t size)
{
    unsigned long acc = 0;
    int bits = 0;
    size_t n = 0;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i], v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-') v = 62;
        else if (c == '_') v = 63;
        else return -1;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == size)
                return -1;
            out[n++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    if ((acc & ((1ul << bits) - 1)) != 0)
        return -1;
    return (long)n;
}

/* The JSON object of a base64url segment, or NULL. */
static json_t *segment_json(const char *seg, size_t len)
{
    unsigned char buf[8192];
    long n = b64url_decode(seg, len, buf, sizeof buf);
    if (n <= 0)
        return NULL;
    json_t *v = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

static int fail(char *why, size_t size, const char *msg)
{
    snprintf(why, size, "%s", msg);
    return -1;
}

static bool copy_str(json_t *obj, const char *k, char *dst, size_t size, bool required)
{
    json_t *v = json_object_get(obj, k);
    if (v == NULL)
        return !required;
    if (!json_is_string(v) || json_string_length(v) >= size)
        return false;
    snprintf(dst, size, "%s", json_string_value(v));
    return true;
}

/* Checks the claims of a verified payload and fills *who. */
static int check_claims(json_t *p, svc_user *who, char *why, size_t size)
{
    time_t now = time(NULL);
    json_t *exp = json_object_get(p, "exp"), *nbf = json_object_get(p, "nbf");
    if (!json_is_integer(exp))
        return fail(why, size, "no exp claim");
    if ((long long)now > json_integer_value(exp) + cfg.leeway)
        return fail(why, size, "the token has expired");
    if (nbf != NULL && !json_is_integer(nbf))
        return fail(why, size, "a malformed nbf claim");
    if (nbf != NULL && json_integer_value(nbf) > (long long)now + cfg.leeway)
        return fail(why, size, "the token is not valid yet");
    json_t *iss = json_object_get(p, "iss");
    if (!json_is_string(iss) || strcmp(json_string_value(iss), cfg.issuer) != 0)
        return fail(why, size, "wrong issuer");
    json_t *aud = json_object_get(p, "aud");
    bool aud_ok = false;
    if (json_is_string(aud)) {
        aud_ok = strcmp(json_string_value(aud), cfg.audience) == 0;
    } else if (json_is_array(aud)) {
        size_t i;
        json_t *a;
        json_array_foreach(aud, i, a) {
            if (json_is_string(a) && strcmp(json_string_value(a), cfg.audience) == 0)
                aud_ok = true;
        }
    }
    if (!aud_ok)
        return fail(why, size, "wrong audience");
    memset(who, 0, sizeof *who);
    if (!copy_str(p, "sub", who->id, sizeof who->id, true) || who->id[0] == '\0')
        return fail(why, size, "no subject");
    if (!copy_str(p, "role", who->role, sizeof who->role, true))
        return fail(why, size, "no role");
    if (strcmp(who->role, "admin") != 0 && strcmp(who->role, "customer") != 0)
        return fail(why, size, "unknown role");
    who->admin = strcmp(who->role, "admin") == 0;
    if (!copy_str(p, "email", who->email, sizeof who->email, false) ||
        !copy_str(p, "birthday", who->birthday, sizeof who->birthday, false) ||
        !copy_str(p, "signup_date", who->signup, sizeof who->signup, false))
        return fail(why, size, "a malformed profile claim");
    json_t *tags = json_object_get(p, "tags");
    if (tags != NULL && !json_is_array(tags))
        return fail(why, size, "a malformed tags claim");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        if (!json_is_string(t))
            return fail(why, size, "a malformed tags claim");
    }
    who->tags = tags ? json_incref(tags) : json_array();
    return 0;
}

int svc_jwt_verify(const char *token, svc_user *who, char *why, size_t size)
{
    size_t len = strlen(token);
    if (len > 8192)
        return fail(why, size, "the token is too long");
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL || dot2[1] == '\0')
        return fail(why, size, "not a signed JWT");
    json_t *hdr = segment_json(token, (size_t)(dot1 - token));
    if (hdr == NULL)
        return fail(why, size, "a malformed header");
    json_t *alg = json_object_get(hdr, "alg"), *kid = json_object_get(hdr, "kid");
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "RS256") != 0) {
        json_decref(hdr);
        return fail(why, size, "the algorithm must be RS256");
    }
    const key *k = NULL;
    for (size_t i = 0; json_is_string(kid) && i < cfg.nkeys; i++)
        if (strcmp(cfg.keys[i].kid, json_string_value(kid)) == 0)
            k = &cfg.keys[i];
    json_t *crit = json_object_get(hdr, "crit");
    json_decref(hdr);
    if (k == NULL)
        return fail(why, size, "unknown key id");
    if (crit != NULL)
        return fail(why, size, "unsupported critical header");

    unsigned char sig[1024];
    long nsig = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig);
    EVP_MD_CTX *md = nsig > 0 ? EVP_MD_CTX_new() : NULL;
    bool good = md != NULL &&
                EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
                EVP_DigestVerify(md, sig, (size_t)nsig, (const unsigned char *)token,
                                 (size_t)(dot2 - token)) == 1;
    EVP_MD_CTX_free(md);
    if (!good) {
        ERR_clear_error();      /* leave nothing on this thread's OpenSSL error queue */
        return fail(why, size, "bad signature");
    }
    /* The signature is good: read the payload as signed. */
    json_t *p = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (p == NULL)
        return fail(why, size, "a malformed payload");
    int r = check_claims(p, who, why, size);
    json_decref(p);
    return r;
}
