#include "peer/port.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <glib-unix.h>
#include <unistd.h>

#include "core/clock.h"
#include "proto/agent.h"

struct vds_port {
    int fd;
    GSource *watch;
    vds_chunk_reader *reader;
    const vds_port_events *ev;
    void *user;
    uint64_t read_t; /* clock at the current read */
    uint64_t tx;     /* bytes written */
    bool open;
    vds_buf out;
};

static void on_msg(void *user, const vds_chunk_msg *m)
{
    vds_port *p = user;
    p->ev->message(p->user, p->read_t, m);
}

static void close_port(vds_port *p, const vds_err *err)
{
    if (!p->open)
        return;
    p->open = false;
    if (p->watch) {
        g_source_destroy(p->watch);
        g_source_unref(p->watch);
        p->watch = NULL;
    }
    p->ev->closed(p->user, vds_clock_now_ns(), err);
}

/* One read of what the port holds; false once the port is gone. */
static bool read_once(vds_port *p, bool *took)
{
    uint8_t buf[65536];
    vds_err err = {0};

    *took = false;
    ssize_t n = read(p->fd, buf, sizeof(buf));
    p->read_t = vds_clock_now_ns();
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    *took = true;
    if (n <= 0) {
        if (n < 0)
            vds_err_set(&err, VDS_ERR_IO, NULL, "read from the agent's port: %s",
                        g_strerror(errno));
        close_port(p, n < 0 ? &err : NULL);
        return false;
    }
    if (vds_chunk_reader_feed(p->reader, buf, (size_t)n, &err) < 0) {
        close_port(p, &err);
        return false;
    }
    return true;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer user)
{
    bool took;
    return read_once(user, &took) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

bool vds_port_pump(void *port)
{
    vds_port *p = port;
    bool took = false;
    if (p && p->open)
        read_once(p, &took);
    return took;
}

vds_port *vds_port_new(int fd, GMainContext *ctx, const vds_port_events *ev, void *user)
{
    vds_port *p = g_new0(vds_port, 1);
    p->fd = fd;
    p->ev = ev;
    p->user = user;
    p->open = true;
    p->reader = vds_chunk_reader_new(&vds_chunk_limits_from_agent, on_msg, p);
    vds_buf_init(&p->out, 256u << 20);
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    p->watch = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(p->watch, G_SOURCE_FUNC(on_readable), p, NULL);
    g_source_attach(p->watch, ctx);
    return p;
}

void vds_port_free(vds_port *p)
{
    if (!p)
        return;
    if (p->watch) {
        g_source_destroy(p->watch);
        g_source_unref(p->watch);
    }
    close(p->fd);
    vds_chunk_reader_free(p->reader);
    vds_buf_clear(&p->out);
    g_free(p);
}

bool vds_port_is_open(const vds_port *p)
{
    return p && p->open;
}

uint64_t vds_port_tx_offset(const vds_port *p)
{
    return p->tx;
}

static int write_all(vds_port *p, const uint8_t *data, size_t len, vds_err *err)
{
    size_t off = 0;
    if (!p->open)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the agent's port is closed");
    while (off < len) {
        ssize_t n = write(p->fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* the agent reads slowly: wait for room, bounded */
            struct pollfd pfd = {p->fd, POLLOUT, 0};
            if (poll(&pfd, 1, 5000) <= 0)
                return vds_err_set(err, VDS_ERR_IO, NULL,
                                   "the agent did not read its port for 5 s (%zu of %zu bytes "
                                   "written)",
                                   off, len);
            continue;
        }
        if (n < 0)
            return vds_err_set(err, VDS_ERR_IO, NULL, "write to the agent's port: %s",
                               g_strerror(errno));
        off += (size_t)n;
        p->tx += (size_t)n;
    }
    return 0;
}

int vds_port_send(vds_port *p, uint32_t port, const uint8_t *msg, size_t len, uint64_t *t_ns,
                  vds_err *err)
{
    vds_buf_reset(&p->out);
    if (vds_chunk_write(port, msg, len, VDS_AGENT_MAX_CHUNK, &p->out, err) < 0)
        return -1;
    *t_ns = vds_clock_now_ns();
    return write_all(p, p->out.data, p->out.len, err);
}

int vds_port_write_raw(vds_port *p, const uint8_t *data, size_t len, vds_err *err)
{
    return write_all(p, data, len, err);
}
