/* Hex encoding for traces and fixtures. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Returns a new NUL-terminated lower-case hex string; free with g_free(). */
char *vds_hex_encode(const uint8_t *p, size_t n);
/* Decode hex (whitespace and '|' separators allowed) and append to out.
 * Errors name the character offset of the first bad digit. */
int vds_hex_decode(const char *s, vds_buf *out, vds_err *err);
