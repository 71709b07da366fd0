/* SPICE over WebSocket: web clients (spice-html5 and those built on it)
 * reach spice-server >= 0.14.2 on its own port, or go through websockify.
 * Such a connection starts with an HTTP upgrade and carries SPICE's bytes
 * in WebSocket frames (RFC 6455). This layer reads the upgrade and takes
 * the frames off: what is left is the connection a plain SPICE client
 * would have made, every byte still carrying the capture frame and time it
 * came in, every gap where it was. */
#pragma once

#include <stdbool.h>

#include "trace/capture.h"

/* How far into a stream the upgrade's HTTP head may go. */
#define VDS_WS_HEAD_MAX 16384

/* Whether conn's client opens with an HTTP request that asks to upgrade to
 * WebSocket. */
bool vds_ws_is_upgrade(const vds_tcp_conn *conn);

/* conn (borrowed) without its WebSocket: a new connection (free with
 * vds_tcp_conn_free) whose streams are the frames' payloads. NULL with
 * *why (new) when there is nothing to unwrap: the server refused the
 * upgrade (its status line quoted), or a head is not there whole. *note
 * (new, or NULL) says where a direction stopped early: a gap inside a frame
 * header loses the framing, compressed frames (permessage-deflate) cannot
 * be read; what came before is kept. */
vds_tcp_conn *vds_ws_unwrap(const vds_tcp_conn *conn, char **note, char **why);
