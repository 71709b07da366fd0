/* vdsim's own SPICE client: the main channel (agent data with tokens,
 * slicing and reassembly) and the inputs channel (client-mode mouse), over
 * TCP, TLS or a unix socket (protocol-reference 2-4, 10.1). Event driven on
 * the caller's GLib context, so it can talk to a server in the same loop. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "proto/spice.h"

/* Where a SPICE server listens. */
typedef struct vds_spice_endpoint {
    char *host;        /* owned; TCP host, NULL with unix_path */
    unsigned port;     /* plain port, 0 for none */
    unsigned tls_port; /* TLS port, 0 for none */
    char *unix_path;   /* owned; a unix socket instead of TCP */
    char *ca_file;     /* owned; the CA that TLS certificates must chain to */
} vds_spice_endpoint;

/* Parse spice://HOST:PORT[?tls-port=N][&ca=FILE], spice://HOST?tls-port=N,
 * spice+unix://PATH. Fills ep (clear with vds_spice_endpoint_clear). */
int vds_spice_endpoint_parse(const char *uri, vds_spice_endpoint *ep, vds_err *err);
void vds_spice_endpoint_clear(vds_spice_endpoint *ep);
/* "127.0.0.1:5930", "127.0.0.1:5931 (tls)", "unix:/path". New string. */
char *vds_spice_endpoint_text(const vds_spice_endpoint *ep, bool tls);

typedef struct vds_spice_client vds_spice_client;

typedef struct vds_spice_client_events {
    /* A whole VDAgentMessage reassembled from AGENT_DATA; msg is the
       caller's (transfer full). n_pieces: how many AGENT_DATA carried it. */
    void (*agent_msg)(void *user, uint64_t t_ns, GBytes *msg, uint32_t n_pieces);
    /* Every SPICE message in (FROM_SERVER) and out (FROM_CLIENT); body borrowed. */
    void (*wire)(void *user, uint64_t t_ns, vds_spice_side side, uint8_t channel, uint16_t type,
                 const uint8_t *body, size_t len);
    /* The main channel went away: err says why (NULL: closed in order). */
    void (*closed)(void *user, uint64_t t_ns, const vds_err *err);
} vds_spice_client_events;

typedef struct vds_spice_client_opts {
    const vds_spice_endpoint *ep; /* borrowed for the client's life */
    bool tls;                     /* link to ep->tls_port */
    const char *password;         /* borrowed; NULL or "" for none. Never logged. */
    uint32_t announce_caps;       /* ANNOUNCE_CAPABILITIES{request=1} on agent start; 0: none */
    bool inputs;                  /* link the inputs channel too */
    bool client_mouse;            /* ask for client mouse mode when the server offers it */
} vds_spice_client_opts;

/* o, ev and user are borrowed for the client's life. Nothing is connected yet. */
vds_spice_client *vds_spice_client_new(GMainContext *ctx, const vds_spice_client_opts *o,
                                       const vds_spice_client_events *ev, void *user);
/* Link main (and inputs), run ctx until INIT arrived, the inputs channel is
 * up and the mouse mode settled, or deadline (clock ns). Errors name the
 * address and the reason: refused, bad magic, link error, closed early. */
int vds_spice_client_connect(vds_spice_client *c, uint64_t deadline, vds_err *err);
/* Close every channel; events stop. */
void vds_spice_client_disconnect(vds_spice_client *c);
void vds_spice_client_free(vds_spice_client *c);

bool vds_spice_client_linked(const vds_spice_client *c);
bool vds_spice_client_agent_connected(const vds_spice_client *c);
uint32_t vds_spice_client_tokens(const vds_spice_client *c);
/* Bytes of AGENT_DATA queued until the server returns tokens. */
size_t vds_spice_client_agent_queued(const vds_spice_client *c);
/* Current mouse mode (SPICE_MOUSE_MODE_*); 0 before INIT. */
uint32_t vds_spice_client_mouse_mode(const vds_spice_client *c);
/* Run ctx until the agent is connected, or deadline; false then. */
bool vds_spice_client_wait_agent(vds_spice_client *c, uint64_t deadline);

/* One VDAgentMessage to the agent: sliced into AGENT_DATA of <= 2048 bytes,
 * one token each, queued while tokens are 0. ignore_tokens sends anyway (to
 * show the server's reaction). *t_ns: when the first piece went out or was
 * queued. msg borrowed. */
int vds_spice_client_agent_send(vds_spice_client *c, const uint8_t *msg, size_t len,
                                bool ignore_tokens, uint64_t *t_ns, vds_err *err);
/* Inputs channel: an absolute position with SPICE button mask (client mode);
 * held back while 8 motions are unacknowledged (spice-gtk's window). */
int vds_spice_client_mouse_position(vds_spice_client *c, uint32_t x, uint32_t y, uint16_t buttons,
                                    uint8_t display, uint64_t *t_ns, vds_err *err);
int vds_spice_client_mouse_button(vds_spice_client *c, bool press, uint8_t button, uint16_t buttons,
                                  uint64_t *t_ns, vds_err *err);
/* Ask for a mouse mode (SPICE_MOUSE_MODE_*); for the rest of the session the
 * client no longer asks for client mode by itself. */
int vds_spice_client_mouse_mode_request(vds_spice_client *c, uint16_t mode, vds_err *err);
/* Hold the server's agent tokens (it stops reading the agent once its window
 * is spent), or give back what was held. */
int vds_spice_client_hold_tokens(vds_spice_client *c, bool hold, vds_err *err);
/* Has the main channel been closed (by the server, or never opened)? why gets
 * the reason the client saw, when there was one. */
bool vds_spice_client_closed(const vds_spice_client *c, vds_err *why);
/* A raw message on a linked channel (SPICE_CHANNEL_MAIN or _INPUTS). body borrowed. */
int vds_spice_client_send_raw(vds_spice_client *c, uint8_t channel, uint16_t type,
                              const uint8_t *body, size_t len, vds_err *err);
