/* The local target: the real Debian agent on a private X server, no VM.
 * Recipe and facts: protocol-reference 6, environment.md. */
#define _GNU_SOURCE /* accept4 */
#include <X11/Xlib.h>
#include <X11/extensions/Xrandr.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "peer/port.h"
#include "proto/agent.h"
#include "target/target.h"

#define START_TIMEOUT_NS (30ull * 1000000000)

static const char xorg_conf[] =
    "Section \"ServerFlags\"\n"
    "    Option \"AutoAddDevices\" \"false\"\n"
    "    Option \"AutoEnableDevices\" \"false\"\n"
    "    Option \"DontVTSwitch\" \"true\"\n"
    "EndSection\n"
    "Section \"Device\"\n    Identifier \"dummy\"\n    Driver \"dummy\"\n"
    "    VideoRam 256000\nEndSection\n"
    "Section \"Monitor\"\n    Identifier \"monitor\"\n    HorizSync 5.0-1000.0\n"
    "    VertRefresh 5.0-200.0\nEndSection\n"
    "Section \"Screen\"\n    Identifier \"screen\"\n    Device \"dummy\"\n"
    "    Monitor \"monitor\"\n    DefaultDepth 24\n"
    "    SubSection \"Display\"\n        Depth 24\n        Virtual 4096 2160\n"
    "    EndSubSection\nEndSection\n";

typedef struct local {
    vds_target base;
    char *dir;
    char *display;
    GSubprocess *xserver, *vdagentd, *vdagent;
    GSubprocess *owners[2]; /* guest-copy xclip per selection */
    int listen_fd;
    GSource *listen_src;
    int uinput_fd;
    GSource *uinput_src;
    uint8_t uinput_partial[24];
    size_t uinput_have;
    vds_port *port;
    vds_local_port_fn port_fn; /* someone else plays the port's server end */
    void *port_user;
    Display *xdpy;
    bool stopping;
    bool paused;          /* spice-vdagentd stopped by a guest-agent step */
    GCancellable *cancel; /* the processes' exit watches, cancelled at free */
    struct paste {
        GSubprocess *p;
        bool done;
        GBytes *out;
        GError *error;
    } paste;
} local;

static const vds_port_events port_events;

static char *path_in(local *l, const char *name)
{
    return g_build_filename(l->dir, name, NULL);
}

static void set_dead(local *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void set_dead(local *l, const char *fmt, ...)
{
    va_list ap;
    if (l->base.dead || l->stopping)
        return;
    va_start(ap, fmt);
    l->base.dead = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

/* --- processes ---------------------------------------------------------- */

static void on_proc_exit(GObject *src, GAsyncResult *res, gpointer user)
{
    GSubprocess *p = G_SUBPROCESS(src);
    g_autoptr(GError) gerr = NULL;
    if (!g_subprocess_wait_finish(p, res, &gerr) &&
        g_error_matches(gerr, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* the target is gone: user is not to be touched */
    local *l = user;
    const char *name = p == l->vdagentd  ? "spice-vdagentd"
                       : p == l->vdagent ? "spice-vdagent"
                       : p == l->xserver ? "the X server"
                                         : NULL;
    if (!name)
        return;
    if (g_subprocess_get_if_signaled(p))
        set_dead(l, "%s was killed by signal %d (%s)", name, g_subprocess_get_term_sig(p),
                 g_strsignal(g_subprocess_get_term_sig(p)));
    else
        set_dead(l, "%s exited with status %d", name, g_subprocess_get_exit_status(p));
}

/* Runs in the child: it dies with vdsim, however vdsim ends (crash, SIGKILL). */
static void die_with_parent(gpointer user)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *spawn(local *l, const char *log, const char *const *argv, const char *display,
                          int pass_fd, vds_err *err)
{
    g_autoptr(GSubprocessLauncher) la =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE | G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_autofree char *log_path = path_in(l, log);
    g_autoptr(GError) gerr = NULL;
    g_subprocess_launcher_set_stdout_file_path(la, log_path);
    g_subprocess_launcher_set_child_setup(la, die_with_parent, NULL, NULL);
    if (display)
        g_subprocess_launcher_setenv(la, "DISPLAY", display, TRUE);
    if (pass_fd >= 0)
        g_subprocess_launcher_take_fd(la, pass_fd, 3);
    GSubprocess *p = g_subprocess_launcher_spawnv(la, argv, &gerr);
    if (!p) {
        vds_err_set(err, VDS_ERR_IO, NULL, "cannot start %s: %s", argv[0], gerr->message);
        return NULL;
    }
    g_subprocess_wait_async(p, l->cancel, on_proc_exit, l);
    return p;
}

static void kill_proc(GSubprocess **pp)
{
    GSubprocess *p = *pp;
    if (!p)
        return;
    *pp = NULL;
    if (!g_subprocess_get_identifier(p)) {
        g_object_unref(p);
        return;
    }
    g_subprocess_send_signal(p, SIGTERM);
    g_subprocess_send_signal(p, SIGCONT); /* a paused agent takes it too */
    uint64_t deadline = vds_clock_now_ns() + 2000000000ull;
    while (g_subprocess_get_identifier(p) && vds_clock_now_ns() < deadline)
        g_main_context_iteration(NULL, FALSE), g_usleep(5000);
    if (g_subprocess_get_identifier(p))
        g_subprocess_force_exit(p);
    g_subprocess_wait(p, NULL, NULL);
    g_object_unref(p);
}

static char *log_tail(local *l, const char *name, int lines)
{
    g_autofree char *path = path_in(l, name);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_strdup("(no log)");
    g_auto(GStrv) all = g_strsplit(g_strchomp(text), "\n", -1);
    guint n = g_strv_length(all);
    guint from = n > (guint)lines ? n - (guint)lines : 0;
    return g_strjoinv("\n    ", all + from);
}

/* --- the X server -------------------------------------------------------- */

static int read_display(local *l, int fd, vds_err *err)
{
    GString *got = g_string_new(NULL);
    uint64_t deadline = vds_clock_now_ns() + 15000000000ull;
    int rc = -1;
    while (!strchr(got->str, '\n')) {
        int64_t left = (int64_t)(deadline - vds_clock_now_ns()) / 1000000;
        GPollFD pfd = {fd, G_IO_IN, 0};
        char buf[16];
        if (left <= 0 || g_poll(&pfd, 1, (gint)left) <= 0) {
            vds_err_set(err, VDS_ERR_IO, NULL,
                        "the X server did not report its display within 15 s");
            goto out;
        }
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0) {
            g_autofree char *tail = log_tail(l, "xserver.log", 8);
            vds_err_set(err, VDS_ERR_IO, NULL, "the X server exited before it was ready:\n    %s",
                        tail);
            goto out;
        }
        g_string_append_len(got, buf, n);
    }
    l->display = g_strdup_printf(":%d", atoi(got->str));
    rc = 0;
out:
    g_string_free(got, TRUE);
    close(fd);
    return rc;
}

/* Xorg + dummy when installed, unless VDSIM_XSERVER=xvfb asks for the fallback. */
static bool have_dummy_driver(void)
{
    const char *want = g_getenv("VDSIM_XSERVER");
    if (want && strcmp(want, "xvfb") == 0)
        return false;
    return g_file_test("/usr/lib/xorg/modules/drivers/dummy_drv.so", G_FILE_TEST_EXISTS) &&
           g_file_test("/usr/lib/xorg/Xorg", G_FILE_TEST_EXISTS);
}

static int start_x(local *l, vds_err *err)
{
    int fds[2];
    if (pipe(fds) < 0)
        return vds_err_set(err, VDS_ERR_IO, NULL, "pipe: %s", g_strerror(errno));
    if (have_dummy_driver()) {
        g_autofree char *conf = path_in(l, "xorg.conf");
        g_autofree char *xlog = path_in(l, "Xorg.log");
        if (!g_file_set_contents(conf, xorg_conf, -1, NULL))
            return vds_err_set(err, VDS_ERR_IO, conf, "cannot write the Xorg config");
        const char *argv[] = {"Xorg",     "-noreset", "-nolisten",  "tcp", "-config", conf,
                              "-logfile", xlog,       "-displayfd", "3",   NULL};
        l->xserver = spawn(l, "xserver.log", argv, NULL, fds[1], err);
        g_free(l->base.info);
        l->base.info = g_strdup("Xorg with the dummy driver (16 outputs)");
    } else {
        /* Xvfb: one output that cannot grow past its start size */
        const char *argv[] = {"Xvfb",         "-nolisten",  "tcp", "-screen", "0",
                              "3840x2160x24", "-displayfd", "3",   NULL};
        l->xserver = spawn(l, "xserver.log", argv, NULL, fds[1], err);
        g_free(l->base.info);
        l->base.info = g_strdup("Xvfb (one output, at most 3840x2160: multi-monitor layouts "
                                "cannot apply; install xserver-xorg-video-dummy)");
    }
    if (!l->xserver) {
        close(fds[0]);
        return -1;
    }
    if (read_display(l, fds[0], err) < 0)
        return -1;
    char *info = g_strdup_printf("%s on DISPLAY=%s", l->base.info, l->display);
    g_free(l->base.info);
    l->base.info = info;
    l->xdpy = XOpenDisplay(l->display);
    if (!l->xdpy)
        return vds_err_set(err, VDS_ERR_IO, NULL, "cannot open X display %s", l->display);
    return 0;
}

/* --- fake uinput -------------------------------------------------------- */

static gboolean on_uinput(gint fd, GIOCondition cond, gpointer user)
{
    local *l = user;
    uint8_t buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    for (ssize_t i = 0; i < n; i++) {
        l->uinput_partial[l->uinput_have++] = buf[i];
        if (l->uinput_have < 24)
            continue;
        /* struct input_event on x86_64: 16 bytes of zero time, u16, u16, s32 */
        vds_input_event ev;
        memcpy(&ev.type, l->uinput_partial + 16, 2);
        memcpy(&ev.code, l->uinput_partial + 18, 2);
        memcpy(&ev.value, l->uinput_partial + 20, 4);
        g_array_append_val(l->base.input, ev);
        l->uinput_have = 0;
    }
    return G_SOURCE_CONTINUE;
}

static int start_uinput(local *l, vds_err *err)
{
    g_autofree char *fifo = path_in(l, "uinput");
    if (mkfifo(fifo, 0600) < 0)
        return vds_err_set(err, VDS_ERR_IO, fifo, "mkfifo: %s", g_strerror(errno));
    /* O_RDWR: the reader survives vdagentd closing and reopening it */
    l->uinput_fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (l->uinput_fd < 0)
        return vds_err_set(err, VDS_ERR_IO, fifo, "open: %s", g_strerror(errno));
    l->uinput_src = g_unix_fd_source_new(l->uinput_fd, G_IO_IN);
    g_source_set_callback(l->uinput_src, G_SOURCE_FUNC(on_uinput), l, NULL);
    g_source_attach(l->uinput_src, l->base.ctx);
    return 0;
}

/* --- the port ------------------------------------------------------------ */

static void on_port_message(void *user, uint64_t t_ns, const vds_chunk_msg *m)
{
    vds_target_queue_rx(&((local *)user)->base, t_ns, m);
}

static void on_port_closed(void *user, uint64_t t_ns, const vds_err *err)
{
    local *l = user;
    l->base.port_open = false;
    (void)err; /* vdagentd reconnects; a framing error shows as a reconnect */
}

static const vds_port_events port_events = {on_port_message, on_port_closed};

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user)
{
    local *l = user;
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return G_SOURCE_CONTINUE;
    if (l->port_fn) {
        l->base.port_open = l->port_fn(l->port_user, c) == 0;
        return G_SOURCE_CONTINUE;
    }
    vds_port_free(l->port);
    l->port = vds_port_new(c, l->base.ctx, &port_events, l);
    l->base.port_open = true;
    return G_SOURCE_CONTINUE;
}

static int start_listener(local *l, vds_err *err)
{
    g_autofree char *sock = path_in(l, "vport.sock");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(sock) >= sizeof(sa.sun_path))
        return vds_err_set(err, VDS_ERR_IO, sock, "socket path too long");
    strcpy(sa.sun_path, sock);
    l->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->listen_fd < 0 || bind(l->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(l->listen_fd, 4) < 0)
        return vds_err_set(err, VDS_ERR_IO, sock, "listen: %s", g_strerror(errno));
    l->listen_src = g_unix_fd_source_new(l->listen_fd, G_IO_IN);
    g_source_set_callback(l->listen_src, G_SOURCE_FUNC(on_accept), l, NULL);
    g_source_attach(l->listen_src, l->base.ctx);
    return 0;
}

/* --- start / stop -------------------------------------------------------- */

typedef struct file_wait {
    local *l;
    const char *path;
} file_wait;

static bool file_or_dead(void *user)
{
    file_wait *w = user;
    return w->l->base.dead || g_file_test(w->path, G_FILE_TEST_EXISTS);
}

static bool agent_announced(void *user)
{
    local *l = user;
    if (l->base.dead)
        return true;
    if (l->port_fn) /* the announcement goes to the port's owner */
        return l->base.port_open;
    for (GList *i = l->base.rx->head; i; i = i->next) {
        vds_rx *rx = i->data;
        const uint8_t *b = g_bytes_get_data(rx->bytes, NULL);
        if (g_bytes_get_size(rx->bytes) >= 24 &&
            vds_get_u32(b + 4) == VD_AGENT_ANNOUNCE_CAPABILITIES)
            return true;
    }
    return false;
}

/* VDSIM_VDAGENTD / VDSIM_VDAGENT name other builds of the agent (a fixed
 * or a broken one, for replays); else PATH, else /usr/sbin. */
static const char *find_program(const char *name, const char *env, char *buf, size_t size)
{
    const char *over = g_getenv(env);
    if (over && *over) {
        g_strlcpy(buf, over, size);
        return buf;
    }
    g_autofree char *p = g_find_program_in_path(name);
    if (p) {
        g_strlcpy(buf, p, size);
        return buf;
    }
    snprintf(buf, size, "/usr/sbin/%s", name);
    return g_file_test(buf, G_FILE_TEST_IS_EXECUTABLE) ? buf : NULL;
}

static int local_start(vds_target *t, vds_err *err)
{
    local *l = (local *)t;
    char vdagentd[256], vdagent[256];
    g_autoptr(GError) gerr = NULL;

    if (!find_program("spice-vdagentd", "VDSIM_VDAGENTD", vdagentd, sizeof(vdagentd)) ||
        !find_program("spice-vdagent", "VDSIM_VDAGENT", vdagent, sizeof(vdagent)))
        return vds_err_set(err, VDS_ERR_IO, NULL,
                           "spice-vdagentd/spice-vdagent not found (Debian package spice-vdagent)");
    g_autofree char *xvfb = g_find_program_in_path("Xvfb");
    if (!have_dummy_driver() && !xvfb)
        return vds_err_set(err, VDS_ERR_IO, NULL,
                           "no X server: install xserver-xorg-video-dummy (or xvfb)");
    l->dir = g_dir_make_tmp("vdsim-local-XXXXXX", &gerr);
    if (!l->dir)
        return vds_err_set(err, VDS_ERR_IO, NULL, "temp dir: %s", gerr->message);
    t->log_dir = g_strdup(l->dir);
    if (start_x(l, err) < 0 || start_uinput(l, err) < 0 || start_listener(l, err) < 0)
        return -1;
    g_autofree char *fifo = path_in(l, "uinput"), *port = path_in(l, "vport.sock");
    g_autofree char *dsock = path_in(l, "vdagentd.sock"), *xfer = path_in(l, "xfer");
    g_mkdir(xfer, 0700);
    const char *dargv[] = {vdagentd, "-x", "-d", "-d", "-X",  "-f", "-u",
                           fifo,     "-s", port, "-S", dsock, NULL};
    if (!(l->vdagentd = spawn(l, "spice-vdagentd.log", dargv, NULL, -1, err)))
        return -1;
    uint64_t deadline = vds_clock_now_ns() + START_TIMEOUT_NS;
    file_wait fw = {l, dsock};
    if (!vds_target_wait(t, deadline, file_or_dead, &fw) || t->dead) {
        g_autofree char *tail = log_tail(l, "spice-vdagentd.log", 8);
        return vds_err_set(err, VDS_ERR_IO, NULL, "spice-vdagentd did not create %s%s%s:\n    %s",
                           dsock, t->dead ? ": " : " within 30 s", t->dead ? t->dead : "", tail);
    }
    const char *aargv[] = {vdagent, "-x", "-d", "-s", port, "-S", dsock, "-f", xfer, NULL};
    if (!(l->vdagent = spawn(l, "spice-vdagent.log", aargv, l->display, -1, err)))
        return -1;
    if (!vds_target_wait(t, deadline, agent_announced, l) || t->dead) {
        g_autofree char *d = log_tail(l, "spice-vdagentd.log", 6);
        g_autofree char *a = log_tail(l, "spice-vdagent.log", 6);
        return vds_err_set(err, VDS_ERR_IO, NULL,
                           "the agent did not announce its capabilities on its port%s%s:\n"
                           "  spice-vdagentd:\n    %s\n  spice-vdagent:\n    %s",
                           t->dead ? ": " : " within 30 s", t->dead ? t->dead : "", d, a);
    }
    return 0;
}

static void paste_clear(local *l, struct paste *pa);

/* guest-agent: stop | continue: spice-vdagentd stops reading its port (as a
   hung guest agent does) or goes on. */
static int local_agent_pause(vds_target *t, bool stop, vds_err *err)
{
    local *l = (local *)t;
    if (!l->vdagentd || !g_subprocess_get_identifier(l->vdagentd))
        return vds_err_set(err, VDS_ERR_IO, NULL, "spice-vdagentd is not running");
    g_subprocess_send_signal(l->vdagentd, stop ? SIGSTOP : SIGCONT);
    l->paused = stop;
    return 0;
}

static void local_reset(vds_target *t)
{
    local *l = (local *)t;
    if (l->paused) /* the next scenario gets a running agent */
        local_agent_pause(t, false, NULL);
    paste_clear(l, &l->paste);
    kill_proc(&l->owners[0]);
    kill_proc(&l->owners[1]);
}

static void local_stop(vds_target *t)
{
    local *l = (local *)t;
    l->stopping = true;
    local_reset(t);
    kill_proc(&l->vdagent);
    kill_proc(&l->vdagentd);
    if (l->xdpy) {
        XCloseDisplay(l->xdpy);
        l->xdpy = NULL;
    }
    kill_proc(&l->xserver);
    vds_port_free(l->port);
    l->port = NULL;
    t->port_open = false;
    if (l->listen_src) {
        g_source_destroy(l->listen_src);
        g_source_unref(l->listen_src);
        l->listen_src = NULL;
    }
    if (l->listen_fd > 0)
        close(l->listen_fd);
    l->listen_fd = -1;
    if (l->uinput_src) {
        g_source_destroy(l->uinput_src);
        g_source_unref(l->uinput_src);
        l->uinput_src = NULL;
    }
    if (l->uinput_fd > 0)
        close(l->uinput_fd);
    l->uinput_fd = -1;
    if (l->dir) { /* with the file-xfer save dir in it */
        vds_remove_tree(l->dir);
        g_clear_pointer(&l->dir, g_free);
    }
    /* a restart sets these anew */
    g_clear_pointer(&l->display, g_free);
    g_clear_pointer(&t->log_dir, g_free);
}

static int local_send(vds_target *t, uint32_t port, const uint8_t *msg, size_t len, uint64_t *t_ns,
                      vds_err *err)
{
    local *l = (local *)t;
    if (!l->port || !t->port_open)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the agent's port is not open");
    t->tx_offset = vds_port_tx_offset(l->port);
    return vds_port_send(l->port, port, msg, len, t_ns, err);
}

static int local_write_raw(vds_target *t, const uint8_t *data, size_t len, vds_err *err)
{
    local *l = (local *)t;
    if (!l->port || !t->port_open)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the agent's port is not open");
    return vds_port_write_raw(l->port, data, len, err);
}

static int cmp_rect(gconstpointer a, gconstpointer b)
{
    const vds_rect *ra = a, *rb = b;
    return ra->x != rb->x ? (ra->x < rb->x ? -1 : 1) : (ra->y < rb->y ? -1 : ra->y > rb->y);
}

static int local_screen(vds_target *t, GArray *rects, vds_err *err)
{
    local *l = (local *)t;
    g_array_set_size(rects, 0);
    if (!l->xdpy)
        return vds_err_set(err, VDS_ERR_IO, NULL, "no X display");
    XRRScreenResources *res = XRRGetScreenResourcesCurrent(l->xdpy, DefaultRootWindow(l->xdpy));
    if (!res)
        return vds_err_set(err, VDS_ERR_IO, NULL, "RandR: no screen resources");
    for (int i = 0; i < res->ncrtc; i++) {
        XRRCrtcInfo *ci = XRRGetCrtcInfo(l->xdpy, res, res->crtcs[i]);
        /* a CRTC with no area shows nothing (RandR leaves them when it clamps) */
        if (ci && ci->mode != None && ci->noutput > 0 && ci->width && ci->height) {
            vds_rect r = {ci->width, ci->height, ci->x, ci->y};
            g_array_append_val(rects, r);
        }
        if (ci)
            XRRFreeCrtcInfo(ci);
    }
    XRRFreeScreenResources(res);
    g_array_sort(rects, cmp_rect);
    return 0;
}

/* spice-vdagentd -d -d logs "updating uinput size to WxH" when the session
 * agent reports a new layout; mouse states before it use the old offsets. */
static bool local_screen_taken(vds_target *t)
{
    local *l = (local *)t;
    Window root;
    int x, y;
    unsigned w, h, border, depth;
    /* a round trip: the root's size now, not Xlib's cached one */
    if (!l->xdpy ||
        !XGetGeometry(l->xdpy, DefaultRootWindow(l->xdpy), &root, &x, &y, &w, &h, &border, &depth))
        return false;
    g_autofree char *path = path_in(l, "spice-vdagentd.log");
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return false;
    const char *key = "updating uinput size to ", *last = NULL;
    for (const char *p = strstr(text, key); p; p = strstr(p + 1, key))
        last = p;
    unsigned lw, lh;
    return last && sscanf(last + strlen(key), "%ux%u", &lw, &lh) == 2 && lw == w && lh == h;
}

/* xclip, a Debian X client, reads and owns selections for the guest. */
/* xclip copying (stdin from a pipe, or from the file at in when given) or pasting. */
static GSubprocess *xclip_spawn(local *l, bool copy, const char *in, uint8_t sel, vds_err *err)
{
    g_autoptr(GSubprocessLauncher) la = g_subprocess_launcher_new(
        copy ? (in ? 0 : G_SUBPROCESS_FLAGS_STDIN_PIPE) | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                   G_SUBPROCESS_FLAGS_STDERR_SILENCE
             : G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    if (in)
        g_subprocess_launcher_set_stdin_file_path(la, in);
    g_autoptr(GError) gerr = NULL;
    const char *name = sel ? "primary" : "clipboard";
    /* -quiet keeps xclip in the foreground: it owns the selection until killed */
    const char *copy_argv[] = {"xclip", "-quiet", "-i", "-selection", name, NULL};
    const char *paste_argv[] = {"xclip", "-o", "-selection", name, NULL};
    g_subprocess_launcher_setenv(la, "DISPLAY", l->display, TRUE);
    g_subprocess_launcher_set_child_setup(la, die_with_parent, NULL, NULL);
    GSubprocess *p = g_subprocess_launcher_spawnv(la, copy ? copy_argv : paste_argv, &gerr);
    if (!p)
        vds_err_set(err, VDS_ERR_IO, NULL, "cannot run xclip: %s (Debian package xclip)",
                    gerr->message);
    return p;
}

/* A paste running in the background: the agent may have to ask the host
 * for the data before it completes. */
static void on_pasted(GObject *src, GAsyncResult *res, gpointer user)
{
    struct paste *pa = user;
    g_subprocess_communicate_finish(G_SUBPROCESS(src), res, &pa->out, NULL, &pa->error);
    pa->done = true;
}

static bool paste_done(void *user)
{
    return ((struct paste *)user)->done;
}

static void paste_clear(local *l, struct paste *pa)
{
    if (pa->p && !pa->done) {
        g_subprocess_force_exit(pa->p);
        while (!pa->done)
            g_main_context_iteration(l->base.ctx, TRUE);
    }
    g_clear_object(&pa->p);
    g_clear_pointer(&pa->out, g_bytes_unref);
    g_clear_error(&pa->error);
    pa->done = false;
}

static int paste_begin(local *l, uint8_t sel, struct paste *pa, vds_err *err)
{
    paste_clear(l, pa);
    if (!(pa->p = xclip_spawn(l, false, NULL, sel, err)))
        return -1;
    g_subprocess_communicate_async(pa->p, NULL, NULL, on_pasted, pa);
    return 0;
}

/* 0 with *text, or -1 with err saying whether it did not finish or got nothing. */
static int paste_end(local *l, struct paste *pa, uint64_t deadline, GBytes **text, vds_err *err)
{
    *text = NULL;
    if (!vds_target_wait(&l->base, deadline, paste_done, pa))
        return vds_err_set(err, VDS_ERR_IO, NULL, "the guest's paste did not finish");
    if (pa->error || !g_subprocess_get_if_exited(pa->p) || g_subprocess_get_exit_status(pa->p) != 0)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the guest's paste got nothing");
    *text = g_bytes_ref(pa->out);
    return 0;
}

static int local_clipboard(vds_target *t, uint8_t sel, uint64_t timeout_ns, GBytes **text,
                           vds_err *err)
{
    local *l = (local *)t;
    struct paste pa = {0};
    int rc = paste_begin(l, sel, &pa, err);
    if (rc == 0)
        rc = paste_end(l, &pa, vds_clock_now_ns() + timeout_ns, text, err);
    paste_clear(l, &pa); /* a paste that did not finish is stopped here */
    return rc;
}

static int local_guest_copy(vds_target *t, uint8_t sel, GBytes *text, const char *path,
                            vds_err *err)
{
    local *l = (local *)t;
    g_autoptr(GError) gerr = NULL;
    kill_proc(&l->owners[sel & 1]);
    GSubprocess *p = xclip_spawn(l, true, text ? NULL : path, sel, err);
    if (!p)
        return -1;
    if (!text) { /* xclip reads the file itself */
        l->owners[sel & 1] = p;
        return 0;
    }
    GOutputStream *in = g_subprocess_get_stdin_pipe(p);
    gsize written;
    if (!g_output_stream_write_all(in, g_bytes_get_data(text, NULL), g_bytes_get_size(text),
                                   &written, NULL, &gerr) ||
        !g_output_stream_close(in, NULL, &gerr)) {
        g_subprocess_force_exit(p);
        g_object_unref(p);
        return vds_err_set(err, VDS_ERR_IO, NULL, "xclip: %s", gerr->message);
    }
    l->owners[sel & 1] = p;
    return 0;
}

static bool has_owner(local *l, uint8_t sel)
{
    Atom a = XInternAtom(l->xdpy, sel ? "PRIMARY" : "CLIPBOARD", False);
    return XGetSelectionOwner(l->xdpy, a) != None;
}

static bool never_done(void *user)
{
    return false;
}

static int local_paste_start(vds_target *t, uint8_t sel, vds_err *err)
{
    local *l = (local *)t;
    /* like a person: paste once the selection has an owner (the session
       agent takes it a moment after the grab arrives) */
    uint64_t deadline = vds_clock_now_ns() + 3000000000ull;
    while (!has_owner(l, sel) && vds_clock_now_ns() < deadline)
        vds_target_wait(t, vds_clock_now_ns() + 10000000ull, never_done, NULL);
    return paste_begin(l, sel, &l->paste, err);
}

static int local_paste_result(vds_target *t, uint64_t deadline, GBytes **text, vds_err *err)
{
    local *l = (local *)t;
    *text = NULL;
    if (!l->paste.p)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "no guest-paste step before this check");
    return paste_end(l, &l->paste, deadline, text, err);
}

static bool port_open_or_dead(void *user)
{
    vds_target *t = user;
    return t->port_open || t->dead;
}

static int local_session(vds_target *t, uint32_t caps, uint64_t deadline, vds_err *err)
{
    if (!vds_target_wait(t, deadline, port_open_or_dead, t) || t->dead)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the agent's port did not reopen: %s",
                           t->dead ? t->dead : "no connection in time");
    return vds_target_port_session(t, caps, err);
}

static void local_guest_release(vds_target *t, uint8_t sel)
{
    local *l = (local *)t;
    kill_proc(&l->owners[sel & 1]);
}

static void local_free(vds_target *t)
{
    local *l = (local *)t;
    local_stop(t);
    g_cancellable_cancel(l->cancel); /* exit watches still pending must not reach l */
    g_object_unref(l->cancel);
    g_free(l->display);
    g_free(l);
}

/* Waiting for the agent is mostly waiting for its port: a reply already
   readable is taken straight from the socket, the loop serves the rest. */
static bool local_pump(void *user)
{
    local *l = user; /* the port may be replaced during a wait: look it up each time */
    return l->port && vds_port_pump(l->port);
}

static bool local_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    return vds_loop_until_pumped(t->ctx, deadline, local_pump, t, done, user);
}

static const vds_target_ops local_ops = {
    .name = "local",
    .start = local_start,
    .stop = local_stop,
    .session = local_session,
    .send = local_send,
    .wait = local_wait,
    .agent_pause = local_agent_pause,
    .write_raw = local_write_raw,
    .screen = local_screen,
    .screen_taken = local_screen_taken,
    .clipboard = local_clipboard,
    .guest_copy = local_guest_copy,
    .guest_release = local_guest_release,
    .paste_start = local_paste_start,
    .paste_result = local_paste_result,
    .reset = local_reset,
    .free = local_free,
};

void vds_target_local_set_port(vds_target *t, vds_local_port_fn fn, void *user)
{
    local *l = (local *)t;
    l->port_fn = fn;
    l->port_user = user;
}

vds_target *vds_target_local_new(GMainContext *ctx)
{
    local *l = g_new0(local, 1);
    l->base.ops = &local_ops;
    l->base.ctx = ctx;
    l->base.rx = g_queue_new();
    l->base.input = g_array_new(FALSE, FALSE, sizeof(vds_input_event));
    l->listen_fd = -1;
    l->uinput_fd = -1;
    l->cancel = g_cancellable_new();
    return &l->base;
}
