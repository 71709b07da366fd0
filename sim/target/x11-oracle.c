/* The X11 oracle: the local stack's X server, looked at as a guest's would be.
 * XRandR for the screen, xclip (a Debian X client) for the selections, the
 * fake uinput for input, SIGSTOP to spice-vdagentd for agent control. */
#include <X11/Xlib.h>
#include <X11/extensions/Xrandr.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/loop.h"
#include "target/agent-root.h"
#include "target/local-stack.h"

typedef struct x11 {
    vds_oracle base;
    vds_local_stack *stack; /* borrowed */
    GSubprocess *owners[2]; /* guest-copy xclip per selection */
    bool paused;            /* spice-vdagentd stopped by a guest-agent step */
    struct paste {
        GSubprocess *p;
        bool done;
        GBytes *out;
        GError *error;
    } paste;
} x11;

static int cmp_rect(gconstpointer a, gconstpointer b)
{
    const vds_rect *ra = a, *rb = b;
    return ra->x != rb->x ? (ra->x < rb->x ? -1 : 1) : (ra->y < rb->y ? -1 : ra->y > rb->y);
}

static int x11_screen(vds_oracle *o, GArray *rects, vds_err *err)
{
    Display *xdpy = vds_local_stack_xdisplay(((x11 *)o)->stack);
    g_array_set_size(rects, 0);
    if (!xdpy)
        return vds_err_set(err, VDS_ERR_IO, NULL, "no X display");
    XRRScreenResources *res = XRRGetScreenResourcesCurrent(xdpy, DefaultRootWindow(xdpy));
    if (!res)
        return vds_err_set(err, VDS_ERR_IO, NULL, "RandR: no screen resources");
    for (int i = 0; i < res->ncrtc; i++) {
        XRRCrtcInfo *ci = XRRGetCrtcInfo(xdpy, res, res->crtcs[i]);
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
static bool x11_screen_taken(vds_oracle *o)
{
    vds_local_stack *s = ((x11 *)o)->stack;
    Display *xdpy = vds_local_stack_xdisplay(s);
    Window root;
    int x, y;
    unsigned w, h, border, depth;
    /* a round trip: the root's size now, not Xlib's cached one */
    if (!xdpy ||
        !XGetGeometry(xdpy, DefaultRootWindow(xdpy), &root, &x, &y, &w, &h, &border, &depth))
        return false;
    g_autofree char *path = vds_local_stack_path(s, "spice-vdagentd.log");
    g_autofree char *text = NULL;
    if (!path || !g_file_get_contents(path, &text, NULL, NULL))
        return false;
    const char *key = "updating uinput size to ", *last = NULL;
    for (const char *p = strstr(text, key); p; p = strstr(p + 1, key))
        last = p;
    unsigned lw, lh;
    return last && sscanf(last + strlen(key), "%ux%u", &lw, &lh) == 2 && lw == w && lh == h;
}

/* xclip, a Debian X client, reads and owns selections for the guest. */
/* xclip copying (stdin from a pipe, or from the file at in when given) or pasting. */
static GSubprocess *xclip_spawn(x11 *l, bool copy, const char *in, uint8_t sel, vds_err *err)
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
    g_subprocess_launcher_setenv(la, "DISPLAY", vds_local_stack_display(l->stack), TRUE);
    g_subprocess_launcher_set_child_setup(la, vds_local_die_with_parent, NULL, NULL);
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

static void paste_clear(x11 *l, struct paste *pa)
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

static int paste_begin(x11 *l, uint8_t sel, struct paste *pa, vds_err *err)
{
    paste_clear(l, pa);
    if (!(pa->p = xclip_spawn(l, false, NULL, sel, err)))
        return -1;
    g_subprocess_communicate_async(pa->p, NULL, NULL, on_pasted, pa);
    return 0;
}

/* 0 with *text, or -1 with err saying whether it did not finish or got nothing. */
static int paste_end(x11 *l, struct paste *pa, uint64_t deadline, GBytes **text, vds_err *err)
{
    *text = NULL;
    if (!vds_loop_until(l->base.ctx, deadline, paste_done, pa))
        return vds_err_set(err, VDS_ERR_IO, NULL, "the guest's paste did not finish");
    if (pa->error || !g_subprocess_get_if_exited(pa->p) || g_subprocess_get_exit_status(pa->p) != 0)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the guest's paste got nothing");
    *text = g_bytes_ref(pa->out);
    return 0;
}

static int x11_clipboard(vds_oracle *o, uint8_t sel, uint64_t timeout_ns, GBytes **text,
                         vds_err *err)
{
    x11 *l = (x11 *)o;
    struct paste pa = {0};
    int rc = paste_begin(l, sel, &pa, err);
    if (rc == 0)
        rc = paste_end(l, &pa, vds_clock_now_ns() + timeout_ns, text, err);
    paste_clear(l, &pa); /* a paste that did not finish is stopped here */
    return rc;
}

static int x11_guest_copy(vds_oracle *o, uint8_t sel, GBytes *text, const char *path, vds_err *err)
{
    x11 *l = (x11 *)o;
    g_autoptr(GError) gerr = NULL;
    vds_local_kill(&l->owners[sel & 1]);
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

static bool has_owner(x11 *l, uint8_t sel)
{
    Display *xdpy = vds_local_stack_xdisplay(l->stack);
    Atom a = XInternAtom(xdpy, sel ? "PRIMARY" : "CLIPBOARD", False);
    return xdpy && XGetSelectionOwner(xdpy, a) != None;
}

static bool never_done(void *user)
{
    return false;
}

static int x11_paste_start(vds_oracle *o, uint8_t sel, vds_err *err)
{
    x11 *l = (x11 *)o;
    /* like a person: paste once the selection has an owner (the session
       agent takes it a moment after the grab arrives) */
    uint64_t deadline = vds_clock_now_ns() + 3000000000ull;
    while (!has_owner(l, sel) && vds_clock_now_ns() < deadline)
        vds_loop_until(o->ctx, vds_clock_now_ns() + 10000000ull, never_done, NULL);
    return paste_begin(l, sel, &l->paste, err);
}

static int x11_paste_result(vds_oracle *o, uint64_t deadline, GBytes **text, vds_err *err)
{
    x11 *l = (x11 *)o;
    *text = NULL;
    if (!l->paste.p)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "no guest-paste step before this check");
    return paste_end(l, &l->paste, deadline, text, err);
}

static void x11_guest_release(vds_oracle *o, uint8_t sel)
{
    vds_local_kill(&((x11 *)o)->owners[sel & 1]);
}

static int x11_agent_pause(vds_oracle *o, bool stop, vds_err *err)
{
    x11 *l = (x11 *)o;
    if (vds_local_stack_pause(l->stack, stop, err) < 0)
        return -1;
    l->paused = stop;
    return 0;
}

static void x11_reset(vds_oracle *o)
{
    x11 *l = (x11 *)o;
    if (l->paused) /* the next scenario gets a running agent */
        x11_agent_pause(o, false, NULL);
    paste_clear(l, &l->paste);
    vds_local_kill(&l->owners[0]);
    vds_local_kill(&l->owners[1]);
}

static void x11_free(vds_oracle *o)
{
    x11_reset(o);
    g_free(o);
}

/* The stack's agents are the host's or the agent root's. */
static char *x11_agent(vds_oracle *o, char **version)
{
    return vds_agent_under_test(version);
}

static const vds_oracle_ops x11_ops = {
    .name = "x11",
    .screen = x11_screen,
    .screen_taken = x11_screen_taken,
    .clipboard = x11_clipboard,
    .guest_copy = x11_guest_copy,
    .guest_release = x11_guest_release,
    .paste_start = x11_paste_start,
    .paste_result = x11_paste_result,
    .agent_pause = x11_agent_pause,
    .reset = x11_reset,
    .agent = x11_agent,
    .free = x11_free,
};

vds_oracle *vds_x11_oracle_new(vds_local_stack *s, GMainContext *ctx)
{
    x11 *l = g_new0(x11, 1);
    /* multi-head on Xvfb too: a layout it cannot apply is a failure that
       says so (the stack's info line names Xvfb's one output) */
    unsigned caps = VDS_CAP_SCREEN | VDS_CAP_CLIPBOARD | VDS_CAP_INPUT | VDS_CAP_INPUT_FRAMES |
                    VDS_CAP_MULTI_HEAD | VDS_CAP_AGENT_CONTROL;
    vds_oracle_init(&l->base, &x11_ops, caps, ctx);
    g_array_unref(l->base.input); /* the fake uinput's events */
    l->base.input = g_array_ref(vds_local_stack_input(s));
    l->stack = s;
    return &l->base;
}
