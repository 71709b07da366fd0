/* What SPICE travels inside on its way to spice-server, taken off so that
 * the connection inside reads as plain SPICE:
 *  - a WebSocket (RFC 6455): web clients (spice-html5 and those built on
 *    it) reach spice-server >= 0.14.2 on its own port, or go through
 *    websockify. An HTTP upgrade, then SPICE's bytes in frames.
 *  - an HTTP proxy's CONNECT: spice-gtk with SPICE_PROXY (oVirt's and
 *    RHV's SPICE proxy). A CONNECT request and the proxy's answer, then
 *    plain SPICE.
 * Every byte inside keeps the capture frame and time it came in, every gap
 * stays where it was. */
#pragma once

#include <stdbool.h>

#include "trace/capture.h"

/* How far into a stream an HTTP head may go. */
#define VDS_TUNNEL_HEAD_MAX 16384

typedef enum vds_tunnel_kind {
    VDS_TUNNEL_NONE,
    VDS_TUNNEL_WEBSOCKET,
    VDS_TUNNEL_HTTP_CONNECT,
} vds_tunnel_kind;

/* What conn's client opens with: a WebSocket upgrade request, a CONNECT,
 * or neither (the request's head must be there whole). */
vds_tunnel_kind vds_tunnel_sniff(const vds_tcp_conn *conn);

/* conn (borrowed) without its tunnel of kind k: a new connection (free
 * with vds_tcp_conn_free) whose streams are what the tunnel carried. NULL
 * with *why (new) when there is nothing inside: the server or proxy
 * refused (its status line quoted), or a head is not there whole. *note
 * (new, or NULL) says where a direction stopped early: a gap inside a
 * WebSocket frame header loses the framing, compressed frames
 * (permessage-deflate) cannot be read; what came before is kept. *via
 * (new) says how SPICE went, for people: "over WebSocket", "through an
 * HTTP proxy (CONNECT 10.0.0.1:5900)". */
vds_tcp_conn *vds_tunnel_unwrap(const vds_tcp_conn *conn, vds_tunnel_kind k, char **via,
                                char **note, char **why);
