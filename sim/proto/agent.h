/* The SPICE agent protocol (spice/vd_agent.h): messages, verdicts, codec.
 *
 * One descriptor per VD_AGENT_* type (agent-msg.c) carries the stable name,
 * the directions it travels, the size rules of spice-common and of
 * spice-vdagentd 0.22.1, and the family's decode/encode/format functions.
 * Decoding validates first and then copies into a vds_agent_msg; it never
 * touches the input bytes, which traces keep verbatim. */
#pragma once

#include <json-glib/json-glib.h>
#include <spice/vd_agent.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/names.h"
#include "proto/format.h"

#define VDS_AGENT_HDR_SIZE  20u   /* sizeof(VDAgentMessage) */
#define VDS_CHUNK_HDR_SIZE  8u    /* sizeof(VDIChunkHeader) */
#define VDS_AGENT_MAX_CHUNK 2048u /* VD_AGENT_MAX_DATA_SIZE */

/* Layout-relevant capability bits (one word covers VD_AGENT_END_CAP today). */
#define VDS_CAP(bit) (1u << (bit))
/* What spice-vdagentd 0.22.1 and spice-gtk announce (protocol-reference 1.4). */
#define VDS_CAPS_VDAGENTD  0x00038de7u
#define VDS_CAPS_SPICE_GTK 0x00035077u

typedef enum vds_dir {
    VDS_DIR_TO_AGENT = 1 << 0,   /* host (client or server) -> agent */
    VDS_DIR_FROM_AGENT = 1 << 1, /* agent -> host */
} vds_dir;
#define VDS_DIR_BOTH (VDS_DIR_TO_AGENT | VDS_DIR_FROM_AGENT)

const char *vds_dir_name(vds_dir d); /* "to-agent" / "from-agent" */
bool vds_dir_parse(const char *s, vds_dir *out);

typedef enum vds_verdict {
    VDS_VERDICT_OK = 0,
    VDS_VERDICT_TRUNCATED,    /* fewer bytes than the header says, or a count runs past the end */
    VDS_VERDICT_BAD_PROTOCOL, /* protocol != 1 */
    VDS_VERDICT_UNKNOWN_TYPE, /* type 0 or >= VD_AGENT_END_MESSAGE */
    VDS_VERDICT_BAD_SIZE,     /* size rule of the type violated */
    VDS_VERDICT_BAD_DATA,     /* content invalid (e.g. empty device address) */
    VDS_VERDICT_IGNORED,      /* accepted but not acted on by the receiver */
} vds_verdict;

const char *vds_verdict_name(vds_verdict v);

/* The verdict on one whole message (header + data), from both references. */
typedef struct vds_agent_check {
    vds_verdict common;   /* spice-common agent_check_message() */
    vds_verdict vdagentd; /* spice-vdagentd 0.22.1 receiving it from the host */
    bool dir_ok;          /* the type travels in the checked direction */
    int missing_cap;      /* a cap the type needs that the layout caps lack, or -1 */
    char common_why[160]; /* reason, quoting values; "" when ok */
    char vdagentd_why[160];
} vds_agent_check;

/* Check msg (len bytes, starting at the 20-byte header) without side effects.
 * caps: the receiver's announced caps, which decide the conditional layouts. */
void vds_agent_check_msg(const uint8_t *msg, size_t len, uint32_t caps, vds_dir dir,
                         vds_agent_check *out);

/* --- decoded messages ---------------------------------------------------- */

typedef struct vds_mon {
    uint32_t height, width, depth;
    int32_t x, y;
} vds_mon;

typedef struct vds_mon_mm {
    uint16_t height, width;
} vds_mon_mm;

typedef struct vds_display_info {
    uint32_t channel_id, monitor_id, device_display_id;
    char *device_address;        /* owned, NUL-terminated copy */
    uint32_t device_address_len; /* as on the wire (includes the NUL) */
} vds_display_info;

/* Which optional prefixes a clipboard message carried. */
typedef struct vds_clip_sel {
    bool has_selection;
    uint8_t selection;
    uint8_t reserved[3];
} vds_clip_sel;

typedef struct vds_agent_msg {
    uint32_t protocol;
    uint32_t type;
    uint64_t opaque;
    uint32_t size; /* data bytes, as in the header */
    union {
        struct {
            uint32_t x, y, buttons;
            uint8_t display_id;
        } mouse;
        struct {
            uint32_t count, flags;
            vds_mon *mons;  /* owned, count entries */
            vds_mon_mm *mm; /* owned, count entries, only with FLAG_PHYSICAL_SIZE */
        } monitors;
        struct {
            uint32_t type, error;
        } reply;
        struct {
            vds_clip_sel sel;
            uint32_t type;
            uint8_t *data; /* owned */
            size_t len;
        } clipboard;
        struct {
            uint32_t flags, depth;
        } display_config;
        struct {
            uint32_t request;
            uint32_t *caps; /* owned */
            size_t n_words;
        } caps;
        struct {
            vds_clip_sel sel;
            bool has_serial;
            uint32_t serial;
            uint32_t *types; /* owned */
            size_t n_types;
        } grab;
        struct {
            vds_clip_sel sel;
            uint32_t type;
        } request;
        struct {
            vds_clip_sel sel;
            bool short_release; /* vdagentd's 1-byte RELEASE quirk */
        } release;
        struct {
            uint32_t id;
            char *keyfile; /* owned, NUL-terminated copy of the text */
            size_t len;
        } xfer_start;
        struct {
            uint32_t id, result;
            bool has_disk_free;
            uint64_t disk_free;
            bool has_error;
            uint8_t error_type;
            uint32_t error_code;
        } xfer_status;
        struct {
            uint32_t id;
            uint64_t size;
            uint8_t *data; /* owned */
            size_t len;
        } xfer_data;
        struct {
            int32_t max;
        } max_clipboard;
        struct {
            uint8_t is_playback, mute, nchannels;
            uint16_t *volume; /* owned, nchannels entries */
        } volume;
        struct {
            uint32_t count;
            vds_display_info *info; /* owned, count entries */
        } gdi;
    } u;
    uint8_t *trailing; /* owned: bytes past the type's layout (lenient types), or the
                          whole payload of an unknown type */
    size_t trailing_len;
    bool view; /* from vds_agent_decode_view: the blobs borrow the decoded bytes */
} vds_agent_msg;

/* Free what msg owns and zero it (msg itself is the caller's). */
void vds_agent_msg_clear(vds_agent_msg *msg);

/* Decode one whole message (20-byte header + data) into msg (which must be
 * zeroed or cleared). Fails with a located error when the bytes cannot be
 * read under the spice-common rules; unknown types decode with the payload in
 * msg->trailing. On failure msg holds nothing to free. */
int vds_agent_decode(const uint8_t *bytes, size_t len, uint32_t caps, vds_agent_msg *msg,
                     vds_err *err);
/* The same, except that the blobs (clipboard and file-xfer data, trailing
 * bytes) point into bytes, which must outlive msg: for describing a message
 * without a second copy of a large payload. Still cleared with
 * vds_agent_msg_clear(), which then leaves the blobs alone. */
int vds_agent_decode_view(const uint8_t *bytes, size_t len, uint32_t caps, vds_agent_msg *msg,
                          vds_err *err);

/* Append header + data for msg to out. msg->size is ignored and recomputed.
 * caps decide the conditional prefixes only through the has_* flags already in
 * msg; vds_agent_msg_apply_caps() sets those from caps. */
int vds_agent_encode(const vds_agent_msg *msg, vds_buf *out, vds_err *err);
/* Set the selection/serial prefixes a sender would include for a receiver with caps. */
void vds_agent_msg_apply_caps(vds_agent_msg *msg, uint32_t caps);

/* Describe msg's fields (not the header) as members of the JSON object being
 * built. The same description feeds traces, --verbose and failure messages. */
void vds_agent_describe(const vds_agent_msg *msg, JsonBuilder *b);

/* --- building messages from named fields (scenarios) --------------------- */

typedef struct vds_build_ctx {
    uint32_t caps;   /* receiver caps: decide the selection prefix and grab serial */
    GBytes *payload; /* when set, the data of clipboard / file-xfer-data (borrowed) */
} vds_build_ctx;

/* Build msg (zeroed by the call; clear with vds_agent_msg_clear) of type from
 * the fields describe() would write: the inverse of vds_agent_describe() for
 * everything describe shows in full. Unknown fields, wrong types and bad names
 * fail with a message naming the field path and the accepted values. */
int vds_agent_msg_build(uint32_t type, JsonObject *fields, const vds_build_ctx *ctx,
                        vds_agent_msg *msg, vds_err *err);

/* --- the descriptor table ---------------------------------------------- */
typedef struct vds_agent_desc vds_agent_desc;

struct vds_agent_desc {
    const char *name;    /* stable kebab-case name */
    unsigned dirs;       /* vds_dir bits it travels in practice */
    uint32_t min_size;   /* sizeof the fixed part, without prefixes */
    bool exact_common;   /* spice-common: size must equal min (else >= min) */
    bool exact_vdagentd; /* spice-vdagentd 0.22.1 */
    bool sel_prefix;     /* carries the 4-byte selection prefix with CLIPBOARD_SELECTION */
    bool serial_prefix;  /* carries the 4-byte grab serial with CLIPBOARD_GRAB_SERIAL */
    int needs_cap;       /* the receiver cap that makes the type meaningful, or -1 */
    /* What spice-common checks beyond sizes (counts that must fit in the
       message); NULL: nothing. A verdict, and the reason in why. */
    vds_verdict (*check)(const uint8_t *data, uint32_t size, char *why, size_t why_size);
    /* What spice-vdagentd 0.22.1 does beyond its size check, with a message
       that passed it: drop it (a verdict) or ignore it; NULL: takes it. */
    vds_verdict (*check_vdagentd)(const vds_agent_desc *d, const uint8_t *data, uint32_t size,
                                  char *why, size_t why_size);
    /* Set the layout the receiver's caps decide (prefixes); NULL: none. */
    void (*apply_caps)(vds_agent_msg *m, uint32_t caps);
    /* Free what decode or build allocated (not what a view borrows); NULL:
       owns nothing. */
    void (*clear)(vds_agent_msg *m);
    int (*decode)(const uint8_t *data, uint32_t size, uint32_t caps, vds_agent_msg *m,
                  vds_err *err);
    int (*encode)(const vds_agent_msg *m, vds_buf *out, vds_err *err);
    void (*describe)(const vds_agent_msg *m, JsonBuilder *b);
    /* the field names describe() writes and build() reads, NULL-terminated */
    const char *const *fields;
    int (*build)(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err);
};

/* The descriptor for type, or NULL for 0 and unknown types. Borrowed, static. */
const vds_agent_desc *vds_agent_desc_get(uint32_t type);
extern const vds_names vds_agent_type_names;

/* --- names of the protocol's enums (agent-names.c) --------------------- */
extern const vds_names vds_agent_cap_names;
extern const vds_names vds_clip_type_names;
extern const vds_names vds_clip_sel_names;
extern const vds_names vds_reply_error_names;
extern const vds_names vds_xfer_status_names;
extern const vds_names vds_button_names;        /* indexed by bit number */
extern const vds_names vds_monitors_flag_names; /* indexed by bit number */
extern const vds_names vds_display_flag_names;  /* indexed by bit number */
extern const vds_names vds_port_names;

/* Parse "mouse-state,reply,..." or "0x38de7" into a caps word. */
int vds_agent_caps_parse(const char *s, uint32_t *out, vds_err *err);

/* family entry points, used by the table */
#define VDS_FAMILY(fam)                                                                         \
    int vds_##fam##_decode(const uint8_t *data, uint32_t size, uint32_t caps, vds_agent_msg *m, \
                           vds_err *err);                                                       \
    int vds_##fam##_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err);                 \
    void vds_##fam##_describe(const vds_agent_msg *m, JsonBuilder *b);                          \
    int vds_##fam##_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m,            \
                          vds_err *err);                                                        \
    extern const char *const vds_##fam##_fields[]
VDS_FAMILY(mouse);
VDS_FAMILY(monitors);
VDS_FAMILY(reply);
VDS_FAMILY(clipboard);
VDS_FAMILY(display_config);
VDS_FAMILY(caps);
VDS_FAMILY(grab);
VDS_FAMILY(request);
VDS_FAMILY(release);
VDS_FAMILY(xfer_start);
VDS_FAMILY(xfer_status);
VDS_FAMILY(xfer_data);
VDS_FAMILY(disconnected);
VDS_FAMILY(max_clipboard);
VDS_FAMILY(volume);
VDS_FAMILY(gdi);
#undef VDS_FAMILY
