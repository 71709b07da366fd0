/* What every target shares: received messages, waiting on the loop, lookup. */
#include <linux/input-event-codes.h>
#include <glib/gstdio.h>
#include <string.h>

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

bool vds_target_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    if (t->ops->wait)
        return t->ops->wait(t, deadline, done, user);
    return vds_loop_until(t->ctx, deadline, done, user);
}

int vds_oracle_screen(vds_target *t, GArray *rects, vds_err *err)
{
    return t->oracle->ops->screen(t->oracle, rects, err);
}

bool vds_oracle_screen_taken(vds_target *t)
{
    if (!t->oracle->ops->screen_taken || t->oracle->ops->screen_taken(t->oracle))
        return true;
    /* a guest's agent has no tablet open for the new size yet: make one
       move (vdagentd makes a lost tablet again on it; the warm filter keeps
       it out of the scenario's input) and look again */
    vds_err err;
    vds_target_warm_mouse(t, &err);
    return false;
}

int vds_oracle_clipboard(vds_target *t, uint8_t sel, uint64_t timeout, GBytes **text, vds_err *err)
{
    return t->oracle->ops->clipboard(t->oracle, sel, timeout, text, err);
}

int vds_oracle_guest_copy(vds_target *t, uint8_t sel, GBytes *text, const char *path, vds_err *err)
{
    return t->oracle->ops->guest_copy(t->oracle, sel, text, path, err);
}

int vds_oracle_agent_pause(vds_target *t, bool stop, vds_err *err)
{
    if (!t->oracle->ops->agent_pause)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "%s cannot stop the agent",
                           t->oracle->ops->name);
    return t->oracle->ops->agent_pause(t->oracle, stop, err);
}

void vds_oracle_guest_release(vds_target *t, uint8_t sel)
{
    t->oracle->ops->guest_release(t->oracle, sel);
}

int vds_oracle_paste_start(vds_target *t, uint8_t sel, vds_err *err)
{
    return t->oracle->ops->paste_start(t->oracle, sel, err);
}

int vds_oracle_paste_result(vds_target *t, uint64_t deadline, GBytes **text, vds_err *err)
{
    return t->oracle->ops->paste_result(t->oracle, deadline, text, err);
}

int vds_oracle_display(vds_target *t, uint32_t *w, uint32_t *h, vds_err *err)
{
    if (!t->oracle->ops->display) /* local's dummy X server has none */
        return 1;
    return t->oracle->ops->display(t->oracle, w, h, err);
}

void vds_oracle_input_sync(vds_target *t)
{
    if (t->oracle->ops->input_sync) /* local's input arrives by itself */
        t->oracle->ops->input_sync(t->oracle);
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

void vds_oracle_reset(vds_target *t)
{
    if (t->oracle && t->oracle->ops->reset)
        t->oracle->ops->reset(t->oracle);
}

vds_target *vds_target_new(const char *name, GMainContext *ctx, vds_err *err)
{
    if (strcmp(name, "local") == 0)
        return vds_target_local_new(ctx);
    if (strcmp(name, "local-server") == 0 || g_str_has_prefix(name, "spice://") ||
        g_str_has_prefix(name, "spice+unix://"))
        return vds_target_client_new(name, ctx, err);
    if (g_str_has_prefix(name, "libvirt:"))
        return vds_target_libvirt_new(name, ctx, err);
    if (g_str_has_prefix(name, "chardev:"))
        return vds_target_chardev_new(name, ctx, err);
    vds_err_set(err, VDS_ERR_USAGE, NULL,
                "unknown target '%s' (this vdsim has: local, local-server, spice://HOST:PORT, "
                "spice+unix://PATH, libvirt:DOMAIN, chardev:PATH)",
                name);
    return NULL;
}

void vds_target_free(vds_target *t)
{
    if (!t)
        return;
    vds_target *oracle = t->oracle;
    t->ops->stop(t);
    g_queue_free_full(t->rx, (GDestroyNotify)vds_rx_free);
    if (t->input)
        g_array_unref(t->input);
    g_clear_pointer(&t->dead, g_free);
    g_clear_pointer(&t->info, g_free);
    g_clear_pointer(&t->log_dir, g_free);
    vds_warm_filter_clear(&t->warm);
    t->ops->free(t);
    vds_target_free(oracle);
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
