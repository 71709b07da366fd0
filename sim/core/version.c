/* Debian version order and ranges (version.h). The order is dpkg's
 * verrevcmp: non-digits compare by a table where '~' sorts before
 * everything, even the end, and letters before other characters; digit runs
 * compare as numbers. */
#include <glib.h>
#include <string.h>

#include "core/version.h"

static int order(char c)
{
    if (g_ascii_isdigit(c))
        return 0;
    if (g_ascii_isalpha(c))
        return c;
    if (c == '~')
        return -1;
    return c ? (unsigned char)c + 256 : 0;
}

static int part_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        int first_diff = 0;
        while ((*a && !g_ascii_isdigit(*a)) || (*b && !g_ascii_isdigit(*b))) {
            int ac = order(*a), bc = order(*b);
            if (ac != bc)
                return ac - bc;
            a += *a != 0;
            b += *b != 0;
        }
        while (*a == '0')
            a++;
        while (*b == '0')
            b++;
        while (g_ascii_isdigit(*a) && g_ascii_isdigit(*b)) {
            if (!first_diff)
                first_diff = *a - *b;
            a++, b++;
        }
        if (g_ascii_isdigit(*a))
            return 1;
        if (g_ascii_isdigit(*b))
            return -1;
        if (first_diff)
            return first_diff;
    }
    return 0;
}

typedef struct parts {
    long epoch;
    char *upstream;       /* owned */
    const char *revision; /* in upstream's buffer, "" when none */
    bool has_revision;
} parts;

static parts split(const char *v)
{
    parts p = {0};
    const char *colon = strchr(v, ':');
    if (colon) {
        p.epoch = strtol(v, NULL, 10);
        v = colon + 1;
    }
    p.upstream = g_strdup(v);
    char *dash = strrchr(p.upstream, '-');
    p.has_revision = dash != NULL;
    if (dash)
        *dash = '\0';
    p.revision = dash ? dash + 1 : "";
    return p;
}

static int cmp_parts(parts *a, parts *b, bool with_revision)
{
    if (a->epoch != b->epoch)
        return a->epoch < b->epoch ? -1 : 1;
    int c = part_cmp(a->upstream, b->upstream);
    if (c || !with_revision)
        return c;
    return part_cmp(a->revision, b->revision);
}

int vds_version_cmp(const char *a, const char *b)
{
    parts pa = split(a), pb = split(b);
    int c = cmp_parts(&pa, &pb, true);
    g_free(pa.upstream);
    g_free(pb.upstream);
    return c;
}

typedef enum op { LT, LE, GT, GE, EQ, NE } op;

static const struct {
    const char *text;
    op op;
} ops[] = {{"<=", LE}, {">=", GE}, {"!=", NE}, {"<", LT}, {">", GT}, {"=", EQ}};

static bool holds(op o, int c)
{
    switch (o) {
    case LT:
        return c < 0;
    case LE:
        return c <= 0;
    case GT:
        return c > 0;
    case GE:
        return c >= 0;
    case EQ:
        return c == 0;
    case NE:
        return c != 0;
    }
    return false;
}

static bool version_chars(const char *v)
{
    if (!*v || !g_ascii_isdigit(*v))
        return false;
    for (; *v; v++)
        if (!g_ascii_isalnum(*v) && !strchr(".+-~:", *v))
            return false;
    return true;
}

/* One "OP VERSION" term; version NULL only checks it. */
static int term(const char *version, const char *text, const char *range, vds_err *err)
{
    g_autofree char *t = g_strstrip(g_strdup(text));
    size_t i = 0;
    while (i < G_N_ELEMENTS(ops) && !g_str_has_prefix(t, ops[i].text))
        i++;
    if (i == G_N_ELEMENTS(ops))
        return vds_err_set(err, VDS_ERR_PARSE, NULL,
                           "agent range '%s': '%s' does not start with < <= > >= = or !=", range,
                           t);
    const char *bound = t + strlen(ops[i].text);
    while (*bound == ' ')
        bound++;
    if (!version_chars(bound))
        return vds_err_set(err, VDS_ERR_PARSE, NULL,
                           "agent range '%s': '%s' is not a Debian version", range, bound);
    if (!version)
        return 1;
    parts pv = split(version), pb = split(bound);
    int c = cmp_parts(&pv, &pb, pb.has_revision);
    g_free(pv.upstream);
    g_free(pb.upstream);
    return holds(ops[i].op, c);
}

static int eval(const char *version, const char *range, vds_err *err)
{
    g_autofree char *whole = g_strstrip(g_strdup(range));
    if (strcmp(whole, "*") == 0)
        return 1;
    g_auto(GStrv) terms = g_strsplit(range, ",", -1);
    int all = 1;
    if (!*whole)
        return vds_err_set(err, VDS_ERR_PARSE, NULL, "agent range is empty");
    for (char **t = terms; *t; t++) {
        int r = term(version, *t, range, err);
        if (r < 0)
            return -1;
        all &= r;
    }
    return all;
}

int vds_version_in(const char *version, const char *range, vds_err *err)
{
    return eval(version, range, err);
}

int vds_version_range_check(const char *range, vds_err *err)
{
    return eval(NULL, range, err) < 0 ? -1 : 0;
}
