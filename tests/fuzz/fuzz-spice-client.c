/* vdsim's SPICE client reading whatever a server sends: the input is the
 * main channel's byte stream from the server (link reply with its RSA key,
 * link result, then data messages), written to the client's socket by a
 * fake server in the same loop, which then closes. Every message the client
 * sees is also described as a trace event, as the runner does. */
#define _GNU_SOURCE
#include <glib-unix.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "peer/spice-client.h"
#include "trace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int listen_fd = -1;
static char uri[96];
static const uint8_t *input;
static size_t input_len;
static int served = -1;

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user)
{
    int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0)
        return G_SOURCE_CONTINUE;
    if (served >= 0) { /* one connection per input: the main channel */
        close(s);
        return G_SOURCE_CONTINUE;
    }
    served = s;
    size_t off = 0;
    while (off < input_len) {
        ssize_t n = write(s, input + off, input_len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    shutdown(s, SHUT_WR); /* then the end of the stream */
    return G_SOURCE_CONTINUE;
}

static void setup(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    /* abstract: nothing to clean up */
    snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "vdsim-fuzz-client-%d", (int)getpid());
    snprintf(uri, sizeof(uri), "spice+unix://@%s", sa.sun_path + 1);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* the whole struct, NUL-padded, as the client connects to it */
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(listen_fd, 4) < 0)
        __builtin_trap();
    GSource *src = g_unix_fd_source_new(listen_fd, G_IO_IN);
    g_source_set_callback(src, G_SOURCE_FUNC(on_accept), NULL, NULL);
    g_source_attach(src, NULL);
}

static void on_agent(void *user, uint64_t t, GBytes *msg, uint32_t pieces)
{
    bool malformed;
    vds_chunk_msg cm = {1, g_bytes_get_data(msg, NULL), g_bytes_get_size(msg), 0, pieces, NULL};
    json_node_unref(vds_trace_agent_event(t, VDS_DIR_FROM_AGENT, &cm, 0xffffffffu, &malformed));
    g_bytes_unref(msg);
}

static void on_wire(void *user, uint64_t t, vds_spice_side side, uint8_t channel, uint16_t type,
                    const uint8_t *body, size_t len)
{
    json_node_unref(vds_trace_spice_event(t, side, channel, type, body, len));
}

static void on_closed(void *user, uint64_t t, const vds_err *err)
{
    *(bool *)user = true;
}

static const vds_spice_client_events events = {on_agent, on_wire, on_closed};

static bool is_closed(void *user)
{
    return *(bool *)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (listen_fd < 0)
        setup();
    input = data;
    input_len = size;
    served = -1;
    vds_spice_endpoint ep = {0};
    vds_err err = {0};
    if (vds_spice_endpoint_parse(uri, &ep, &err) < 0)
        __builtin_trap();
    vds_spice_client_opts o = {.ep = &ep, .announce_caps = 0x77500, .client_mouse = true};
    bool closed = false;
    vds_spice_client *c = vds_spice_client_new(NULL, &o, &events, &closed);
    uint64_t deadline = vds_clock_now_ns() + 2000000000ull;
    if (vds_spice_client_connect(c, deadline, &err) == 0)
        vds_loop_until(NULL, deadline, is_closed, &closed); /* the rest of the stream */
    vds_spice_client_free(c);
    vds_spice_endpoint_clear(&ep);
    if (served >= 0)
        close(served);
    /* what the client wrote back stays unread: drop the connection */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    return 0;
}
