#include "scenario/await.h"

#include "core/clock.h"

typedef struct waiter {
    vds_target *t;
    const vds_await_opts *o;
    bool (*check)(void *);
    void *user;
    bool hit;
} waiter;

static bool interrupted(const waiter *w)
{
    return w->o->interrupt && *w->o->interrupt;
}

static bool wake_on_event(void *p)
{
    waiter *w = p;
    w->hit = w->check(w->user);
    return w->hit || w->t->dead || interrupted(w);
}

static bool wake_on_end(void *p)
{
    waiter *w = p;
    return w->t->dead || interrupted(w);
}

vds_await_status vds_await(vds_target *t, const vds_await_opts *o, bool (*check)(void *),
                           void *user)
{
    waiter w = {t, o, check, user, false};
    for (;;) {
        if (o->poll_ns) {
            if (check(user))
                return VDS_AWAIT_MATCH;
        } else {
            vds_target_wait(t, o->deadline, wake_on_event, &w);
            if (w.hit)
                return VDS_AWAIT_MATCH;
        }
        if (interrupted(&w))
            return VDS_AWAIT_INTERRUPTED;
        if (t->dead)
            return VDS_AWAIT_DEAD;
        uint64_t now = vds_clock_now_ns();
        if (now >= o->deadline)
            return VDS_AWAIT_TIMEOUT;
        if (o->poll_ns)
            vds_target_wait(t, MIN(o->deadline, now + o->poll_ns), wake_on_end, &w);
    }
}

const char *vds_await_status_name(vds_await_status s)
{
    switch (s) {
    case VDS_AWAIT_MATCH:
        return "matched";
    case VDS_AWAIT_TIMEOUT:
        return "timeout";
    case VDS_AWAIT_DEAD:
        return "agent dead";
    case VDS_AWAIT_INTERRUPTED:
        return "interrupted";
    }
    return "?";
}
