/* The port driver's round trip against an in-process echo peer, beside a
 * raw socketpair round trip of the same bytes, in one run. */
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "peer/port.h"
#include "proto/agent.h"

#define ROUNDS 20000

typedef struct echo {
    int fd;
    bool got;
} echo;

static void on_msg(void *user, uint64_t t, const vds_chunk_msg *m)
{
    ((echo *)user)->got = true;
}

static void on_closed(void *user, uint64_t t, const vds_err *err) {}

static bool got(void *user)
{
    return ((echo *)user)->got;
}

static const vds_port_events events = {on_msg, on_closed};

static bool raw_got;

/* The peer, identical in every measurement: wait for bytes on fd, echo them. */
static bool echo_once(int fd)
{
    uint8_t buf[4096];
    GPollFD pfd = {fd, G_IO_IN, 0};
    g_poll(&pfd, 1, -1);
    ssize_t n = read(fd, buf, sizeof(buf));
    return n > 0 && write(fd, buf, (size_t)n) == n;
}

static gboolean on_raw(gint fd, GIOCondition c, gpointer user)
{
    uint8_t b[4096];
    raw_got = read(fd, b, sizeof(b)) > 0;
    return G_SOURCE_CONTINUE;
}

int main(void)
{
    int sv[2];
    uint8_t msg[VDS_AGENT_HDR_SIZE + 13] = {0};
    vds_put_u32(msg, VD_AGENT_PROTOCOL);
    vds_put_u32(msg + 4, VD_AGENT_MOUSE_STATE);
    vds_put_u32(msg + 16, 13);

    /* vdsim's port driver waited on as the local target's runner waits
       (vds_loop_until_pumped on GLib's loop); the peer echoes inline, exactly
       as in the raw baseline below, so only the driver differs */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    echo e = {sv[1], false};
    vds_port *p = vds_port_new(sv[0], NULL, &events, &e);
    uint64_t t0 = vds_clock_now_ns(), t;
    for (int i = 0; i < ROUNDS; i++) {
        e.got = false;
        if (vds_port_send(p, 2, msg, sizeof(msg), &t, NULL) < 0)
            return 1;
        if (!echo_once(sv[1]))
            return 1;
        if (!vds_loop_until_pumped(NULL, vds_clock_now_ns() + 5000000000ull, vds_port_pump, p, got,
                                   &e))
            return 1;
    }
    double port_us = (vds_clock_now_ns() - t0) / 1e3 / ROUNDS;
    vds_port_free(p);
    close(sv[1]);

    /* the same 41 bytes over a bare socketpair with a poll loop */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    uint8_t wire[8 + sizeof(msg)], back[sizeof(wire)];
    vds_put_u32(wire, 2);
    vds_put_u32(wire + 4, sizeof(msg));
    memcpy(wire + 8, msg, sizeof(msg));
    t0 = vds_clock_now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        if (write(sv[0], wire, sizeof(wire)) != (ssize_t)sizeof(wire))
            return 1;
        if (!echo_once(sv[1]))
            return 1;
        GPollFD pfd = {sv[0], G_IO_IN, 0};
        g_poll(&pfd, 1, -1);
        if (read(sv[0], back, sizeof(back)) <= 0)
            return 1;
    }
    double raw_us = (vds_clock_now_ns() - t0) / 1e3 / ROUNDS;
    close(sv[0]);
    close(sv[1]);

    /* and the raw bytes through a bare GLib fd source: what the loop alone costs */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    g_unix_set_fd_nonblocking(sv[0], TRUE, NULL);
    GSource *src = g_unix_fd_source_new(sv[0], G_IO_IN);
    g_source_set_callback(src, G_SOURCE_FUNC(on_raw), NULL, NULL);
    g_source_attach(src, NULL);
    t0 = vds_clock_now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        if (write(sv[0], wire, sizeof(wire)) != (ssize_t)sizeof(wire))
            return 1;
        if (!echo_once(sv[1]))
            return 1;
        raw_got = false;
        while (!raw_got)
            g_main_context_iteration(NULL, TRUE);
    }
    double loop_us = (vds_clock_now_ns() - t0) / 1e3 / ROUNDS;
    g_source_destroy(src);

    printf("port driver round trip (41-byte mouse state, echo peer): %.2f us\n"
           "raw socketpair round trip:                              %.2f us  ratio %.2fx "
           "(bar <= 1.3x: %s)\n"
           "raw bytes through a bare GLib fd source:                %.2f us  ratio %.2fx "
           "(the loop's own share)\n",
           port_us, raw_us, port_us / raw_us, port_us / raw_us <= 1.3 ? "met" : "MISSED", loop_us,
           loop_us / raw_us);
    return port_us / raw_us <= 1.3 ? 0 : 1;
}
