#include "trace/tunnel.h"

#include <string.h>

/* RFC 6455 5.2: opcodes, and the bits of a frame's first two bytes. */
enum {
    WS_CONT = 0x0,
    WS_TEXT = 0x1,
    WS_BINARY = 0x2,
    WS_CLOSE = 0x8,
    WS_PING = 0x9,
    WS_PONG = 0xa
};
#define WS_RSV    0x70
#define WS_OPCODE 0x0f
#define WS_MASKED 0x80
#define WS_LEN7   0x7f

/* The end of the HTTP head at the start of s (just past its blank line),
   0 when it is not there whole. */
static uint64_t head_end(const vds_tcp_stream *s)
{
    uint64_t n = MIN((uint64_t)s->data->len, VDS_TUNNEL_HEAD_MAX);
    const uint8_t *p = s->data->data;
    for (uint64_t i = 0; i + 4 <= n; i++)
        if (!memcmp(p + i, "\r\n\r\n", 4))
            return vds_tcp_stream_have(s, 0, i + 4) ? i + 4 : 0;
    return 0;
}

/* Whether the head [0, end) of s has the header name: value, value
   compared as a case-insensitive substring (Upgrade: websocket, and
   Connection: keep-alive, Upgrade). */
static bool head_has(const vds_tcp_stream *s, uint64_t end, const char *name, const char *value)
{
    g_autofree char *head = g_ascii_strdown((const char *)s->data->data, (gssize)end);
    g_autofree char *key = g_strconcat("\r\n", name, ":", NULL);
    for (const char *h = strstr(head, key); h; h = strstr(h + 1, key)) {
        const char *eol = strstr(h + 2, "\r\n");
        g_autofree char *line = g_strndup(h, eol ? (gsize)(eol - h) : strlen(h));
        if (strstr(line + strlen(key), value))
            return true;
    }
    return false;
}

vds_tunnel_kind vds_tunnel_sniff(const vds_tcp_conn *conn)
{
    const vds_tcp_stream *c = &conn->to_server;
    if (!c->from_start || c->data->len < 8)
        return VDS_TUNNEL_NONE;
    bool get = !memcmp(c->data->data, "GET ", 4), connect = !memcmp(c->data->data, "CONNECT ", 8);
    uint64_t end = get || connect ? head_end(c) : 0;
    if (!end)
        return VDS_TUNNEL_NONE;
    if (connect)
        return VDS_TUNNEL_HTTP_CONNECT;
    return head_has(c, end, "upgrade", "websocket") ? VDS_TUNNEL_WEBSOCKET : VDS_TUNNEL_NONE;
}

/* The index of in's first gap that ends after off (gaps are in stream
   order). */
static guint first_gap_after(const vds_tcp_stream *in, uint64_t off)
{
    guint lo = 0, hi = in->gaps->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        const vds_tcp_gap *g = &g_array_index(in->gaps, vds_tcp_gap, mid);
        if (g->off + g->len <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The marks and gaps of in's bytes [from, from + n), moved to out's offset
   at (the bytes are the caller's: they are unmasked). The first mark is
   the frame that carried byte from, or the last one before it. */
static void carry_marks(const vds_tcp_stream *in, uint64_t from, uint64_t n, vds_tcp_stream *out,
                        uint64_t at)
{
    const vds_tcp_mark *m = vds_tcp_stream_mark(in, from);
    if (!m)
        m = (const vds_tcp_mark *)(void *)in->segs->data;
    guint i0 = in->segs->len ? (guint)(m - (const vds_tcp_mark *)(void *)in->segs->data) : 0;
    for (guint i = i0; i < in->segs->len; i++) {
        const vds_tcp_mark *k = &g_array_index(in->segs, vds_tcp_mark, i);
        if (i > i0 && k->off >= from + n)
            break;
        uint64_t lo = MAX(k->off, from), hi = MIN(k->off + k->len, from + n);
        vds_tcp_mark o = {at + (lo - from), (uint32_t)(hi > lo ? hi - lo : 0), k->frame, k->t_ns};
        g_array_append_val(out->segs, o);
    }
    for (guint i = first_gap_after(in, from); i < in->gaps->len; i++) {
        const vds_tcp_gap *g = &g_array_index(in->gaps, vds_tcp_gap, i);
        uint64_t lo = MAX(g->off, from), hi = MIN(g->off + g->len, from + n);
        if (lo >= hi)
            break;
        vds_tcp_gap o = {at + (lo - from), hi - lo, g->frame_before, g->frame_after};
        g_array_append_val(out->gaps, o);
        memset(out->data->data + o.off, 0, (size_t)o.len); /* what no frame carried stays zero */
    }
}

/* A frame's payload bytes [from, from + n) of in, unmasked, onto out; the
   key applies from the payload's first byte. */
static void take(const vds_tcp_stream *in, uint64_t from, uint64_t n, const uint8_t *key,
                 vds_tcp_stream *out)
{
    uint64_t at = out->data->len;
    g_byte_array_append(out->data, in->data->data + from, (guint)n);
    if (key)
        for (uint64_t k = 0; k < n; k++)
            out->data->data[at + k] ^= key[k & 3];
    carry_marks(in, from, n, out, at);
}

/* The length of a frame's header, from its second byte: the 7-bit length,
   or 126 and 16 bits more, or 127 and 64 bits more; then the mask key. */
static uint64_t header_len(uint8_t b1)
{
    uint8_t len7 = b1 & WS_LEN7;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (b1 & WS_MASKED ? 4 : 0);
}

/* The frames of in from off: their data payloads onto out. NULL, or why
   the rest of the direction could not be read (new). */
static char *unframe(const vds_tcp_stream *in, uint64_t off, vds_tcp_stream *out)
{
    uint64_t len = in->data->len;
    while (off + 2 <= len) {
        const uint8_t *p = in->data->data + off;
        uint64_t hl = header_len(p[1]);
        const vds_tcp_gap *g = vds_tcp_stream_gap(in, off, MIN(hl, len - off));
        if (g)
            return g_strdup_printf(
                "a gap in a WebSocket frame header at stream byte %" G_GUINT64_FORMAT
                " (frames %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT ")",
                off, g->frame_before, g->frame_after);
        if (off + hl > len)
            return NULL; /* the capture ends inside a header */
        uint64_t n = p[1] & WS_LEN7;
        if (n >= 126) {
            uint64_t v = 0;
            for (unsigned k = 0; k < (n == 126 ? 2u : 8u); k++)
                v = v << 8 | p[2 + k];
            n = v;
        }
        unsigned op = p[0] & WS_OPCODE;
        if (p[0] & WS_RSV)
            return g_strdup_printf("a compressed WebSocket frame (permessage-deflate) at frame "
                                   "%" G_GUINT64_FORMAT ": vdsim cannot read it",
                                   vds_tcp_stream_frame(in, off));
        if (n >> 62)
            return g_strdup_printf("a WebSocket frame of %" G_GUINT64_FORMAT
                                   " bytes at frame %" G_GUINT64_FORMAT,
                                   n, vds_tcp_stream_frame(in, off));
        const uint8_t *key = p[1] & WS_MASKED ? p + hl - 4 : NULL;
        uint64_t body = off + hl, got = MIN(n, len - body);
        if (op == WS_CONT || op == WS_TEXT || op == WS_BINARY)
            take(in, body, got, key, out);
        else if (op == WS_CLOSE)
            return NULL;
        else if (op != WS_PING && op != WS_PONG)
            return g_strdup_printf(
                "a WebSocket frame of unknown opcode %u at frame %" G_GUINT64_FORMAT, op,
                vds_tcp_stream_frame(in, off));
        off = body + n;
    }
    return NULL;
}

/* The first line of the head at the start of s, or its first 200 bytes
   (new, valid UTF-8). */
static char *first_line(const vds_tcp_stream *s)
{
    guint n = MIN(s->data->len, 200u);
    const char *p = (const char *)s->data->data;
    const char *eol = memchr(p, '\r', n);
    g_autofree char *line = g_strndup(p, eol ? (gsize)(eol - p) : n);
    return g_utf8_make_valid(line, -1);
}

/* Whether the head at the start of s is an HTTP response with status. */
static bool status_is(const vds_tcp_stream *s, const char *status)
{
    const char *p = (const char *)s->data->data;
    return s->data->len >= 13 && !memcmp(p, "HTTP/1.", 7) && p[8] == ' ' &&
           !memcmp(p + 9, status, 3) && (p[12] == ' ' || p[12] == '\r');
}

vds_tcp_conn *vds_tunnel_unwrap(const vds_tcp_conn *conn, vds_tunnel_kind k, char **via,
                                char **note, char **why)
{
    const vds_tcp_stream *c = &conn->to_server, *s = &conn->to_client;
    bool ws = k == VDS_TUNNEL_WEBSOCKET;
    *via = *note = *why = NULL;
    uint64_t c_end = head_end(c), s_end = head_end(s);
    g_autofree char *request = first_line(c);
    if (!c_end || !s_end) {
        *why = g_strdup_printf("%s the %s never answered in the capture", request,
                               ws ? "server" : "proxy");
        return NULL;
    }
    if (!status_is(s, ws ? "101" : "200")) {
        g_autofree char *status = first_line(s);
        *why = g_strdup_printf("the %s refused %s: %s", ws ? "server" : "proxy",
                               ws ? "the WebSocket upgrade" : request, status);
        return NULL;
    }
    vds_tcp_conn *out = vds_tcp_conn_new(conn->client, conn->server, conn->first_frame);
    out->to_server.from_start = c->from_start;
    out->to_client.from_start = s->from_start;
    if (!ws) { /* what follows the heads is the connection itself */
        take(c, c_end, c->data->len - c_end, NULL, &out->to_server);
        take(s, s_end, s->data->len - s_end, NULL, &out->to_client);
        const char *target = request + strlen("CONNECT ");
        const char *sp = strchr(target, ' ');
        *via = g_strdup_printf("through an HTTP proxy (CONNECT %.*s)", sp ? (int)(sp - target) : 64,
                               target);
        return out;
    }
    *via = g_strdup("over WebSocket");
    g_autofree char *nc = unframe(c, c_end, &out->to_server);
    g_autofree char *ns = unframe(s, s_end, &out->to_client);
    if (nc || ns)
        *note = g_strdup_printf("%s%s%s%s%s: the rest of that direction is not imported",
                                nc ? "client to server: " : "", nc ? nc : "", nc && ns ? "; " : "",
                                ns ? "server to client: " : "", ns ? ns : "");
    return out;
}
