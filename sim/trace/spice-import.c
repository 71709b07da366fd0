#include "trace/spice-import.h"

#include <string.h>

#include "proto/agent.h"
#include "proto/spice.h"
#include "trace/trace.h"
#include "trace/tunnel.h"

#define TICKET_SIZE 128 /* RSA-1024 */
/* The largest agent message body an import reassembles. */
#define VDS_IMPORT_AGENT_MAX (256u << 20)

/* One channel: its link, and where its data messages start in each stream. */
typedef struct channel {
    const vds_tcp_conn *conn;
    uint8_t type, id;
    uint32_t connection_id;
    bool mini;
    uint64_t data_c, data_s; /* offsets of the first data message client -> server and back */
    char *via;               /* conn is inside a tunnel: how SPICE went ("over WebSocket") */
    char *tunnel_note;       /* where the tunnel stopped making sense, or NULL */
    bool joined;             /* it is one of a session's channels */
    char *why;               /* not readable: why (then it is a note) */
} channel;

/* The agent's stream in one direction: AGENT_DATA pieces into messages. */
typedef struct agent_stream {
    GByteArray *buf;
    uint32_t pieces;
    uint64_t frame; /* of the message's first piece */
} agent_stream;

typedef struct importer {
    vds_spice_session *s;
    agent_stream to_agent, from_agent;
    uint32_t host_caps, agent_caps; /* what decides layouts, from the announcements seen */
} importer;

void vds_spice_session_free(vds_spice_session *s)
{
    if (!s)
        return;
    g_free(s->client);
    g_free(s->via);
    g_free(s->server);
    g_ptr_array_unref(s->events);
    g_ptr_array_unref(s->notes);
    g_hash_table_unref(s->left_out);
    g_hash_table_unref(s->payloads);
    g_free(s);
}

void vds_capture_sessions_clear(vds_capture_sessions *out)
{
    if (out->sessions)
        g_ptr_array_unref(out->sessions);
    if (out->others)
        g_ptr_array_unref(out->others);
    memset(out, 0, sizeof(*out));
}

/* The link of conn: its channel, or why it has none it can read. */
static void read_link(const vds_tcp_conn *conn, channel *ch)
{
    const vds_tcp_stream *cs = &conn->to_server, *ss = &conn->to_client;
    const uint8_t *c = cs->data->data, *s = ss->data->data;
    vds_err e = {0};
    vds_spice_link_hdr h, hr;
    vds_spice_link_mess m = {0};
    vds_spice_link_reply r = {0};
    ch->conn = conn;
    if (cs->data->len >= 2 && c[0] == 0x16 && c[1] == 0x03) {
        ch->why = g_strdup("TLS: vdsim cannot read it (capture the plain port, or a session "
                           "that does not use TLS)");
        return;
    }
    if (!cs->from_start || cs->data->len < 4 || memcmp(c, "REDQ", 4) != 0) {
        ch->why = g_strdup(cs->from_start ? "not SPICE (no REDQ link)"
                                          : "started before the capture: no SYN, no link "
                                            "(start capturing before the client connects)");
        return;
    }
    if (!vds_tcp_stream_have(cs, 0, VDS_SPICE_LINK_HDR_SIZE) ||
        vds_spice_link_hdr_decode(c, cs->data->len, &h, &e) < 0 ||
        !vds_tcp_stream_have(cs, VDS_SPICE_LINK_HDR_SIZE, h.size) ||
        vds_spice_link_mess_decode(c + VDS_SPICE_LINK_HDR_SIZE, h.size, &m, &e) < 0) {
        ch->why = g_strdup_printf("its link message cannot be read (%s)",
                                  e.msg[0] ? e.msg : "a gap or the end of the capture");
        return;
    }
    ch->type = m.channel_type;
    ch->id = m.channel_id;
    ch->connection_id = m.connection_id;
    bool client_mini =
        vds_spice_caps_has(m.caps.common, m.caps.n_common, SPICE_COMMON_CAP_MINI_HEADER);
    vds_spice_caps_clear(&m.caps);
    if (!vds_tcp_stream_have(ss, 0, VDS_SPICE_LINK_HDR_SIZE) ||
        vds_spice_link_hdr_decode(s, ss->data->len, &hr, &e) < 0 ||
        !vds_tcp_stream_have(ss, VDS_SPICE_LINK_HDR_SIZE, hr.size) ||
        vds_spice_link_reply_decode(s + VDS_SPICE_LINK_HDR_SIZE, hr.size, &r, &e) < 0) {
        ch->why = g_strdup_printf("the server's link reply cannot be read (%s)",
                                  e.msg[0] ? e.msg : "a gap or the end of the capture");
        return;
    }
    bool sel = vds_spice_caps_has(r.caps.common, r.caps.n_common,
                                  SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    ch->mini = client_mini &&
               vds_spice_caps_has(r.caps.common, r.caps.n_common, SPICE_COMMON_CAP_MINI_HEADER);
    vds_spice_caps_clear(&r.caps);
    if (r.error != SPICE_LINK_ERR_OK) {
        ch->why = g_strdup_printf("the server refused the link: %s",
                                  vds_names_get(&vds_spice_link_err_names, r.error));
        return;
    }
    uint64_t at = VDS_SPICE_LINK_HDR_SIZE + h.size;
    if (sel) {
        if (!vds_tcp_stream_have(cs, at, 4) || vds_get_u32(c + at) != SPICE_COMMON_CAP_AUTH_SPICE) {
            ch->why = g_strdup("the client chose an authentication other than SPICE's ticket "
                               "(SASL): its data cannot be followed");
            return;
        }
        at += 4;
    }
    ch->data_c = at + TICKET_SIZE;
    ch->data_s = VDS_SPICE_LINK_HDR_SIZE + hr.size + 4; /* the link result */
    if (!vds_tcp_stream_have(ss, ch->data_s - 4, 4) ||
        vds_get_u32(s + ch->data_s - 4) != SPICE_LINK_ERR_OK)
        ch->why = g_strdup("the server did not accept the ticket (or the capture ends first)");
}

/* A data message of a channel, in place in its stream. */
typedef struct raw_msg {
    const channel *ch;
    bool from_client;
    uint16_t type;
    const uint8_t *body;
    uint32_t len;
    bool partial; /* some of its body fell in a gap (zeroes there) */
    uint64_t frame, t_ns;
    guint seq; /* its place among the session's messages as walked: ties keep it */
} raw_msg;

static void note(vds_spice_session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void note(vds_spice_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(s->notes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static const char *channel_name(uint8_t type)
{
    const char *n = vds_names_get(&vds_spice_channel_names, type);
    return n ? n : "channel";
}

/* Every data message of one direction of ch, into msgs. A header in a gap
   loses the framing: the rest of that direction is a note. */
static void walk(vds_spice_session *s, const channel *ch, bool from_client, GArray *msgs)
{
    const vds_tcp_stream *st = from_client ? &ch->conn->to_server : &ch->conn->to_client;
    size_t hl = ch->mini ? VDS_SPICE_MINI_HDR_SIZE : VDS_SPICE_FULL_HDR_SIZE;
    uint64_t off = from_client ? ch->data_c : ch->data_s;
    uint64_t last_t = 0; /* a message is not earlier than the one before it in its stream */
    vds_err e;
    while (off + hl <= st->data->len) {
        const vds_tcp_gap *g = vds_tcp_stream_gap(st, off, hl);
        vds_spice_data_hdr h;
        if (g || vds_spice_data_hdr_decode(st->data->data + off, hl, ch->mini, &h, &e) < 0) {
            note(s,
                 "%s channel %u, %s: %s at stream byte %" G_GUINT64_FORMAT
                 " (frames %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                 "): the rest of this direction is not imported",
                 channel_name(ch->type), ch->id,
                 from_client ? "client to server" : "server to client",
                 g ? "a gap in a message header" : e.msg, off,
                 g ? g->frame_before : vds_tcp_stream_frame(st, off),
                 g ? g->frame_after : vds_tcp_stream_frame(st, off));
            return;
        }
        if (off + hl + h.size > st->data->len)
            break; /* the capture ends inside it */
        const vds_tcp_mark *last = vds_tcp_stream_mark(st, off + hl + h.size - (h.size ? 1 : 0));
        last_t = MAX(last_t, last ? last->t_ns : 0);
        raw_msg m = {ch,
                     from_client,
                     h.type,
                     st->data->data + off + hl,
                     h.size,
                     vds_tcp_stream_gap(st, off + hl, h.size) != NULL,
                     vds_tcp_stream_frame(st, off),
                     last_t,
                     msgs->len};
        g_array_append_val(msgs, m);
        off += hl + h.size;
    }
}

static int cmp_raw(gconstpointer a, gconstpointer b)
{
    const raw_msg *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void add_event(importer *im, JsonNode *ev, uint64_t frame)
{
    json_object_set_int_member(json_node_get_object(ev), "frame", (gint64)frame);
    g_ptr_array_add(im->s->events, ev);
}

/* A clipboard message's data that its event can only describe by digest
   (VDS_TRACE_RAW_MAX): kept whole, so that a replay sends what the field sent. */
static void keep_payload(importer *im, JsonObject *ev, const GByteArray *msg, uint32_t caps)
{
    vds_agent_msg m;
    if (msg->len <= VDS_AGENT_HDR_SIZE + VDS_TRACE_RAW_MAX ||
        vds_get_u32(msg->data + 4) != VD_AGENT_CLIPBOARD ||
        vds_agent_decode_view(msg->data, msg->len, caps, &m, NULL) < 0)
        return;
    if (m.u.clipboard.len > VDS_TRACE_RAW_MAX)
        g_hash_table_insert(im->s->payloads, ev,
                            g_bytes_new(m.u.clipboard.data, m.u.clipboard.len));
    vds_agent_msg_clear(&m);
}

/* A whole agent message: its event, and the caps its announcements set. */
static void agent_message(importer *im, agent_stream *as, vds_dir dir, uint64_t t_ns)
{
    bool malformed;
    vds_chunk_msg cm = {VDP_CLIENT_PORT, as->buf->data, as->buf->len, 0, as->pieces, NULL};
    uint32_t caps = dir == VDS_DIR_TO_AGENT ? im->agent_caps : im->host_caps;
    JsonNode *ev = vds_trace_agent_event(t_ns - im->s->t0_ns, dir, &cm, caps, &malformed);
    add_event(im, ev, as->frame);
    im->s->agent_messages++;
    keep_payload(im, json_node_get_object(ev), as->buf, caps);
    vds_agent_msg m;
    if (as->buf->len >= VDS_AGENT_HDR_SIZE &&
        vds_get_u32(as->buf->data + 4) == VD_AGENT_ANNOUNCE_CAPABILITIES &&
        vds_agent_decode(as->buf->data, as->buf->len, caps, &m, NULL) == 0) {
        if (m.u.caps.n_words) { /* what the sender can, decides what the other side sends it */
            if (dir == VDS_DIR_TO_AGENT)
                im->host_caps = m.u.caps.caps[0];
            else
                im->agent_caps = m.u.caps.caps[0];
        }
        vds_agent_msg_clear(&m);
    }
}

/* Whether a piece can start an agent message: its protocol, a type the
   protocol has, a size within bounds. Clients and spice-server start each
   message in a piece of its own, so after a loss the stream picks up at
   the first piece that does. */
static bool starts_message(const uint8_t *p, uint32_t n)
{
    if (n < VDS_AGENT_HDR_SIZE || vds_get_u32(p) != VD_AGENT_PROTOCOL)
        return false;
    uint32_t type = vds_get_u32(p + 4), size = vds_get_u32(p + 16);
    return type > 0 && type < VD_AGENT_END_MESSAGE && size <= VDS_IMPORT_AGENT_MAX;
}

/* One AGENT_DATA piece: the agent's stream carries VDAgentMessages back to
   back, split into pieces of at most 2048 bytes. */
static void agent_piece(importer *im, const raw_msg *r, vds_dir dir)
{
    agent_stream *as = dir == VDS_DIR_TO_AGENT ? &im->to_agent : &im->from_agent;
    const char *way = dir == VDS_DIR_TO_AGENT ? "to the agent" : "from the agent";
    const uint8_t *p = r->body;
    uint32_t n = r->len;
    if (r->partial) { /* which messages it belonged to cannot be told */
        if (as->pieces != UINT32_MAX)
            note(im->s,
                 "agent data %s at frame %" G_GUINT64_FORMAT
                 " lost bytes in a gap: the message it carried is not imported, nor any until "
                 "a piece starts a message again",
                 way, r->frame);
        g_byte_array_set_size(as->buf, 0);
        as->pieces = UINT32_MAX; /* lost */
        return;
    }
    if (as->pieces == UINT32_MAX) {
        if (!starts_message(p, n))
            return;
        note(im->s, "agent data %s picks up again at frame %" G_GUINT64_FORMAT, way, r->frame);
        g_byte_array_set_size(as->buf, 0);
        as->pieces = 0;
    }
    while (n) {
        if (!as->buf->len)
            as->frame = r->frame;
        as->pieces++;                       /* the pieces that carried part of this message */
        uint64_t want = VDS_AGENT_HDR_SIZE; /* wide: a size near 2^32 must not wrap */
        if (as->buf->len >= VDS_AGENT_HDR_SIZE)
            want += vds_get_u32(as->buf->data + 16);
        else if (as->buf->len + n >= VDS_AGENT_HDR_SIZE) {
            uint8_t h[VDS_AGENT_HDR_SIZE];
            if (as->buf->len)
                memcpy(h, as->buf->data, as->buf->len);
            memcpy(h + as->buf->len, p, VDS_AGENT_HDR_SIZE - as->buf->len);
            want += vds_get_u32(h + 16);
        }
        if (want > VDS_AGENT_HDR_SIZE + VDS_IMPORT_AGENT_MAX) {
            note(im->s,
                 "agent message at frame %" G_GUINT64_FORMAT " claims %" G_GUINT64_FORMAT
                 " bytes: it is not imported, nor any until a piece starts a message again",
                 as->frame, want);
            g_byte_array_set_size(as->buf, 0);
            as->pieces = UINT32_MAX;
            return;
        }
        uint32_t take = (uint32_t)MIN((uint64_t)n, want - as->buf->len);
        g_byte_array_append(as->buf, p, take);
        p += take;
        n -= take;
        if (as->buf->len >= VDS_AGENT_HDR_SIZE && as->buf->len == want) {
            agent_message(im, as, dir, r->t_ns);
            g_byte_array_set_size(as->buf, 0);
            as->pieces = 0;
        }
    }
}

static void left_out(vds_spice_session *s, const raw_msg *r)
{
    vds_spice_side side = r->from_client ? VDS_SPICE_FROM_CLIENT : VDS_SPICE_FROM_SERVER;
    const vds_spice_msg_desc *d = vds_spice_msg_desc_get(r->ch->type, side, r->type);
    char *key = d ? g_strdup_printf("%s:%s", channel_name(r->ch->type), d->name)
                  : g_strdup_printf("%s:%s-%u", channel_name(r->ch->type),
                                    r->from_client ? "msgc" : "msg", r->type);
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(s->left_out, key));
    g_hash_table_replace(s->left_out, key, GUINT_TO_POINTER(n + 1));
}

static void spice_message(importer *im, const raw_msg *r)
{
    vds_spice_side side = r->from_client ? VDS_SPICE_FROM_CLIENT : VDS_SPICE_FROM_SERVER;
    JsonNode *ev =
        vds_trace_spice_event(r->t_ns - im->s->t0_ns, side, r->ch->type, r->type, r->body, r->len);
    add_event(im, ev, r->frame);
}

static bool main_kept(bool from_client, uint16_t t)
{
    if (from_client)
        return t == SPICE_MSGC_MAIN_AGENT_START || t == SPICE_MSGC_MAIN_AGENT_TOKEN ||
               t == SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST;
    return t == SPICE_MSG_MAIN_INIT || t == SPICE_MSG_MAIN_AGENT_CONNECTED ||
           t == SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS || t == SPICE_MSG_MAIN_AGENT_DISCONNECTED ||
           t == SPICE_MSG_MAIN_AGENT_TOKEN || t == SPICE_MSG_MAIN_MOUSE_MODE;
}

/* What the importer keeps of each message of the session. */
static void on_message(importer *im, const raw_msg *r)
{
    uint8_t ch = r->ch->type;
    uint16_t t = r->type;
    if (ch == SPICE_CHANNEL_MAIN &&
        t == (r->from_client ? SPICE_MSGC_MAIN_AGENT_DATA : SPICE_MSG_MAIN_AGENT_DATA))
        agent_piece(im, r, r->from_client ? VDS_DIR_TO_AGENT : VDS_DIR_FROM_AGENT);
    else if (ch == SPICE_CHANNEL_MAIN && main_kept(r->from_client, t) && !r->partial)
        spice_message(im, r);
    else if (ch == SPICE_CHANNEL_INPUTS && r->from_client && !r->partial &&
             (t == SPICE_MSGC_INPUTS_MOUSE_POSITION || t == SPICE_MSGC_INPUTS_MOUSE_MOTION ||
              t == SPICE_MSGC_INPUTS_MOUSE_PRESS || t == SPICE_MSGC_INPUTS_MOUSE_RELEASE)) {
        spice_message(im, r);
        im->s->inputs_messages++;
    } else {
        left_out(im->s, r);
    }
}

/* The session id MAIN_INIT gives (the first u32 of its body), 0 when none. */
static uint32_t session_id(const channel *main_ch)
{
    g_autoptr(GArray) msgs = g_array_new(FALSE, FALSE, sizeof(raw_msg));
    vds_spice_session tmp = {.notes = g_ptr_array_new_with_free_func(g_free)};
    walk(&tmp, main_ch, false, msgs);
    g_ptr_array_unref(tmp.notes);
    for (guint i = 0; i < msgs->len; i++) {
        raw_msg *r = &g_array_index(msgs, raw_msg, i);
        if (r->type == SPICE_MSG_MAIN_INIT && r->len >= 4 && !r->partial)
            return vds_get_u32(r->body);
    }
    return 0;
}

static vds_spice_session *session_new(unsigned index, const channel *main_ch)
{
    vds_spice_session *s = g_new0(vds_spice_session, 1);
    s->index = index;
    s->via = g_strdup(main_ch->via);
    s->id = session_id(main_ch);
    s->client = g_strdup(main_ch->conn->client);
    s->server = g_strdup(main_ch->conn->server);
    s->first_frame = main_ch->conn->first_frame;
    const vds_tcp_mark *m = vds_tcp_stream_mark(&main_ch->conn->to_server, 0);
    s->t0_ns = m ? m->t_ns : 0;
    s->events = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    s->notes = g_ptr_array_new_with_free_func(g_free);
    s->left_out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->payloads = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_bytes_unref);
    return s;
}

/* The session's channels' messages in time order, through on_message. */
static void import_session(vds_spice_session *s, GPtrArray *chans)
{
    g_autoptr(GArray) msgs = g_array_new(FALSE, FALSE, sizeof(raw_msg));
    for (guint i = 0; i < chans->len; i++) {
        const channel *ch = chans->pdata[i];
        if (ch->type != SPICE_CHANNEL_MAIN && ch->type != SPICE_CHANNEL_INPUTS) {
            note(s,
                 "%s channel %u: not imported (only main and inputs carry the agent's "
                 "traffic)",
                 channel_name(ch->type), ch->id);
            continue;
        }
        if (ch->tunnel_note)
            note(s, "%s channel %u %s, %s", channel_name(ch->type), ch->id, ch->via,
                 ch->tunnel_note);
        walk(s, ch, true, msgs);
        walk(s, ch, false, msgs);
    }
    g_array_sort(msgs, cmp_raw);
    importer im = {s,
                   {g_byte_array_new(), 0, 0},
                   {g_byte_array_new(), 0, 0},
                   VDS_CAPS_SPICE_GTK,
                   VDS_CAPS_VDAGENTD};
    for (guint i = 0; i < msgs->len; i++)
        on_message(&im, &g_array_index(msgs, raw_msg, i));
    if ((im.to_agent.buf->len && im.to_agent.pieces != UINT32_MAX) ||
        (im.from_agent.buf->len && im.from_agent.pieces != UINT32_MAX))
        note(s, "the capture ends inside an agent message (%u and %u bytes of it): not imported",
             im.to_agent.buf->len, im.from_agent.buf->len);
    g_byte_array_unref(im.to_agent.buf);
    g_byte_array_unref(im.from_agent.buf);
}

static void channel_free(channel *ch)
{
    g_free(ch->via);
    g_free(ch->tunnel_note);
    g_free(ch->why);
    g_free(ch);
}

static char *conn_text(const vds_tcp_conn *conn, const char *what)
{
    return g_strdup_printf("%s -> %s (frame %" G_GUINT64_FORMAT "): %s", conn->client, conn->server,
                           conn->first_frame, what);
}

/* The channels of each session: its main channel, and those that linked
   with its id. */
static void join_sessions(vds_capture_sessions *out, GPtrArray *chans)
{
    for (guint k = 0; k < out->sessions->len; k++) {
        vds_spice_session *s = out->sessions->pdata[k];
        g_autoptr(GPtrArray) mine = g_ptr_array_new();
        for (guint i = 0; i < chans->len; i++) {
            channel *ch = chans->pdata[i];
            bool main_of_s =
                ch->type == SPICE_CHANNEL_MAIN && ch->conn->first_frame == s->first_frame;
            /* a capture on both sides of a proxy holds each link twice:
               a channel belongs with the main channel that went where it went */
            bool other_of_s = ch->type != SPICE_CHANNEL_MAIN && s->id &&
                              ch->connection_id == s->id && !strcmp(ch->conn->server, s->server);
            if (main_of_s || other_of_s) {
                g_ptr_array_add(mine, ch);
                ch->joined = true;
            }
        }
        import_session(s, mine);
    }
    for (guint i = 0; i < chans->len; i++) {
        channel *ch = chans->pdata[i];
        if (ch->joined)
            continue;
        const vds_spice_session *same = NULL;
        for (guint k = 0; k < out->sessions->len && !same; k++)
            if (((vds_spice_session *)out->sessions->pdata[k])->id == ch->connection_id)
                same = out->sessions->pdata[k];
        g_autofree char *why =
            same ? g_strdup_printf("%s channel of session %u went to %s, its main channel to %s",
                                   channel_name(ch->type), ch->connection_id, ch->conn->server,
                                   same->server)
                 : g_strdup_printf("%s channel of session %u, whose main channel is not in the "
                                   "capture",
                                   channel_name(ch->type), ch->connection_id);
        g_ptr_array_add(out->others, conn_text(ch->conn, why));
    }
}

/* The channel of conn (a tunnel taken off first: the connection inside
   goes to unwrapped, which outlives the channel), or NULL with the reason
   in out->others. */
static channel *channel_of(const vds_tcp_conn *conn, GPtrArray *unwrapped,
                           vds_capture_sessions *out)
{
    channel *ch = g_new0(channel, 1);
    vds_tunnel_kind k = vds_tunnel_sniff(conn);
    if (k != VDS_TUNNEL_NONE) {
        vds_tcp_conn *inside = vds_tunnel_unwrap(conn, k, &ch->via, &ch->tunnel_note, &ch->why);
        if (inside) {
            g_ptr_array_add(unwrapped, inside);
            read_link(inside, ch);
        }
    } else {
        read_link(conn, ch);
    }
    if (ch->why) {
        g_autofree char *why =
            !ch->via          ? g_strdup(ch->why)
            : ch->tunnel_note ? g_strdup_printf("%s, %s; %s", ch->via, ch->why, ch->tunnel_note)
                              : g_strdup_printf("%s, %s", ch->via, ch->why);
        g_ptr_array_add(out->others, conn_text(conn, why));
        channel_free(ch);
        return NULL;
    }
    return ch;
}

void vds_capture_sessions_find(const vds_capture *c, vds_capture_sessions *out)
{
    out->sessions = g_ptr_array_new_with_free_func((GDestroyNotify)vds_spice_session_free);
    out->others = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) chans = g_ptr_array_new_with_free_func((GDestroyNotify)channel_free);
    g_autoptr(GPtrArray) unwrapped =
        g_ptr_array_new_with_free_func((GDestroyNotify)vds_tcp_conn_free);
    for (guint i = 0; i < c->conns->len; i++) {
        const vds_tcp_conn *conn = c->conns->pdata[i];
        if (!conn->to_server.data->len && !conn->to_client.data->len)
            continue; /* a handshake and nothing else */
        channel *ch = channel_of(conn, unwrapped, out);
        if (!ch)
            continue;
        g_ptr_array_add(chans, ch);
        if (ch->type == SPICE_CHANNEL_MAIN) /* a session per main channel */
            g_ptr_array_add(out->sessions, session_new(out->sessions->len + 1, ch));
    }
    join_sessions(out, chans);
}
