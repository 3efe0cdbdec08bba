/*
 * synth.c - `couponc simulate --synthesize N`: a synthetic order history for
 * demos and tests, one checkout context (SPEC section 3) per line.
 *
 *   couponc simulate --synthesize N [--seed S] [--year Y] [--timezone ZONE]
 *                    [--out FILE]          (FILE ending in .gz: gzip)
 *
 * What it models (docs/simulation.md has the figures):
 *
 *   - a year of orders in the shop's zone (default America/New_York, 2025),
 *     spread over the days by weekday (weekends busier), month (a slow
 *     January, a busy November and December) and the retail calendar:
 *     Thanksgiving, Black Friday (about four times a normal day), the
 *     weekend after it, Cyber Monday, the run-up to Christmas and its quiet
 *     days, Boxing Day, Valentine's and Mother's Day weeks, a two-day summer
 *     sale in July, back to school; within a day, by hour (a lunch and an
 *     evening peak). order.serial follows time;
 *   - customers: a pool of earlier customers (with orders before the year
 *     and older signup dates) and new ones joining through the year; each
 *     has an id, an email, tags (newsletter, vip, gold, silver, student,
 *     employee, b2b), a birthday (most), a signup date (never after their
 *     first order), a country, a preferred payment and a loyalty that makes
 *     some order far more often than others. order.sequence and
 *     user.orders_completed agree with the customer's own history. A few
 *     orders are guest checkouts (an email, no id, no sequence);
 *   - carts of 1 to 8 lines from a catalog of about a thousand SKUs in a
 *     category tree (electronics/audio/headphones, home/kitchen, ...), with
 *     prices per category, tags, sale items (more of them during sales),
 *     quantities, seasonal demand (toys in December, beauty before
 *     Valentine's, laptops for back to school) and baskets that stay in one
 *     department;
 *   - payment methods (card, wallet, paypal, klarna, gift_card) with card
 *     networks, real-looking BINs and wallets (apple_pay, google_pay);
 *     shipping methods, countries and amounts (free standard shipping from
 *     50.00 in the US);
 *   - entered codes: WELCOME10 on first orders, BLACKFRIDAY over the
 *     Black Friday weekend, XMAS20 in December, SUMMER in summer, VIP20 for
 *     vip customers, BDAY15 near birthdays, SAVE10, FREESHIP, some typed in
 *     lower case, some that match nothing (typos).
 *
 * Everything is integer arithmetic over one xoshiro256** stream seeded by
 * --seed (default 1), and a customer's attributes come from a hash of the
 * seed and the customer, so the output is the same for a seed on every
 * machine (given the same tz data). Memory grows with the customers (a few
 * bytes each), not with the orders written.
 */
#include "couponc.h"

#include "money.h"
#include "tz.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ------------------------------------------------------------------------
 * Random numbers
 * ------------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
static uint64_t next(rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is far below
 * anything a synthetic history could show). */
static uint32_t below(rng *r, uint32_t n)
{
    return (uint32_t)(((next(r) >> 32) * (uint64_t)n) >> 32);
}

static int64_t between(rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next(r) % (uint64_t)(hi - lo + 1));
}

/* True with probability permille / 1000. */
static bool chance(rng *r, unsigned permille)
{
    return below(r, 1000) < permille;
}

/* An index into weights[0..n), with probability proportional to its weight. */
static size_t pick(rng *r, const unsigned *w, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    uint64_t x = next(r) % total;
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

#define PICK(r, w) pick((r), (w), sizeof(w) / sizeof((w)[0]))

/* ------------------------------------------------------------------------
 * The catalog
 * ------------------------------------------------------------------------ */

typedef struct category {
    const char *path;
    const char *prefix;      /* of its SKUs */
    int64_t lo, hi;          /* price range, cents */
    unsigned weight;         /* how often a cart starts here */
    int maxq;                /* most units of one line */
    const char *tags[3];     /* tags its items may carry */
} category;

static const category cats[] = {
    {"electronics/tv", "TV", 29900, 199900, 3, 1, {"4k", "oled", "smart"}},
    {"electronics/audio/headphones", "HP", 1999, 39999, 6, 1, {"wireless", "noise-cancelling"}},
    {"electronics/audio/speakers", "SPK", 2999, 49999, 4, 2, {"wireless", "smart"}},
    {"electronics/phones", "PH", 19900, 129900, 3, 1, {"5g", "refurbished"}},
    {"electronics/phones/accessories", "PHA", 999, 5999, 8, 3, {"usb-c"}},
    {"electronics/computers/laptops", "LAP", 49900, 249900, 2, 1, {"refurbished", "gaming"}},
    {"electronics/computers/accessories", "CPA", 999, 14999, 6, 2, {"usb-c", "gaming"}},
    {"home/kitchen", "KIT", 799, 29999, 8, 2, {"eco", "dishwasher-safe"}},
    {"home/furniture", "FUR", 4999, 149900, 2, 1, {"assembly-required"}},
    {"home/decor", "DEC", 599, 9999, 6, 3, {"handmade", "eco"}},
    {"home/bedding", "BED", 1999, 24999, 4, 2, {"organic"}},
    {"fashion/women", "FW", 1499, 19999, 10, 2, {"organic", "limited"}},
    {"fashion/men", "FM", 1499, 14999, 8, 2, {"organic", "limited"}},
    {"fashion/kids", "FK", 799, 5999, 6, 3, {"organic"}},
    {"fashion/shoes", "SHO", 2999, 17999, 5, 1, {"limited", "vegan"}},
    {"beauty/skincare", "SKN", 699, 8999, 7, 3, {"vegan", "organic"}},
    {"beauty/fragrance", "FRG", 2999, 14999, 3, 1, {"limited"}},
    {"toys/lego", "LEG", 999, 49999, 4, 1, {"limited"}},
    {"toys/games", "GAM", 1499, 6999, 4, 2, {"family"}},
    {"books", "BK", 499, 4999, 8, 3, {"signed", "paperback"}},
    {"grocery/coffee", "COF", 699, 2999, 8, 4, {"organic", "fair-trade"}},
    {"grocery/snacks", "SNK", 199, 999, 8, 6, {"organic", "vegan"}},
    {"garden/tools", "GDN", 999, 19999, 3, 2, {"eco"}},
    {"sports/fitness", "FIT", 1499, 49999, 3, 1, {"limited"}},
};
#define NCATS (sizeof cats / sizeof cats[0])
#define SKUS_PER_CAT 40

typedef struct sku {
    char code[16];
    int64_t price;           /* cents */
    uint8_t tags;            /* bits: cats[].tags[0..2], then bestseller, new */
    uint8_t sale_permille;   /* how often it is on sale outside sales (x 4) */
} sku;

static const char *const extra_tags[] = {"bestseller", "new"};

/* Prices skewed low within the range, ending in .99 or .49. */
static void make_catalog(rng *r, sku *out)
{
    for (size_t c = 0; c < NCATS; c++) {
        for (int i = 0; i < SKUS_PER_CAT; i++) {
            sku *s = &out[c * SKUS_PER_CAT + (size_t)i];
            snprintf(s->code, sizeof s->code, "%s-%04d", cats[c].prefix, 100 + i * 7);
            int64_t a = between(r, cats[c].lo, cats[c].hi);
            int64_t b = between(r, cats[c].lo, cats[c].hi);
            int64_t p = (a < b ? a : b) / 100 * 100 + (chance(r, 700) ? 99 : 49);
            s->price = p;
            s->tags = 0;
            for (int t = 0; t < 3; t++)
                if (cats[c].tags[t] && chance(r, 250))
                    s->tags |= (uint8_t)(1u << t);
            if (i < 4)
                s->tags |= 1u << 3; /* the first (most popular) ones sell best */
            if (chance(r, 100))
                s->tags |= 1u << 4;
            s->sale_permille = (uint8_t)(chance(r, 200) ? 60 : 5);
        }
    }
}

/* ------------------------------------------------------------------------
 * The calendar
 * ------------------------------------------------------------------------ */

typedef struct calendar {
    int year;
    int64_t first;           /* days since the epoch of 1 January */
    int ndays;
    int64_t black_friday, cyber_monday, thanksgiving, mothers_day, summer_sale;
} calendar;

static void make_calendar(calendar *k, int year)
{
    k->year = year;
    k->first = clT_days_from_civil(year, 1, 1);
    k->ndays = clT_is_leap(year) ? 366 : 365;
    k->thanksgiving = clT_nth_weekday(year, 11, 3, 4);
    k->black_friday = k->thanksgiving + 1;
    k->cyber_monday = k->black_friday + 3;
    k->mothers_day = clT_nth_weekday(year, 5, 6, 2);
    k->summer_sale = clT_nth_weekday(year, 7, 1, 2); /* second Tuesday of July, two days */
}

/* How busy day d is, in arbitrary units (about 1000 for an ordinary day). */
static int64_t day_weight(const calendar *k, int64_t d)
{
    static const int64_t weekday[7] = {95, 90, 92, 97, 106, 122, 114};        /* Mon..Sun */
    static const int64_t month[13] = {0, 82, 84, 92, 93, 96, 94, 100, 103, 94, 102, 118, 128};
    clT_date dt = clT_civil_from_days(d);
    int64_t w = 10 * weekday[clT_weekday(d)] * month[dt.month] / 10;
    int64_t special = 100;
    if (d == k->black_friday)
        special = 400;
    else if (d == k->thanksgiving)
        special = 140;
    else if (d > k->black_friday && d < k->cyber_monday)
        special = 210;
    else if (d == k->cyber_monday)
        special = 320;
    else if (d > k->cyber_monday && d < k->cyber_monday + 7)
        special = 125;
    else if (dt.month == 12 && dt.day <= 20)
        special = 115 + dt.day * 2;
    else if (dt.month == 12 && dt.day == 24)
        special = 70;
    else if (dt.month == 12 && dt.day == 25)
        special = 35;
    else if (dt.month == 12 && dt.day == 26)
        special = 160;
    else if (dt.month == 1 && dt.day == 1)
        special = 60;
    else if (dt.month == 7 && dt.day == 4)
        special = 75;
    else if (dt.month == 2 && dt.day >= 7 && dt.day <= 13)
        special = 125;
    else if (d >= k->mothers_day - 6 && d < k->mothers_day)
        special = 120;
    else if (d == k->summer_sale || d == k->summer_sale + 1)
        special = 260;
    else if (dt.month == 8 && dt.day <= 20)
        special = 112;
    return w * special / 100;
}

/* Whether d is in one of the shop's sales (more items on sale). */
static bool sale_day(const calendar *k, int64_t d)
{
    clT_date dt = clT_civil_from_days(d);
    return (d >= k->black_friday && d <= k->cyber_monday) || d == k->summer_sale ||
           d == k->summer_sale + 1 || (dt.month == 12 && dt.day >= 26) ||
           (dt.month == 1 && dt.day <= 7);
}

/* How much more than usual a category sells on day d (percent). */
static unsigned season(const calendar *k, const category *c, int64_t d)
{
    clT_date dt = clT_civil_from_days(d);
    bool bf = d >= k->black_friday && d <= k->cyber_monday;
    if (strncmp(c->path, "toys", 4) == 0 && dt.month == 12 && dt.day <= 24)
        return 320;
    if (strncmp(c->path, "electronics", 11) == 0 && bf)
        return 260;
    if ((strncmp(c->path, "beauty", 6) == 0 || strcmp(c->path, "fashion/women") == 0) &&
        ((dt.month == 2 && dt.day <= 14) || (d >= k->mothers_day - 10 && d < k->mothers_day)))
        return 220;
    if ((strncmp(c->path, "electronics/computers", 21) == 0 ||
         strcmp(c->path, "fashion/kids") == 0 || strcmp(c->path, "books") == 0) &&
        dt.month == 8)
        return 170;
    if (strncmp(c->path, "garden", 6) == 0 && dt.month >= 4 && dt.month <= 6)
        return 250;
    if (strncmp(c->path, "sports", 6) == 0 && dt.month == 1)
        return 220;
    return 100;
}

/* Orders per hour of the local day (a lunch and an evening peak). */
static const unsigned hours[24] = {14, 8, 5, 3, 3, 4, 8, 16, 26, 34, 40, 46,
                                   52, 48, 42, 40, 42, 48, 58, 66, 70, 62, 44, 26};

/* ------------------------------------------------------------------------
 * Customers
 * ------------------------------------------------------------------------ */

static const char *const first_names[] = {
    "ann", "ben", "carla", "dan", "eva", "felix", "grace", "hugo", "ines", "jack", "kim",
    "liam", "maya", "noah", "olga", "paul", "quinn", "rosa", "sam", "tara", "umar", "vera",
    "will", "xena", "yusuf", "zoe", "ali", "bea", "chen", "dara", "emil", "fatima"};
static const char *const last_names[] = {
    "smith", "jones", "garcia", "brown", "miller", "davis", "lopez", "wilson", "moore",
    "taylor", "lee", "walker", "young", "king", "wright", "scott", "green", "baker", "adams",
    "nelson", "hill", "ramirez", "campbell", "mitchell", "roberts", "carter", "phillips",
    "evans", "turner", "torres", "parker", "collins"};
static const char *const domains[] = {"gmail.com", "yahoo.com", "outlook.com", "icloud.com",
                                      "hotmail.com", "acme-corp.com", "state.edu", "mit.edu",
                                      "couponshop.example"};
static const unsigned domain_w[] = {40, 12, 12, 10, 6, 6, 3, 1, 1};

enum { T_NEWSLETTER, T_VIP, T_GOLD, T_SILVER, T_STUDENT, T_EMPLOYEE, T_B2B, NTAGS };
static const char *const tag_names[NTAGS] = {"newsletter", "vip", "gold", "silver",
                                             "student", "employee", "b2b"};

typedef struct payment {
    const char *method, *network, *wallet;
} payment;

static const payment pays[] = {
    {"card", "visa", NULL},         {"card", "mastercard", NULL},
    {"card", "amex", NULL},         {"card", "discover", NULL},
    {"wallet", "visa", "apple_pay"}, {"wallet", "mastercard", "apple_pay"},
    {"wallet", "visa", "google_pay"}, {"wallet", "mastercard", "google_pay"},
    {"paypal", NULL, NULL},         {"klarna", NULL, NULL},
    {"gift_card", NULL, NULL},
};
static const unsigned pay_w[] = {33, 19, 9, 4, 7, 4, 4, 2, 12, 4, 2};

static const char *bins_of(const char *network, size_t i)
{
    static const char *const visa[] = {"411111", "414720", "426684", "438857", "453978",
                                       "476173", "491653", "400022"};
    static const char *const mc[] = {"510510", "520082", "542418", "555555", "222300",
                                     "230012", "545454", "535310"};
    static const char *const amex[] = {"371449", "378282", "340000", "370000"};
    static const char *const disc[] = {"601100", "644564", "650000", "601111"};
    if (strcmp(network, "visa") == 0)
        return visa[i % 8];
    if (strcmp(network, "mastercard") == 0)
        return mc[i % 8];
    if (strcmp(network, "amex") == 0)
        return amex[i % 4];
    return disc[i % 4];
}

static const char *const countries[] = {"US", "CA", "GB", "DE", "FR", "AU", "MX"};
static const unsigned country_w[] = {900, 40, 20, 10, 10, 10, 10};

/* What a customer is, from a hash of the seed and their number. */
typedef struct profile {
    char id[16];
    char email[80];
    unsigned tags;           /* bits of tag_names */
    bool has_birthday;
    int by, bm, bd;          /* birthday */
    int64_t signup;          /* days since the epoch */
    int prior;               /* orders before the year */
    const char *country;
    size_t pay;              /* preferred payment (pays[]) */
    size_t bin;              /* their card's BIN (bins_of) */
    unsigned loyalty;        /* 1, 3 or 10: how readily they order again */
} profile;

static void profile_of(uint64_t seed, size_t uid, bool earlier, int64_t first_day,
                       const calendar *k, profile *p)
{
    rng r;
    rng_seed(&r, seed ^ (0xD1B54A32D192ED03ull * (uid + 1)));
    snprintf(p->id, sizeof p->id, "u-%07zu", uid + 1);
    size_t dom = PICK(&r, domain_w);
    const char *fn = first_names[below(&r, 32)], *ln = last_names[below(&r, 32)];
    if (chance(&r, 600))
        snprintf(p->email, sizeof p->email, "%s.%s%u@%s", fn, ln, below(&r, 100), domains[dom]);
    else
        snprintf(p->email, sizeof p->email, "%s%s@%s", fn, ln, domains[dom]);
    static const unsigned loyalty_w[] = {60, 30, 10};
    static const unsigned loyalty_v[] = {1, 3, 10};
    p->loyalty = loyalty_v[PICK(&r, loyalty_w)];
    p->tags = 0;
    if (chance(&r, 450))
        p->tags |= 1u << T_NEWSLETTER;
    if (chance(&r, p->loyalty == 10 ? 300 : 20))
        p->tags |= 1u << T_VIP;
    unsigned tier = below(&r, 1000);
    if (tier < 80 + 40 * p->loyalty)
        p->tags |= 1u << T_GOLD;
    else if (tier < 300)
        p->tags |= 1u << T_SILVER;
    if (chance(&r, dom == 6 || dom == 7 ? 800 : 30))
        p->tags |= 1u << T_STUDENT;
    if (dom == 8)
        p->tags |= 1u << T_EMPLOYEE;
    if (dom == 5 && chance(&r, 300))
        p->tags |= 1u << T_B2B;
    static const unsigned age_w[] = {15, 30, 25, 15, 10, 5};
    static const int age_lo[] = {18, 25, 35, 45, 55, 65}, age_hi[] = {24, 34, 44, 54, 64, 80};
    size_t a = PICK(&r, age_w);
    p->has_birthday = chance(&r, 850);
    p->by = k->year - (int)between(&r, age_lo[a], age_hi[a]);
    p->bm = (int)between(&r, 1, 12);
    p->bd = (int)between(&r, 1, clT_days_in_month(p->by, p->bm));
    if (earlier) {
        p->signup = k->first - between(&r, 30, 7 * 365);
        p->prior = 1 + (int)(below(&r, 4) * below(&r, 6));
    } else {
        p->signup = chance(&r, 600) ? first_day : first_day - between(&r, 1, 90);
        p->prior = 0;
    }
    p->country = countries[PICK(&r, country_w)];
    p->pay = PICK(&r, pay_w);
    p->bin = below(&r, 8);
}

typedef struct customers {
    uint32_t *orders;        /* orders placed this year, per customer */
    uint16_t *first;         /* day of the year of their first one (0xFFFF: none yet) */
    size_t n, cap;
    size_t earlier;          /* the first `earlier` customers predate the year */
} customers;

static bool customer_add(customers *c)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        uint32_t *o = realloc(c->orders, cap * sizeof *o);
        if (o == NULL)
            return false;
        c->orders = o;
        uint16_t *f = realloc(c->first, cap * sizeof *f);
        if (f == NULL)
            return false;
        c->first = f;
        c->cap = cap;
    }
    c->orders[c->n] = 0;
    c->first[c->n] = 0xFFFF;
    c->n++;
    return true;
}

/* ------------------------------------------------------------------------
 * Orders
 * ------------------------------------------------------------------------ */

typedef struct gen {
    rng r;
    uint64_t seed;
    calendar cal;
    const char *zone_name;
    clT_zone *zone;
    sku catalog[NCATS * SKUS_PER_CAT];
    customers cust;
    char line[16384];
    size_t n;                /* bytes in line */
    /* Output, buffered. */
    FILE *f;
    gzFile gz;
    char out[1 << 16];
    size_t nout;
    bool failed;
} gen;

static void add(gen *g, const char *fmt, ...) CL_PRINTF(2, 3);
static void add(gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(g->line + g->n, sizeof g->line - g->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        g->n += (size_t)k < sizeof g->line - g->n ? (size_t)k : sizeof g->line - g->n - 1;
}

static void emit(gen *g, const char *p, size_t n)
{
    if (g->nout + n > sizeof g->out || n == 0) {
        bool ok = g->gz ? gzwrite(g->gz, g->out, (unsigned)g->nout) == (int)g->nout
                        : fwrite(g->out, 1, g->nout, g->f) == g->nout;
        g->failed = g->failed || (!ok && g->nout > 0);
        g->nout = 0;
    }
    memcpy(g->out + g->nout, p, n);
    g->nout += n;
}

static void add_amount(gen *g, const char *key, int64_t cents)
{
    char buf[32];
    clM_format(cents, 2, buf, sizeof buf);
    add(g, "\"%s\":\"%s\"", key, buf);
}

static void add_date(gen *g, const char *key, int64_t days)
{
    clT_date d = clT_civil_from_days(days);
    add(g, "\"%s\":\"%04d-%02d-%02d\"", key, (int)d.year, d.month, d.day);
}

/* Picks the customer of the next order, adding one when a new customer
 * comes: earlier ones and frequent buyers come back more often. */
static size_t choose_customer(gen *g, int day)
{
    customers *c = &g->cust;
    if (c->n == 0 || chance(&g->r, 250)) {
        if (!customer_add(c))
            return SIZE_MAX;
        return c->n - 1;
    }
    size_t u = 0;
    uint32_t n = (uint32_t)c->n;
    for (int tries = 0; tries < 4; tries++) {
        /* Half of the time anyone, else skewed towards recent customers. */
        uint32_t a = below(&g->r, n), b = below(&g->r, n);
        u = chance(&g->r, 500) ? a : n - 1 - (a < b ? a : b);
        profile p;
        profile_of(g->seed, u, u < c->earlier, day, &g->cal, &p);
        if (below(&g->r, 10) < p.loyalty)
            break;
    }
    return u;
}

/* Whether day d is within 7 days of the birthday (29 February observed on
 * the 28th in common years). */
static bool near_birthday(const profile *p, int64_t d, int year)
{
    for (int y = year - 1; y <= year + 1; y++) {
        int day = p->bm == 2 && p->bd == 29 && !clT_is_leap(y) ? 28 : p->bd;
        int64_t b = clT_days_from_civil(y, p->bm, day);
        if (b - d <= 7 && d - b <= 7)
            return true;
    }
    return false;
}

static void add_codes(gen *g, const profile *p, bool member, int64_t seq, int64_t d)
{
    const calendar *k = &g->cal;
    clT_date dt = clT_civil_from_days(d);
    const char *codes[2];
    int n = 0;
#define OFFER(cond, permille, code)                                   \
    do {                                                              \
        if (n < 2 && (cond) && chance(&g->r, (permille)))             \
            codes[n++] = (code);                                      \
    } while (0)
    OFFER(member && seq == 1, 350, "WELCOME10");
    OFFER(d >= k->black_friday && d <= k->cyber_monday, 300, "BLACKFRIDAY");
    OFFER(dt.month == 12 && dt.day <= 24, 80, "XMAS20");
    OFFER(dt.month >= 6 && dt.month <= 8, 40, "SUMMER");
    OFFER(member && (p->tags & (1u << T_VIP)), 250, "VIP20");
    OFFER(member && p->has_birthday && near_birthday(p, d, k->year), 300, "BDAY15");
    OFFER(true, 25, "SAVE10");
    OFFER(true, 20, "FREESHIP");
    static const char *const typos[] = {"SAVE01", "WELCOME", "FREE-SHIP", "10OFF",
                                        "BLACKFRIDAY2024"};
    OFFER(true, 4, typos[below(&g->r, 5)]);
#undef OFFER
    if (n == 0)
        return;
    add(g, "\"codes\":[");
    for (int i = 0; i < n; i++) {
        char c[32];
        snprintf(c, sizeof c, "%s", codes[i]);
        if (chance(&g->r, 100))
            for (char *q = c; *q; q++)
                *q = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
        add(g, "%s\"%s\"", i ? "," : "", c);
    }
    add(g, "],");
}

static void add_user(gen *g, const profile *p, int64_t completed)
{
    add(g, "\"user\":{\"id\":\"%s\",\"email\":\"%s\"", p->id, p->email);
    if (p->tags) {
        add(g, ",\"tags\":[");
        int k = 0;
        for (int t = 0; t < NTAGS; t++)
            if (p->tags & (1u << t))
                add(g, "%s\"%s\"", k++ ? "," : "", tag_names[t]);
        add(g, "]");
    }
    if (p->has_birthday)
        add(g, ",\"birthday\":\"%04d-%02d-%02d\"", p->by, p->bm, p->bd);
    add(g, ",");
    add_date(g, "signup_date", p->signup);
    add(g, ",\"orders_completed\":%lld},", (long long)completed);
}

static size_t pick_category(gen *g, int64_t d, const char *dept)
{
    unsigned w[NCATS];
    for (size_t c = 0; c < NCATS; c++) {
        w[c] = cats[c].weight * season(&g->cal, &cats[c], d);
        if (dept != NULL && strncmp(cats[c].path, dept, strcspn(dept, "/")) != 0)
            w[c] = 0;
    }
    return pick(&g->r, w, NCATS);
}

/* The lines of the cart; returns the subtotal. */
static int64_t add_items(gen *g, int64_t d)
{
    static const unsigned nlines_w[] = {45, 25, 13, 8, 4, 2, 2, 1};
    size_t nlines = 1 + PICK(&g->r, nlines_w);
    size_t chosen[8], n = 0;
    int64_t subtotal = 0;
    bool sale = sale_day(&g->cal, d);
    add(g, "\"items\":[");
    for (size_t i = 0; i < nlines; i++) {
        const char *dept = i > 0 && chance(&g->r, 550) ? cats[chosen[0] / SKUS_PER_CAT].path
                                                       : NULL;
        size_t c = pick_category(g, d, dept), s = 0;
        bool fresh = false;
        for (int tries = 0; tries < 5 && !fresh; tries++) {
            uint32_t a = below(&g->r, SKUS_PER_CAT), b = below(&g->r, SKUS_PER_CAT);
            s = c * SKUS_PER_CAT + (a < b ? a : b);
            fresh = true;
            for (size_t j = 0; j < n; j++)
                fresh = fresh && chosen[j] != s;
        }
        if (!fresh)
            continue;
        chosen[n++] = s;
        const sku *k = &g->catalog[s];
        int q = chance(&g->r, 800) || cats[c].maxq == 1 ? 1 : (int)between(&g->r, 2, cats[c].maxq);
        unsigned sale_p = k->sale_permille * (sale ? 8u : 1u);
        bool on_sale = chance(&g->r, sale_p > 900 ? 900 : sale_p);
        int64_t price = on_sale ? k->price * 80 / 100 / 100 * 100 + 99 : k->price;
        subtotal += price * q;
        add(g, "%s{\"sku\":\"%s\",\"quantity\":%d,", n > 1 ? "," : "", k->code, q);
        add_amount(g, "unit_price", price);
        bool gift = (strncmp(cats[c].path, "toys", 4) == 0 ||
                     strcmp(cats[c].path, "beauty/fragrance") == 0) && chance(&g->r, 500);
        add(g, ",\"categories\":[\"%s\"%s]", cats[c].path, gift ? ",\"gifts\"" : "");
        if (k->tags) {
            add(g, ",\"tags\":[");
            int t = 0;
            for (int b = 0; b < 5; b++) {
                if (!(k->tags & (1u << b)))
                    continue;
                const char *name = b < 3 ? cats[c].tags[b] : extra_tags[b - 3];
                if (name != NULL)
                    add(g, "%s\"%s\"", t++ ? "," : "", name);
            }
            add(g, "]");
        }
        add(g, ",\"on_sale\":%s}", on_sale ? "true" : "false");
    }
    add(g, "]");
    return subtotal;
}

static void add_payment(gen *g, const profile *p)
{
    size_t k = p != NULL && chance(&g->r, 850) ? p->pay : PICK(&g->r, pay_w);
    const payment *pm = &pays[k];
    add(g, "\"payment\":{\"method\":\"%s\"", pm->method);
    if (pm->network != NULL)
        add(g, ",\"network\":\"%s\",\"bin\":\"%s\"", pm->network,
            bins_of(pm->network, p != NULL ? p->bin : below(&g->r, 8)));
    if (pm->wallet != NULL)
        add(g, ",\"wallet\":\"%s\"", pm->wallet);
    add(g, "},");
}

static void add_shipping(gen *g, const char *country, int64_t subtotal)
{
    bool us = strcmp(country, "US") == 0;
    static const char *const us_m[] = {"standard", "express", "next_day", "pickup"};
    static const unsigned us_w[] = {68, 14, 6, 12};
    static const int64_t us_a[] = {599, 1299, 2499, 0};
    size_t m = us ? PICK(&g->r, us_w) : chance(&g->r, 800) ? 0 : 1;
    int64_t amount = us ? (m == 0 && subtotal >= 5000 ? 0 : us_a[m]) : m == 0 ? 1499 : 2999;
    add(g, "\"shipping\":{\"method\":\"%s\",\"country\":\"%s\",", us_m[m], country);
    add_amount(g, "amount", amount);
    add(g, "},");
}

/* One order at local second `sec` of day d. */
static bool write_order(gen *g, int64_t d, int32_t sec, uint64_t serial)
{
    int64_t t = clT_local_to_instant(g->zone, d * 86400 + sec);
    int64_t td = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    clT_date dt = clT_civil_from_days(td);
    int32_t s = (int32_t)(t - td * 86400);
    g->n = 0;
    add(g, "{\"now\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"timezone\":\"%s\",\"currency\":\"USD\",",
        (int)dt.year, dt.month, dt.day, s / 3600, s / 60 % 60, s % 60, g->zone_name);
    bool guest = chance(&g->r, 60);
    profile p;
    int64_t completed = 0;
    int day = (int)(d - g->cal.first);
    if (!guest) {
        size_t u = choose_customer(g, day);
        if (u == SIZE_MAX)
            return false;
        customers *c = &g->cust;
        if (c->first[u] == 0xFFFF)
            c->first[u] = (uint16_t)day;
        profile_of(g->seed, u, u < c->earlier, g->cal.first + c->first[u], &g->cal, &p);
        completed = p.prior + c->orders[u];
        c->orders[u]++;
    } else {
        profile_of(g->seed ^ 0x5EEDull, (size_t)serial, false, d, &g->cal, &p);
    }
    add_codes(g, &p, !guest, completed + 1, d);
    if (!guest)
        add_user(g, &p, completed);
    else
        add(g, "\"user\":{\"email\":\"%s\"},", p.email);
    add(g, "\"order\":{\"number\":\"ORD-%07llu\",\"serial\":%llu", (unsigned long long)serial,
        (unsigned long long)serial);
    if (!guest)
        add(g, ",\"sequence\":%lld", (long long)completed + 1);
    add(g, "},");
    add_payment(g, guest ? NULL : &p);
    /* The cart is drawn before shipping, whose amount depends on it, but
     * written after it, in the order of SPEC section 3. */
    size_t head = g->n;
    int64_t subtotal = add_items(g, d);
    char items[sizeof g->line];
    size_t nitems = g->n - head;
    memcpy(items, g->line + head, nitems);
    g->n = head;
    add_shipping(g, p.country, subtotal);
    if (g->n + nitems + 3 >= sizeof g->line)
        return false;
    memcpy(g->line + g->n, items, nitems);
    g->n += nitems;
    add(g, "}\n");
    emit(g, g->line, g->n);
    return true;
}

/* ------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------ */

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Spreads n orders over the days in proportion to their weights (largest
 * remainder, ties to the earlier day), into per[0..ndays). */
static void spread(const calendar *k, uint64_t n, uint64_t *per)
{
    int64_t w[366], total = 0;
    uint64_t given = 0, rem[366];
    for (int d = 0; d < k->ndays; d++)
        total += w[d] = day_weight(k, k->first + d);
    for (int d = 0; d < k->ndays; d++) {
        int64_t q, r;
        clM_muldiv((int64_t)n, w[d], total, &q, &r);
        per[d] = (uint64_t)q;
        rem[d] = (uint64_t)r;
        given += per[d];
    }
    while (given < n) {
        int best = 0;
        for (int d = 1; d < k->ndays; d++)
            if (rem[d] > rem[best])
                best = d;
        per[best]++;
        rem[best] = 0;
        given++;
    }
}

static bool open_output(gen *g, const char *out)
{
    size_t len = out ? strlen(out) : 0;
    if (out == NULL || strcmp(out, "-") == 0) {
        g->f = stdout;
    } else if (len > 3 && strcmp(out + len - 3, ".gz") == 0) {
        g->gz = gzopen(out, "wb6");
    } else {
        g->f = fopen(out, "wb");
    }
    if (g->f == NULL && g->gz == NULL) {
        fprintf(stderr, "couponc: cannot create %s: %s\n", out, strerror(errno));
        return false;
    }
    return true;
}

static bool close_output(gen *g)
{
    emit(g, "", 0);
    bool ok = !g->failed;
    if (g->gz != NULL)
        ok = gzclose(g->gz) == Z_OK && ok;
    else if (g->f == stdout)
        ok = fflush(stdout) == 0 && ok;
    else
        ok = fclose(g->f) == 0 && ok;
    return ok;
}

static bool synthesize(gen *g, uint64_t n)
{
    uint64_t per[366];
    spread(&g->cal, n, per);
    uint64_t most = 1;
    for (int d = 0; d < g->cal.ndays; d++)
        most = per[d] > most ? per[d] : most;
    int32_t *secs = malloc(most * sizeof *secs);
    bool ok = secs != NULL;
    /* Customers from before the year: a tenth of the orders' number. */
    for (uint64_t i = 0; ok && i < n / 10; i++)
        ok = customer_add(&g->cust);
    g->cust.earlier = g->cust.n;
    uint64_t serial = 100000;
    for (int d = 0; ok && d < g->cal.ndays; d++) {
        for (uint64_t i = 0; i < per[d]; i++)
            secs[i] = (int32_t)(PICK(&g->r, hours) * 3600 + below(&g->r, 3600));
        qsort(secs, per[d], sizeof *secs, cmp_i32);
        for (uint64_t i = 0; ok && i < per[d]; i++)
            ok = write_order(g, g->cal.first + d, secs[i], ++serial);
        ok = ok && !g->failed;
    }
    free(secs);
    return ok;
}

int cc_cmd_synthesize(const cl_env *env, int argc, char **argv)
{
    unsigned long long n = 0, seed = 1;
    long year = 2025;
    const char *out = NULL, *zone = "America/New_York";
    bool have_n = false;
    for (int i = 0; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (v == NULL) {
            fprintf(stderr, "couponc: simulate: %s needs a value\n", a);
            return EXIT_USAGE;
        }
        errno = 0;
        if (strcmp(a, "--synthesize") == 0) {
            n = strtoull(v, &end, 10);
            have_n = *v != '-' && n <= 1000000000ull;
        } else if (strcmp(a, "--seed") == 0) {
            seed = strtoull(v, &end, 10);
        } else if (strcmp(a, "--year") == 0) {
            year = strtol(v, &end, 10);
            if (year < 1900 || year > 2200)
                end = NULL;
        } else if (strcmp(a, "--timezone") == 0) {
            zone = v;
        } else if (strcmp(a, "--out") == 0) {
            out = v;
        } else {
            fprintf(stderr, "couponc: simulate --synthesize: unknown option %s\n", a);
            return EXIT_USAGE;
        }
        if (end != NULL && (*end != '\0' || errno != 0 || *v == '\0')) {
            fprintf(stderr, "couponc: simulate: bad value for %s: \"%s\"\n", a, v);
            return EXIT_USAGE;
        }
        if (strcmp(a, "--year") == 0 && end == NULL) {
            fprintf(stderr, "couponc: simulate: --year must be from 1900 to 2200\n");
            return EXIT_USAGE;
        }
    }
    if (!have_n) {
        fprintf(stderr, "couponc: simulate --synthesize needs a number of orders from 0 to "
                "1000000000\n");
        return EXIT_USAGE;
    }
    gen *g = calloc(1, sizeof *g);
    if (g == NULL) {
        fprintf(stderr, "couponc: out of memory\n");
        return EXIT_USAGE;
    }
    cl_error err;
    int status = EXIT_USAGE;
    if (clT_zone_load(env, zone, strlen(zone), &g->zone, &err) != CL_OK) {
        fprintf(stderr, "couponc: %s\n", err.message);
        goto done;
    }
    g->zone_name = zone;
    g->seed = seed;
    rng_seed(&g->r, seed);
    make_calendar(&g->cal, (int)year);
    make_catalog(&g->r, g->catalog);
    if (!open_output(g, out))
        goto done;
    bool ok = synthesize(g, n);
    ok = close_output(g) && ok;
    if (!ok)
        fprintf(stderr, "couponc: cannot write %s\n", out ? out : "<stdout>");
    else
        status = EXIT_OK;
done:
    clT_zone_free(env, g->zone);
    free(g->cust.orders);
    free(g->cust.first);
    free(g);
    return status;
}
