/* The real libspice-server, embedded and driven from vdsim's GLib loop
 * (protocol-reference 5, 10.2): a "vdagent" char device whose other end is
 * the agent's port, the minimal QXL that client mouse mode needs, noauth or a
 * ticket, loopback TCP, a unix socket, or TLS. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "proto/agent-chunk.h"

typedef struct vds_spice_server vds_spice_server;

typedef struct vds_spice_server_opts {
    const char *host;      /* listen address; NULL: 127.0.0.1 */
    unsigned port;         /* plain TCP port; 0: a free one */
    const char *unix_path; /* listen on this unix socket instead of TCP */
    bool tls;              /* also listen with TLS (files below), on tls_port */
    unsigned tls_port;     /* 0: a free one */
    const char *ca_file, *cert_file, *key_file;
    const char *password; /* NULL: no authentication (the ticket is still checked) */
    bool no_qxl;          /* leave out the QXL instance: no client mouse mode */
} vds_spice_server_opts;

typedef struct vds_spice_server_events {
    /* A whole message the server wrote to the agent, reassembled from the
       char device's chunks: what the agent received. msg borrowed. */
    void (*to_agent)(void *user, uint64_t t_ns, const vds_chunk_msg *msg);
    /* The agent's port attached (true) or went away (false). */
    void (*agent)(void *user, bool attached);
    /* spice-server logged something ("token violation", a refused client),
       on vdsim's loop thread; NULL: GLib's default handler prints it. */
    void (*log)(void *user, uint64_t t_ns, GLogLevelFlags level, const char *message);
} vds_spice_server_events;

/* Start the server on ctx (borrowed). opts, ev and user are borrowed for its
 * life. NULL with err when it cannot listen or initialise. */
vds_spice_server *vds_spice_server_new(GMainContext *ctx, const vds_spice_server_opts *opts,
                                       const vds_spice_server_events *ev, void *user, vds_err *err);
void vds_spice_server_free(vds_spice_server *s);
/* The ports it listens on (after "0: a free one"). */
unsigned vds_spice_server_port(const vds_spice_server *s);
unsigned vds_spice_server_tls_port(const vds_spice_server *s);
/* Connect the agent's end of the port (fd taken, closed on EOF or free):
 * the vdagent char device is added, and removed again on EOF. -1 when an
 * agent is already attached (fd closed then too). */
int vds_spice_server_attach_agent(vds_spice_server *s, int fd, vds_err *err);
bool vds_spice_server_agent_attached(const vds_spice_server *s);
/* The libspice-server version built in, "0.15.1". Static string. */
const char *vds_spice_server_version(void);
