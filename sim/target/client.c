/* Targets that reach the agent as a SPICE client: `local-server` (the local
 * agent stack behind the embedded libspice-server) and spice:// URIs (any
 * server, e.g. QEMU's). Messages to the agent go as AGENT_DATA; a
 * MOUSE_STATE meant for the server's port goes through the inputs channel,
 * so spice-server builds it the way it does in a deployment. */
#include <glib/gstdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/loop.h"
#include "core/secret.h"
#include "peer/spice-client.h"
#include "peer/spice-server.h"
#include "proto/agent.h"
#include "target/local-stack.h"
#include "trace/trace.h"

#define CONNECT_TIMEOUT_NS (10ull * 1000000000)

typedef struct client_target {
    vds_target base;
    char *name;
    vds_spice_endpoint ep;
    bool tls;
    char *password;
    vds_spice_client_opts copts;
    vds_spice_client *client;
    uint64_t tx; /* agent stream bytes sent: trace offsets */
    /* local-server only: the local stack, owned (its X11 oracle is base.oracle) */
    vds_local_stack *stack;
    vds_spice_server_opts sopts;
    vds_spice_server *server;
    char *sock;
} client_target;

/* --- client events ---------------------------------------------------------- */

static void on_agent_msg(void *user, uint64_t t, GBytes *msg, uint32_t pieces)
{
    client_target *c = user;
    vds_rx *rx = g_new0(vds_rx, 1);
    rx->t_ns = t;
    rx->port = VDP_CLIENT_PORT;
    rx->bytes = msg;
    rx->n_chunks = pieces;
    g_queue_push_tail(c->base.rx, rx);
}

static void on_wire(void *user, uint64_t t, vds_spice_side side, uint8_t channel, uint16_t type,
                    const uint8_t *body, size_t len)
{
    client_target *c = user;
    if (!c->base.observe)
        return;
    g_autoptr(JsonNode) ev = vds_trace_spice_event(t, side, channel, type, body, len);
    c->base.observe(c->base.observe_user, ev);
}

static void on_closed(void *user, uint64_t t, const vds_err *err)
{
    client_target *c = user;
    c->base.port_open = false;
    if (err && !c->base.dead && c->base.observe) {
        g_autoptr(JsonNode) ev = vds_trace_spice_closed_event(t, SPICE_CHANNEL_MAIN, err);
        c->base.observe(c->base.observe_user, ev);
    }
}

static const vds_spice_client_events client_events = {on_agent_msg, on_wire, on_closed};

/* --- server events (local-server) -------------------------------------------- */

static void on_port_msg(void *user, uint64_t t, const vds_chunk_msg *m)
{
    client_target *c = user;
    if (!c->base.observe)
        return;
    bool malformed;
    g_autoptr(JsonNode) ev =
        vds_trace_agent_event(t, VDS_DIR_TO_AGENT, m, VDS_CAPS_VDAGENTD, &malformed);
    json_object_set_string_member(json_node_get_object(ev), "kind", "port");
    c->base.observe(c->base.observe_user, ev);
}

static void on_server_agent(void *user, bool attached)
{
    /* the client sees the agent come and go (sync_state) */
}

static void on_server_log(void *user, uint64_t t, GLogLevelFlags level, const char *message)
{
    client_target *c = user;
    if (!c->base.observe)
        return;
    g_autoptr(JsonNode) ev = vds_trace_server_log_event(t, level, message);
    c->base.observe(c->base.observe_user, ev);
}

static const vds_spice_server_events server_events = {on_port_msg, on_server_agent, on_server_log};

static int take_port(void *user, int fd)
{
    client_target *c = user;
    return vds_spice_server_attach_agent(c->server, fd, NULL);
}

/* --- ops ---------------------------------------------------------------------- */

static void sync_state(client_target *c)
{
    c->base.port_open = c->client && vds_spice_client_agent_connected(c->client);
}

typedef struct waiter {
    client_target *c;
    bool (*done)(void *);
    void *user;
} waiter;

static bool wait_done(void *user)
{
    waiter *w = user;
    sync_state(w->c);
    return w->done(w->user);
}

static bool client_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    waiter w = {(client_target *)t, done, user};
    return vds_loop_until(t->ctx, deadline, wait_done, &w);
}

static int client_start(vds_target *t, vds_err *err)
{
    client_target *c = (client_target *)t;
    if (c->stack) {
        g_autofree char *dir = vds_tmp_dir_new("vdsim-server", err);
        if (!dir)
            return -1;
        c->sock = g_build_filename(dir, "spice.sock", NULL);
        c->sopts.unix_path = c->sock;
        c->server = vds_spice_server_new(t->ctx, &c->sopts, &server_events, c, err);
        if (!c->server)
            return -1;
        g_free(c->ep.unix_path);
        c->ep.unix_path = g_strdup(c->sock);
        vds_local_stack_set_port(c->stack, take_port, c);
        if (vds_local_stack_start(c->stack, err) < 0)
            return -1;
        char *info = g_strdup_printf("%s; behind the embedded libspice-server %s",
                                     t->info ? t->info : "local", vds_spice_server_version());
        g_free(t->info);
        t->info = info;
    }
    c->client = vds_spice_client_new(t->ctx, &c->copts, &client_events, c);
    return 0;
}

static void client_stop(vds_target *t)
{
    client_target *c = (client_target *)t;
    g_clear_pointer(&c->client, vds_spice_client_free);
    if (c->stack)
        vds_local_stack_stop(c->stack);
    g_clear_pointer(&c->server, vds_spice_server_free);
    if (c->sock) {
        g_autofree char *dir = g_path_get_dirname(c->sock);
        vds_remove_tree(dir); /* with its owner file */
        g_clear_pointer(&c->sock, g_free);
    }
    t->port_open = false;
}

static int client_session(vds_target *t, uint32_t caps, uint64_t deadline, vds_err *err)
{
    client_target *c = (client_target *)t;
    if (!c->client)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the target is not started");
    /* leaving makes the server tell the agent CLIENT_DISCONNECTED; the next
       client announces itself when the server reports the agent */
    c->copts.announce_caps = caps;
    c->tx = 0;
    if (vds_spice_client_connect(c->client, deadline, err) < 0)
        return -1;
    if (!vds_spice_client_wait_agent(c->client, deadline)) {
        sync_state(c);
        return vds_err_set(err, VDS_ERR_IO, NULL, "linked, but no agent is connected to %s%s%s",
                           c->name, t->dead ? ": " : " (agent_connected=0)",
                           t->dead ? t->dead : "");
    }
    sync_state(c);
    return vds_target_warm_mouse(t, err);
}

static int client_send(vds_target *t, uint32_t port, const uint8_t *msg, size_t len, uint64_t *t_ns,
                       vds_err *err)
{
    client_target *c = (client_target *)t;
    if (!c->client)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the target is not started");
    t->tx_offset = c->tx;
    c->tx += len;
    uint32_t type = len >= VDS_AGENT_HDR_SIZE ? vds_get_u32(msg + 4) : 0;
    if (port == VDP_SERVER_PORT && type == VD_AGENT_MOUSE_STATE && len == VDS_AGENT_HDR_SIZE + 13) {
        const uint8_t *p = msg + VDS_AGENT_HDR_SIZE;
        /* spice-server: agent buttons = SPICE buttons_state << 1 */
        return vds_spice_client_mouse_position(c->client, vds_get_u32(p), vds_get_u32(p + 4),
                                               (uint16_t)(vds_get_u32(p + 8) >> 1), p[12], t_ns,
                                               err);
    }
    if (port != VDP_CLIENT_PORT && port != VDP_SERVER_PORT)
        return vds_err_set(err, VDS_ERR_USAGE, NULL,
                           "port %u: a SPICE client can only reach the agent's client port", port);
    return vds_spice_client_agent_send(c->client, msg, len, false, t_ns, err);
}

static bool main_closed(void *user)
{
    return vds_spice_client_closed(((client_target *)user)->client, NULL);
}

/* One message of tokens + count full AGENT_DATA pieces, sent without waiting
   for tokens: CLIPBOARD data nobody asked for, which vdagentd drops. Once the
   device stops taking data (the agent does not read), spice-server's answer
   to a client past its window is to drop it. */
static int exceed_tokens(client_target *c, const vds_client_action *a, uint64_t *t_ns, vds_err *err)
{
    size_t pieces = (size_t)vds_spice_client_tokens(c->client) + a->count;
    size_t len = pieces * VDS_AGENT_MAX_CHUNK - VDS_AGENT_HDR_SIZE - 8;
    vds_agent_msg m = {
        .protocol = VD_AGENT_PROTOCOL,
        .type = VD_AGENT_CLIPBOARD,
        .u.clipboard = {.type = VD_AGENT_CLIPBOARD_UTF8_TEXT, .data = g_malloc0(len), .len = len}};
    vds_agent_msg_apply_caps(&m, a->caps);
    vds_buf out;
    vds_buf_init(&out, 64u << 20);
    int rc = vds_agent_encode(&m, &out, err);
    if (rc == 0)
        rc = vds_spice_client_agent_send(c->client, out.data, out.len, true, t_ns, err);
    /* a server in another process may drop us mid-burst: that is its answer
       (the closed step checks it), not a failure to send */
    if (rc < 0 && vds_spice_client_closed(c->client, NULL))
        rc = 0;
    c->tx += out.len;
    vds_buf_clear(&out);
    vds_agent_msg_clear(&m);
    return rc;
}

static int client_action(vds_target *t, const vds_client_action *a, uint64_t *t_ns, vds_err *err)
{
    client_target *c = (client_target *)t;
    if (!c->client)
        return vds_err_set(err, VDS_ERR_IO, NULL, "the target is not started");
    *t_ns = vds_clock_now_ns();
    switch (a->kind) {
    case VDS_CLIENT_MOUSE_MODE:
        return vds_spice_client_mouse_mode_request(c->client, a->mode, err);
    case VDS_CLIENT_POSITION:
        return vds_spice_client_mouse_position(c->client, a->x, a->y, a->buttons, a->display, t_ns,
                                               err);
    case VDS_CLIENT_PRESS:
    case VDS_CLIENT_RELEASE:
        return vds_spice_client_mouse_button(c->client, a->kind == VDS_CLIENT_PRESS, a->button,
                                             a->buttons, t_ns, err);
    case VDS_CLIENT_DISCONNECT:
        vds_spice_client_disconnect(c->client);
        sync_state(c);
        return 0;
    case VDS_CLIENT_RECONNECT:
        return client_session(t, a->caps, a->deadline, err);
    case VDS_CLIENT_EXCEED_TOKENS:
        return exceed_tokens(c, a, t_ns, err);
    case VDS_CLIENT_HOLD_TOKENS:
        return vds_spice_client_hold_tokens(c->client, a->hold, err);
    case VDS_CLIENT_RAW: {
        gsize n = 0;
        const uint8_t *b = a->body ? g_bytes_get_data(a->body, &n) : NULL;
        return vds_spice_client_send_raw(c->client, a->channel, a->type, b, n, err);
    }
    case VDS_CLIENT_CLOSED:
        if (!vds_loop_until(t->ctx, a->deadline, main_closed, c))
            return vds_err_set(err, VDS_ERR_PROTOCOL, NULL,
                               "the server kept the main channel open");
        sync_state(c);
        return 0;
    }
    return vds_err_set(err, VDS_ERR_USAGE, NULL, "unknown client action %d", (int)a->kind);
}

/* A scenario that waits on the agent while agent data sits here waiting
   for tokens points at the flow control, not at the agent. */
static char *client_stall(vds_target *t)
{
    client_target *c = (client_target *)t;
    size_t queued = c->client ? vds_spice_client_agent_queued(c->client) : 0;
    if (!queued)
        return NULL;
    return g_strdup_printf("vdsim's SPICE client still holds %zu bytes of agent data: the "
                           "server has not returned agent tokens (%u left)",
                           queued, vds_spice_client_tokens(c->client));
}

static void client_free(vds_target *t)
{
    client_target *c = (client_target *)t;
    client_stop(t);
    vds_local_stack_free(c->stack);
    vds_spice_endpoint_clear(&c->ep);
    if (c->password)
        memset(c->password, 0, strlen(c->password));
    g_free(c->password);
    g_free(c->name);
    g_free(c);
}

static const vds_link_ops client_ops = {
    .start = client_start,
    .stop = client_stop,
    .session = client_session,
    .send = client_send,
    .wait = client_wait,
    .client = client_action,
    .stall = client_stall,
    .free = client_free,
};

/* VDSIM_SPICE_PASSWORD, or the file VDSIM_SPICE_PASSWORD_FILE names: never argv. */
static int read_password(client_target *c, vds_err *err)
{
    const char *pw = vds_secret_spice_password();
    const char *file = g_getenv("VDSIM_SPICE_PASSWORD_FILE");
    if (file && *file) {
        g_autoptr(GError) ge = NULL;
        char *text = NULL;
        if (!g_file_get_contents(file, &text, NULL, &ge))
            return vds_err_set(err, VDS_ERR_IO, file, "password file: %s", ge->message);
        text[strcspn(text, "\r\n")] = '\0';
        c->password = text;
    } else if (pw) {
        c->password = g_strdup(pw);
    }
    if (c->password && strlen(c->password) > SPICE_MAX_PASSWORD_LENGTH)
        return vds_err_set(err, VDS_ERR_USAGE, file ? file : "VDSIM_SPICE_PASSWORD",
                           "password longer than %d bytes", SPICE_MAX_PASSWORD_LENGTH);
    return 0;
}

static client_target *client_alloc(const char *name, const char *kind, GMainContext *ctx)
{
    client_target *c = g_new0(client_target, 1);
    vds_target_init(&c->base, &client_ops, kind, ctx);
    c->name = g_strdup(name);
    return c;
}

/* The server at uri, with c->password: what the client connects to. */
static int client_endpoint(client_target *c, const char *uri, vds_err *err)
{
    if (vds_spice_endpoint_parse(uri, &c->ep, err) < 0)
        return -1;
    c->tls = !c->ep.port && c->ep.tls_port;
    c->copts = (vds_spice_client_opts){
        .ep = &c->ep, .tls = c->tls, .password = c->password, .inputs = true, .client_mouse = true};
    return 0;
}

vds_target *vds_target_client_new(const char *name, GMainContext *ctx, vds_err *err)
{
    if (strcmp(name, "local-server") == 0) {
        client_target *c = client_alloc(name, "local-server", ctx);
        c->stack = vds_local_stack_new(&c->base);
        vds_target_set_oracle(&c->base, vds_x11_oracle_new(c->stack, ctx));
        c->copts = (vds_spice_client_opts){.ep = &c->ep, .inputs = true, .client_mouse = true};
        return &c->base;
    }
    client_target *c = client_alloc(name, "spice", ctx);
    if (read_password(c, err) < 0 || client_endpoint(c, name, err) < 0) {
        vds_target_free(&c->base);
        return NULL;
    }
    c->base.info = g_strdup_printf("SPICE server %s", name);
    return &c->base;
}

vds_target *vds_target_client_new_with(const char *name, const char *uri, const char *password,
                                       vds_oracle *oracle, GMainContext *ctx, vds_err *err)
{
    client_target *c = client_alloc(name, "libvirt", ctx);
    vds_target_set_oracle(&c->base, oracle);
    c->password = g_strdup(password);
    if (client_endpoint(c, uri, err) < 0) {
        vds_target_free(&c->base);
        return NULL;
    }
    c->base.info = g_strdup_printf("%s: SPICE server %s", name, uri);
    return &c->base;
}
