/*
 * tz.c - civil dates, calendar rules, date and time text, and IANA time
 * zones read from TZif files (RFC 8536).
 *
 * Nothing here reads the clock, the TZ variable, the locale or any libc time
 * function (localtime, mktime, tzset): a zone is parsed once, when a program
 * or context is made, into flat arrays, and every later question about it is
 * pure arithmetic on those arrays and on the POSIX TZ rule of the file's
 * footer, which governs instants after the last transition.
 */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Civil calendar
 * ------------------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

bool clT_is_leap(int32_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int clT_days_in_month(int32_t year, int month)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && clT_is_leap(year));
}

/* Howard Hinnant's days_from_civil: eras of 400 years, March-based years. */
int64_t clT_days_from_civil(int32_t year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                      /* [0, 399] */
    int64_t mp = (month + 9) % 12;                                    /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + day - 1;                       /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

clT_date clT_civil_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    clT_date out = {(int32_t)(yoe + era * 400 + (m <= 2)), (uint8_t)m, (uint8_t)d};
    return out;
}

int clT_weekday(int64_t days)
{
    return (int)floor_mod(days + 3, 7); /* 1970-01-01 was a Thursday */
}

/* The anonymous Gregorian algorithm (Meeus, Jones, Butcher). */
int64_t clT_easter(int32_t year)
{
    int a = year % 19, b = year / 100, c = year % 100;
    int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31;
    int day = (h + l - 7 * m + 114) % 31 + 1;
    return clT_days_from_civil(year, month, day);
}

/* Meeus's Julian algorithm gives the date in the Julian calendar; its Julian
 * Day Number places it on the Gregorian count. */
int64_t clT_orthodox_easter(int32_t year)
{
    int a = year % 4, b = year % 7, c = year % 19;
    int d = (19 * c + 15) % 30;
    int e = (2 * a + 4 * b - d + 34) % 7;
    int month = (d + e + 114) / 31;
    int day = (d + e + 114) % 31 + 1;
    int64_t aa = (14 - month) / 12;
    int64_t y = (int64_t)year + 4800 - aa;
    int64_t mm = month + 12 * aa - 3;
    int64_t jdn = day + (153 * mm + 2) / 5 + 365 * y + y / 4 - 32083;
    return jdn - 2440588; /* JDN of 1970-01-01 */
}

int64_t clT_nth_weekday(int32_t year, int month, int weekday, int n)
{
    int dim = clT_days_in_month(year, month);
    if (dim == 0 || n == 0 || n > 5 || n < -5 || weekday < 0 || weekday > 6)
        return INT64_MIN;
    int64_t first = clT_days_from_civil(year, month, 1);
    int day;
    if (n > 0) {
        day = 1 + (weekday - clT_weekday(first) + 7) % 7 + 7 * (n - 1);
        if (day > dim)
            return INT64_MIN;
    } else {
        int64_t last = first + dim - 1;
        day = dim - (clT_weekday(last) - weekday + 7) % 7 - 7 * (-n - 1);
        if (day < 1)
            return INT64_MIN;
    }
    return first + day - 1;
}

/* ------------------------------------------------------------------------
 * Text forms
 * ------------------------------------------------------------------------ */

/* n decimal digits at s into *out. */
static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool clT_parse_date(const char *s, size_t n, clT_date *out)
{
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
        !digits(s + 8, 2, &d))
        return false;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > clT_days_in_month(y, m))
        return false;
    out->year = y;
    out->month = (uint8_t)m;
    out->day = (uint8_t)d;
    return true;
}

bool clT_parse_month_day(const char *s, size_t n, int *month, int *day)
{
    int m, d;
    if (n != 5 || s[2] != '-' || !digits(s, 2, &m) || !digits(s + 3, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > clT_days_in_month(2000, m))
        return false;
    *month = m;
    *day = d;
    return true;
}

/* "HH:MM" or "HH:MM:SS" at s[0..n) into seconds; 24:00[:00] when allow_24. */
bool clT_parse_time(const char *s, size_t n, bool allow_24, int32_t *out)
{
    int h, m, sec = 0;
    if ((n != 5 && n != 8) || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m))
        return false;
    if (n == 8 && (s[5] != ':' || !digits(s + 6, 2, &sec)))
        return false;
    if (h == 24 && m == 0 && sec == 0 && allow_24) {
        *out = 86400;
        return true;
    }
    if (h > 23 || m > 59 || sec > 59)
        return false;
    *out = h * 3600 + m * 60 + sec;
    return true;
}

/* An offset "Z", "+HH:MM", "+HHMM" or "+HH" at s[0..n) into seconds east. */
static bool parse_offset(const char *s, size_t n, int32_t *out)
{
    int h, m = 0;
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *out = 0;
        return true;
    }
    if (n < 3 || (s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &h))
        return false;
    if (n == 6 && s[3] == ':')
        if (!digits(s + 4, 2, &m))
            return false;
    if (n == 5 && !digits(s + 3, 2, &m))
        return false;
    if (n != 3 && n != 5 && !(n == 6 && s[3] == ':'))
        return false;
    if (h > 23 || m > 59)
        return false;
    *out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return true;
}

bool clT_parse_datetime(const char *s, size_t n, int64_t *local_seconds, bool *has_offset,
                        int32_t *offset)
{
    clT_date d;
    if (n < 16 || !clT_parse_date(s, 10, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return false;
    /* The time runs to the first character that is not a digit or ':'. */
    size_t i = 11;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == ':'))
        i++;
    int32_t secs;
    size_t tlen = i - 11;
    if (!clT_parse_time(s + 11, tlen, false, &secs))
        return false;
    if (i < n && s[i] == '.') {
        size_t j = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == j || tlen != 8) /* a fraction needs digits, and seconds before it */
            return false;
    }
    *has_offset = i < n;
    *offset = 0;
    if (i < n && !parse_offset(s + i, n - i, offset))
        return false;
    *local_seconds = clT_days_from_civil(d.year, d.month, d.day) * 86400 + secs;
    return true;
}

bool clT_parse_instant(const char *s, size_t n, int64_t *out)
{
    int64_t local;
    bool has;
    int32_t off;
    if (!clT_parse_datetime(s, n, &local, &has, &off) || !has)
        return false;
    *out = local - off;
    return true;
}

/* ------------------------------------------------------------------------
 * POSIX TZ rules (the TZif footer)
 * ------------------------------------------------------------------------ */

/* A cursor over a TZ string. */
typedef struct tzs {
    const char *p, *end;
} tzs;

/* An abbreviation: three or more letters, or <...> of letters, digits, + and -. */
static bool tz_name(tzs *t)
{
    const char *start = t->p;
    if (t->p < t->end && *t->p == '<') {
        t->p++;
        while (t->p < t->end && *t->p != '>') {
            char c = *t->p;
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '-'))
                return false;
            t->p++;
        }
        if (t->p >= t->end || t->p - start < 4)
            return false;
        t->p++;
        return true;
    }
    while (t->p < t->end && ((*t->p >= 'A' && *t->p <= 'Z') || (*t->p >= 'a' && *t->p <= 'z')))
        t->p++;
    return t->p - start >= 3;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours, into seconds (sign as written). */
static bool tz_hms(tzs *t, int max_hours, int32_t *out)
{
    int sign = 1;
    if (t->p < t->end && (*t->p == '+' || *t->p == '-'))
        sign = *t->p++ == '-' ? -1 : 1;
    int32_t parts[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (t->p >= t->end || *t->p != ':')
                break;
            t->p++;
        }
        int nd = 0, v = 0;
        while (t->p < t->end && *t->p >= '0' && *t->p <= '9' && nd < 3) {
            v = v * 10 + (*t->p++ - '0');
            nd++;
        }
        if (nd == 0 || (k > 0 && (nd != 2 || v > 59)))
            return false;
        parts[k] = v;
    }
    if (parts[0] > max_hours)
        return false;
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
}

/* A rule date (Jn, n or Mm.w.d) and an optional /time. */
static bool tz_date(tzs *t, clT_ruledate *d)
{
    int v;
    d->time = 7200;
    if (t->p < t->end && *t->p == 'M') {
        t->p++;
        int parts[3];
        for (int k = 0; k < 3; k++) {
            if (k > 0 && (t->p >= t->end || *t->p++ != '.'))
                return false;
            int nd = 0;
            v = 0;
            while (t->p < t->end && *t->p >= '0' && *t->p <= '9' && nd < 2) {
                v = v * 10 + (*t->p++ - '0');
                nd++;
            }
            if (nd == 0)
                return false;
            parts[k] = v;
        }
        if (parts[0] < 1 || parts[0] > 12 || parts[1] < 1 || parts[1] > 5 || parts[2] > 6)
            return false;
        d->kind = 'M';
        d->month = (uint8_t)parts[0];
        d->week = (uint8_t)parts[1];
        d->wday = (uint8_t)parts[2];
    } else {
        bool julian = t->p < t->end && *t->p == 'J';
        if (julian)
            t->p++;
        int nd = 0;
        v = 0;
        while (t->p < t->end && *t->p >= '0' && *t->p <= '9' && nd < 3) {
            v = v * 10 + (*t->p++ - '0');
            nd++;
        }
        if (nd == 0 || (julian && (v < 1 || v > 365)) || (!julian && v > 365))
            return false;
        d->kind = julian ? 'J' : 'D';
        d->yday = (int16_t)v;
    }
    if (t->p < t->end && *t->p == '/') {
        t->p++;
        if (!tz_hms(t, 167, &d->time))
            return false;
    }
    return true;
}

/* Parses a footer TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". An empty
 * string means no rule (*has_rule false). */
static bool parse_rule(const char *s, size_t n, clT_rule *r, bool *has_rule)
{
    tzs t = {s, s + n};
    memset(r, 0, sizeof *r);
    *has_rule = false;
    if (n == 0)
        return true;
    int32_t off;
    if (!tz_name(&t) || !tz_hms(&t, 24, &off))
        return false;
    r->std_off = -off; /* POSIX offsets are west of Greenwich */
    r->dst_off = r->std_off;
    *has_rule = true;
    if (t.p == t.end)
        return true;
    if (!tz_name(&t))
        return false;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (t.p < t.end && *t.p != ',') {
        if (!tz_hms(&t, 24, &off))
            return false;
        r->dst_off = -off;
    }
    if (t.p == t.end) {
        /* No rule given: the US rules, as the reference tz code assumes. */
        r->start = (clT_ruledate){'M', 3, 2, 0, 0, 7200};
        r->end = (clT_ruledate){'M', 11, 1, 0, 0, 7200};
        return true;
    }
    if (*t.p++ != ',' || !tz_date(&t, &r->start) || t.p >= t.end || *t.p++ != ',' ||
        !tz_date(&t, &r->end))
        return false;
    return t.p == t.end;
}

/* The day (since the epoch) a rule date falls on in year y. */
static int64_t rule_day(const clT_ruledate *d, int32_t y)
{
    int64_t jan1 = clT_days_from_civil(y, 1, 1);
    switch (d->kind) {
    case 'J': /* 1..365, 29 February never counted */
        return jan1 + d->yday - 1 + (clT_is_leap(y) && d->yday >= 60);
    case 'D':
        return jan1 + d->yday;
    default: {
        /* Week 5 means the last such weekday; POSIX weekdays count from Sunday. */
        int wd = (d->wday + 6) % 7;
        int64_t day = clT_nth_weekday(y, d->month, wd, d->week == 5 ? -1 : d->week);
        return day;
    }
    }
}

/* The instant of a change in year y, given in local time of offset off. */
static int64_t rule_change(const clT_ruledate *d, int32_t y, int32_t off)
{
    return rule_day(d, y) * 86400 + d->time - off;
}

/*
 * The offset of the rule at instant t. Each year k has its daylight period
 * [start_k, end_k) (or, south of the equator, its standard period
 * [end_k, start_k)); t is in daylight time when it lies in the period of
 * any year around its own. Looking at one year is not enough: a change's
 * local time may lie beyond its year (times run from -167 to 167 hours),
 * and "permanent DST" (RFC 8536 3.3.1: 0/0,J365/25) is written as periods
 * that meet or overlap at each new year. Start is given in standard local
 * time, end in daylight local time. For every rule whose changes stay in
 * their year this is the POSIX reading that glibc and Python's zoneinfo
 * implement.
 */
static int32_t rule_offset(const clT_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int32_t y = clT_civil_from_days(floor_div(t + r->std_off, 86400)).year;
    bool north = rule_change(&r->start, y, r->std_off) < rule_change(&r->end, y, r->dst_off);
    for (int32_t k = y - 1; k <= y + 1; k++) {
        int64_t start = rule_change(&r->start, k, r->std_off);
        int64_t end = rule_change(&r->end, k, r->dst_off);
        if (north && t >= start && t < end)
            return r->dst_off;
        if (!north && t >= end && t < start)
            return r->std_off;
    }
    return north ? r->std_off : r->dst_off;
}

/* ------------------------------------------------------------------------
 * TZif (RFC 8536)
 * ------------------------------------------------------------------------ */

#define TZ_MAX_FILE (1u << 20)    /* a real TZif file is a few KiB */
#define TZ_MAX_TRANS 100000u
#define TZ_MAX_TYPES 256u
#define TZ_MAX_CHARS 65536u

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The header's counts. */
typedef struct tzhead {
    uint32_t isut, isstd, leap, time, type, chars;
} tzhead;

static bool read_head(const unsigned char *p, size_t len, int *version, tzhead *h)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    *version = p[4] == 0 ? 1 : p[4] - '0';
    if (*version < 1 || *version > 4)
        return false;
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chars = be32(p + 40);
    return h->type >= 1 && h->type <= TZ_MAX_TYPES && h->time <= TZ_MAX_TRANS &&
           h->chars <= TZ_MAX_CHARS && h->leap <= TZ_MAX_TRANS &&
           (h->isut == 0 || h->isut == h->type) && (h->isstd == 0 || h->isstd == h->type);
}

/* Bytes of a data block whose times are tsize bytes wide. */
static uint64_t block_size(const tzhead *h, unsigned tsize)
{
    return (uint64_t)h->time * tsize + h->time + (uint64_t)h->type * 6 + h->chars +
           (uint64_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

static int no_memory(cl_error *err, const char *name)
{
    return clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory loading time zone %s", name);
}

static int bad_tzif(cl_error *err, const char *name, const char *why)
{
    return clE_set(err, CL_EZONE, (cl_pos){0, 0, 0}, "time zone %s: malformed tz data (%s)",
                   name, why);
}

static size_t zone_bytes(uint32_t ntrans, uint32_t ntypes)
{
    return sizeof(clT_zone) + (size_t)ntrans * sizeof(int64_t) +
           (size_t)ntypes * sizeof(clT_ttype) + ntrans;
}

/* Makes a zone of one block: the struct, then its arrays. */
static clT_zone *zone_alloc(const cl_env *env, const char *name, uint32_t ntrans, uint32_t ntypes)
{
    clT_zone *z = clB_calloc(env, 1, zone_bytes(ntrans, ntypes));
    if (z == NULL)
        return NULL;
    snprintf(z->name, sizeof z->name, "%s", name);
    z->ntrans = ntrans;
    z->ntypes = ntypes;
    z->trans = (int64_t *)(z + 1);
    z->types = (clT_ttype *)(z->trans + ntrans);
    z->trans_type = (uint8_t *)(z->types + ntypes);
    return z;
}

void clT_zone_free(const cl_env *env, clT_zone *z)
{
    if (z != NULL)
        clB_free(env, z, zone_bytes(z->ntrans, z->ntypes));
}

int clT_zone_parse(const cl_env *env, const char *name, const unsigned char *data, size_t len,
                   clT_zone **out, cl_error *err)
{
    *out = NULL;
    int version;
    tzhead h;
    if (!read_head(data, len, &version, &h))
        return bad_tzif(err, name, "bad header");
    unsigned tsize = 4;
    const unsigned char *p = data + 44;
    size_t left = len - 44;
    if (version >= 2) {
        /* Skip the 32-bit block; the 64-bit header and data follow. */
        uint64_t skip = block_size(&h, 4);
        if (skip > left || !read_head(p + skip, left - skip, &version, &h))
            return bad_tzif(err, name, "bad second header");
        p += skip + 44;
        left -= skip + 44;
        tsize = 8;
    }
    uint64_t size = block_size(&h, tsize);
    if (size > left)
        return bad_tzif(err, name, "truncated data");
    if (h.leap > 0)
        return clE_set(err, CL_EZONE, (cl_pos){0, 0, 0}, "time zone %s counts leap seconds "
                       "(a \"right/\" zone); use the zone without leap seconds", name);
    clT_zone *z = zone_alloc(env, name, h.time, h.type);
    if (z == NULL)
        return no_memory(err, name);
    const unsigned char *tt = p + (size_t)h.time * tsize;
    const unsigned char *types = tt + h.time;
    for (uint32_t i = 0; i < h.time; i++) {
        z->trans[i] = tsize == 8 ? be64(p + (size_t)i * 8) : (int32_t)be32(p + (size_t)i * 4);
        z->trans_type[i] = tt[i];
        if (tt[i] >= h.type || (i > 0 && z->trans[i] <= z->trans[i - 1])) {
            clT_zone_free(env, z);
            return bad_tzif(err, name, tt[i] >= h.type ? "bad type index" : "unordered transitions");
        }
    }
    for (uint32_t i = 0; i < h.type; i++) {
        int32_t off = (int32_t)be32(types + (size_t)i * 6);
        uint8_t isdst = types[(size_t)i * 6 + 4];
        if (off <= -90000 || off >= 93600 || isdst > 1) {
            clT_zone_free(env, z);
            return bad_tzif(err, name, "bad local time type");
        }
        z->types[i].utoff = off;
        z->types[i].isdst = isdst;
    }
    if (version >= 2) {
        const unsigned char *f = p + size, *end = data + len;
        const unsigned char *nl = f + 1;
        while (nl < end && *nl != '\n')
            nl++;
        bool has_rule = false;
        if (f >= end || *f != '\n' || nl >= end ||
            !parse_rule((const char *)f + 1, (size_t)(nl - f - 1), &z->rule, &has_rule)) {
            clT_zone_free(env, z);
            return bad_tzif(err, name, "bad footer");
        }
        z->has_rule = has_rule;
    }
    *out = z;
    return CL_OK;
}

/* Whether name looks like an IANA zone name (and is safe as a path). */
static bool plausible_name(const char *name, size_t n)
{
    if (n == 0 || n >= sizeof(((clT_zone *)0)->name) || name[0] == '/' || name[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
        if (c == '/' && name[i + 1] == '/')
            return false;
    }
    return true;
}

/* Reads path into a buffer from env's allocator (at most TZ_MAX_FILE
 * bytes). Returns 0, or an errno value. */
static int read_file(const cl_env *env, const char *path, unsigned char **out, size_t *len,
                     size_t *cap)
{
    /* O_NONBLOCK: a FIFO planted in the tz directory must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EISDIR;
    else if (st.st_size > TZ_MAX_FILE)
        e = EFBIG;
    if (e != 0) {
        close(fd);
        return e;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *buf = clB_alloc(env, size + 1);
    if (buf == NULL) {
        close(fd);
        return ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *out = buf;
    *len = got;
    *cap = size + 1;
    return 0;
}

int clT_zone_load(const cl_env *env, const char *name, size_t n, clT_zone **out, cl_error *err)
{
    char zname[64];
    *out = NULL;
    if (!plausible_name(name, n))
        return clE_set(err, CL_EZONE, (cl_pos){0, 0, 0}, "\"%.*s\" is not a time zone name "
                       "(an IANA name such as Europe/Berlin)", (int)(n > 80 ? 80 : n), name);
    memcpy(zname, name, n);
    zname[n] = '\0';
    if (strcmp(zname, "UTC") == 0) {
        clT_zone *z = zone_alloc(env, "UTC", 0, 1);
        if (z == NULL)
            return no_memory(err, zname);
        *out = z;
        return CL_OK;
    }
    size_t plen = strlen(env->tzdir) + n + 2;
    char *path = clB_alloc(env, plen);
    if (path == NULL)
        return no_memory(err, zname);
    snprintf(path, plen, "%s/%s", env->tzdir, zname);
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    int e = read_file(env, path, &buf, &len, &cap);
    clB_free(env, path, plen);
    if (e == ENOMEM)
        return no_memory(err, zname);
    if (e != 0)
        return clE_set(err, CL_EZONE, (cl_pos){0, 0, 0}, "unknown time zone \"%s\" (not in "
                       "the tz database at %s)", zname, env->tzdir);
    int rc = clT_zone_parse(env, zname, buf, len, out, err);
    clB_free(env, buf, cap);
    return rc;
}

/* ------------------------------------------------------------------------
 * Questions to a zone
 * ------------------------------------------------------------------------ */

/* Instants and local times beyond about two million years are clamped, so
 * that every function here is total over int64_t without overflow. */
static int64_t clamp(int64_t t)
{
    return t < -CLT_TIME_LIMIT ? -CLT_TIME_LIMIT : t > CLT_TIME_LIMIT ? CLT_TIME_LIMIT : t;
}

int32_t clT_offset_at(const clT_zone *z, int64_t t)
{
    if (z == NULL)
        return 0;
    t = clamp(t);
    if (z->ntrans == 0 || t < z->trans[0]) {
        if (z->ntrans == 0 && z->has_rule)
            return rule_offset(&z->rule, t);
        return z->types[0].utoff;
    }
    if (t >= z->trans[z->ntrans - 1] && z->has_rule)
        return rule_offset(&z->rule, t);
    /* The last transition at or before t. */
    uint32_t lo = 0, hi = z->ntrans - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return z->types[z->trans_type[lo]].utoff;
}

/*
 * A wall-clock time maps to zero, one or two instants. The offsets a day
 * before and a day after bracket any transition near it (zones do not change
 * twice within two days); each gives a candidate instant, which is right when
 * the zone has that offset at it. Two right candidates are an overlap (take
 * the earlier); none is a gap, whose times all mean the instant of the jump,
 * found by bisection between the two candidates.
 */
int64_t clT_local_to_instant(const clT_zone *z, int64_t local)
{
    local = clamp(local);
    if (z == NULL)
        return local;
    int32_t o1 = clT_offset_at(z, local - 86400), o2 = clT_offset_at(z, local + 86400);
    int64_t t1 = local - o1, t2 = local - o2;
    bool ok1 = clT_offset_at(z, t1) == o1, ok2 = clT_offset_at(z, t2) == o2;
    if (ok1 && ok2)
        return t1 < t2 ? t1 : t2;
    if (ok1)
        return t1;
    if (ok2)
        return t2;
    /* A gap: the jump is the first instant in (lo, hi] with the later offset. */
    int64_t lo = t1 < t2 ? t1 : t2, hi = t1 < t2 ? t2 : t1;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (clT_offset_at(z, mid) == o2)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

clT_local clT_localize(const clT_zone *z, int64_t t)
{
    clT_local l;
    t = clamp(t);
    int64_t local = t + clT_offset_at(z, t);
    l.days = floor_div(local, 86400);
    l.seconds = (int32_t)(local - l.days * 86400);
    l.date = clT_civil_from_days(l.days);
    l.weekday = clT_weekday(l.days);
    return l;
}
