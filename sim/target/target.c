/* What every target shares: received messages, waiting on the loop, lookup. */
#include <string.h>

#include "core/clock.h"
#include "core/loop.h"
#include "proto/agent.h"
#include "target/target.h"

void vds_rx_free(vds_rx *rx)
{
    if (!rx)
        return;
    g_bytes_unref(rx->bytes);
    g_free(rx);
}

bool vds_target_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    if (t->ops->wait)
        return t->ops->wait(t, deadline, done, user);
    return vds_loop_until(t->ctx, deadline, done, user);
}

vds_target *vds_target_new(const char *name, GMainContext *ctx, vds_err *err)
{
    if (strcmp(name, "local") == 0)
        return vds_target_local_new(ctx);
    if (strcmp(name, "local-server") == 0 || g_str_has_prefix(name, "spice://") ||
        g_str_has_prefix(name, "spice+unix://"))
        return vds_target_client_new(name, ctx, err);
    vds_err_set(err, VDS_ERR_USAGE, NULL,
                "unknown target '%s' (this vdsim has: local, local-server, spice://HOST:PORT, "
                "spice+unix://PATH)",
                name);
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
