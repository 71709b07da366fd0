/* The local target: the local agent stack with vdsim as the server end of
 * the agent's port (vdsim's port driver), and the X11 oracle. */
#include "core/loop.h"
#include "target/local-stack.h"

typedef struct local {
    vds_target base;
    vds_local_stack *stack;
} local;

static int local_start(vds_target *t, vds_err *err)
{
    return vds_local_stack_start(((local *)t)->stack, err);
}

static void local_stop(vds_target *t)
{
    vds_local_stack_stop(((local *)t)->stack);
}

static bool port_open_or_dead(void *user)
{
    vds_target *t = user;
    return t->port_open || t->dead;
}

static int local_session(vds_target *t, uint32_t caps, uint64_t deadline, vds_err *err)
{
    if (!vds_target_wait(t, deadline, port_open_or_dead, t) || t->dead)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the agent's port did not reopen: %s",
                           t->dead ? t->dead : "no connection in time");
    return vds_target_port_session(t, caps, err);
}

static int local_send(vds_target *t, uint32_t port, const uint8_t *msg, size_t len, uint64_t *t_ns,
                      vds_err *err)
{
    return vds_local_stack_send(((local *)t)->stack, port, msg, len, t_ns, err);
}

static int local_write_raw(vds_target *t, const uint8_t *data, size_t len, vds_err *err)
{
    return vds_local_stack_write_raw(((local *)t)->stack, data, len, err);
}

/* Waiting for the agent is mostly waiting for its port: a reply already
   readable is taken straight from the socket, the loop serves the rest. */
static bool local_pump(void *user)
{
    return vds_local_stack_pump(user);
}

static bool local_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    return vds_loop_until_pumped(t->ctx, deadline, local_pump, ((local *)t)->stack, done, user);
}

static void local_free(vds_target *t)
{
    local *l = (local *)t;
    vds_oracle_free(g_steal_pointer(&t->oracle)); /* before the stack it looks at */
    vds_local_stack_free(l->stack);
    g_free(l);
}

static const vds_link_ops local_ops = {
    .start = local_start,
    .stop = local_stop,
    .session = local_session,
    .send = local_send,
    .write_raw = local_write_raw,
    .wait = local_wait,
    .free = local_free,
};

vds_target *vds_target_local_new(GMainContext *ctx)
{
    local *l = g_new0(local, 1);
    vds_target_init(&l->base, &local_ops, "local", ctx);
    l->stack = vds_local_stack_new(&l->base);
    vds_target_set_oracle(&l->base, vds_x11_oracle_new(l->stack, ctx));
    return &l->base;
}

vds_local_stack *vds_target_local_stack(vds_target *t)
{
    return ((local *)t)->stack;
}
