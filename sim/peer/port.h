/* The server end of the agent's virtio port, as spice-server plays it:
 * client messages on port 1, its own on port 2, chunks <= 2048 bytes, and
 * reassembly of whatever the agent writes. Runs on the caller's GLib context. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/error.h"
#include "proto/agent-chunk.h"

typedef struct vds_port vds_port;

typedef struct vds_port_events {
    /* One message from the agent; t_ns is the clock at the read that completed it. */
    void (*message)(void *user, uint64_t t_ns, const vds_chunk_msg *msg);
    /* The agent closed the port, or its bytes broke the framing (err set). */
    void (*closed)(void *user, uint64_t t_ns, const vds_err *err);
} vds_port_events;

/* Wrap a connected socket fd (taken: closed by vds_port_free). ev/user borrowed. */
vds_port *vds_port_new(int fd, GMainContext *ctx, const vds_port_events *ev, void *user);
void vds_port_free(vds_port *p);
bool vds_port_is_open(const vds_port *p);

/* Send one whole VDAgentMessage as chunks of at most max_chunk on port
 * (VDS_AGENT_MAX_CHUNK like spice-server). Blocks until written; -1 when the
 * port is gone. *t_ns gets the time the first byte went out. */
int vds_port_send(vds_port *p, uint32_t port, const uint8_t *msg, size_t len, uint64_t *t_ns,
                  vds_err *err);
/* Write bytes as they are (fault injection). */
int vds_port_write_raw(vds_port *p, const uint8_t *data, size_t len, vds_err *err);
/* Read what the port holds now, without waiting, exactly as its watch would
 * (a vds_loop_pump_fn; port is a vds_port *). True when it took bytes or saw
 * the port close. */
bool vds_port_pump(void *port);
/* Bytes written so far: the stream offset of the next chunk. */
uint64_t vds_port_tx_offset(const vds_port *p);
