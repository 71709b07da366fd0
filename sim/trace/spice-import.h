/* SPICE sessions in a capture: channels found by their link (REDQ, the
 * connection id, channel type and id, the server's reply, whether the mini
 * header was negotiated), grouped into sessions by the id MAIN_INIT gives,
 * and turned into trace events: every main and inputs message as a "spice"
 * event, the agent's messages reassembled from AGENT_DATA as "agent" events.
 * Each event carries the frame its message started in. */
#pragma once

#include "trace/capture.h"

typedef struct vds_spice_session {
    unsigned index; /* 1-based, in the order the main channels appear */
    uint32_t id;    /* MAIN_INIT's session id, 0 when it did not come */
    char *via;      /* its main channel went through a tunnel: how ("over WebSocket"), or NULL */
    char *client, *server;
    uint64_t first_frame;
    uint64_t t0_ns;       /* capture time of its first frame: events count from it */
    GPtrArray *events;    /* JsonNode*: trace events in time order */
    GPtrArray *notes;     /* char*: gaps, channels left out, what could not be read */
    GHashTable *left_out; /* "main:ping" -> GUINT_TO_POINTER(count): messages not imported */
    GHashTable *payloads; /* JsonObject* (an event) -> GBytes*: the whole data of a clipboard
                             message its event describes by digest only */
    unsigned agent_messages, inputs_messages;
} vds_spice_session;

void vds_spice_session_free(vds_spice_session *s);

typedef struct vds_capture_sessions {
    GPtrArray *sessions; /* vds_spice_session* */
    GPtrArray *others;   /* char*: connections that are not SPICE in clear, and why */
} vds_capture_sessions;

/* The SPICE sessions in c (borrowed). Never fails on content: what cannot
 * be read is a note (a gap in a header, a TLS channel, a session without
 * its link). */
void vds_capture_sessions_find(const vds_capture *c, vds_capture_sessions *out);
void vds_capture_sessions_clear(vds_capture_sessions *out);
