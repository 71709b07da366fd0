/* The one wait of the runner: run the target's loop until a check holds,
 * the agent stack dies, the run is interrupted or a deadline passes. Every
 * step that waits goes through here, so all of them stop for the same
 * reasons and say which. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "target/target.h"

typedef enum vds_await_status {
    VDS_AWAIT_MATCH,       /* check(user) returned true */
    VDS_AWAIT_TIMEOUT,     /* the deadline passed first */
    VDS_AWAIT_DEAD,        /* the agent stack is gone (t->dead) */
    VDS_AWAIT_INTERRUPTED, /* *interrupt was set */
} vds_await_status;

typedef struct vds_await_opts {
    uint64_t deadline; /* clock ns */
    /* 0: check whenever the loop wakes (a message came, a source fired; at
       least every 100 ms). N: check every N ns and not in between, for
       checks that are costly or act on the guest (an X query, a guest
       command). */
    uint64_t poll_ns;
    const volatile bool *interrupt; /* borrowed; NULL: cannot be interrupted */
} vds_await_opts;

/* Wait on t (borrowed) until check(user) holds. The check runs at least
 * once, before any timeout, and wins over a dead stack or an interrupt seen
 * at the same time. */
vds_await_status vds_await(vds_target *t, const vds_await_opts *o, bool (*check)(void *),
                           void *user);

/* "matched", "timeout", "agent dead", "interrupted". Borrowed. */
const char *vds_await_status_name(vds_await_status s);
