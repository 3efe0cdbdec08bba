/*
 * load_cal.c - calendars (SPEC 4.4, docs/time.md): the named days of a
 * file's `calendars` list, the shipped calendars it may list by name, and
 * the lookup of the names a `holiday:` condition gives.
 *
 * Every calendar is a group of consecutive entries in the builder's
 * calendars: the file's own entries form one group, each shipped calendar
 * another. A day observed `following` moves off a weekend to the next
 * weekday that no other day of its group occupies, so the VM needs the group.
 *
 * The shipped calendars are YAML files under data/calendars, embedded into
 * the library at build time (calendars_data.c, made by
 * scripts/embed_calendars.py) and read with the same code as a file's own
 * entries. No install path is involved.
 */
#include "load.h"

#include <stdio.h>

/* ------------------------------------------------------------------------
 * Entries
 * ------------------------------------------------------------------------ */

/* The name of entry i (NUL-terminated, in the builder's pool). */
static const char *entry_name(const clC_builder *b, size_t i, size_t *len)
{
    const clP_str *s = &b->strs.v[b->calendars.v[i].name];
    *len = s->len;
    return b->pool.p + s->off;
}

/* The shipped calendar of entry i, or NULL for the file's own. */
static const char *entry_calendar(const clC_builder *b, size_t i, size_t *len)
{
    uint32_t c = b->calendars.v[i].calendar;
    if (c == CL_NONE)
        return NULL;
    *len = b->strs.v[c].len;
    return b->pool.p + b->strs.v[c].off;
}

/*
 * One rule: date: "12-25" | "2026-11-08"
 *         | nth_weekday: { month: 11, weekday: thu, n: 4 }
 *         | easter: 1 | orthodox_easter: 0
 */
static int calendar_rule(clL_state *L, const clY_node *e, clP_calendar *c)
{
    static const char *const rules[] = {"date", "nth_weekday", "easter", "orthodox_easter"};
    static const char *const nth_keys[] = {"month", "weekday", "n"};
    const clY_node *v = NULL;
    int which = -1, count = 0;
    for (int i = 0; i < 4; i++)
        if (clY_get(e, rules[i]) != NULL) {
            v = clY_get(e, rules[i]);
            which = i;
            count++;
        }
    if (count != 1)
        return clL_fail(L, e, CL_EVALUE, "a calendar entry takes one rule: date, nth_weekday, "
                        "easter or orthodox_easter");
    size_t mark = clL_push_key(L, rules[which]);
    int rc = CL_OK;
    int64_t x;
    if (which == 0) {
        bool annual = false;
        x = 0;
        rc = clL_read_day(L, v, &annual, &x);
        c->kind = annual ? CAL_ANNUAL : CAL_DATE;
        c->date = x;
        c->month = (uint8_t)(x / 100);
        c->day = (uint8_t)(x % 100);
    } else if (which == 1) {
        rc = clL_expect(L, v, CLY_MAP, "a mapping { month: 11, weekday: thu, n: 4 }");
        if (rc == CL_OK)
            rc = clL_check_keys(L, v, nth_keys, CL_COUNTOF(nth_keys));
        const clY_node *m = clY_get(v, "month"), *wd = clY_get(v, "weekday"), *n = clY_get(v, "n");
        if (rc == CL_OK && (m == NULL || wd == NULL || n == NULL))
            rc = clL_fail(L, v, CL_EMISSING, "nth_weekday needs month, weekday and n");
        if (rc == CL_OK && (rc = clL_int(L, m, 1, 12, &x)) == CL_OK)
            c->month = (uint8_t)x;
        if (rc == CL_OK && (rc = clL_int(L, n, -5, 5, &x)) == CL_OK && x == 0)
            rc = clL_fail(L, n, CL_EVALUE, "n is 1..5, or -1..-5 counting from the end");
        c->n = (int8_t)x;
        int d = rc == CL_OK ? clL_weekday(wd->str, wd->n) : 0;
        if (rc == CL_OK && (wd->kind != CLY_SCALAR || d < 0))
            rc = clL_fail(L, wd, CL_EVALUE, "weekday is one of mon, tue, wed, thu, fri, sat, sun");
        c->weekday = (uint8_t)d;
        c->kind = CAL_NTH;
    } else {
        rc = clL_int(L, v, -366, 366, &x);
        c->kind = which == 2 ? CAL_EASTER : CAL_ORTHODOX;
        c->offset = (int32_t)x;
    }
    clL_pop(L, mark);
    return rc;
}

/* observed: true | false | nearest | following (true means nearest). */
static int observed_mode(clL_state *L, const clY_node *v, uint8_t *out)
{
    static const char *const modes[] = {"false", "true", "nearest", "following"};
    static const uint8_t values[] = {OBS_NONE, OBS_NEAREST, OBS_NEAREST, OBS_FOLLOWING};
    for (size_t i = 0; v->kind == CLY_SCALAR && i < CL_COUNTOF(modes); i++)
        if (strcmp(v->str, modes[i]) == 0 && (i >= 2 || !v->quoted)) {
            *out = values[i];
            return CL_OK;
        }
    return clL_fail(L, v, CL_EVALUE, "observed is true (= nearest: Saturday to Friday, Sunday "
                    "to Monday), following (the next weekday that is not already a day of "
                    "this calendar) or false");
}

/* except_years: [2020, 2022] into an iset. */
static int year_set(clL_state *L, const clY_node *v, uint32_t *out)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *items = clL_list(v, &n, &one);
    if (n == 0)
        return clL_fail(L, v, CL_EVALUE, "an empty list of years; remove except_years");
    if (n > 1000)
        return clL_fail(L, v, CL_ELIMIT, "more than 1000 years");
    int64_t years[1000];
    for (size_t i = 0; i < n; i++) {
        int rc = clL_int(L, items[i], 1, 9999, &years[i]);
        if (rc != CL_OK)
            return rc;
    }
    return clC_iset(L->b, years, n, out);
}

/* moved: { 2020: "05-08" } -- the day in those years, into an iset of
 * year*10000 + month*100 + day. */
static int moved_set(clL_state *L, const clY_node *v, uint32_t *out)
{
    int rc = clL_expect(L, v, CLY_MAP, "a mapping of years to days, such as { 2020: \"05-08\" }");
    if (rc != CL_OK)
        return rc;
    if (v->n == 0 || v->n > 1000)
        return clL_fail(L, v, CL_EVALUE, "moved takes from 1 to 1000 years");
    int64_t days[1000];
    for (uint32_t i = 0; i < v->n; i++) {
        const clY_node *k = v->items[2 * i], *d = v->items[2 * i + 1];
        int64_t y;
        int m, day;
        const char *s;
        size_t n;
        if ((rc = clL_int(L, k, 1, 9999, &y)) != CL_OK)
            return rc;
        size_t mark = clL_push_key(L, k->str);
        rc = clL_text(L, d, &s, &n);
        if (rc == CL_OK && !clT_parse_month_day(s, n, &m, &day))
            rc = clL_fail(L, d, CL_EDATE, "expected the day in %lld as \"MM-DD\", found \"%s\"",
                          (long long)y, s);
        if (rc == CL_OK && day > clT_days_in_month((int32_t)y, m))
            rc = clL_fail(L, d, CL_EDATE, "%s does not exist in %lld", s, (long long)y);
        clL_pop(L, mark);
        if (rc != CL_OK)
            return rc;
        days[i] = y * 10000 + m * 100 + day;
    }
    return clC_iset(L->b, days, v->n, out);
}

/* The optional keys of an entry after its rule. */
static int entry_options(clL_state *L, const clY_node *e, clP_calendar *c)
{
    static const char *const yearly[] = {"from_year", "until_year", "except_years", "moved"};
    const clY_node *v;
    int64_t x;
    int rc = CL_OK;
    if (c->kind == CAL_DATE)
        for (size_t i = 0; i < CL_COUNTOF(yearly); i++)
            if ((v = clY_get(e, yearly[i])) != NULL)
                return clL_fail(L, v, CL_EVALUE, "%s applies to a rule that recurs every year, "
                                "not to a full date", yearly[i]);
    size_t mark = L->pathlen;
    if ((v = clY_get(e, "offset_days")) != NULL) {
        mark = clL_push_key(L, "offset_days");
        if ((rc = clL_int(L, v, -366, 366, &x)) == CL_OK)
            c->offset += (int32_t)x;
    }
    clL_pop(L, mark);
    if (rc == CL_OK && (v = clY_get(e, "span_days")) != NULL) {
        mark = clL_push_key(L, "span_days");
        if ((rc = clL_int(L, v, 1, 366, &x)) == CL_OK)
            c->span = (int32_t)x;
    }
    clL_pop(L, mark);
    if (rc == CL_OK && (v = clY_get(e, "observed")) != NULL) {
        mark = clL_push_key(L, "observed");
        rc = observed_mode(L, v, &c->observed);
    }
    clL_pop(L, mark);
    if (rc == CL_OK && (v = clY_get(e, "from_year")) != NULL) {
        mark = clL_push_key(L, "from_year");
        if ((rc = clL_int(L, v, 1, 9999, &x)) == CL_OK)
            c->from_year = (int32_t)x;
    }
    clL_pop(L, mark);
    if (rc == CL_OK && (v = clY_get(e, "until_year")) != NULL) {
        mark = clL_push_key(L, "until_year");
        if ((rc = clL_int(L, v, 1, 9999, &x)) == CL_OK)
            c->until_year = (int32_t)x;
        if (rc == CL_OK && c->from_year > c->until_year)
            rc = clL_fail(L, v, CL_EVALUE, "until_year %d is before from_year %d",
                          (int)c->until_year, (int)c->from_year);
    }
    clL_pop(L, mark);
    if (rc == CL_OK && (v = clY_get(e, "except_years")) != NULL) {
        mark = clL_push_key(L, "except_years");
        rc = year_set(L, v, &c->except);
    }
    clL_pop(L, mark);
    if (rc == CL_OK && (v = clY_get(e, "moved")) != NULL) {
        mark = clL_push_key(L, "moved");
        rc = moved_set(L, v, &c->moved);
    }
    clL_pop(L, mark);
    return rc;
}

/*
 * - { name: black-friday, nth_weekday: {month: 11, weekday: thu, n: 4},
 *     offset_days: 1, span_days: 4, observed: false,
 *     from_year: 1990, until_year: 2099, except_years: [2020],
 *     moved: { 2021: "11-25" } }
 *
 * calendar: the string index of the shipped calendar, or CL_NONE; first:
 * the first entry of this calendar (names are unique from there on).
 */
static int calendar_entry(clL_state *L, const clY_node *e, uint32_t calendar, size_t first)
{
    static const char *const keys[] = {"name", "date", "nth_weekday", "easter",
                                       "orthodox_easter", "offset_days", "span_days",
                                       "observed", "from_year", "until_year", "except_years",
                                       "moved"};
    int rc = clL_expect(L, e, CLY_MAP, "a calendar entry such as { name: christmas, date: "
                        "\"12-25\" }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, e, keys, CL_COUNTOF(keys));
    const clY_node *name = clY_get(e, "name");
    if (rc == CL_OK && name == NULL)
        rc = clL_fail(L, e, CL_EMISSING, "a calendar entry needs a name");
    clP_calendar c = {0};
    c.span = 1;
    c.calendar = calendar;
    c.except = c.moved = CL_NONE;
    const char *s;
    size_t n, len;
    if (rc == CL_OK)
        rc = clL_text(L, name, &s, &n);
    if (rc == CL_OK && (n == 0 || memchr(s, '/', n) != NULL))
        rc = clL_fail(L, name, CL_EVALUE, "a day's name may not be empty or contain '/' (which "
                      "separates a calendar's name from a day's)");
    for (size_t i = first; rc == CL_OK && i < L->b->calendars.n; i++) {
        const char *other = entry_name(L->b, i, &len);
        if (clB_eq(other, len, s, n))
            rc = clL_fail(L, name, CL_EDUPLICATE, "calendar entry \"%s\" is defined twice", s);
    }
    if (rc == CL_OK)
        rc = clC_str(L->b, s, n, &c.name);
    if (rc == CL_OK)
        rc = calendar_rule(L, e, &c);
    if (rc == CL_OK)
        rc = entry_options(L, e, &c);
    if (rc == CL_OK && !CL_PUSH(L->b->env, L->b->calendars, c))
        rc = clC_oom(L->b);
    return rc;
}

/* Makes entries [first, n) one group; a group with a `following` day is
 * bounded, since the VM works it out on the stack. */
static int close_group(clL_state *L, const clY_node *node, size_t first)
{
    clC_builder *b = L->b;
    size_t count = b->calendars.n - first;
    for (size_t i = first; i < b->calendars.n; i++) {
        b->calendars.v[i].group = (uint32_t)first;
        b->calendars.v[i].group_n = (uint32_t)count;
        if (b->calendars.v[i].observed == OBS_FOLLOWING && count > CLP_GROUP_MAX)
            return clL_fail(L, node, CL_ELIMIT, "a calendar with a day observed `following` "
                            "may have at most %d days; this one has %zu", CLP_GROUP_MAX, count);
    }
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Shipped calendars
 * ------------------------------------------------------------------------ */

static const clL_shipped *find_shipped(const char *s, size_t n)
{
    for (size_t i = 0; i < clL_nshipped; i++)
        if (clB_eq(clL_shipped_calendars[i].name, strlen(clL_shipped_calendars[i].name), s, n))
            return &clL_shipped_calendars[i];
    return NULL;
}

/* The names of the shipped calendars, "a, b and c", into buf. */
static const char *shipped_list(char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < clL_nshipped && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s", i == 0 ? "" : i + 1 == clL_nshipped
                              ? " and " : ", ", clL_shipped_calendars[i].name);
    return buf;
}

/* Whether shipped calendar cal has a day named s (for hints on errors). */
static bool shipped_has_day(const cl_env *env, const clL_shipped *cal, const char *s, size_t n)
{
    clY_doc doc;
    cl_error err;
    bool found = false;
    if (clY_load(env, cal->text, cal->len, &doc, &err) == CL_OK && doc.nroots == 1) {
        const clY_node *days = clY_get(doc.roots[0], "days");
        for (uint32_t i = 0; days != NULL && days->kind == CLY_SEQ && i < days->n; i++) {
            const clY_node *name = days->items[i]->kind == CLY_MAP
                                       ? clY_get(days->items[i], "name") : NULL;
            found = found || (name != NULL && clB_eq(name->str, name->n, s, n));
        }
    }
    clY_free(&doc);
    return found;
}

/*
 * The days of a shipped calendar, read from its embedded YAML:
 *
 *   calendar: us-retail
 *   description: ...
 *   days: [ { name: ..., <rule>, <options> }, ... ]
 *
 * Errors in it (there should be none: tests load every one) are reported at
 * the reference in the coupon file.
 */
static int shipped_days(clL_state *L, const clY_node *ref, const clL_shipped *cal)
{
    static const char *const keys[] = {"calendar", "description", "days"};
    clY_doc doc;
    cl_error err;
    clE_clear(&err);
    int rc = clY_load(L->b->env, cal->text, cal->len, &doc, &err);
    clL_state S = *L;
    S.doc = &doc;
    S.err = &err;
    S.path[0] = '\0';
    S.pathlen = 0;
    const clY_node *root = rc == CL_OK && doc.nroots == 1 ? doc.roots[0] : NULL;
    if (rc == CL_OK && root == NULL)
        rc = clE_set(&err, CL_EVALUE, (cl_pos){0, 0, 0}, "not one YAML document");
    if (rc == CL_OK)
        rc = clL_expect(&S, root, CLY_MAP, "a mapping with calendar, description and days");
    if (rc == CL_OK)
        rc = clL_check_keys(&S, root, keys, CL_COUNTOF(keys));
    const clY_node *name = rc == CL_OK ? clY_get(root, "calendar") : NULL;
    const clY_node *days = rc == CL_OK ? clY_get(root, "days") : NULL;
    if (rc == CL_OK && (name == NULL || strcmp(name->str, cal->name) != 0))
        rc = clL_fail(&S, root, CL_EVALUE, "its `calendar` is not \"%s\"", cal->name);
    if (rc == CL_OK && days == NULL)
        rc = clL_fail(&S, root, CL_EMISSING, "no days");
    if (rc == CL_OK)
        rc = clL_expect(&S, days, CLY_SEQ, "a list of days");
    uint32_t calname = CL_NONE;
    if (rc == CL_OK)
        rc = clC_str(L->b, cal->name, strlen(cal->name), &calname);
    size_t first = L->b->calendars.n;
    for (uint32_t i = 0; rc == CL_OK && i < days->n; i++) {
        size_t mark = clL_push_index(&S, i);
        rc = calendar_entry(&S, days->items[i], calname, first);
        clL_pop(&S, mark);
    }
    if (rc == CL_OK)
        rc = close_group(&S, days, first);
    if (rc == CL_ENOMEM)
        rc = clC_oom(L->b);
    else if (rc != CL_OK)
        rc = clL_fail(L, ref, rc, "shipped calendar %s is broken: line %u: %s", cal->name,
                      err.line, err.message);
    L->oom |= S.oom;
    clY_free(&doc);
    return rc;
}

/* A shipped calendar listed by name in `calendars`. */
static int shipped_calendar(clL_state *L, const clY_node *ref)
{
    const char *s;
    size_t n, len;
    int rc = clL_text(L, ref, &s, &n);
    if (rc != CL_OK)
        return rc;
    const clL_shipped *cal = find_shipped(s, n);
    if (cal == NULL) {
        const char *names[64];
        size_t k = 0;
        for (size_t i = 0; i < clL_nshipped && k < CL_COUNTOF(names); i++)
            names[k++] = clL_shipped_calendars[i].name;
        const char *near = clE_suggest(s, names, k);
        char list[512];
        return near ? clL_fail(L, ref, CL_EVALUE, "unknown calendar \"%s\"; did you mean "
                               "\"%s\"?", s, near)
                    : clL_fail(L, ref, CL_EVALUE, "unknown calendar \"%s\" (the shipped "
                               "calendars are %s)", s, shipped_list(list, sizeof list));
    }
    for (size_t i = L->ncalendars_named; i < L->b->calendars.n; i++) {
        const char *c = entry_calendar(L->b, i, &len);
        if (c != NULL && clB_eq(c, len, s, n))
            return clL_fail(L, ref, CL_EDUPLICATE, "calendar %s is listed twice", s);
    }
    return shipped_days(L, ref, cal);
}

/*
 * calendars: [ { name: christmas, date: "12-25" }, us-retail, ... ]
 *
 * The file's own entries come first (one group), then each shipped calendar
 * listed by name (one group each), whatever their order in the list.
 */
int clL_calendars(clL_state *L, const clY_node *node)
{
    int rc = clL_expect(L, node, CLY_SEQ, "a list of calendar entries and calendar names");
    size_t first = L->b->calendars.n;
    for (uint32_t i = 0; rc == CL_OK && i < node->n; i++) {
        const clY_node *e = node->items[i];
        size_t mark = clL_push_index(L, i);
        if (e->kind == CLY_MAP)
            rc = calendar_entry(L, e, CL_NONE, first);
        else if (e->kind != CLY_SCALAR)
            rc = clL_fail(L, e, CL_ETYPE, "expected a calendar entry (a mapping such as "
                          "{ name: christmas, date: \"12-25\" }) or the name of a shipped "
                          "calendar, found %s", clY_kind_name(e));
        clL_pop(L, mark);
    }
    if (rc == CL_OK)
        rc = close_group(L, node, first);
    for (uint32_t i = 0; rc == CL_OK && i < node->n; i++) {
        size_t mark = clL_push_index(L, i);
        if (node->items[i]->kind == CLY_SCALAR)
            rc = shipped_calendar(L, node->items[i]);
        clL_pop(L, mark);
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * Holiday names
 * ------------------------------------------------------------------------ */

static int push_index(clL_state *L, int64_t **v, size_t *n, size_t *cap, size_t i)
{
    if (*n >= *cap && !clB_grow(L->b->env, (void **)v, cap, *n + 1, sizeof **v))
        return clC_oom(L->b);
    (*v)[(*n)++] = (int64_t)i;
    return CL_OK;
}

/* Candidates for "did you mean": the days of the file's calendars (only
 * those of calendar cal when cal is not NULL) and, when with_calendars, the
 * names of the listed shipped calendars. */
static size_t candidates(const clL_state *L, const char *cal, size_t cal_n, bool with_calendars,
                         const char **out, size_t max)
{
    const clC_builder *b = L->b;
    size_t k = 0, len, clen;
    for (size_t i = L->ncalendars_named; i < b->calendars.n && k < max; i++) {
        const char *c = entry_calendar(b, i, &clen);
        if (cal != NULL && (c == NULL || !clB_eq(c, clen, cal, cal_n)))
            continue;
        out[k++] = entry_name(b, i, &len);
        if (with_calendars && c != NULL && k < max && b->calendars.v[i].group == i)
            out[k++] = c;
    }
    return k;
}

/* An unknown name: a suggestion, or a hint at a shipped calendar that is
 * not listed. */
static int unknown_day(clL_state *L, const clY_node *item, const char *s, size_t n)
{
    const char *names[256];
    size_t k = candidates(L, NULL, 0, true, names, CL_COUNTOF(names));
    const char *near = clE_suggest(s, names, k);
    if (near != NULL)
        return clL_fail(L, item, CL_EVALUE, "unknown holiday \"%s\"; did you mean \"%s\"?", s,
                        near);
    if (find_shipped(s, n) != NULL)
        return clL_fail(L, item, CL_EVALUE, "unknown holiday \"%s\": the shipped calendar %s is "
                        "not in this file's calendars (add it: calendars: [%s])", s, s, s);
    for (size_t i = 0; i < clL_nshipped; i++)
        if (shipped_has_day(L->b->env, &clL_shipped_calendars[i], s, n))
            return clL_fail(L, item, CL_EVALUE, "unknown holiday \"%s\": the shipped calendar "
                            "%s has it; add %s to this file's calendars", s,
                            clL_shipped_calendars[i].name, clL_shipped_calendars[i].name);
    return clL_fail(L, item, CL_EVALUE, "unknown holiday \"%s\" (define it in the file's "
                    "calendars)", s);
}

/* "calendar/day": that day of a listed shipped calendar. */
static int qualified_day(clL_state *L, const clY_node *item, const char *s, size_t n,
                         const char *slash, int64_t **v, size_t *vn, size_t *cap)
{
    const clC_builder *b = L->b;
    size_t cn = (size_t)(slash - s), dn = n - cn - 1, len, clen;
    bool listed = false;
    for (size_t i = L->ncalendars_named; i < b->calendars.n; i++) {
        const char *c = entry_calendar(b, i, &clen);
        if (c == NULL || !clB_eq(c, clen, s, cn))
            continue;
        listed = true;
        const char *d = entry_name(b, i, &len);
        if (clB_eq(d, len, slash + 1, dn))
            return push_index(L, v, vn, cap, i);
    }
    if (!listed)
        return clL_fail(L, item, CL_EVALUE, "holiday \"%s\": %.*s is not a calendar listed in "
                        "this file's calendars%s", s, (int)cn, s,
                        find_shipped(s, cn) ? " (add it there)" : "");
    const char *names[256];
    size_t k = candidates(L, s, cn, false, names, CL_COUNTOF(names));
    const char *near = clE_suggest(slash + 1, names, k);
    return near ? clL_fail(L, item, CL_EVALUE, "calendar %.*s has no day \"%s\"; did you mean "
                           "\"%.*s/%s\"?", (int)cn, s, slash + 1, (int)cn, s, near)
                : clL_fail(L, item, CL_EVALUE, "calendar %.*s has no day \"%s\"", (int)cn, s,
                           slash + 1);
}

/*
 * A `holiday:` item names, in this order: a day of the file's own entries;
 * a day of one listed shipped calendar (a day several of them define must
 * be qualified, "uk-bank-holidays/christmas-day"); or a whole listed
 * shipped calendar, meaning any of its days.
 */
int clL_holiday_days(clL_state *L, const clY_node *item, int64_t **v, size_t *n, size_t *cap)
{
    const char *s;
    size_t len;
    int rc = clL_text(L, item, &s, &len);
    if (rc != CL_OK)
        return rc;
    const char *slash = memchr(s, '/', len);
    if (slash != NULL)
        return qualified_day(L, item, s, len, slash, v, n, cap);
    const clC_builder *b = L->b;
    size_t lo = L->ncalendars_named, hi = b->calendars.n, dl, cl;
    for (size_t i = lo; i < hi; i++) {
        const char *d = entry_name(b, i, &dl);
        if (entry_calendar(b, i, &cl) == NULL && clB_eq(d, dl, s, len))
            return push_index(L, v, n, cap, i);
    }
    size_t found = 0, at = 0;
    char which[300] = "";
    for (size_t i = lo; i < hi; i++) {
        const char *c = entry_calendar(b, i, &cl), *d = entry_name(b, i, &dl);
        if (c == NULL || !clB_eq(d, dl, s, len))
            continue;
        size_t w = strlen(which);
        snprintf(which + w, sizeof which - w, "%s%.*s/%s", found ? " or " : "", (int)cl, c, s);
        found++;
        at = i;
    }
    if (found > 1)
        return clL_fail(L, item, CL_EVALUE, "holiday \"%s\" is a day of several calendars; "
                        "write %s", s, which);
    if (found == 1)
        return push_index(L, v, n, cap, at);
    for (size_t i = lo; i < hi && rc == CL_OK; i++) {
        const char *c = entry_calendar(b, i, &cl);
        if (c != NULL && clB_eq(c, cl, s, len))
            rc = push_index(L, v, n, cap, i), found++;
    }
    if (rc != CL_OK || found > 0)
        return rc;
    return unknown_day(L, item, s, len);
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

CL_API const char *cl_calendar_name(size_t i)
{
    return i < clL_nshipped ? clL_shipped_calendars[i].name : NULL;
}

CL_API const char *cl_calendar_source(const char *name)
{
    const clL_shipped *c = name ? find_shipped(name, strlen(name)) : NULL;
    return c ? c->text : NULL;
}
