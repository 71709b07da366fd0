/* What every target shares: received messages, waiting on the loop, lookup. */
#include <linux/input-event-codes.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "proto/agent.h"
#include "target/libvirt.h"
#include "target/target.h"

void vds_rx_free(vds_rx *rx)
{
    if (!rx)
        return;
    g_bytes_unref(rx->bytes);
    g_free(rx);
}

void vds_target_queue_rx(vds_target *t, uint64_t t_ns, const vds_chunk_msg *m)
{
    vds_rx *rx = g_new0(vds_rx, 1);
    rx->t_ns = t_ns;
    rx->port = m->port;
    rx->bytes = vds_chunk_msg_take(m);
    rx->offset = m->offset;
    rx->n_chunks = m->n_chunks;
    g_queue_push_tail(t->rx, rx);
}

void vds_remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            vds_remove_tree(p);
        else
            g_unlink(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

/* --- temp dirs that outlive a killed vdsim -------------------------------- */

static bool pid_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static long read_pid(const char *path)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    return strtol(g_strstrip(text), NULL, 10);
}

char *vds_tmp_dir_new(const char *prefix, vds_err *err)
{
    g_autoptr(GError) ge = NULL;
    g_autofree char *tmpl = g_strconcat(prefix, "-XXXXXX", NULL);
    vds_tmp_clean_stale(prefix);
    char *dir = g_dir_make_tmp(tmpl, &ge);
    if (!dir) {
        vds_err_set(err, VDS_ERR_IO, NULL, "temp dir: %s", ge->message);
        return NULL;
    }
    g_autofree char *owner = g_build_filename(dir, "owner", NULL);
    g_autofree char *pid = g_strdup_printf("%ld\n", (long)getpid());
    if (!g_file_set_contents(owner, pid, -1, NULL)) {
        vds_err_set(err, VDS_ERR_IO, owner, "cannot write: %s", g_strerror(errno));
        vds_remove_tree(dir);
        g_free(dir);
        return NULL;
    }
    return dir;
}

/* An X server of a dead stack leaves /tmp/.X11-unix/XN and /tmp/.XN-lock:
   removed once the lock's owner is gone too. */
static void clean_stale_x(const char *dir)
{
    g_autofree char *dpath = g_build_filename(dir, "display", NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(dpath, &text, NULL, NULL))
        return;
    long n = strtol(g_strstrip(text) + (text[0] == ':'), NULL, 10);
    g_autofree char *lock = g_strdup_printf("/tmp/.X%ld-lock", n);
    g_autofree char *sock = g_strdup_printf("/tmp/.X11-unix/X%ld", n);
    if (n < 0 || pid_alive(read_pid(lock)))
        return;
    g_unlink(lock);
    g_unlink(sock);
}

void vds_tmp_clean_stale(const char *prefix)
{
    const char *tmp = g_get_tmp_dir();
    GDir *d = g_dir_open(tmp, 0, NULL);
    const char *name;
    g_autofree char *want = g_strconcat(prefix, "-", NULL);
    while (d && (name = g_dir_read_name(d))) {
        if (!g_str_has_prefix(name, want))
            continue;
        g_autofree char *dir = g_build_filename(tmp, name, NULL);
        g_autofree char *owner = g_build_filename(dir, "owner", NULL);
        long pid = read_pid(owner);
        if (pid <= 0 || pid_alive(pid))
            continue; /* not ours to judge, or still in use */
        clean_stale_x(dir);
        vds_remove_tree(dir);
    }
    if (d)
        g_dir_close(d);
}

bool vds_target_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    if (t->ops->wait)
        return t->ops->wait(t, deadline, done, user);
    return vds_loop_until(t->ctx, deadline, done, user);
}

int vds_target_warm_mouse(vds_target *t, vds_err *err)
{
    if (!t->oracle || !t->oracle->warm_mouse)
        return 0;
    t->oracle->warm_mouse = false;
    vds_agent_msg m = {
        .protocol = VD_AGENT_PROTOCOL, .type = VD_AGENT_MOUSE_STATE, .u.mouse = {.x = 1, .y = 1}};
    vds_buf out;
    uint64_t t_ns;
    vds_buf_init(&out, 256);
    int rc = vds_agent_encode(&m, &out, err);
    if (rc == 0)
        rc = t->ops->send(t, VDP_SERVER_PORT, out.data, out.len, &t_ns, err);
    vds_buf_clear(&out);
    if (rc == 0)
        vds_warm_filter_arm(&t->oracle->warm);
    return rc;
}

void vds_warm_filter_clear(vds_warm_filter *f)
{
    g_clear_pointer(&f->held, g_array_unref);
    f->armed = false;
}

void vds_warm_filter_arm(vds_warm_filter *f)
{
    if (!f->held)
        f->held = g_array_new(FALSE, FALSE, sizeof(vds_input_event));
    g_array_set_size(f->held, 0);
    f->armed = true;
}

static bool is_warm_frame(const GArray *frame)
{
    for (guint i = 0; i + 1 < frame->len; i++) {
        const vds_input_event *e = &g_array_index(frame, vds_input_event, i);
        if (e->type != EV_ABS || (e->code != ABS_X && e->code != ABS_Y) || e->value != 1)
            return false;
    }
    return frame->len >= 2;
}

void vds_warm_filter_take(vds_warm_filter *f, const vds_input_event *ev, GArray *out)
{
    if (!f->armed) {
        g_array_append_val(out, *ev);
        return;
    }
    g_array_append_val(f->held, *ev);
    if (ev->type != EV_SYN)
        return;
    if (!is_warm_frame(f->held))
        g_array_append_vals(out, f->held->data, f->held->len);
    g_array_set_size(f->held, 0);
    f->armed = false;
}

void vds_oracle_init(vds_oracle *o, const vds_oracle_ops *ops, unsigned caps, GMainContext *ctx)
{
    o->ops = ops;
    o->caps = caps;
    o->ctx = ctx;
    o->input = g_array_new(FALSE, FALSE, sizeof(vds_input_event));
}

void vds_oracle_free(vds_oracle *o)
{
    if (!o)
        return;
    if (o->input)
        g_array_unref(o->input);
    vds_warm_filter_clear(&o->warm);
    for (size_t i = 0; i < G_N_ELEMENTS(o->missing); i++)
        g_free(o->missing[i]);
    o->ops->free(o);
}

void vds_oracle_lack(vds_oracle *o, unsigned cap, const char *why)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(o->missing); i++)
        if ((cap & (1u << i)) && (o->caps & (1u << i))) {
            o->caps &= ~(1u << i);
            o->missing[i] = g_strdup(why);
        }
}

void vds_target_init(vds_target *t, const vds_link_ops *ops, const char *kind, GMainContext *ctx)
{
    t->ops = ops;
    t->kind = vds_target_kind_named(kind);
    g_assert(t->kind);
    t->caps = t->kind->caps;
    t->ctx = ctx;
    t->rx = g_queue_new();
}

void vds_target_set_oracle(vds_target *t, vds_oracle *oracle)
{
    vds_oracle_free(t->oracle);
    t->oracle = oracle;
    t->caps = t->kind->caps | (oracle ? oracle->caps : 0);
}

int vds_target_start(vds_target *t, vds_err *err)
{
    if (t->oracle && t->oracle->ops->start && t->oracle->ops->start(t->oracle, err) < 0)
        return -1; /* a guest: restarts its agent when this is a restart */
    if (t->ops->start(t, err) < 0)
        return -1;
    t->started = true;
    if (!t->agent && t->oracle && t->oracle->ops->agent)
        t->agent = t->oracle->ops->agent(t->oracle, &t->agent_version);
    return 0;
}

void vds_target_stop(vds_target *t)
{
    t->ops->stop(t);
    t->started = false;
}

void vds_target_reset(vds_target *t)
{
    if (t->oracle && t->oracle->ops->reset)
        t->oracle->ops->reset(t->oracle);
}

bool vds_target_screen_taken(vds_target *t)
{
    if (!t->oracle || !t->oracle->ops->screen_taken || t->oracle->ops->screen_taken(t->oracle))
        return true;
    /* a guest's agent has no tablet open for the new size yet: make one
       move (vdagentd makes a lost tablet again on it; the warm filter keeps
       it out of the scenario's input) and look again */
    vds_err err;
    vds_target_warm_mouse(t, &err);
    return false;
}

/* --- capabilities ------------------------------------------------------------ */

static const char *const cap_names[] = {
    "raw-port", "spice-client", "screen",     "clipboard",
    "input",    "input-frames", "multi-head", "agent-control",
};
const vds_names vds_cap_names = VDS_NAMES("capability", cap_names);

static const char *const cap_docs[] = {
    "writes the agent's port itself",
    "drives a SPICE client",
    "sees the guest's X screen",
    "reaches the guest's selections",
    "sees the events the agent injects",
    "sees every input frame the agent writes, empty ones too (a real kernel drops those)",
    "has an X screen with more than one output",
    "can stop and continue the agent",
};
G_STATIC_ASSERT(G_N_ELEMENTS(cap_names) == G_N_ELEMENTS(cap_docs));

const char *vds_cap_doc(vds_cap cap)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(cap_docs); i++)
        if (cap == 1u << i)
            return cap_docs[i];
    return "?";
}

char *vds_caps_text(unsigned caps)
{
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(cap_names); i++)
        if (caps & (1u << i))
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", cap_names[i]);
    return g_string_free(s, FALSE);
}

char *vds_target_lacks(const vds_target *t, unsigned needs)
{
    unsigned missing = needs & ~t->caps;
    if (!missing)
        return NULL;
    g_autofree char *names = vds_caps_text(missing);
    unsigned first = missing & -missing;
    /* the link's own limits say how it reaches the agent; an oracle's
       missing ones say what it cannot see */
    if ((first & (VDS_CAP_RAW_PORT | VDS_CAP_SPICE_CLIENT)) || !t->oracle)
        return g_strdup_printf("needs %s; %s: %s%s", names, t->kind->name, t->kind->how,
                               t->oracle ? "" : ", with no guest oracle");
    unsigned bit = (unsigned)__builtin_ctz(first);
    if (bit < G_N_ELEMENTS(t->oracle->missing) && t->oracle->missing[bit])
        return g_strdup_printf("needs %s; %s: %s", names, t->kind->name, t->oracle->missing[bit]);
    return g_strdup_printf("needs %s; %s: sees the guest through %s, which lacks it (%s)", names,
                           t->kind->name, t->oracle->ops->name, vds_cap_doc(first));
}

/* --- the registry ------------------------------------------------------------- */

static vds_target *make_local(const char *name, GMainContext *ctx, vds_err *err)
{
    return vds_target_local_new(ctx);
}

#define PORT_HOW   "is the server end of the agent's port"
#define CLIENT_HOW "reaches the agent through a SPICE server"

/* name, --target prefix, whole name?, the link's caps, who writes the
   agent's port, does vdsim see the port, how it reaches the agent,
   constructor */
static const vds_target_kind kinds[] = {
    {"local", "local", true, VDS_CAP_RAW_PORT, "vdsim", true, PORT_HOW, make_local},
    {"local-server", "local-server", true, VDS_CAP_SPICE_CLIENT, "spice-server", true, CLIENT_HOW,
     vds_target_client_new},
    {"spice", "spice://", false, VDS_CAP_SPICE_CLIENT, "spice-server", false, CLIENT_HOW,
     vds_target_client_new},
    {"spice", "spice+unix://", false, VDS_CAP_SPICE_CLIENT, "spice-server", false, CLIENT_HOW,
     vds_target_client_new},
    {"libvirt", "libvirt:", false, VDS_CAP_SPICE_CLIENT, "spice-server", false, CLIENT_HOW,
     vds_target_libvirt_new},
    {"chardev", "chardev:", false, VDS_CAP_RAW_PORT, "vdsim", true, PORT_HOW,
     vds_target_chardev_new},
};

const vds_target_kind *const vds_target_kinds[] = {
    &kinds[0], &kinds[1], &kinds[2], &kinds[3], &kinds[4], &kinds[5], NULL,
};
G_STATIC_ASSERT(G_N_ELEMENTS(vds_target_kinds) == G_N_ELEMENTS(kinds) + 1);

static const char *const kind_names[] = {"local", "local-server", "spice", "libvirt", "chardev"};
const vds_names vds_target_kind_names = VDS_NAMES("target", kind_names);

const vds_target_kind *vds_target_kind_for(const char *target)
{
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        if (kinds[i].whole ? strcmp(target, kinds[i].prefix) == 0
                           : g_str_has_prefix(target, kinds[i].prefix))
            return &kinds[i];
    return NULL;
}

const vds_target_kind *vds_target_kind_named(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

vds_target *vds_target_new(const char *name, GMainContext *ctx, vds_err *err)
{
    const vds_target_kind *k = vds_target_kind_for(name);
    if (k)
        return k->make(name, ctx, err);
    GString *have = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        g_string_append_printf(have, "%s%s%s", have->len ? ", " : "", kinds[i].prefix,
                               kinds[i].whole ? "" : "...");
    vds_err_set(err, VDS_ERR_USAGE, NULL, "unknown target '%s' (this vdsim has: %s)", name,
                have->str);
    g_string_free(have, TRUE);
    return NULL;
}

void vds_target_free(vds_target *t)
{
    if (!t)
        return;
    t->ops->stop(t);
    g_queue_free_full(t->rx, (GDestroyNotify)vds_rx_free);
    g_clear_pointer(&t->dead, g_free);
    g_clear_pointer(&t->info, g_free);
    g_clear_pointer(&t->log_dir, g_free);
    g_clear_pointer(&t->agent, g_free);
    g_clear_pointer(&t->agent_version, g_free);
    /* the oracle may look at what the link owns (the local stack) */
    vds_oracle_free(g_steal_pointer(&t->oracle));
    t->ops->free(t);
}

int vds_target_port_session(vds_target *t, uint32_t caps, vds_err *err)
{
    const vds_agent_msg bye = {.protocol = VD_AGENT_PROTOCOL, .type = VD_AGENT_CLIENT_DISCONNECTED};
    const vds_agent_msg hello = {.protocol = VD_AGENT_PROTOCOL,
                                 .type = VD_AGENT_ANNOUNCE_CAPABILITIES,
                                 .u.caps = {.request = 1, .caps = &caps, .n_words = 1}};
    const vds_agent_msg *seq[] = {&bye, &hello};
    const uint32_t ports[] = {VDP_SERVER_PORT, VDP_CLIENT_PORT};
    for (unsigned i = 0; i < 2; i++) {
        vds_buf out;
        uint64_t t_ns;
        vds_buf_init(&out, 4096);
        int rc = vds_agent_encode(seq[i], &out, err);
        if (rc == 0)
            rc = t->ops->send(t, ports[i], out.data, out.len, &t_ns, err);
        vds_buf_clear(&out);
        if (rc < 0)
            return -1;
    }
    return 0;
}
