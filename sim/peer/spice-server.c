#define _GNU_SOURCE
#include "peer/spice-server.h"

#include <errno.h>
#include <glib-unix.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spice.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "proto/agent.h"

/* --- SpiceCoreInterface on a GLib context ---------------------------------- */

/* spice-server's core callbacks carry no user pointer: the context they run
 * on is set per server, and only one server runs at a time. */
static GMainContext *core_ctx;

struct SpiceTimer {
    GSource *src;
    SpiceTimerFunc func;
    void *opaque;
};

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *t = g_new0(SpiceTimer, 1);
    t->func = func;
    t->opaque = opaque;
    return t;
}

static void timer_cancel(SpiceTimer *t)
{
    if (t->src) {
        g_source_destroy(t->src);
        g_clear_pointer(&t->src, g_source_unref);
    }
}

static gboolean timer_fire(gpointer user)
{
    SpiceTimer *t = user;
    g_clear_pointer(&t->src, g_source_unref); /* one-shot; func may re-arm */
    t->func(t->opaque);
    return G_SOURCE_REMOVE;
}

static void timer_start(SpiceTimer *t, uint32_t ms)
{
    timer_cancel(t);
    t->src = g_timeout_source_new(ms);
    g_source_set_callback(t->src, timer_fire, t, NULL);
    g_source_attach(t->src, core_ctx);
}

static void timer_remove(SpiceTimer *t)
{
    timer_cancel(t);
    g_free(t);
}

struct SpiceWatch {
    int fd;
    int mask;
    GSource *src;
    SpiceWatchFunc func;
    void *opaque;
};

static gboolean watch_fire(gint fd, GIOCondition cond, gpointer user)
{
    SpiceWatch *w = user;
    /* one event per call, as QEMU does; func may remove w: touch nothing after */
    if ((w->mask & SPICE_WATCH_EVENT_READ) && (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
        w->func(fd, SPICE_WATCH_EVENT_READ, w->opaque);
    else if ((w->mask & SPICE_WATCH_EVENT_WRITE) && (cond & (G_IO_OUT | G_IO_ERR)))
        w->func(fd, SPICE_WATCH_EVENT_WRITE, w->opaque);
    return G_SOURCE_CONTINUE;
}

static void watch_update_mask(SpiceWatch *w, int mask)
{
    if (w->src) {
        g_source_destroy(w->src);
        g_clear_pointer(&w->src, g_source_unref);
    }
    w->mask = mask;
    GIOCondition c = 0;
    if (mask & SPICE_WATCH_EVENT_READ)
        c |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    if (mask & SPICE_WATCH_EVENT_WRITE)
        c |= G_IO_OUT | G_IO_ERR;
    if (!c)
        return;
    w->src = g_unix_fd_source_new(w->fd, c);
    g_source_set_callback(w->src, G_SOURCE_FUNC(watch_fire), w, NULL);
    g_source_attach(w->src, core_ctx);
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *w = g_new0(SpiceWatch, 1);
    w->fd = fd;
    w->func = func;
    w->opaque = opaque;
    watch_update_mask(w, mask);
    return w;
}

static void watch_remove(SpiceWatch *w)
{
    watch_update_mask(w, 0);
    g_free(w);
}

static void channel_event(int event, SpiceChannelEventInfo *info) {}

static SpiceCoreInterface core = {
    .base = {.type = SPICE_INTERFACE_CORE,
             .description = "vdsim GLib core",
             .major_version = SPICE_INTERFACE_CORE_MAJOR,
             .minor_version = SPICE_INTERFACE_CORE_MINOR},
    .timer_add = timer_add,
    .timer_start = timer_start,
    .timer_cancel = timer_cancel,
    .timer_remove = timer_remove,
    .watch_add = watch_add,
    .watch_update_mask = watch_update_mask,
    .watch_remove = watch_remove,
    .channel_event = channel_event,
};

/* --- the server ------------------------------------------------------------ */

typedef struct vmc {
    SpiceCharDeviceInstance sin;
    vds_spice_server *s;
} vmc;

typedef struct qxl {
    QXLInstance qin;
    uint8_t *fb;
} qxl;

struct vds_spice_server {
    GMainContext *ctx;
    const vds_spice_server_opts *o;
    const vds_spice_server_events *ev;
    void *user;
    SpiceServer *spice;
    int listen_fd;
    GSource *listen_src;
    unsigned port, tls_port;

    vmc vmc;
    int agent_fd;
    bool attached;
    bool eof_seen;
    GSource *agent_in, *agent_out;
    guint detach_idle;
    vds_chunk_reader *to_agent; /* reassembles what the device wrote */
    uint64_t write_t;

    qxl qxl;
    bool has_qxl;
    guint log_handler;
};

/* spice-server's g_log messages (domain "Spice"): into the trace when they
   come from the loop's thread (the main channel's), else as GLib would. */
static void on_spice_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                         gpointer user)
{
    vds_spice_server *s = user;
    if (s->ev->log && g_main_context_is_owner(s->ctx))
        s->ev->log(s->user, vds_clock_now_ns(), level, message);
    else
        g_log_default_handler(domain, level, message, NULL);
}

/* --- the vdagent char device ----------------------------------------------- */

static void on_to_agent(void *user, const vds_chunk_msg *m)
{
    vds_spice_server *s = user;
    if (s->ev->to_agent)
        s->ev->to_agent(s->user, s->write_t, m);
    /* read as spice-vdagentd reads: CLIENT_DISCONNECTED ends whatever part
       of a client message the server had written (a client dropped for a
       token violation leaves one behind) */
    if (m->port == VDP_SERVER_PORT && m->len >= VDS_AGENT_HDR_SIZE &&
        vds_get_u32(m->bytes + 4) == VD_AGENT_CLIENT_DISCONNECTED)
        vds_chunk_reader_reset_port(s->to_agent, VDP_CLIENT_PORT);
}

static gboolean agent_readable(gint fd, GIOCondition c, gpointer user)
{
    vds_spice_server *s = user;
    spice_server_char_device_wakeup(&s->vmc.sin);
    /* the server may not read now (no client tokens): don't spin on it */
    return s->eof_seen ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean agent_writable(gint fd, GIOCondition c, gpointer user)
{
    vds_spice_server *s = user;
    g_clear_pointer(&s->agent_out, g_source_unref);
    spice_server_char_device_wakeup(&s->vmc.sin);
    return G_SOURCE_REMOVE;
}

static void detach_agent(vds_spice_server *s)
{
    if (s->detach_idle) {
        g_source_remove(s->detach_idle);
        s->detach_idle = 0;
    }
    if (s->agent_in) {
        g_source_destroy(s->agent_in);
        g_clear_pointer(&s->agent_in, g_source_unref);
    }
    if (s->agent_out) {
        g_source_destroy(s->agent_out);
        g_clear_pointer(&s->agent_out, g_source_unref);
    }
    if (s->attached) {
        spice_server_remove_interface(&s->vmc.sin.base);
        s->attached = false;
        if (s->ev->agent)
            s->ev->agent(s->user, false);
    }
    if (s->agent_fd >= 0)
        close(s->agent_fd);
    s->agent_fd = -1;
    g_clear_pointer(&s->to_agent, vds_chunk_reader_free);
}

static gboolean detach_later(gpointer user)
{
    vds_spice_server *s = user;
    s->detach_idle = 0;
    detach_agent(s);
    return G_SOURCE_REMOVE;
}

static vds_spice_server *vmc_server(SpiceCharDeviceInstance *sin)
{
    return ((vmc *)sin)->s;
}

static int vmc_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    vds_spice_server *s = vmc_server(sin);
    if (s->agent_fd < 0)
        return len; /* gone: the server's buffers are dropped with it */
    ssize_t n = send(s->agent_fd, buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0) {
        if ((errno == EAGAIN || errno == EINTR) && !s->agent_out) {
            s->agent_out = g_unix_fd_source_new(s->agent_fd, G_IO_OUT);
            g_source_set_callback(s->agent_out, G_SOURCE_FUNC(agent_writable), s, NULL);
            g_source_attach(s->agent_out, s->ctx);
        }
        return 0;
    }
    s->write_t = vds_clock_now_ns();
    if (s->to_agent && vds_chunk_reader_feed(s->to_agent, buf, (size_t)n, NULL) < 0)
        g_clear_pointer(&s->to_agent, vds_chunk_reader_free); /* stop decoding, keep relaying */
    return (int)n;
}

/* Never negative (protocol-reference 5.3): EOF is handled from an idle. */
static int vmc_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    vds_spice_server *s = vmc_server(sin);
    if (s->agent_fd < 0)
        return 0;
    ssize_t n = read(s->agent_fd, buf, (size_t)len);
    if (n > 0)
        return (int)n;
    if ((n == 0 || (errno != EAGAIN && errno != EINTR)) && !s->eof_seen) {
        s->eof_seen = true;
        s->detach_idle = g_idle_add(detach_later, s);
    }
    return 0;
}

static void vmc_state(SpiceCharDeviceInstance *sin, int connected) {}

static SpiceCharDeviceInterface vmc_sif = {
    .base = {.type = SPICE_INTERFACE_CHAR_DEVICE,
             .description = "vdsim agent port",
             .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
             .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR},
    .state = vmc_state,
    .write = vmc_write,
    .read = vmc_read,
    .flags = SPICE_CHAR_DEVICE_NOTIFY_WRITABLE,
};

int vds_spice_server_attach_agent(vds_spice_server *s, int fd, vds_err *err)
{
    if (s->attached) {
        close(fd);
        return vds_err_set(err, VDS_ERR_IO, NULL, "an agent is already attached");
    }
    detach_agent(s);
    s->agent_fd = fd;
    s->eof_seen = false;
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    s->to_agent = vds_chunk_reader_new(&vds_chunk_limits_to_agent, on_to_agent, s);
    s->vmc.sin.base.sif = &vmc_sif.base;
    s->vmc.sin.subtype = "vdagent";
    s->vmc.s = s;
    if (spice_server_add_interface(s->spice, &s->vmc.sin.base) != 0) {
        detach_agent(s);
        return vds_err_set(err, VDS_ERR_IO, NULL, "spice-server refused the vdagent device");
    }
    s->attached = true;
    s->agent_in = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(s->agent_in, G_SOURCE_FUNC(agent_readable), s, NULL);
    g_source_attach(s->agent_in, s->ctx);
    if (s->ev->agent)
        s->ev->agent(s->user, true);
    return 0;
}

bool vds_spice_server_agent_attached(const vds_spice_server *s)
{
    return s->attached;
}

/* --- the minimal QXL: a primary surface with mouse_mode 1 (5.4) ------------ */

#define FB_W 1024
#define FB_H 768

static void qxl_attached(QXLInstance *qin)
{
    qxl *q = (qxl *)qin;
    QXLDevMemSlot slot = {.virt_start = 0, .virt_end = ~(uintptr_t)0, .qxl_ram_size = ~0u};
    spice_qxl_add_memslot(qin, &slot);
    QXLDevSurfaceCreate sc = {.width = FB_W,
                              .height = FB_H,
                              .stride = FB_W * 4,
                              .format = SPICE_SURFACE_FMT_32_xRGB,
                              .mouse_mode = 1,
                              .mem = (uintptr_t)q->fb,
                              .group_id = 0};
    spice_qxl_create_primary_surface(qin, 0, &sc);
}

static void qxl_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    info->num_memslots = 1;
    info->num_memslots_groups = 1;
    info->memslot_id_bits = 1;
    info->memslot_gen_bits = 1;
    info->n_surfaces = 1;
}

static int qxl_no_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
    return 0;
}

static int qxl_notify_later(QXLInstance *qin)
{
    return 1;
}

static void qxl_release(QXLInstance *qin, struct QXLReleaseInfoExt info) {}
static void qxl_compression(QXLInstance *qin, int level) {}
static void qxl_update(QXLInstance *qin, uint32_t id) {}
static int qxl_flush(QXLInstance *qin)
{
    return 0;
}
static void qxl_async(QXLInstance *qin, uint64_t cookie) {}
/* 0: MONITORS_CONFIG keeps flowing to the agent (3.7) */
static int qxl_monitors(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
    return 0;
}

static QXLInterface qxl_sif = {
    .base = {.type = SPICE_INTERFACE_QXL,
             .description = "vdsim minimal display",
             .major_version = SPICE_INTERFACE_QXL_MAJOR,
             .minor_version = SPICE_INTERFACE_QXL_MINOR},
    .attached_worker = qxl_attached,
    .set_compression_level = qxl_compression,
    .get_init_info = qxl_init_info,
    .get_command = qxl_no_command,
    .req_cmd_notification = qxl_notify_later,
    .release_resource = qxl_release,
    .get_cursor_command = qxl_no_command,
    .req_cursor_notification = qxl_notify_later,
    .notify_update = qxl_update,
    .flush_resources = qxl_flush,
    .async_complete = qxl_async,
    .client_monitors_config = qxl_monitors,
};

/* --- listening -------------------------------------------------------------- */

static gboolean on_accept(gint fd, GIOCondition c, gpointer user)
{
    vds_spice_server *s = user;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (cfd >= 0 && spice_server_add_client(s->spice, cfd, 0) != 0)
        close(cfd);
    return G_SOURCE_CONTINUE;
}

static int listen_on(vds_spice_server *s, vds_err *err)
{
    const vds_spice_server_opts *o = s->o;
    if (o->unix_path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(o->unix_path) >= sizeof(sa.sun_path))
            return vds_err_set(err, VDS_ERR_USAGE, o->unix_path, "socket path too long");
        strcpy(sa.sun_path, o->unix_path);
        unlink(o->unix_path);
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(s->listen_fd, 16) < 0)
            return vds_err_set(err, VDS_ERR_IO, o->unix_path, "listen: %s", g_strerror(errno));
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
        const char *host = o->host ? o->host : "127.0.0.1";
        g_autofree char *loc = g_strdup_printf("%s:%u", host, o->port);
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
            return vds_err_set(err, VDS_ERR_USAGE, loc, "not an IPv4 address");
        s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(s->listen_fd, 16) < 0)
            return vds_err_set(err, VDS_ERR_IO, loc, "listen: %s", g_strerror(errno));
        socklen_t sl = sizeof(sa);
        getsockname(s->listen_fd, (struct sockaddr *)&sa, &sl);
        s->port = ntohs(sa.sin_port);
    }
    s->listen_src = g_unix_fd_source_new(s->listen_fd, G_IO_IN);
    g_source_set_callback(s->listen_src, G_SOURCE_FUNC(on_accept), s, NULL);
    g_source_attach(s->listen_src, s->ctx);
    return 0;
}

/* spice-server listens for TLS itself: find it a free port first */
static unsigned free_port(const char *host)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, host, &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t sl = sizeof(sa);
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

vds_spice_server *vds_spice_server_new(GMainContext *ctx, const vds_spice_server_opts *o,
                                       const vds_spice_server_events *ev, void *user, vds_err *err)
{
    if (core_ctx)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "one embedded spice-server at a time"), NULL;
    vds_spice_server *s = g_new0(vds_spice_server, 1);
    s->ctx = ctx;
    s->o = o;
    s->ev = ev;
    s->user = user;
    s->listen_fd = -1;
    s->agent_fd = -1;
    core_ctx = ctx;
    s->log_handler = g_log_set_handler(
        "Spice", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, on_spice_log, s);
    if (listen_on(s, err) < 0)
        goto fail;
    s->spice = spice_server_new();
    const char *host = o->host ? o->host : "127.0.0.1";
    if (o->tls) {
        s->tls_port = o->tls_port ? o->tls_port : free_port(host);
        spice_server_set_addr(s->spice, host, SPICE_ADDR_FLAG_IPV4_ONLY);
        if (spice_server_set_tls(s->spice, (int)s->tls_port, o->ca_file, o->cert_file, o->key_file,
                                 NULL, NULL, NULL) != 0) {
            vds_err_set(err, VDS_ERR_IO, o->cert_file, "spice-server refused the TLS setup");
            goto fail;
        }
    }
    if (o->password && *o->password)
        spice_server_set_ticket(s->spice, o->password, 0, 0, 0);
    else
        spice_server_set_noauth(s->spice);
    spice_server_set_name(s->spice, "vdsim");
    spice_server_set_agent_mouse(s->spice, 1);
    spice_server_set_agent_copypaste(s->spice, 1);
    spice_server_set_agent_file_xfer(s->spice, 1);
    if (spice_server_init(s->spice, &core) != 0) {
        g_autofree char *loc = g_strdup_printf("%s:%u", host, s->tls_port);
        vds_err_set(err, VDS_ERR_IO, o->tls ? loc : NULL, "spice_server_init failed%s",
                    o->tls ? " (TLS files or port?)" : "");
        goto fail;
    }
    if (!o->no_qxl) {
        s->qxl.fb = g_malloc0(FB_W * FB_H * 4);
        s->qxl.qin.base.sif = &qxl_sif.base;
        s->qxl.qin.id = 0;
        spice_server_add_interface(s->spice, &s->qxl.qin.base);
        s->has_qxl = true;
    }
    spice_server_vm_start(s->spice);
    return s;
fail:
    vds_spice_server_free(s);
    return NULL;
}

void vds_spice_server_free(vds_spice_server *s)
{
    if (!s)
        return;
    detach_agent(s);
    if (s->listen_src) {
        g_source_destroy(s->listen_src);
        g_source_unref(s->listen_src);
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->o->unix_path)
        unlink(s->o->unix_path);
    if (s->spice) {
        if (s->has_qxl)
            spice_server_remove_interface(&s->qxl.qin.base);
        spice_server_destroy(s->spice);
    }
    g_free(s->qxl.fb);
    if (s->log_handler)
        g_log_remove_handler("Spice", s->log_handler);
    core_ctx = NULL;
    g_free(s);
}

unsigned vds_spice_server_port(const vds_spice_server *s)
{
    return s->port;
}

unsigned vds_spice_server_tls_port(const vds_spice_server *s)
{
    return s->tls_port;
}

const char *vds_spice_server_version(void)
{
    static char v[16];
    if (!v[0])
        snprintf(v, sizeof(v), "%d.%d.%d", SPICE_SERVER_VERSION >> 16,
                 (SPICE_SERVER_VERSION >> 8) & 0xff, SPICE_SERVER_VERSION & 0xff);
    return v;
}
