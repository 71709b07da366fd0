/* Glue to the GLib main context: run it until a condition holds. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Iterate ctx (borrowed) until done(user) or the clock passes deadline (ns).
 * Wakes at least every 100 ms. Returns done's last answer. */
bool vds_loop_until(GMainContext *ctx, uint64_t deadline, bool (*done)(void *), void *user);
