/* Captures: pcap and pcapng files (libpcap) read into TCP connections whose
 * two byte streams are reassembled (out of order, retransmitted and
 * overlapping segments put in place; what never came is a gap with the
 * frames around it), and SPICE sessions found in them by their link: the
 * messages of the main and inputs channels as trace events, the agent's
 * messages reassembled from AGENT_DATA by the agent codec. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* A capture file is at most this large (a generous field capture). */
#define VDS_CAPTURE_MAX_BYTES (4ull << 30)

/* One direction of a TCP connection, reassembled. */
typedef struct vds_tcp_stream {
    GByteArray *data; /* the bytes in order; what is missing is zero-filled */
    GArray *segs;     /* vds_tcp_mark, by offset: where each frame's bytes start */
    GArray *gaps;     /* vds_tcp_gap: byte ranges no frame carried */
    bool from_start;  /* the SYN was captured: offset 0 is the first byte */
} vds_tcp_stream;

typedef struct vds_tcp_mark {
    uint64_t off;
    uint32_t len;
    uint64_t frame; /* 1-based frame number in the capture */
    uint64_t t_ns;  /* capture time */
} vds_tcp_mark;

typedef struct vds_tcp_gap {
    uint64_t off, len;
    uint64_t frame_before, frame_after; /* the frames around it (0: none) */
} vds_tcp_gap;

typedef struct vds_tcp_conn {
    char *client, *server; /* "ADDR:PORT"; client is who sent the SYN (or the first frame) */
    vds_tcp_stream to_server, to_client;
    uint64_t first_frame;
} vds_tcp_conn;

/* An empty connection (layers that rebuild streams make them); free with
 * vds_tcp_conn_free. */
vds_tcp_conn *vds_tcp_conn_new(const char *client, const char *server, uint64_t first_frame);
void vds_tcp_conn_free(vds_tcp_conn *c);

typedef struct vds_capture {
    char *path;
    int linktype;     /* DLT_* */
    uint64_t frames;  /* frames read */
    uint64_t not_tcp; /* frames that were not TCP over IPv4/IPv6 */
    GPtrArray *conns; /* vds_tcp_conn*, by first frame */
    char *note;       /* a truncated file: where reading stopped, or NULL */
    char *cut;        /* frames cut short by the capture's snap length: how many, or NULL */
} vds_capture;

/* Read path into c (clear with vds_capture_clear). -1 with a located error
 * ("capture.pcap: frame 12: ...") for a file that is not a capture, a link
 * type vdsim does not read, or a truncated file (what was read before it is
 * kept and the error says so only when nothing was). */
int vds_capture_read(const char *path, vds_capture *c, vds_err *err);
/* The same from bytes in memory (the fuzz target). */
int vds_capture_read_mem(const char *name, const uint8_t *data, size_t len, vds_capture *c,
                         vds_err *err);
void vds_capture_clear(vds_capture *c);
/* Whether path starts like a pcap or pcapng file: only a sniff, to point a
 * command that reads something else at the ones that read captures. */
bool vds_capture_file_sniff(const char *path);

/* The frame and time of the byte at off of s (the frame that carried it, or
 * the last one before it). */
const vds_tcp_mark *vds_tcp_stream_mark(const vds_tcp_stream *s, uint64_t off);
/* The gap that overlaps [off, off + len), or NULL. */
const vds_tcp_gap *vds_tcp_stream_gap(const vds_tcp_stream *s, uint64_t off, uint64_t len);
/* Whether s holds all of [off, off + len): captured, and no gap in it. */
bool vds_tcp_stream_have(const vds_tcp_stream *s, uint64_t off, uint64_t len);
/* The frame number of the byte at off (see vds_tcp_stream_mark), 0 when none. */
uint64_t vds_tcp_stream_frame(const vds_tcp_stream *s, uint64_t off);
