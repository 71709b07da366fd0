#include "core/loop.h"

#include "core/clock.h"

static gboolean wake(gpointer user)
{
    return G_SOURCE_REMOVE;
}

bool vds_loop_until(GMainContext *ctx, uint64_t deadline, bool (*done)(void *), void *user)
{
    while (!done(user)) {
        uint64_t now = vds_clock_now_ns();
        if (now >= deadline)
            return false;
        /* wake at the deadline even when nothing happens */
        GSource *timer = g_timeout_source_new((guint)MIN((deadline - now) / 1000000 + 1, 100));
        g_source_set_callback(timer, wake, NULL, NULL);
        g_source_attach(timer, ctx);
        g_main_context_iteration(ctx, TRUE);
        g_source_destroy(timer);
        g_source_unref(timer);
    }
    return true;
}
