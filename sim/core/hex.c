#include "core/hex.h"

#include <glib.h>

char *vds_hex_encode(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = g_malloc(n * 2 + 1);

    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[n * 2] = '\0';
    return s;
}

int vds_hex_decode(const char *s, vds_buf *out, vds_err *err)
{
    int hi = -1;

    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '|' || c == ':')
            continue;
        int v = g_ascii_xdigit_value(c);
        if (v < 0)
            return vds_err_set(err, VDS_ERR_PARSE, NULL, "bad hex digit '%c' at character %zu", c,
                               i);
        if (hi < 0) {
            hi = v;
            continue;
        }
        uint8_t byte = (uint8_t)(hi << 4 | v);
        if (vds_buf_append(out, &byte, 1, err) < 0)
            return -1;
        hi = -1;
    }
    if (hi >= 0)
        return vds_err_set(err, VDS_ERR_PARSE, NULL, "odd number of hex digits");
    return 0;
}
