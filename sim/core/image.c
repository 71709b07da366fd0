#include "core/image.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define IMAGE_SIDE_MAX 65535u

static int fail_at(vds_err *err, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(vds_err *err, size_t at, const char *fmt, ...)
{
    char loc[32];
    va_list ap;
    snprintf(loc, sizeof(loc), "byte %zu", at);
    va_start(ap, fmt);
    vds_err_setv(err, VDS_ERR_PARSE, loc, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int side(uint64_t v, size_t at, const char *name, uint32_t *out, vds_err *err)
{
    if (v == 0 || v > IMAGE_SIDE_MAX)
        return fail_at(err, at, "image %s %llu is not 1 to %u", name, (unsigned long long)v,
                       IMAGE_SIDE_MAX);
    *out = (uint32_t)v;
    return 0;
}

static int png_size(const uint8_t *d, size_t n, uint32_t *w, uint32_t *h, vds_err *err)
{
    /* the signature, then the first chunk must be IHDR: length 13, width, height */
    if (n < 24)
        return fail_at(err, n, "PNG header cut short before the IHDR size");
    if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return fail_at(err, 8, "PNG does not start with a 13-byte IHDR chunk");
    if (side(be32(d + 16), 16, "width", w, err) < 0)
        return -1;
    return side(be32(d + 20), 20, "height", h, err);
}

/* The next decimal number of a PPM header, after whitespace and # comments. */
static int ppm_number(const uint8_t *d, size_t n, size_t *at, const char *name, uint32_t *out,
                      vds_err *err)
{
    size_t i = *at;
    for (;;) {
        while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
            i++;
        if (i >= n || d[i] != '#')
            break;
        while (i < n && d[i] != '\n')
            i++;
    }
    if (i >= n)
        return fail_at(err, i, "PPM header cut short before its %s", name);
    if (d[i] < '0' || d[i] > '9')
        return fail_at(err, i, "PPM %s is not a number (0x%02x)", name, d[i]);
    size_t start = i;
    uint64_t v = 0;
    while (i < n && d[i] >= '0' && d[i] <= '9' && v <= IMAGE_SIDE_MAX)
        v = v * 10 + (uint64_t)(d[i++] - '0');
    if (i >= n)
        return fail_at(err, i, "PPM header cut short in its %s", name);
    *at = i;
    return side(v, start, name, out, err);
}

int vds_image_size(const uint8_t *d, size_t n, uint32_t *w, uint32_t *h, vds_err *err)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int rc;
    uint32_t maxval;
    size_t at = 2;
    if (n >= 8 && memcmp(d, png_sig, 8) == 0)
        rc = png_size(d, n, w, h, err);
    else if (n >= 2 && d[0] == 'P' && d[1] == '6')
        rc = ppm_number(d, n, &at, "width", w, err) < 0 ||
                     ppm_number(d, n, &at, "height", h, err) < 0 ||
                     ppm_number(d, n, &at, "maxval", &maxval, err) < 0
                 ? -1
                 : 0;
    else if (n == 0)
        rc = fail_at(err, 0, "no image bytes");
    else
        rc = fail_at(err, 0, "not a PNG or PPM (P6) image: starts with 0x%02x%s", d[0],
                     n > 1 ? "..." : "");
    if (rc < 0)
        *w = *h = 0;
    return rc;
}
