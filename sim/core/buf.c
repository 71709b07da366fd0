#include "core/buf.h"

void vds_buf_init(vds_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void vds_buf_clear(vds_buf *b)
{
    g_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int vds_buf_reserve(vds_buf *b, size_t n, vds_err *err)
{
    size_t want;

    if (n > b->max || b->len > b->max - n)
        return vds_err_set(err, VDS_ERR_LIMIT, NULL,
                           "buffer limit exceeded: %zu + %zu bytes > limit %zu", b->len, n, b->max);
    want = b->len + n;
    if (want <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap = cap > b->max / 2 ? b->max : cap * 2;
    b->data = g_realloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int vds_buf_reserve_exact(vds_buf *b, size_t n, vds_err *err)
{
    if (n > b->max || b->len > b->max - n)
        return vds_buf_reserve(b, n, err); /* the located limit error */
    if (b->len + n > b->cap) {
        b->data = g_realloc(b->data, b->len + n);
        b->cap = b->len + n;
    }
    return 0;
}

uint8_t *vds_buf_steal(vds_buf *b, size_t *len)
{
    uint8_t *d = b->data;
    *len = b->len;
    vds_buf_init(b, b->max);
    return d;
}

int vds_buf_append(vds_buf *b, const void *p, size_t n, vds_err *err)
{
    if (vds_buf_reserve(b, n, err) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

uint8_t *vds_buf_extend(vds_buf *b, size_t n, vds_err *err)
{
    if (vds_buf_reserve(b, n, err) < 0)
        return NULL;
    b->len += n;
    return b->data + b->len - n;
}

void vds_buf_consume(vds_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}
