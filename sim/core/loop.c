#include "core/loop.h"

#include "core/clock.h"

/* A deadline timer re-armed with g_source_set_ready_time: it only wakes the loop. */
static gboolean wake_dispatch(GSource *s, GSourceFunc cb, gpointer user)
{
    g_source_set_ready_time(s, -1);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs wake_funcs = {.dispatch = wake_dispatch};

bool vds_loop_until(GMainContext *ctx, uint64_t deadline, bool (*done)(void *), void *user)
{
    return vds_loop_until_pumped(ctx, deadline, NULL, NULL, done, user);
}

static bool never_done(void *user)
{
    (void)user;
    return false;
}

void vds_loop_sleep(GMainContext *ctx, uint64_t ns)
{
    vds_loop_until(ctx, vds_clock_now_ns() + ns, never_done, NULL);
}

bool vds_loop_until_pumped(GMainContext *ctx, uint64_t deadline, vds_loop_pump_fn pump,
                           void *pump_user, bool (*done)(void *), void *user)
{
    static _Thread_local unsigned burst; /* pumps since the loop last ran, across calls */
    GSource *timer = NULL;
    bool ok;

    while (!(ok = done(user))) {
        if (pump && burst < VDS_LOOP_PUMP_BURST && pump(pump_user)) {
            burst++;
            continue;
        }
        if (burst >= VDS_LOOP_PUMP_BURST) {
            /* let the other sources in, without waiting */
            burst = 0;
            g_main_context_iteration(ctx, FALSE);
            continue;
        }
        uint64_t now = vds_clock_now_ns();
        if (now >= deadline)
            break;
        /* wake at the deadline even when nothing happens: one timer per
           call, armed again only after it fired (arming an attached source
           wakes the context, so arming it every time would spin) */
        gint64 wake_at = g_get_monotonic_time() + (gint64)MIN((deadline - now) / 1000 + 1, 100000);
        if (!timer) {
            timer = g_source_new(&wake_funcs, sizeof(GSource));
            g_source_set_ready_time(timer, wake_at);
            g_source_attach(timer, ctx);
        } else if (g_source_get_ready_time(timer) == -1) {
            g_source_set_ready_time(timer, wake_at);
        }
        g_main_context_iteration(ctx, TRUE);
        burst = 0;
    }
    if (timer) {
        g_source_destroy(timer);
        g_source_unref(timer);
    }
    return ok;
}
