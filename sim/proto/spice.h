/* SPICE wire pieces: link messages, data headers, and a table of main,
 * inputs and common channel message bodies (protocol-reference 2-4). */
#pragma once

#include <json-glib/json-glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/names.h"

#define VDS_SPICE_LINK_HDR_SIZE   16u
#define VDS_SPICE_LINK_MESS_SIZE  18u
#define VDS_SPICE_LINK_REPLY_SIZE 178u
#define VDS_SPICE_PUBKEY_SIZE     162u
#define VDS_SPICE_MINI_HDR_SIZE   6u
#define VDS_SPICE_FULL_HDR_SIZE   18u
#define VDS_SPICE_MAX_CAPS        1024u /* spice-server refuses more words */

typedef struct vds_spice_link_hdr {
    uint32_t magic, major, minor, size;
} vds_spice_link_hdr;

typedef struct vds_spice_caps {
    uint32_t n_common, n_channel;
    uint32_t *common;  /* owned */
    uint32_t *channel; /* owned */
} vds_spice_caps;

typedef struct vds_spice_link_mess {
    uint32_t connection_id;
    uint8_t channel_type, channel_id;
    vds_spice_caps caps;
} vds_spice_link_mess;

typedef struct vds_spice_link_reply {
    uint32_t error;
    uint8_t pub_key[VDS_SPICE_PUBKEY_SIZE];
    vds_spice_caps caps;
} vds_spice_link_reply;

void vds_spice_caps_clear(vds_spice_caps *c);
bool vds_spice_caps_has(const uint32_t *words, uint32_t n, unsigned bit);

/* 16-byte link header. Decode checks magic "REDQ" and major 2. */
int vds_spice_link_hdr_decode(const uint8_t *p, size_t len, vds_spice_link_hdr *h, vds_err *err);
int vds_spice_link_hdr_encode(uint32_t body_size, vds_buf *out, vds_err *err);

/* Link message body (after the header). Caps are copied into m (clear with
 * vds_spice_caps_clear). Bounds: caps must lie inside len, <= 1024 words. */
int vds_spice_link_mess_decode(const uint8_t *p, size_t len, vds_spice_link_mess *m, vds_err *err);
/* Appends header + body. */
int vds_spice_link_mess_encode(const vds_spice_link_mess *m, vds_buf *out, vds_err *err);
int vds_spice_link_reply_decode(const uint8_t *p, size_t len, vds_spice_link_reply *r,
                                vds_err *err);
int vds_spice_link_reply_encode(const vds_spice_link_reply *r, vds_buf *out, vds_err *err);

typedef struct vds_spice_data_hdr {
    uint64_t serial; /* 0 with the mini header */
    uint16_t type;
    uint32_t size;
    uint32_t sub_list;
} vds_spice_data_hdr;

/* mini: 6 bytes (u16 type, u32 size); full: 18 bytes (u64 serial, u16, u32, u32). */
int vds_spice_data_hdr_decode(const uint8_t *p, size_t len, bool mini, vds_spice_data_hdr *h,
                              vds_err *err);
int vds_spice_data_hdr_encode(const vds_spice_data_hdr *h, bool mini, vds_buf *out, vds_err *err);

extern const vds_names vds_spice_link_err_names;
extern const vds_names vds_spice_channel_names;

/* --- message bodies ----------------------------------------------------- */

typedef enum vds_spice_side {
    VDS_SPICE_FROM_SERVER = 0, /* SPICE_MSG_* */
    VDS_SPICE_FROM_CLIENT = 1, /* SPICE_MSGC_* */
} vds_spice_side;

typedef enum vds_field_kind {
    VDS_F_END = 0,
    VDS_F_U8,
    VDS_F_U16,
    VDS_F_U32,
    VDS_F_U64,
    VDS_F_I32,
    VDS_F_UUID,       /* 16 raw bytes, shown as hex */
    VDS_F_REST,       /* all remaining bytes (agent data, padding, scancodes) */
    VDS_F_LEN_STRING, /* u32 length then that many bytes (NAME, NOTIFY text) */
    VDS_F_CHANNELS,   /* u32 count then {u8 type, u8 id}[count] */
} vds_field_kind;

typedef struct vds_field {
    vds_field_kind kind;
    const char *name;
} vds_field;

#define VDS_SPICE_MAX_FIELDS 9

typedef struct vds_spice_msg_desc {
    const char *name;
    vds_field fields[VDS_SPICE_MAX_FIELDS]; /* ends at VDS_F_END */
} vds_spice_msg_desc;

/* The descriptor for a message on a channel, or NULL when unknown. Borrowed. */
const vds_spice_msg_desc *vds_spice_msg_desc_get(uint8_t channel, vds_spice_side side,
                                                 uint16_t type);
/* Reverse lookup by name; -1 when unknown. */
int vds_spice_msg_type_find(uint8_t channel, vds_spice_side side, const char *name);

/* Check body against its layout and describe its fields as members of the
 * object being built. Fails (builder untouched) with a located error when the
 * body is short or has bytes left over. */
int vds_spice_msg_describe(uint8_t channel, vds_spice_side side, uint16_t type, const uint8_t *body,
                           size_t len, JsonBuilder *b, vds_err *err);
/* Encode a body from a JSON object with the layout's field names (the inverse
 * of describe). Missing fields are an error that names them. */
int vds_spice_msg_encode(uint8_t channel, vds_spice_side side, uint16_t type, JsonObject *fields,
                         vds_buf *out, vds_err *err);
