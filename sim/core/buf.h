/* Bounded growable byte buffers and little-endian accessors. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

typedef struct vds_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* hard limit on len; appends past it fail with VDS_ERR_LIMIT */
} vds_buf;

/* Initialise an empty buffer that may grow to max bytes. No allocation yet. */
void vds_buf_init(vds_buf *b, size_t max);
/* Free the storage; the buffer may be re-used after vds_buf_init(). */
void vds_buf_clear(vds_buf *b);
/* Forget the content, keep the storage. */
static inline void vds_buf_reset(vds_buf *b)
{
    b->len = 0;
}

/* Make room for n more bytes. -1 with VDS_ERR_LIMIT when len + n > max. */
int vds_buf_reserve(vds_buf *b, size_t n, vds_err *err);
/* The same, but grow to exactly len + n when growing at all: for a buffer
 * whose final size is known (a message whose header gave its length). */
int vds_buf_reserve_exact(vds_buf *b, size_t n, vds_err *err);
/* Take the storage (returned, g_free; *len gets the bytes used): the buffer
 * is left empty with its limit, as after vds_buf_init(). */
uint8_t *vds_buf_steal(vds_buf *b, size_t *len);
int vds_buf_append(vds_buf *b, const void *p, size_t n, vds_err *err);
/* Append n bytes and return a pointer to them (borrowed; valid until the next
 * append), or NULL with err set. */
uint8_t *vds_buf_extend(vds_buf *b, size_t n, vds_err *err);
/* Drop the first n bytes. */
void vds_buf_consume(vds_buf *b, size_t n);

static inline uint16_t vds_get_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_LE(v);
}
static inline uint32_t vds_get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_LE(v);
}
static inline uint64_t vds_get_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_LE(v);
}
static inline void vds_put_u16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, 2);
}
static inline void vds_put_u32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}
static inline void vds_put_u64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, 8);
}
