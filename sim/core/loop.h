/* Glue to the GLib main context: run it until a condition holds. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Iterate ctx (borrowed) until done(user) or the clock passes deadline (ns).
 * Wakes at least every 100 ms. Returns done's last answer. */
bool vds_loop_until(GMainContext *ctx, uint64_t deadline, bool (*done)(void *), void *user);

/* Let time pass without stopping the world: iterate ctx (borrowed) for ns.
 * A caller that polls something outside the loop (the QEMU guest agent)
 * sleeps with this, so the loop's peers (a SPICE client owed agent tokens,
 * a port being written) are still served while it waits. */
void vds_loop_sleep(GMainContext *ctx, uint64_t ns);

/* A non-blocking read of one hot source (the agent's port): takes what is
 * readable now and dispatches it; true when it took bytes. */
typedef bool (*vds_loop_pump_fn)(void *pump_user);

/* vds_loop_until, but before each blocking iteration pump(pump_user) is tried
 * first: a reply that is already readable is taken without a trip through
 * the loop's prepare/poll/dispatch. Other sources still get a non-blocking
 * iteration at least every VDS_LOOP_PUMP_BURST pumps, and every blocking
 * wait serves them all. pump may be NULL. */
#define VDS_LOOP_PUMP_BURST 16
bool vds_loop_until_pumped(GMainContext *ctx, uint64_t deadline, vds_loop_pump_fn pump,
                           void *pump_user, bool (*done)(void *), void *user);
