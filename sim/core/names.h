/* Stable kebab-case names for wire enums, kept in designated-initializer
 * tables indexed by the wire value (holes are NULL). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vds_names {
    const char *what;         /* "capability", "clipboard type": used in error messages */
    const char *const *names; /* indexed by value; NULL = no name */
    size_t count;
} vds_names;

#define VDS_NAMES(what_, table_)                                \
    {                                                           \
        (what_), (table_), sizeof(table_) / sizeof((table_)[0]) \
    }

/* The name of v, or NULL when v has none (borrowed, static). */
const char *vds_names_get(const vds_names *t, uint32_t v);
/* The name of v, or "<what>-<v>" formatted into buf for values without one. */
const char *vds_names_fmt(const vds_names *t, uint32_t v, char *buf, size_t size);
/* Look a name up (also accepts a plain decimal or 0x number). */
bool vds_names_find(const vds_names *t, const char *name, uint32_t *out);
/* The closest known name for a misspelling, or NULL when nothing is close. */
const char *vds_names_suggest(const vds_names *t, const char *name);
