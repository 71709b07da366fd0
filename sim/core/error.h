/* Located errors: a code, where it happened and a message that quotes values. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define VDS_ERR_LOC_MAX 256
#define VDS_ERR_MSG_MAX 512

typedef enum vds_err_code {
    VDS_ERR_NONE = 0,
    VDS_ERR_USAGE,    /* bad arguments */
    VDS_ERR_IO,       /* a file or socket failed */
    VDS_ERR_PARSE,    /* malformed input: bytes, JSON, YAML */
    VDS_ERR_LIMIT,    /* a bounded buffer or size limit was hit */
    VDS_ERR_PROTOCOL, /* a peer broke the protocol */
    VDS_ERR_MISMATCH, /* a comparison found a difference */
} vds_err_code;

typedef struct vds_err {
    vds_err_code code;
    char loc[VDS_ERR_LOC_MAX]; /* "file:line:col", "byte 0x1c", "trace.jsonl:42" or "" */
    char msg[VDS_ERR_MSG_MAX];
} vds_err;

/* Fill err (may be NULL) with code, location and message. Always returns -1 so
 * callers can write `return vds_err_set(...)`. */
int vds_err_set(vds_err *err, vds_err_code code, const char *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int vds_err_setv(vds_err *err, vds_err_code code, const char *loc, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Prefix err's location with "outer" ("file.bin" + "byte 0x10" -> "file.bin: byte 0x10"). */
void vds_err_prefix_loc(vds_err *err, const char *outer);

/* "loc: msg" or "msg" into a caller buffer; returns buf. */
const char *vds_err_str(const vds_err *err, char *buf, size_t size);

void vds_err_clear(vds_err *err);
