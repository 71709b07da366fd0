/* What every target shares: received messages, waiting on the loop, lookup. */
#include <string.h>

#include "core/clock.h"
#include "target/target.h"

void vds_rx_free(vds_rx *rx)
{
    if (!rx)
        return;
    g_bytes_unref(rx->bytes);
    g_free(rx);
}

static gboolean wake(gpointer user)
{
    return G_SOURCE_REMOVE;
}

bool vds_target_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    if (t->ops->wait)
        return t->ops->wait(t, deadline, done, user);
    while (!done(user)) {
        uint64_t now = vds_clock_now_ns();
        if (now >= deadline)
            return false;
        /* wake at the deadline even when nothing happens */
        GSource *timer = g_timeout_source_new((guint)MIN((deadline - now) / 1000000 + 1, 100));
        g_source_set_callback(timer, wake, NULL, NULL);
        g_source_attach(timer, t->ctx);
        g_main_context_iteration(t->ctx, TRUE);
        g_source_destroy(timer);
        g_source_unref(timer);
    }
    return true;
}

vds_target *vds_target_new(const char *name, GMainContext *ctx, vds_err *err)
{
    if (strcmp(name, "local") == 0)
        return vds_target_local_new(ctx);
    vds_err_set(err, VDS_ERR_USAGE, NULL, "unknown target '%s' (this vdsim has: local)", name);
    return NULL;
}

void vds_target_free(vds_target *t)
{
    if (!t)
        return;
    t->ops->stop(t);
    g_queue_free_full(t->rx, (GDestroyNotify)vds_rx_free);
    g_array_unref(t->input);
    g_clear_pointer(&t->dead, g_free);
    g_clear_pointer(&t->info, g_free);
    g_clear_pointer(&t->log_dir, g_free);
    t->ops->free(t);
}
