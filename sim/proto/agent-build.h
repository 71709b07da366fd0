/* Inside proto/: what the families' build functions share to read named
 * fields (agent-build.c), and the macros that keep each build short. */
#pragma once

#include "proto/agent.h"

typedef struct vds_field_ctx {
    const char *msg;  /* message name, for errors */
    const char *path; /* "" or "monitors[1]." */
    vds_err *err;
} vds_field_ctx;

/* Set err to "MSG: field 'PATHkey': what". Returns -1. */
int vds_field_bad(const vds_field_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Every member of f must be one of allowed. */
int vds_field_only(JsonObject *f, const char *const *allowed, const vds_field_ctx *c);
/* A number, or a name from names. Absent: def, or an error when required. */
int vds_field_num(JsonObject *f, const char *key, const vds_names *names, int64_t min, int64_t max,
                  int64_t def, bool required, int64_t *out, const vds_field_ctx *c);
/* A list of bit names (or one number) into a mask. */
int vds_field_bits(JsonObject *f, const char *key, const vds_names *names, uint32_t *out,
                   const vds_field_ctx *c);
/* Bytes from a string (its UTF-8), {"hex": ...}, or the context's payload. */
int vds_field_bytes(JsonObject *f, const char *key, const vds_build_ctx *ctx, uint8_t **data,
                    size_t *len, const vds_field_ctx *c);
/* The selection prefix: given, or as the caps say. */
int vds_field_sel(JsonObject *f, const vds_build_ctx *ctx, vds_clip_sel *s, const vds_field_ctx *c);

/* A u32 field into dst (in a build function: f and c in scope). */
#define U32(key, names, def, req, dst)                                         \
    do {                                                                       \
        int64_t v_ = 0;                                                        \
        if (vds_field_num(f, key, names, 0, UINT32_MAX, def, req, &v_, c) < 0) \
            return -1;                                                         \
        (dst) = (uint32_t)v_;                                                  \
    } while (0)

/* The field names a family reads (and describe() writes). */
#define VDS_FIELDS(fam, ...) const char *const vds_##fam##_fields[] = {__VA_ARGS__, NULL}
/* The start of a build function: its field context c, unknown names refused. */
#define VDS_BUILD_BEGIN(fam)                                                   \
    vds_field_ctx cc = {vds_agent_desc_get(m->type)->name, "", err}, *c = &cc; \
    if (vds_field_only(f, vds_##fam##_fields, c) < 0)                          \
    return -1
