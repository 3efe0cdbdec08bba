/*
 * tz.h - civil dates, IANA time zones (TZif, RFC 8536) and the calendar rules
 * couponlib needs (Easter, nth weekday). Pure computation over data loaded at
 * compile time: nothing here reads the clock, the TZ variable or the locale.
 *
 * Days are counted from 1970-01-01 (day 0), proleptic Gregorian. Weekdays are
 * 0 = Monday ... 6 = Sunday. Instants are seconds since the Unix epoch.
 * "Local seconds" are seconds since 1970-01-01T00:00 on a zone's wall clock.
 */
#ifndef CL_TZ_H
#define CL_TZ_H

#include "core.h"

/* ------------------------------------------------------------------------
 * Civil calendar
 * ------------------------------------------------------------------------ */

typedef struct clT_date {
    int32_t year;
    uint8_t month; /* 1..12 */
    uint8_t day;   /* 1..31 */
} clT_date;

bool clT_is_leap(int32_t year);
int clT_days_in_month(int32_t year, int month);
/* Days since 1970-01-01 of a valid date (Howard Hinnant's algorithm). */
int64_t clT_days_from_civil(int32_t year, int month, int day);
clT_date clT_civil_from_days(int64_t days);
/* 0 = Monday ... 6 = Sunday. */
int clT_weekday(int64_t days);

/* Western (Gregorian computus) and Orthodox (Julian computus, expressed in the
 * Gregorian calendar) Easter Sunday of year, as days since the epoch. Valid
 * for years 1583..9999. */
int64_t clT_easter(int32_t year);
int64_t clT_orthodox_easter(int32_t year);

/* The n-th (1..5) or, for negative n, the n-th last (-1 = last) given weekday
 * (0 = Mon) of month in year, as days since the epoch; INT64_MIN when there
 * is no such day (a 5th Monday in a month with four). */
int64_t clT_nth_weekday(int32_t year, int month, int weekday, int n);

/* ------------------------------------------------------------------------
 * Text forms
 * ------------------------------------------------------------------------ */

/* "YYYY-MM-DD": a valid date. */
bool clT_parse_date(const char *s, size_t n, clT_date *out);
/* "MM-DD": month 1..12 and a day that exists in some year (02-29 allowed). */
bool clT_parse_month_day(const char *s, size_t n, int *month, int *day);
/* "HH:MM" or "HH:MM:SS", 00:00..23:59:59 (and "24:00" when allow_24); seconds
 * since midnight into *out. */
bool clT_parse_time(const char *s, size_t n, bool allow_24, int32_t *out);

/* A date-time "YYYY-MM-DDTHH:MM[:SS[.fraction]]" with an optional offset
 * ("Z", "+05:30", "-0800"); 't' and ' ' are accepted as separators, 'z' as Z.
 * A fraction is truncated to whole seconds. *local_seconds gets the wall-clock
 * seconds; *has_offset whether an offset was given and *offset its value in
 * seconds east of UTC (the instant is local_seconds - offset). */
bool clT_parse_datetime(const char *s, size_t n, int64_t *local_seconds, bool *has_offset,
                        int32_t *offset);

/* An RFC 3339 instant (offset required) into seconds since the epoch. */
bool clT_parse_instant(const char *s, size_t n, int64_t *out);

/* ------------------------------------------------------------------------
 * Time zones
 * ------------------------------------------------------------------------ */

/* One local time type of a zone. */
typedef struct clT_ttype {
    int32_t utoff;  /* seconds east of UTC */
    uint8_t isdst;
} clT_ttype;

/* When a POSIX TZ rule changes between standard and daylight time: kind
 * 'M' (month, week 1..5 with 5 = last, weekday 0 = Sunday as in POSIX), 'J'
 * (Julian day 1..365, 29 February never counted) or 'D' (zero-based day
 * 0..365); time in seconds of local time (may be negative or beyond 24h). */
typedef struct clT_ruledate {
    uint8_t kind;
    uint8_t month, week, wday;
    int16_t yday;
    int32_t time;
} clT_ruledate;

/* A POSIX TZ rule for instants after the last transition (RFC 8536 footer),
 * e.g. "EST5EDT,M3.2.0,M11.1.0". */
typedef struct clT_rule {
    int32_t std_off;     /* seconds east of UTC in standard time */
    int32_t dst_off;     /* seconds east of UTC in daylight time */
    uint8_t has_dst;     /* 0: no DST, std_off always */
    clT_ruledate start;  /* DST starts (in standard local time) */
    clT_ruledate end;    /* DST ends (in daylight local time) */
} clT_rule;

/* A zone: flat arrays, so a program can carry and serialize it. */
typedef struct clT_zone {
    char name[64];         /* IANA name, "UTC" for the built-in UTC */
    uint32_t ntrans;       /* transitions */
    int64_t *trans;        /* [ntrans] instants, ascending */
    uint8_t *trans_type;   /* [ntrans] index into types */
    uint32_t ntypes;
    clT_ttype *types;      /* [ntypes]; types[0] applies before the first transition */
    uint8_t has_rule;      /* the footer's rule applies after the last transition */
    clT_rule rule;
} clT_zone;

/* Loads zone `name` from the env's tz directory. The name must look like an
 * IANA name (letters, digits, '/', '_', '-', '+'; no "..", no leading '/');
 * "UTC" always works, even without tz data. Returns CL_OK, CL_EZONE (unknown
 * zone or malformed TZif: message in err, position left as is), CL_ENOMEM.
 * The caller frees *out with clT_zone_free(). */
int clT_zone_load(const cl_env *env, const char *name, size_t n, clT_zone **out,
                  cl_error *err);

/* Parses TZif bytes (versions 1 to 4; uses the 64-bit data and footer when
 * present) into a zone named name. Used by clT_zone_load and by tests. */
int clT_zone_parse(const cl_env *env, const char *name, const unsigned char *data,
                   size_t len, clT_zone **out, cl_error *err);

void clT_zone_free(const cl_env *env, clT_zone *z);

/* Instants and local times passed to the functions below are clamped to
 * [-CLT_TIME_LIMIT, CLT_TIME_LIMIT] (about two million years either side of
 * 1970), so that they are defined for every int64_t. */
#define CLT_TIME_LIMIT ((int64_t)1 << 46)

/* The zone's offset (seconds east of UTC) at instant t. A NULL zone is UTC. */
int32_t clT_offset_at(const clT_zone *z, int64_t t);

/* The instant of local wall-clock time `local` in zone z (NULL = UTC). A
 * local time in a DST gap means the instant the clocks jump (the end of the
 * gap); one in an overlap means the earlier of its two instants. */
int64_t clT_local_to_instant(const clT_zone *z, int64_t local);

/* The local calendar view of instant t in zone z (NULL = UTC). */
typedef struct clT_local {
    int64_t days;      /* local date as days since the epoch */
    clT_date date;
    int weekday;       /* 0 = Monday */
    int32_t seconds;   /* seconds since local midnight */
} clT_local;

clT_local clT_localize(const clT_zone *z, int64_t t);

#endif /* CL_TZ_H */
