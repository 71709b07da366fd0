/* Steps that talk to the agent: send, expect, not, any-order, raw, and the
 * SPICE client's own actions (client). */
#include <string.h>

#include "core/clock.h"
#include "proto/agent.h"
#include "scenario/match.h"
#include "scenario/runner-ctx.h"

static uint32_t rx_type(const vds_rx *rx)
{
    return g_bytes_get_size(rx->bytes) >= 8
               ? vds_get_u32((const uint8_t *)g_bytes_get_data(rx->bytes, NULL) + 4)
               : 0;
}

/* "reply type=monitors-config error=success", from the event's own description. */
static char *rx_text(JsonNode *ev)
{
    JsonObject *o = json_node_get_object(ev);
    JsonNode *type = json_object_get_member(o, "type"),
             *fields = json_object_get_member(o, "fields");
    g_autofree char *tt = type ? vds_json_to_text(type) : g_strdup("unknown");
    g_autofree char *ft =
        fields ? vds_json_to_text(fields)
               : g_strdup_printf(
                     "(%s)", json_object_get_string_member_with_default(o, "error", "undecodable"));
    return g_strdup_printf("%s%s%s", tt, *ft ? " " : "", ft);
}

/* Does the received message (rx, its event ev) satisfy st? Its fields are
 * borrowed from ev into *got for captures. */
static bool matches(vds_runner *r, const vds_step *st, const vds_rx *rx, JsonNode *ev,
                    JsonNode **got)
{
    *got = NULL;
    if (rx_type(rx) != st->u.msg.type)
        return false;
    *got = json_object_get_member(json_node_get_object(ev), "fields");
    g_autoptr(JsonNode) want = vds_match_subst_object(st->u.msg.fields, r->vars);
    return *got && vds_match_json(want, *got);
}

static bool ignored(vds_runner *r, const vds_rx *rx)
{
    for (guint i = 0; i < r->s->ignore->len; i++)
        if (g_array_index(r->s->ignore, uint32_t, i) == rx_type(rx))
            return true;
    return false;
}

static char *want_text(vds_runner *r, const vds_step *st)
{
    g_autoptr(JsonNode) want = vds_match_subst_object(st->u.msg.fields, r->vars);
    g_autofree char *ft = vds_json_to_text(want);
    return g_strdup_printf("%s%s%s", vds_names_get(&vds_agent_type_names, st->u.msg.type),
                           *ft ? " " : "", ft);
}

/* An expectation's latency: from the last stimulus (what the message
   answers) when there was one, else from the step's start, to the read
   that delivered the message. */
static void add_latency(vds_runner *r, const vds_step *st, uint64_t rx_t, uint64_t start)
{
    uint64_t base = r->stim_t ? r->stim_t : start;
    uint64_t ns = rx_t > base ? rx_t - base : 0;
    const char *what = vds_names_get(&vds_agent_type_names, st->u.msg.type);
    vds_latency *l = NULL;
    for (guint i = 0; i < r->res->latencies->len && !l; i++) {
        vds_latency *c = r->res->latencies->pdata[i];
        if (c->step == st->index && g_strcmp0(c->what, what) == 0)
            l = c;
    }
    if (!l) {
        l = g_new0(vds_latency, 1);
        l->step = st->index;
        l->what = what;
        l->ns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        g_ptr_array_add(r->res->latencies, l);
    }
    g_array_append_val(l->ns, ns);
}

/* --- expect ------------------------------------------------------------------ */

typedef struct rx_wait {
    vds_runner *r;
    const vds_step *st;
    uint64_t start;
    int rc;
    GPtrArray *left; /* any-order: the expects still to come */
    GQueue keep;     /* not: what else came, for the next steps */
} rx_wait;

/* One received message against an expect: 1 taken, 0 passed over (ignored),
   -1 the step is decided otherwise (optional: left for the next step). */
static bool expect_check(void *user)
{
    rx_wait *w = user;
    vds_runner *r = w->r;
    const vds_step *st = w->st;
    vds_rx *rx;
    while ((rx = g_queue_pop_head(r->t->rx))) {
        g_autoptr(JsonNode) ev = vds_runner_rx_event(r, rx);
        JsonNode *got;
        if (matches(r, st, rx, ev, &got)) {
            vds_runner_record(r, ev);
            add_latency(r, st, rx->t_ns, w->start);
            vds_match_capture(st->u.msg.capture, got, r->vars);
            vds_rx_free(rx);
            return true;
        }
        if (ignored(r, rx)) {
            vds_runner_record(r, ev);
            vds_rx_free(rx);
            continue;
        }
        if (st->u.msg.optional) {
            g_queue_push_head(r->t->rx, rx); /* for the next step */
            return true;
        }
        vds_runner_record(r, ev);
        g_autofree char *gt = rx_text(ev);
        g_autofree char *want = want_text(r, st);
        double ms = (double)(rx->t_ns > w->start ? rx->t_ns - w->start : 0) / 1e6;
        vds_rx_free(rx);
        w->rc = vds_step_fail(r, st, "expected %s within %.0f ms, got %s after %.1f ms", want,
                              st->within_ns / 1e6, gt, ms);
        return true;
    }
    return false;
}

int vds_run_expect(vds_runner *r, const vds_step *st, uint64_t start)
{
    rx_wait w = {r, st, start, 0, NULL, G_QUEUE_INIT};
    vds_await_status why = vds_runner_await(r, start + st->within_ns, 0, expect_check, &w);
    if (why == VDS_AWAIT_MATCH)
        return w.rc;
    if (why != VDS_AWAIT_TIMEOUT)
        return vds_step_fail_await(r, st, why);
    if (st->u.msg.optional)
        return 0;
    g_autofree char *want = want_text(r, st);
    return vds_step_fail(r, st, "expected %s within %.0f ms, got nothing", want,
                         st->within_ns / 1e6);
}

/* --- not --------------------------------------------------------------------- */

static bool not_check(void *user)
{
    rx_wait *w = user;
    vds_runner *r = w->r;
    vds_rx *rx;
    while ((rx = g_queue_pop_head(r->t->rx))) {
        g_autoptr(JsonNode) ev = vds_runner_rx_event(r, rx);
        JsonNode *got;
        if (!matches(r, w->st, rx, ev, &got)) {
            g_queue_push_tail(&w->keep, rx);
            continue;
        }
        vds_runner_record(r, ev);
        g_autofree char *gt = rx_text(ev);
        w->rc = vds_step_fail(r, w->st, "got %s after %.1f ms; it must not come within %.0f ms", gt,
                              (double)(rx->t_ns - w->start) / 1e6, w->st->within_ns / 1e6);
        vds_rx_free(rx);
        return true;
    }
    return false;
}

int vds_run_not(vds_runner *r, const vds_step *st, uint64_t start)
{
    rx_wait w = {r, st, start, 0, NULL, G_QUEUE_INIT};
    vds_await_status why = vds_runner_await(r, start + st->within_ns, 0, not_check, &w);
    if (why == VDS_AWAIT_DEAD || why == VDS_AWAIT_INTERRUPTED)
        w.rc = vds_step_fail_await(r, st, why);
    /* what else came stays for the next steps, in order */
    vds_rx *rx;
    while ((rx = g_queue_pop_tail(&w.keep)))
        g_queue_push_head(r->t->rx, rx);
    return w.rc;
}

/* --- any-order ------------------------------------------------------------------ */

static bool any_order_check(void *user)
{
    rx_wait *w = user;
    vds_runner *r = w->r;
    vds_rx *rx;
    while (w->left->len && (rx = g_queue_pop_head(r->t->rx))) {
        bool hit = false;
        g_autoptr(JsonNode) ev = vds_runner_rx_event(r, rx);
        for (guint i = 0; i < w->left->len && !hit; i++) {
            vds_step *c = w->left->pdata[i];
            JsonNode *got;
            if (matches(r, c, rx, ev, &got)) {
                add_latency(r, c, rx->t_ns, w->start);
                vds_match_capture(c->u.msg.capture, got, r->vars);
                g_ptr_array_remove_index(w->left, i);
                hit = true;
            }
        }
        vds_runner_record(r, ev);
        if (!hit && !ignored(r, rx)) {
            g_autofree char *gt = rx_text(ev);
            g_autofree char *want = want_text(r, w->left->pdata[0]);
            vds_rx_free(rx);
            w->rc = vds_step_fail(r, w->st, "got %s while waiting for %u more (first: %s)", gt,
                                  w->left->len, want);
            return true;
        }
        vds_rx_free(rx);
    }
    return w->left->len == 0;
}

int vds_run_any_order(vds_runner *r, const vds_step *st, uint64_t start)
{
    g_autoptr(GPtrArray) left = g_ptr_array_new();
    uint64_t within = 0;
    for (guint i = 0; i < st->u.any->len; i++) {
        vds_step *c = st->u.any->pdata[i];
        g_ptr_array_add(left, c);
        within = MAX(within, c->within_ns);
    }
    rx_wait w = {r, st, start, 0, left, G_QUEUE_INIT};
    vds_await_status why = vds_runner_await(r, start + within, 0, any_order_check, &w);
    if (why == VDS_AWAIT_MATCH)
        return w.rc;
    if (why != VDS_AWAIT_TIMEOUT)
        return vds_step_fail_await(r, st, why);
    g_autofree char *want = want_text(r, left->pdata[0]);
    return vds_step_fail(r, st, "%u expected messages did not come within %.0f ms (first: %s)",
                         left->len, within / 1e6, want);
}

/* --- send, raw ------------------------------------------------------------------ */

static bool port_open(void *user)
{
    return ((vds_runner *)user)->t->port_open;
}

/* vdagentd reopens its port after an error: give it a moment */
static void await_port(vds_runner *r)
{
    vds_runner_await(r, vds_clock_now_ns() + 2000000000ull, 0, port_open, r);
}

int vds_run_send(vds_runner *r, const vds_step *st, uint64_t start)
{
    const vds_step_msg *sm = &st->u.msg;
    await_port(r);
    g_autoptr(JsonNode) fields = vds_match_subst_object(sm->fields, r->vars);
    JsonObject *f = json_node_get_object(fields);
    vds_build_ctx bctx = {.caps = r->agent_caps, .payload = sm->payload};
    vds_agent_msg m;
    vds_err err = {0};
    if (vds_agent_msg_build(sm->type, f, &bctx, &m, &err) < 0)
        return vds_step_fail(r, st, "%s", err.msg);
    /* grab serials: ours per selection unless the scenario gives one */
    if (m.type == VD_AGENT_CLIPBOARD_GRAB && m.u.grab.has_serial) {
        uint8_t sel = m.u.grab.sel.selection & 1;
        if (!json_object_has_member(f, "serial"))
            m.u.grab.serial = r->serial[sel];
        r->serial[sel] = m.u.grab.serial + 1;
    }
    vds_buf out;
    uint64_t t;
    vds_buf_init(&out, 256u << 20);
    int rc = vds_agent_encode(&m, &out, &err);
    if (rc == 0)
        rc = r->t->ops->send(r->t, sm->port, out.data, out.len, &t, &err);
    vds_agent_msg_clear(&m);
    if (rc == 0) {
        r->stim_t = t;
        bool malformed;
        vds_chunk_msg cm = {sm->port,
                            out.data,
                            out.len,
                            r->t->tx_offset,
                            (uint32_t)((out.len + VDS_AGENT_MAX_CHUNK - 1) / VDS_AGENT_MAX_CHUNK),
                            NULL};
        g_autoptr(JsonNode) ev = vds_trace_agent_event(vds_runner_rel(r, t), VDS_DIR_TO_AGENT, &cm,
                                                       r->agent_caps, &malformed);
        vds_runner_record(r, ev);
    }
    vds_buf_clear(&out);
    return rc < 0 ? vds_step_fail(r, st, "%s", err.msg) : 0;
}

int vds_run_raw(vds_runner *r, const vds_step *st, uint64_t start)
{
    const vds_step_raw *raw = &st->u.raw;
    await_port(r);
    vds_err err = {0};
    gsize len;
    const uint8_t *p = g_bytes_get_data(raw->bytes, &len);
    vds_buf out;
    vds_buf_init(&out, 64u << 20);
    if (raw->chunk) {
        uint8_t *h = vds_buf_extend(&out, 8, NULL);
        vds_put_u32(h, raw->port);
        vds_put_u32(h + 4, (uint32_t)len);
    }
    vds_buf_append(&out, p, len, NULL);
    int rc = r->t->ops->write_raw(r->t, out.data, out.len, &err);
    g_autofree char *what = g_strdup_printf("raw: %zu bytes written", out.len);
    vds_runner_note(r, what, NULL); /* a stimulus: no "observed" member */
    vds_buf_clear(&out);
    return rc < 0 ? vds_step_fail(r, st, "%s", err.msg) : 0;
}

/* --- client --------------------------------------------------------------------- */

/* What vdsim's SPICE client does by itself, noted in the trace (its SPICE
   messages are there already) as a stimulus. */
int vds_run_client(vds_runner *r, const vds_step *st, uint64_t start)
{
    vds_client_action a = st->u.client.a;
    vds_err err = {0};
    uint64_t t;
    a.body = st->u.client.body;
    a.caps = r->s->client_caps;
    a.deadline =
        vds_clock_now_ns() + (a.kind == VDS_CLIENT_CLOSED ? st->within_ns : 10ull * 1000000000);
    if (a.kind == VDS_CLIENT_RECONNECT)
        r->serial[0] = r->serial[1] = 0; /* a new session, as in setup: grabs count anew */
    /* noted first: what happens during the action (a reconnect's link, the
       agent's answer) comes after it in the trace */
    g_autofree char *note = g_strdup_printf("client: %s", vds_client_kind_name(a.kind));
    vds_runner_note(r, note, NULL);
    if (r->t->ops->client(r->t, &a, &t, &err) < 0)
        return vds_step_fail(r, st, "client: %s: %s", vds_client_kind_name(a.kind), err.msg);
    if (a.kind != VDS_CLIENT_CLOSED)
        r->stim_t = t;
    return 0;
}
