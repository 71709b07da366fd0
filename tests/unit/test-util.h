/* Small helpers shared by the unit tests (header-only, static). */
#pragma once

#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the above first */
#include <cmocka.h>

#include "core/buf.h"
#include "core/hex.h"

/* Bytes of a hex string (spaces and '|' allowed); fails the test on bad hex. */
static inline GBytes *hex_bytes(const char *hex)
{
    vds_buf b;
    vds_err err = {0};
    vds_buf_init(&b, 1u << 30);
    if (vds_hex_decode(hex, &b, &err) < 0)
        fail_msg("bad hex in test: %s", err.msg);
    GBytes *out = g_bytes_new(b.data, b.len);
    vds_buf_clear(&b);
    return out;
}

/* Path of a fixture file (new string). */
static inline char *fixture_path(const char *rel)
{
    const char *dir = g_getenv("VDS_FIXTURES");
    return g_build_filename(dir ? dir : VDS_SOURCE_DIR "/fixtures", rel, NULL);
}

static inline GBytes *fixture_bytes(const char *rel)
{
    g_autofree char *path = fixture_path(rel);
    char *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        fail_msg("missing fixture %s (re-record with tools/capture-fixtures)", path);
    return g_bytes_new_take(data, len);
}

#define assert_str_contains(hay, needle)                                           \
    do {                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                    \
        if (!h_ || !strstr(h_, n_))                                                \
            fail_msg("expected \"%s\" to contain \"%s\"", h_ ? h_ : "(null)", n_); \
    } while (0)
