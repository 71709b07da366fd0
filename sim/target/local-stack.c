/* The local agent stack: the real Debian agent on a private X server, no VM.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "peer/port.h"
#include "proto/agent.h"
#include "target/agent-root.h"
#include "target/local-stack.h"

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

struct vds_local_stack {
    vds_target *owner; /* borrowed: whose dead, port_open, info, log_dir and rx these are */
    char *dir;
    char *display;
    GSubprocess *xserver, *vdagentd, *vdagent;
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
    bool paused;                /* spice-vdagentd stopped by a guest-agent step */
    bool port_taken;            /* port_fn took the agent's connection */
    bool x_gone;                /* vdsim's X connection was lost */
    GArray *input;              /* vds_input_event: what the fake uinput got */
    GCancellable *cancel;       /* the processes' exit watches, cancelled at free */
    vds_agent_root_entry entry; /* where the agents run: root NULL for the host */
};
typedef vds_local_stack local;

static const vds_port_events port_events;

static char *path_in(local *l, const char *name)
{
    return g_build_filename(l->dir, name, NULL);
}

static void set_dead(local *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void set_dead(local *l, const char *fmt, ...)
{
    va_list ap;
    if (l->owner->dead || l->stopping)
        return;
    va_start(ap, fmt);
    l->owner->dead = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

/* --- processes ---------------------------------------------------------- */

/* Whether p has died, whether or not it has been reaped yet: its /proc
   entry is gone or a zombie. */
static bool proc_gone(GSubprocess *p)
{
    const char *id = p ? g_subprocess_get_identifier(p) : NULL;
    if (!id)
        return p != NULL; /* GLib reaped it */
    g_autofree char *path = g_strdup_printf("/proc/%s/stat", id), *stat = NULL;
    if (!g_file_get_contents(path, &stat, NULL, NULL))
        return true;
    const char *end = strrchr(stat, ')'); /* the state follows the command's name */
    return end && strlen(end) >= 3 && (end[2] == 'Z' || end[2] == 'X');
}

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
    /* the session agent exits when the X server or the daemon it talks to
       dies, and its exit may be seen first: the cause is the one it lost */
    const char *under = p != l->vdagent          ? NULL
                        : proc_gone(l->xserver)  ? "the X server"
                        : proc_gone(l->vdagentd) ? "spice-vdagentd"
                                                 : NULL;
    if (under)
        set_dead(l, "%s died (spice-vdagent exited after it)", under);
    else if (g_subprocess_get_if_signaled(p))
        set_dead(l, "%s was killed by signal %d (%s)", name, g_subprocess_get_term_sig(p),
                 g_strsignal(g_subprocess_get_term_sig(p)));
    else
        set_dead(l, "%s exited with status %d", name, g_subprocess_get_exit_status(p));
}

/* Runs in the child: it dies with vdsim, however vdsim ends (crash, SIGKILL). */
void vds_local_die_with_parent(gpointer user)
{
    vds_agent_root_enter(NULL);
}

/* in_root: an agent, started inside the agent root when there is one */
static GSubprocess *spawn(local *l, const char *log, const char *const *argv, const char *display,
                          int pass_fd, bool in_root, vds_err *err)
{
    g_autoptr(GSubprocessLauncher) la =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE | G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_autofree char *log_path = path_in(l, log);
    g_autoptr(GError) gerr = NULL;
    g_subprocess_launcher_set_stdout_file_path(la, log_path);
    g_subprocess_launcher_set_child_setup(la, vds_agent_root_enter, in_root ? &l->entry : NULL,
                                          NULL);
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

void vds_local_kill(GSubprocess **pp)
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

/* Xlib's default for a lost connection prints and calls exit(): a dead X
   server would end vdsim, its run and its reports with it. */
static int quiet_x_io_error(Display *d)
{
    return 0;
}

/* The connection to X is gone: the stack is dead like any stack whose
   process died, and is restarted for the next scenario. */
static void on_x_gone(Display *d, void *user)
{
    local *l = user;
    l->x_gone = true;
    set_dead(l, "the X server went away (vdsim's connection to %s was lost)", l->display);
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
        l->xserver = spawn(l, "xserver.log", argv, NULL, fds[1], false, err);
        g_free(l->owner->info);
        l->owner->info = g_strdup("Xorg with the dummy driver (16 outputs)");
    } else {
        /* Xvfb: one output that cannot grow past its start size */
        const char *argv[] = {"Xvfb",         "-nolisten",  "tcp", "-screen", "0",
                              "3840x2160x24", "-displayfd", "3",   NULL};
        l->xserver = spawn(l, "xserver.log", argv, NULL, fds[1], false, err);
        g_free(l->owner->info);
        l->owner->info = g_strdup("Xvfb (one output, at most 3840x2160: multi-monitor layouts "
                                  "cannot apply; install xserver-xorg-video-dummy)");
    }
    if (!l->xserver) {
        close(fds[0]);
        return -1;
    }
    if (read_display(l, fds[0], err) < 0)
        return -1;
    /* for the next vdsim, should this one be killed: whose X socket is stale */
    g_autofree char *dfile = path_in(l, "display");
    g_file_set_contents(dfile, l->display, -1, NULL);
    char *info = g_strdup_printf("%s on DISPLAY=%s", l->owner->info, l->display);
    g_free(l->owner->info);
    l->owner->info = info;
    l->xdpy = XOpenDisplay(l->display);
    if (!l->xdpy)
        return vds_err_set(err, VDS_ERR_IO, NULL, "cannot open X display %s", l->display);
    XSetIOErrorHandler(quiet_x_io_error);
    XSetIOErrorExitHandler(l->xdpy, on_x_gone, l);
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
        g_array_append_val(l->input, ev);
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
    g_source_attach(l->uinput_src, l->owner->ctx);
    return 0;
}

/* --- the port ------------------------------------------------------------ */

static void on_port_message(void *user, uint64_t t_ns, const vds_chunk_msg *m)
{
    vds_target_queue_rx(((local *)user)->owner, t_ns, m);
}

static void on_port_closed(void *user, uint64_t t_ns, const vds_err *err)
{
    local *l = user;
    l->owner->port_open = false;
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
        l->port_taken = l->port_fn(l->port_user, c) == 0;
        return G_SOURCE_CONTINUE;
    }
    vds_port_free(l->port);
    l->port = vds_port_new(c, l->owner->ctx, &port_events, l);
    l->owner->port_open = true;
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
    g_source_attach(l->listen_src, l->owner->ctx);
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
    return w->l->owner->dead || g_file_test(w->path, G_FILE_TEST_EXISTS);
}

static bool agent_announced(void *user)
{
    local *l = user;
    if (l->owner->dead)
        return true;
    if (l->port_fn) /* the announcement goes to the port's owner */
        return l->port_taken;
    for (GList *i = l->owner->rx->head; i; i = i->next) {
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

/* The agents' programs: the agent root's, or find_program's. */
static int find_agents(char *vdagentd, char *vdagent, size_t size, vds_err *err)
{
    const char *root = vds_agent_root();
    if (root) {
        if (vds_agent_root_check(root, err) < 0)
            return -1;
        g_strlcpy(vdagentd, "/usr/sbin/spice-vdagentd", size);
        g_strlcpy(vdagent, "/usr/bin/spice-vdagent", size);
        return 0;
    }
    if (!find_program("spice-vdagentd", "VDSIM_VDAGENTD", vdagentd, size) ||
        !find_program("spice-vdagent", "VDSIM_VDAGENT", vdagent, size))
        return vds_err_set(err, VDS_ERR_IO, NULL,
                           "spice-vdagentd/spice-vdagent not found (Debian package spice-vdagent)");
    return 0;
}

/* A file of the stack's dir as the agents see it: inside an agent root the
   dir is mounted at VDS_AGENT_ROOT_RUN. */
static char *agent_path(local *l, const char *name)
{
    return l->entry.root ? g_build_filename(VDS_AGENT_ROOT_RUN, name, NULL) : path_in(l, name);
}

int vds_local_stack_start(vds_local_stack *l, vds_err *err)
{
    vds_target *t = l->owner;
    l->stopping = false;
    l->port_taken = false;
    l->x_gone = false;
    char vdagentd[256], vdagent[256];

    if (find_agents(vdagentd, vdagent, sizeof(vdagentd), err) < 0)
        return -1;
    g_autofree char *xvfb = g_find_program_in_path("Xvfb");
    if (!have_dummy_driver() && !xvfb)
        return vds_err_set(err, VDS_ERR_IO, NULL,
                           "no X server: install xserver-xorg-video-dummy (or xvfb)");
    l->dir = vds_tmp_dir_new("vdsim-local", err);
    if (!l->dir)
        return -1;
    l->entry = (vds_agent_root_entry){vds_agent_root(), l->dir};
    t->log_dir = g_strdup(l->dir);
    if (start_x(l, err) < 0 || start_uinput(l, err) < 0 || start_listener(l, err) < 0)
        return -1;
    g_autofree char *dsock_here = path_in(l, "vdagentd.sock"), *xfer = path_in(l, "xfer");
    g_autofree char *fifo = agent_path(l, "uinput"), *port = agent_path(l, "vport.sock");
    g_autofree char *dsock = agent_path(l, "vdagentd.sock"), *xfer_in = agent_path(l, "xfer");
    g_mkdir(xfer, 0700);
    const char *dargv[] = {vdagentd, "-x", "-d", "-d", "-X",  "-f", "-u",
                           fifo,     "-s", port, "-S", dsock, NULL};
    if (!(l->vdagentd = spawn(l, "spice-vdagentd.log", dargv, NULL, -1, true, err)))
        return -1;
    uint64_t deadline = vds_clock_now_ns() + START_TIMEOUT_NS;
    file_wait fw = {l, dsock_here};
    if (!vds_target_wait(t, deadline, file_or_dead, &fw) || t->dead) {
        g_autofree char *tail = log_tail(l, "spice-vdagentd.log", 8);
        return vds_err_set(err, VDS_ERR_IO, NULL, "spice-vdagentd did not create %s%s%s:\n    %s",
                           dsock, t->dead ? ": " : " within 30 s", t->dead ? t->dead : "", tail);
    }
    const char *aargv[] = {vdagent, "-x", "-d", "-s", port, "-S", dsock, "-f", xfer_in, NULL};
    if (!(l->vdagent = spawn(l, "spice-vdagent.log", aargv, l->display, -1, true, err)))
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

void vds_local_stack_stop(vds_local_stack *l)
{
    vds_target *t = l->owner;
    l->stopping = true;
    if (l->paused) /* it takes SIGTERM only once it runs again */
        vds_local_stack_pause(l, false, NULL);
    vds_local_kill(&l->vdagent);
    vds_local_kill(&l->vdagentd);
    if (l->xdpy) {
        XCloseDisplay(l->xdpy);
        l->xdpy = NULL;
    }
    vds_local_kill(&l->xserver);
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

/* guest-agent: stop | continue: spice-vdagentd stops reading its port (as a
   hung guest agent does) or goes on. */
int vds_local_stack_pause(vds_local_stack *l, bool stop, vds_err *err)
{
    if (!l->vdagentd || !g_subprocess_get_identifier(l->vdagentd))
        return vds_err_set(err, VDS_ERR_IO, NULL, "spice-vdagentd is not running");
    g_subprocess_send_signal(l->vdagentd, stop ? SIGSTOP : SIGCONT);
    l->paused = stop;
    return 0;
}

int vds_local_stack_send(vds_local_stack *l, uint32_t port, const uint8_t *msg, size_t len,
                         uint64_t *t_ns, vds_err *err)
{
    if (!l->port || !l->owner->port_open)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the agent's port is not open");
    l->owner->tx_offset = vds_port_tx_offset(l->port);
    return vds_port_send(l->port, port, msg, len, t_ns, err);
}

int vds_local_stack_write_raw(vds_local_stack *l, const uint8_t *data, size_t len, vds_err *err)
{
    if (!l->port || !l->owner->port_open)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the agent's port is not open");
    return vds_port_write_raw(l->port, data, len, err);
}

bool vds_local_stack_pump(vds_local_stack *l)
{
    return l->port && vds_port_pump(l->port);
}

const char *vds_local_stack_display(vds_local_stack *l)
{
    return l->display;
}

Display *vds_local_stack_xdisplay(vds_local_stack *l)
{
    return l->xdpy;
}

char *vds_local_stack_path(vds_local_stack *l, const char *name)
{
    return l->dir ? path_in(l, name) : NULL;
}

GArray *vds_local_stack_input(vds_local_stack *l)
{
    return l->input;
}

void vds_local_stack_set_port(vds_local_stack *l, vds_local_port_fn fn, void *user)
{
    l->port_fn = fn;
    l->port_user = user;
}

vds_local_stack *vds_local_stack_new(vds_target *owner)
{
    local *l = g_new0(local, 1);
    l->owner = owner;
    l->input = g_array_new(FALSE, FALSE, sizeof(vds_input_event));
    l->listen_fd = -1;
    l->uinput_fd = -1;
    l->cancel = g_cancellable_new();
    return l;
}

void vds_local_stack_free(vds_local_stack *l)
{
    if (!l)
        return;
    vds_local_stack_stop(l);
    g_cancellable_cancel(l->cancel); /* exit watches still pending must not reach l */
    g_object_unref(l->cancel);
    g_array_unref(l->input);
    g_free(l);
}
