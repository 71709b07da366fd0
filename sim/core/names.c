#include "core/names.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vds_names_get(const vds_names *t, uint32_t v)
{
    return v < t->count ? t->names[v] : NULL;
}

const char *vds_names_fmt(const vds_names *t, uint32_t v, char *buf, size_t size)
{
    const char *n = vds_names_get(t, v);
    if (n)
        return n;
    snprintf(buf, size, "%u", v);
    return buf;
}

bool vds_names_find(const vds_names *t, const char *name, uint32_t *out)
{
    for (size_t i = 0; i < t->count; i++) {
        if (t->names[i] && strcmp(t->names[i], name) == 0) {
            *out = (uint32_t)i;
            return true;
        }
    }
    if (name[0] >= '0' && name[0] <= '9') {
        char *end;
        unsigned long long v = strtoull(name, &end, 0);
        if (*end == '\0' && v <= UINT32_MAX) {
            *out = (uint32_t)v;
            return true;
        }
    }
    return false;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    g_autofree size_t *row = g_new(size_t, lb + 1);

    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t best = MIN(row[j] + 1, row[j - 1] + 1);
            row[j] = MIN(best, sub);
            prev = cur;
        }
    }
    return row[lb];
}

const char *vds_names_suggest(const vds_names *t, const char *name)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;

    for (size_t i = 0; i < t->count; i++) {
        if (!t->names[i])
            continue;
        size_t d = edit_distance(name, t->names[i]);
        if (d < best_d) {
            best_d = d;
            best = t->names[i];
        }
    }
    /* close enough: at most a third of the word wrong */
    return best && best_d * 3 <= strlen(name) + 2 ? best : NULL;
}
