/* Target chardev:PATH: the guest's com.redhat.spice.0 as a unix socket that
 * QEMU listens on. vdsim plays spice-server's end of the port itself, with
 * the same port driver as on `local`; the guest agent answers the oracles. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "peer/port.h"
#include "target/libvirt.h"

#define CONNECT_TIMEOUT_NS (10ull * 1000000000)

typedef struct chardev {
    vds_target base;
    char *path;
    vds_port *port;
} chardev;

static void on_message(void *user, uint64_t t_ns, const vds_chunk_msg *m)
{
    vds_target_queue_rx(user, t_ns, m);
}

static void on_closed(void *user, uint64_t t_ns, const vds_err *err)
{
    chardev *c = user;
    c->base.port_open = false;
    if (!c->base.dead)
        c->base.dead = g_strdup_printf("%s: the port closed%s%s", c->path, err ? ": " : "",
                                       err ? err->msg : "");
}

static const vds_port_events port_events = {on_message, on_closed};

static int chardev_start(vds_target *t, vds_err *err)
{
    chardev *c = (chardev *)t;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(c->path) >= sizeof(sa.sun_path))
        return vds_err_set(err, VDS_ERR_USAGE, c->path, "socket path too long");
    strcpy(sa.sun_path, c->path);
    uint64_t deadline = vds_clock_now_ns() + CONNECT_TIMEOUT_NS;
    for (;;) { /* QEMU may still be creating it */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            c->port = vds_port_new(fd, t->ctx, &port_events, c);
            t->port_open = true;
            g_free(t->info);
            t->info = g_strdup_printf("the guest's raw port %s", c->path);
            return 0;
        }
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (vds_clock_now_ns() >= deadline)
            return vds_err_set(err, VDS_ERR_IO, c->path, "connect: %s", g_strerror(e));
        vds_loop_sleep(t->ctx, 50000000ull);
    }
}

static void chardev_stop(vds_target *t)
{
    chardev *c = (chardev *)t;
    g_clear_pointer(&c->port, vds_port_free);
    t->port_open = false;
}

static int chardev_session(vds_target *t, uint32_t caps, uint64_t deadline, vds_err *err)
{
    if (vds_target_port_session(t, caps, err) < 0)
        return -1;
    return vds_target_warm_mouse(t, err);
}

static int chardev_send(vds_target *t, uint32_t port, const uint8_t *msg, size_t len,
                        uint64_t *t_ns, vds_err *err)
{
    chardev *c = (chardev *)t;
    if (!c->port || !t->port_open)
        return vds_err_set(err, VDS_ERR_IO, c->path, "the guest's port is closed");
    t->tx_offset = vds_port_tx_offset(c->port);
    return vds_port_send(c->port, port, msg, len, t_ns, err);
}

static int chardev_write_raw(vds_target *t, const uint8_t *data, size_t len, vds_err *err)
{
    chardev *c = (chardev *)t;
    if (!c->port || !t->port_open)
        return vds_err_set(err, VDS_ERR_IO, c->path, "the guest's port is closed");
    return vds_port_write_raw(c->port, data, len, err);
}

static bool pump(void *user)
{
    chardev *c = user;
    return c->port && vds_port_pump(c->port);
}

static bool chardev_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    return vds_loop_until_pumped(t->ctx, deadline, pump, t, done, user);
}

static void chardev_free(vds_target *t)
{
    chardev *c = (chardev *)t;
    g_free(c->path);
    g_free(c);
}

static const vds_link_ops chardev_ops = {
    .start = chardev_start,
    .stop = chardev_stop,
    .session = chardev_session,
    .send = chardev_send,
    .write_raw = chardev_write_raw,
    .wait = chardev_wait,
    .free = chardev_free,
};

int vds_chardev_target_parse(const char *name, char **path, char **domain, char **uri, vds_err *err)
{
    const char *rest = name + strlen("chardev:");
    const char *q = strchr(rest, '?');
    *path = q ? g_strndup(rest, (gsize)(q - rest)) : g_strdup(rest);
    *domain = *uri = NULL;
    /* options up to uri=, which is last and may have a query of its own
       (qemu+ssh://HOST/system?keyfile=K&no_verify=1) */
    for (const char *o = q ? q + 1 : NULL; o && !*uri;) {
        const char *amp = strchr(o, '&');
        g_autofree char *opt = amp ? g_strndup(o, (gsize)(amp - o)) : g_strdup(o);
        if (g_str_has_prefix(o, "uri="))
            *uri = g_strdup(o + 4);
        else if (g_str_has_prefix(opt, "domain="))
            g_free(*domain), *domain = g_strdup(opt + 7);
        else {
            vds_err_set(err, VDS_ERR_USAGE, name, "unknown option '%s' (have: domain=, uri=)", opt);
            goto bad;
        }
        o = amp ? amp + 1 : NULL;
    }
    if (!**path || (*path)[0] != '/') {
        vds_err_set(err, VDS_ERR_USAGE, name, "expected chardev:/ABSOLUTE/PATH");
        goto bad;
    }
    return 0;
bad:
    g_clear_pointer(path, g_free);
    g_clear_pointer(domain, g_free);
    g_clear_pointer(uri, g_free);
    return -1;
}

vds_target *vds_target_chardev_new(const char *name, GMainContext *ctx, vds_err *err)
{
    g_autofree char *path = NULL, *domain = NULL, *uri = NULL;
    if (vds_chardev_target_parse(name, &path, &domain, &uri, err) < 0)
        return NULL;
    vds_oracle *oracle = NULL;
    if (domain && !(oracle = vds_qga_oracle_new(domain, uri, ctx, err)))
        return NULL;
    if (oracle)
        vds_qga_oracle_probe(oracle);
    chardev *c = g_new0(chardev, 1);
    vds_target_init(&c->base, &chardev_ops, "chardev", ctx);
    vds_target_set_oracle(&c->base, oracle);
    c->path = g_steal_pointer(&path);
    return &c->base;
}
