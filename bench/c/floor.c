/*
 * floor.c - bench/w1.yaml's coupon as a C programmer would hard-code it,
 * with nothing a coupon engine would add: no bytecode, no reasons for the
 * conditions that fail (it stops at the first), no result object. It
 * decides the same (the local weekday in New York with its DST rule, the
 * SPEC's half-even rounding and largest-remainder allocation), so its time
 * is the floor of W1.
 */
#include "floor.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* 0 = Sunday ... 6 = Saturday. */
static int weekday(int64_t days)
{
    return (int)((days % 7 + 11) % 7);
}

/* The year of day `days` (civil_from_days, year only). */
static int64_t year_of(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    return yoe + era * 400 + (mp >= 10);
}

/* The local weekday in America/New_York (since 2007: daylight time from
 * the second Sunday of March, 2:00, to the first Sunday of November, 2:00). */
static int ny_weekday(int64_t t)
{
    int64_t y = year_of(floor_div(t - 5 * 3600, 86400));
    int64_t mar = days_from_civil(y, 3, 1), nov = days_from_civil(y, 11, 1);
    int64_t start = (mar + (7 - weekday(mar)) % 7 + 7) * 86400 + 7 * 3600;
    int64_t end = (nov + (7 - weekday(nov)) % 7) * 86400 + 6 * 3600;
    int64_t off = t >= start && t < end ? -4 * 3600 : -5 * 3600;
    return weekday(floor_div(t + off, 86400));
}

static int is(const char *s, const char *lit)
{
    return strcmp(s, lit) == 0;
}

int64_t floor_w1(const cart *c, int64_t *shares)
{
    int wd = ny_weekday(c->now);
    if (wd != 5 && wd != 6 && wd != 0)
        return -1;
    if (!is(c->method, "card") && !is(c->method, "wallet"))
        return -1;
    int tagged = 0;
    for (int i = 0; i < c->ntags && !tagged; i++)
        tagged = is(c->tags[i], "vip") || is(c->tags[i], "gold");
    if (!tagged || c->orders_completed + 1 < 2)
        return -1;
    int64_t units = 0, subtotal = 0, amount[CART_MAX_LINES];
    for (int i = 0; i < c->nlines; i++) {
        const cart_line *l = &c->lines[i];
        amount[i] = l->quantity * l->unit_price;
        subtotal += amount[i];
        if (strncmp(l->category, "electronics", 11) == 0 &&
            (l->category[11] == '\0' || l->category[11] == '/'))
            units += l->quantity;
    }
    if (units < 2 || subtotal < 10000 || c->uses_total >= 100000 || c->uses_user >= 5)
        return -1;
    /* 15%, rounded half to even, at most 75.00. */
    int64_t d = subtotal * 15 / 100, r = subtotal * 15 % 100;
    if (r > 50 || (r == 50 && (d & 1)))
        d++;
    if (d > 7500)
        d = 7500;
    /* Largest remainder over the lines by their amounts: the floors, then
     * a unit each for the lines with the largest remainders (ties: the
     * larger amount, then the lower index), sorted by insertion. */
    int64_t left = d, rem[CART_MAX_LINES];
    int order[CART_MAX_LINES];
    for (int i = 0; i < c->nlines; i++) {
        int64_t x = amount[i] * d;
        shares[i] = x / subtotal;
        rem[i] = x % subtotal;
        left -= shares[i];
        int j = i;
        while (j > 0 && (rem[i] > rem[order[j - 1]] ||
                         (rem[i] == rem[order[j - 1]] && amount[i] > amount[order[j - 1]]))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int k = 0; k < left; k++)
        shares[order[k]]++;
    return d;
}

void floor_check(int64_t discount, const int64_t *shares, int n, char *buf, size_t size)
{
    if (discount < 0) {
        snprintf(buf, size, "not applicable");
        return;
    }
    size_t k = (size_t)snprintf(buf, size, "%lld;", (long long)discount);
    int first = 1;
    for (int i = 0; i < n && k < size; i++)
        if (shares[i] != 0) {
            k += (size_t)snprintf(buf + k, size - k, "%s%d:%lld", first ? "" : ",", i,
                                  (long long)shares[i]);
            first = 0;
        }
}
