/* VDIChunkHeader framing: bytes -> chunks -> per-port VDAgentMessages, and
 * messages -> chunks the way real peers require. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define VDS_CHUNK_PORTS 3u /* ports 0..2 are accepted, as by spice-vdagentd */

typedef struct vds_chunk_limits {
    uint32_t max_chunk; /* largest chunk payload accepted (2048 into vdagentd; agents write more) */
    uint32_t max_msg;   /* largest message (header + data) reassembled per port */
} vds_chunk_limits;

/* Limits for reading what the host writes into the agent: vdagentd's rules. */
extern const vds_chunk_limits vds_chunk_limits_to_agent;
/* Limits for reading what the agent writes: one chunk per message, any size. */
extern const vds_chunk_limits vds_chunk_limits_from_agent;

/* One reassembled message. All pointers are borrowed until the callback returns. */
typedef struct vds_chunk_msg {
    uint32_t port;
    const uint8_t *bytes; /* the VDAgentMessage: 20-byte header + data */
    size_t len;
    uint64_t offset; /* stream offset of the first chunk header carrying it */
    uint32_t n_chunks;
    vds_buf *store; /* the reader's buffer holding bytes, or NULL */
} vds_chunk_msg;

/* Keep a delivered message past its callback: a new GBytes. A large one
 * takes the reader's buffer instead of copying it (one copy of a 16 MiB
 * clipboard, not two); a small one is copied so the buffer stays warm. */
GBytes *vds_chunk_msg_take(const vds_chunk_msg *m);

typedef void (*vds_chunk_msg_fn)(void *user, const vds_chunk_msg *msg);

typedef struct vds_chunk_reader vds_chunk_reader;

/* Returns a new reader; free with vds_chunk_reader_free(). fn/user borrowed. */
vds_chunk_reader *vds_chunk_reader_new(const vds_chunk_limits *limits, vds_chunk_msg_fn fn,
                                       void *user);
void vds_chunk_reader_free(vds_chunk_reader *r);

/* Feed any number of bytes (one at a time works). Messages are delivered as
 * they complete. On a framing error returns -1 with err located at the stream
 * byte ("byte 0x1c") and the reader refuses further input until reset. */
int vds_chunk_reader_feed(vds_chunk_reader *r, const uint8_t *data, size_t len, vds_err *err);
/* At end of stream: -1 when a chunk or message is incomplete, saying which. */
int vds_chunk_reader_finish(vds_chunk_reader *r, vds_err *err);
/* Forget partial state for one port (CLIENT_DISCONNECTED resets port 1). */
void vds_chunk_reader_reset_port(vds_chunk_reader *r, uint32_t port);
/* Bytes consumed so far. */
uint64_t vds_chunk_reader_offset(const vds_chunk_reader *r);

/* Append msg (len bytes, a whole VDAgentMessage) to out as chunks of at most
 * max_chunk payload bytes on port; max_chunk 0 writes one chunk (what the
 * agent does). max_chunk must be >= 20 so the first chunk holds the header. */
int vds_chunk_write(uint32_t port, const uint8_t *msg, size_t len, uint32_t max_chunk, vds_buf *out,
                    vds_err *err);
