/* The tunnels of captures (WebSocket, HTTP CONNECT): a connection built by
 * hand (its bytes, the frames that carried them, its gaps), unwrapped, and
 * checked byte by byte with the frame each byte came in. */
#include "test-util.h"

#include <string.h>

#include "trace/tunnel.h"

static const char upgrade[] = "GET /websockify HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
                              "UPGRADE: WebSocket\r\nSec-WebSocket-Version: 13\r\n\r\n";
static const char switched[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};

/* Bytes onto s as one capture frame (number frame), or as a gap when
   frame is 0 (zeroes, with the frames around it). */
static void put(vds_tcp_stream *s, const void *p, size_t n, uint64_t frame)
{
    uint64_t off = s->data->len;
    g_byte_array_append(s->data, p, (guint)n);
    if (frame) {
        vds_tcp_mark m = {off, (uint32_t)n, frame, frame * 1000};
        g_array_append_val(s->segs, m);
    } else {
        memset(s->data->data + off, 0, n);
        vds_tcp_gap g = {off, n, 90, 91};
        g_array_append_val(s->gaps, g);
    }
}

/* A frame's header (and masked payload) into out; returns its length. */
static size_t frame(uint8_t *out, uint8_t b0, const char *payload, size_t n, bool masked,
                    unsigned len_bytes)
{
    size_t h = 0;
    out[h++] = b0;
    uint8_t m = masked ? 0x80 : 0;
    if (len_bytes == 0) {
        out[h++] = m | (uint8_t)n;
    } else {
        out[h++] = m | (len_bytes == 2 ? 126 : 127);
        for (unsigned k = len_bytes; k-- > 0;)
            out[h++] = (uint8_t)((uint64_t)n >> (8 * k));
    }
    if (masked) {
        memcpy(out + h, key, 4);
        h += 4;
    }
    for (size_t k = 0; k < n; k++)
        out[h + k] = (uint8_t)payload[k] ^ (masked ? key[k & 3] : 0);
    return h + n;
}

static vds_tcp_conn *conn_with_heads(void)
{
    vds_tcp_conn *c = vds_tcp_conn_new("10.0.0.2:40000", "10.0.0.1:5900", 1);
    c->to_server.from_start = c->to_client.from_start = true;
    put(&c->to_server, upgrade, strlen(upgrade), 1);
    put(&c->to_client, switched, strlen(switched), 2);
    return c;
}

/* conn unwrapped as what it sniffs as; *via checked against want_via */
static vds_tcp_conn *unwrap(const vds_tcp_conn *c, const char *want_via, char **note, char **why)
{
    g_autofree char *via = NULL;
    vds_tcp_conn *u = vds_tunnel_unwrap(c, vds_tunnel_sniff(c), &via, note, why);
    if (u)
        assert_string_equal(via, want_via);
    return u;
}

static uint64_t frame_of(const vds_tcp_stream *s, uint64_t off)
{
    const vds_tcp_mark *m = vds_tcp_stream_mark(s, off);
    return m ? m->frame : 0;
}

/* Masked and plain frames, each length form, a ping between and a message
   continued: the payloads back to back, each byte with its frame. */
static void frames_unwrap_to_payloads(void **state)
{
    (void)state;
    vds_tcp_conn *c = conn_with_heads();
    assert_int_equal(vds_tunnel_sniff(c), VDS_TUNNEL_WEBSOCKET);
    uint8_t b[512];
    char big[300];
    memset(big, 'B', sizeof(big));
    size_t n = frame(b, 0x02, "REDQ", 4, true, 0); /* binary, not final */
    n += frame(b + n, 0x89, "hi", 2, true, 0);     /* a ping between */
    n += frame(b + n, 0x80, "abcdef", 6, true, 8); /* its continuation, 64-bit length */
    put(&c->to_server, b, n - 5, 10);              /* the last 5 bytes come later */
    put(&c->to_server, b + n - 5, 5, 11);
    n = frame(b, 0x82, big, sizeof(big), true, 2);   /* 16-bit length */
    n += frame(b + n, 0x88, "\x03\xe8", 2, true, 0); /* close: nothing after it counts */
    n += frame(b + n, 0x82, "late", 4, true, 0);
    put(&c->to_server, b, n, 12);
    n = frame(b, 0x82, "server", 6, false, 0);
    put(&c->to_client, b, n, 13);

    char *note = NULL, *why = NULL;
    vds_tcp_conn *u = unwrap(c, "over WebSocket", &note, &why);
    assert_non_null(u);
    assert_null(note);
    assert_null(why);
    const vds_tcp_stream *s = &u->to_server;
    assert_int_equal(s->data->len, 4 + 6 + sizeof(big));
    assert_memory_equal(s->data->data, "REDQabcdef", 10);
    assert_int_equal(s->data->data[10], 'B');
    assert_int_equal(s->data->data[s->data->len - 1], 'B');
    assert_true(s->from_start);
    assert_int_equal(frame_of(s, 0), 10);
    assert_int_equal(frame_of(s, 4), 10); /* "abcdef" starts in frame 10 ... */
    assert_int_equal(frame_of(s, 9), 11); /* ... and ends in 11 */
    assert_int_equal(frame_of(s, 10), 12);
    assert_int_equal(vds_tcp_stream_mark(s, 9)->t_ns, 11000);
    assert_int_equal(u->to_client.data->len, 6);
    assert_memory_equal(u->to_client.data->data, "server", 6);
    assert_int_equal(frame_of(&u->to_client, 0), 13);
    assert_string_equal(u->client, "10.0.0.2:40000");
    vds_tcp_conn_free(u);
    vds_tcp_conn_free(c);
}

/* A gap inside a payload stays a gap, in place, and the frames after it
   are still read; a gap in a header ends the direction, said where. */
static void gaps_in_payload_and_in_header(void **state)
{
    (void)state;
    vds_tcp_conn *c = conn_with_heads();
    uint8_t b[256];
    size_t n = frame(b, 0x82, "0123456789", 10, true, 0);
    put(&c->to_server, b, 8, 20);    /* header (6) and "01" */
    put(&c->to_server, b + 8, 4, 0); /* "2345" never came */
    put(&c->to_server, b + 12, n - 12, 21);
    n = frame(b, 0x82, "after", 5, true, 0);
    put(&c->to_server, b, n, 22);
    n = frame(b, 0x82, "ok", 2, false, 0);
    put(&c->to_client, b, n, 23);
    put(&c->to_client, b, 1, 0); /* a header's first byte lost */
    put(&c->to_client, b + 1, n - 1, 24);

    char *note = NULL, *why = NULL;
    vds_tcp_conn *u = unwrap(c, "over WebSocket", &note, &why);
    assert_non_null(u);
    const vds_tcp_stream *s = &u->to_server;
    assert_int_equal(s->data->len, 15);
    assert_memory_equal(s->data->data,
                        "01\0\0\0\0"
                        "6789after",
                        15);
    const vds_tcp_gap *g = vds_tcp_stream_gap(s, 0, 15);
    assert_non_null(g);
    assert_int_equal(g->off, 2);
    assert_int_equal(g->len, 4);
    assert_int_equal(g->frame_before, 90);
    assert_null(vds_tcp_stream_gap(s, 6, 9));
    assert_int_equal(frame_of(s, 10), 22);
    assert_int_equal(u->to_client.data->len, 2);
    assert_non_null(note);
    assert_non_null(strstr(note, "server to client: a gap in a WebSocket frame header at stream "
                                 "byte"));
    assert_non_null(strstr(note, "(frames 90-91)"));
    assert_null(strstr(note, "client to server"));
    g_free(note);
    vds_tcp_conn_free(u);
    vds_tcp_conn_free(c);
}

/* Compressed frames and unknown opcodes are named; what came before them is
   kept. */
static void compressed_and_unknown_frames_are_named(void **state)
{
    (void)state;
    vds_tcp_conn *c = conn_with_heads();
    uint8_t b[64];
    size_t n = frame(b, 0x82, "kept", 4, true, 0);
    n += frame(b + n, 0xc2, "zzzz", 4, true, 0); /* RSV1: permessage-deflate */
    put(&c->to_server, b, n, 30);
    n = frame(b, 0x82, "ok", 2, false, 0);
    n += frame(b + n, 0x83, "??", 2, false, 0); /* opcode 3 is reserved */
    put(&c->to_client, b, n, 31);
    char *note = NULL, *why = NULL;
    vds_tcp_conn *u = unwrap(c, "over WebSocket", &note, &why);
    assert_non_null(u);
    assert_int_equal(u->to_server.data->len, 4);
    assert_int_equal(u->to_client.data->len, 2);
    assert_non_null(strstr(note, "client to server: a compressed WebSocket frame "
                                 "(permessage-deflate) at frame 30"));
    assert_non_null(strstr(note, "server to client: a WebSocket frame of unknown opcode 3 at "
                                 "frame 31"));
    g_free(note);
    vds_tcp_conn_free(u);
    vds_tcp_conn_free(c);
}

/* What is not an upgrade, a refused one, and one cut short. */
static void upgrades_refused_or_absent(void **state)
{
    (void)state;
    vds_tcp_conn *c = vds_tcp_conn_new("a:1", "b:2", 1);
    c->to_server.from_start = true;
    const char get[] = "GET / HTTP/1.1\r\nHost: h\r\nX-Note: upgrade: websocket\r\n\r\n";
    put(&c->to_server, get, strlen(get), 1);
    assert_int_equal(vds_tunnel_sniff(c), VDS_TUNNEL_NONE); /* words in another header */
    vds_tcp_conn_free(c);

    c = vds_tcp_conn_new("a:1", "b:2", 1);
    c->to_server.from_start = true;
    put(&c->to_server, upgrade, strlen(upgrade) - 2, 1); /* no blank line yet */
    assert_int_equal(vds_tunnel_sniff(c), VDS_TUNNEL_NONE);
    vds_tcp_conn_free(c);

    c = vds_tcp_conn_new("a:1", "b:2", 1);
    c->to_server.from_start = true;
    put(&c->to_server, upgrade, strlen(upgrade), 1);
    const char refused[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    put(&c->to_client, refused, strlen(refused), 2);
    char *note = NULL, *why = NULL;
    assert_null(unwrap(c, "over WebSocket", &note, &why));
    assert_string_equal(why, "the server refused the WebSocket upgrade: HTTP/1.1 403 Forbidden");
    g_free(why);
    g_byte_array_set_size(c->to_client.data, 0);
    assert_null(unwrap(c, "over WebSocket", &note, &why));
    assert_string_equal(why, "GET /websockify HTTP/1.1 the server never answered in the capture");
    g_free(why);
    vds_tcp_conn_free(c);
}

/* A CONNECT through a proxy: what follows the two heads, frames kept; a
   refusal quotes the request and the proxy's status. */
static void http_connect(void **state)
{
    (void)state;
    const char req[] = "CONNECT 10.0.0.1:5900 HTTP/1.1\r\nHost: 10.0.0.1:5900\r\n\r\nREDQ";
    const char ok[] = "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy\r\n\r\n";
    vds_tcp_conn *c = vds_tcp_conn_new("10.0.0.2:40000", "10.0.0.9:8888", 1);
    c->to_server.from_start = c->to_client.from_start = true;
    put(&c->to_server, req, strlen(req), 1);
    put(&c->to_server, "rest", 4, 3);
    put(&c->to_client, ok, strlen(ok), 2);
    put(&c->to_client, "REDQ", 4, 4);
    assert_int_equal(vds_tunnel_sniff(c), VDS_TUNNEL_HTTP_CONNECT);
    char *note = NULL, *why = NULL;
    vds_tcp_conn *u = unwrap(c, "through an HTTP proxy (CONNECT 10.0.0.1:5900)", &note, &why);
    assert_non_null(u);
    assert_null(note);
    assert_int_equal(u->to_server.data->len, 8);
    assert_memory_equal(u->to_server.data->data, "REDQrest", 8);
    assert_int_equal(frame_of(&u->to_server, 0), 1);
    assert_int_equal(frame_of(&u->to_server, 4), 3);
    assert_int_equal(frame_of(&u->to_client, 0), 4);
    assert_true(u->to_server.from_start);
    vds_tcp_conn_free(u);
    g_byte_array_set_size(c->to_client.data, 0);
    g_array_set_size(c->to_client.segs, 0);
    const char no[] = "HTTP/1.1 403 Access violation\r\n\r\n";
    put(&c->to_client, no, strlen(no), 2);
    assert_null(unwrap(c, NULL, &note, &why));
    assert_string_equal(why, "the proxy refused CONNECT 10.0.0.1:5900 HTTP/1.1: HTTP/1.1 403 "
                             "Access violation");
    g_free(why);
    vds_tcp_conn_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_unwrap_to_payloads),
        cmocka_unit_test(gaps_in_payload_and_in_header),
        cmocka_unit_test(compressed_and_unknown_frames_are_named),
        cmocka_unit_test(upgrades_refused_or_absent),
        cmocka_unit_test(http_connect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
