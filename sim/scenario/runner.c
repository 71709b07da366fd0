#include "scenario/runner.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "proto/agent.h"
#include "target/target.h"
#include "trace/trace.h"

#define SETUP_TIMEOUT_NS (5ull * 1000000000)
#define POLL_NS          (50ull * 1000000)

typedef struct latency {
    unsigned step;
    const char *what;
    GArray *ns; /* uint64_t */
} latency;

typedef struct result {
    const vds_scenario *s;
    bool passed;
    bool infra;
    bool skipped;  /* the scenario's targets: list leaves this target out */
    char *failure; /* located; the reason when skipped */
    unsigned steps_run;
    uint64_t wall_ns;
    uint64_t setup_ns;    /* the new client session: link to agent answer */
    GPtrArray *latencies; /* latency* */
    char *trace_path;
    char *logs; /* agent log tails on failure */
} result;

typedef struct runner {
    const vds_run_opts *o;
    vds_target *t;
    GMainContext *ctx;
    vds_trace_writer *run_trace;
    vds_trace_writer *trace; /* this scenario's */
    GQueue wire;             /* JsonNode*: target wire events not yet written, clock ns */
    const vds_scenario *s;
    result *res;
    uint64_t t0, run_t0;
    uint64_t stim_t; /* clock of the last stimulus (a send, a guest action); 0: none yet */
    uint32_t agent_caps;
    uint32_t serial[2];
    GHashTable *vars; /* name -> JsonNode */
    guint input_pos;
    unsigned step;
    bool interrupted;
    bool started;
    bool stack_broken; /* the agent stopped answering: restart before reuse */
} runner;

static volatile bool interrupted_flag;

static gboolean on_signal(gpointer user)
{
    interrupted_flag = true;
    return G_SOURCE_CONTINUE;
}

static void latency_free(latency *l)
{
    g_array_unref(l->ns);
    g_free(l);
}

/* --- trace -------------------------------------------------------------- */

static void write_event(runner *r, JsonNode *ev)
{
    JsonObject *o = json_node_get_object(ev);
    if (!json_object_has_member(o, "step")) /* wire events carry the step they were seen in */
        json_object_set_int_member(o, "step", r->step);
    if (r->o->verbose) {
        g_autofree char *line = vds_trace_event_text(o);
        printf("    %s\n", line);
    }
    vds_err err;
    if (r->trace)
        vds_trace_writer_add(r->trace, ev, &err);
    if (r->run_trace) {
        /* the run's trace counts time from the start of the run */
        gint64 t = json_object_get_int_member(o, "t");
        json_object_set_int_member(o, "t", t + (gint64)(r->t0 - r->run_t0));
        vds_trace_writer_add(r->run_trace, ev, &err);
        json_object_set_int_member(o, "t", t);
    }
}

static uint64_t rel(runner *r, uint64_t t)
{
    return t > r->t0 ? t - r->t0 : 0;
}

/* Wire events go in between the runner's own, in time order: those from
 * before the scenario's start (the link, during setup) count as 0. */
static void flush_wire(runner *r, uint64_t upto)
{
    JsonNode *w;
    while ((w = g_queue_peek_head(&r->wire))) {
        JsonObject *o = json_node_get_object(w);
        uint64_t t = (uint64_t)json_object_get_int_member(o, "t");
        if (rel(r, t) > upto)
            break;
        g_queue_pop_head(&r->wire);
        json_object_set_int_member(o, "t", (gint64)rel(r, t));
        write_event(r, w);
        json_node_unref(w);
    }
}

static void record(runner *r, JsonNode *ev)
{
    flush_wire(r, (uint64_t)json_object_get_int_member(json_node_get_object(ev), "t"));
    write_event(r, ev);
}

/* The trace event of a received message: decoded once, then used both to
 * match expectations (its "fields") and to record. New node. */
static JsonNode *rx_event(runner *r, const vds_rx *rx)
{
    bool malformed;
    vds_chunk_msg cm = {rx->port,
                        g_bytes_get_data(rx->bytes, NULL),
                        g_bytes_get_size(rx->bytes),
                        rx->offset,
                        rx->n_chunks,
                        NULL};
    return vds_trace_agent_event(rel(r, rx->t_ns), VDS_DIR_FROM_AGENT, &cm, r->s->client_caps,
                                 &malformed);
}

/* Wire events from the target (SPICE messages, what the port carried). They
 * wait in time order to be written between the runner's own events; at most
 * this many wait (a 16 MiB clipboard is 8192 AGENT_DATA messages). */
#define WIRE_QUEUE_MAX 256
static void on_observe(void *user, JsonNode *ev)
{
    runner *r = user;
    if (!r->trace)
        return;
    /* a read's messages carry the read's time, replies sent while handling
       them a later one: keep the queue in time order */
    gint64 t = json_object_get_int_member(json_node_get_object(ev), "t");
    json_object_set_int_member(json_node_get_object(ev), "step", r->step);
    GList *at = r->wire.tail;
    while (at && json_object_get_int_member(json_node_get_object(at->data), "t") > t)
        at = at->prev;
    if (at)
        g_queue_insert_after(&r->wire, at, json_node_ref(ev));
    else
        g_queue_push_head(&r->wire, json_node_ref(ev));
    if (r->wire.length > WIRE_QUEUE_MAX) {
        /* a long transfer: whatever the runner records later is no older
           than the oldest message it has not taken yet (or than now), and
           wire events still to come are no older than the newest half of
           the queue (one read's events arrive out of order, not more) */
        vds_rx *oldest = g_queue_peek_head(r->t->rx);
        uint64_t upto = oldest ? oldest->t_ns : vds_clock_now_ns();
        JsonNode *mid = g_queue_peek_nth(&r->wire, WIRE_QUEUE_MAX / 2);
        upto = MIN(upto, (uint64_t)json_object_get_int_member(json_node_get_object(mid), "t"));
        flush_wire(r, rel(r, upto) ? rel(r, upto) - 1 : 0);
    }
}

static void record_note(runner *r, const char *what, JsonNode *detail)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "t");
    json_builder_add_int_value(b, (gint64)rel(r, vds_clock_now_ns()));
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "note");
    json_builder_set_member_name(b, "note");
    json_builder_add_string_value(b, what);
    if (!detail)
        r->stim_t = vds_clock_now_ns(); /* a note without an observation is a stimulus */
    if (detail) {
        json_builder_set_member_name(b, "observed");
        json_builder_add_value(b, json_node_copy(detail));
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) ev = json_builder_get_root(b);
    record(r, ev);
}

/* --- failing ------------------------------------------------------------ */

static int step_fail(runner *r, const vds_step *st, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int step_fail(runner *r, const vds_step *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *stall = r->t->ops->stall ? r->t->ops->stall(r->t) : NULL;
    if (!r->res->failure)
        r->res->failure = g_strdup_printf("%s:%u:%u: step %u (%s): %s%s%s", r->s->file, st->line,
                                          st->col, st->index, vds_step_kind_name(st->kind), msg,
                                          stall ? "; " : "", stall ? stall : "");
    return -1;
}

/* --- messages ------------------------------------------------------------ */

static bool rx_or_dead(void *user)
{
    runner *r = user;
    return r->t->rx->length > 0 || r->t->dead || interrupted_flag;
}

static bool port_open_or_dead(void *user)
{
    runner *r = user;
    return r->t->port_open || r->t->dead || interrupted_flag;
}

/* Wait for time to pass: only an interrupt ends it early. */
static bool only_interrupt(void *user)
{
    return interrupted_flag;
}

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

static bool is_string_array(JsonArray *a)
{
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
            return false;
    }
    return true;
}

/* want ⊆ got; lists of names compare as sets. */
static bool json_match(JsonNode *want, JsonNode *got)
{
    if (!got)
        return false;
    if (JSON_NODE_HOLDS_OBJECT(want) && JSON_NODE_HOLDS_OBJECT(got)) {
        JsonObject *w = json_node_get_object(want), *g = json_node_get_object(got);
        g_autoptr(GList) members = json_object_get_members(w);
        for (GList *l = members; l; l = l->next)
            if (!json_match(json_object_get_member(w, l->data), json_object_get_member(g, l->data)))
                return false;
        return true;
    }
    if (JSON_NODE_HOLDS_ARRAY(want) && JSON_NODE_HOLDS_ARRAY(got)) {
        JsonArray *w = json_node_get_array(want), *g = json_node_get_array(got);
        guint n = json_array_get_length(w);
        if (n != json_array_get_length(g))
            return false;
        if (is_string_array(w) && is_string_array(g)) {
            for (guint i = 0; i < n; i++) {
                bool found = false;
                for (guint j = 0; j < n && !found; j++)
                    found = g_strcmp0(json_array_get_string_element(w, i),
                                      json_array_get_string_element(g, j)) == 0;
                if (!found)
                    return false;
            }
            return true;
        }
        for (guint i = 0; i < n; i++)
            if (!json_match(json_array_get_element(w, i), json_array_get_element(g, i)))
                return false;
        return true;
    }
    return json_node_equal(want, got);
}

/* A copy of node with "${var}" strings replaced by captured values. */
static JsonNode *subst(runner *r, JsonNode *n)
{
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
        const char *s = json_node_get_string(n);
        if (g_str_has_prefix(s, "${") && g_str_has_suffix(s, "}")) {
            g_autofree char *name = g_strndup(s + 2, strlen(s) - 3);
            JsonNode *v = g_hash_table_lookup(r->vars, name);
            if (v)
                return json_node_copy(v);
        }
        return json_node_copy(n);
    }
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        JsonObject *o = json_object_new(), *src = json_node_get_object(n);
        g_autoptr(GList) members = json_object_get_members(src);
        for (GList *l = members; l; l = l->next)
            json_object_set_member(o, l->data, subst(r, json_object_get_member(src, l->data)));
        JsonNode *out = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(out, o);
        return out;
    }
    if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_array_new(), *src = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(src); i++)
            json_array_add_element(a, subst(r, json_array_get_element(src, i)));
        JsonNode *out = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(out, a);
        return out;
    }
    return json_node_copy(n);
}

static JsonNode *fields_node(runner *r, JsonObject *fields)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(n, fields);
    JsonNode *out = subst(r, n);
    json_node_unref(n);
    return out;
}

/* Does the received message (rx, its event ev) satisfy st? Its fields are
 * borrowed from ev into *got for captures. */
static bool matches(runner *r, const vds_step *st, const vds_rx *rx, JsonNode *ev, JsonNode **got)
{
    *got = NULL;
    if (rx_type(rx) != st->msg_type)
        return false;
    *got = json_object_get_member(json_node_get_object(ev), "fields");
    g_autoptr(JsonNode) want = fields_node(r, st->fields);
    return *got && json_match(want, *got);
}

static bool ignored(runner *r, const vds_rx *rx)
{
    for (guint i = 0; i < r->s->ignore->len; i++)
        if (g_array_index(r->s->ignore, uint32_t, i) == rx_type(rx))
            return true;
    return false;
}

static char *want_text(runner *r, const vds_step *st)
{
    g_autoptr(JsonNode) want = fields_node(r, st->fields);
    g_autofree char *ft = vds_json_to_text(want);
    return g_strdup_printf("%s%s%s", vds_names_get(&vds_agent_type_names, st->msg_type),
                           *ft ? " " : "", ft);
}

/* An expectation's latency: from the last stimulus (what the message
   answers) when there was one, else from the step's start, to the read
   that delivered the message. */
static void add_latency(runner *r, const vds_step *st, uint64_t rx_t, uint64_t start)
{
    uint64_t base = r->stim_t ? r->stim_t : start;
    uint64_t ns = rx_t > base ? rx_t - base : 0;
    latency *l = NULL;
    for (guint i = 0; i < r->res->latencies->len && !l; i++) {
        latency *c = r->res->latencies->pdata[i];
        if (c->step == st->index &&
            g_strcmp0(c->what, vds_names_get(&vds_agent_type_names, st->msg_type)) == 0)
            l = c;
    }
    if (!l) {
        l = g_new0(latency, 1);
        l->step = st->index;
        l->what = vds_names_get(&vds_agent_type_names, st->msg_type);
        l->ns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        g_ptr_array_add(r->res->latencies, l);
    }
    g_array_append_val(l->ns, ns);
}

static void capture(runner *r, const vds_step *st, JsonNode *got)
{
    if (!st->capture || !got)
        return;
    GHashTableIter it;
    gpointer var, field;
    g_hash_table_iter_init(&it, st->capture);
    while (g_hash_table_iter_next(&it, &var, &field)) {
        JsonNode *v = json_object_get_member(json_node_get_object(got), field);
        if (v)
            g_hash_table_insert(r->vars, g_strdup(var), json_node_copy(v));
    }
}

static int dead_or_interrupted(runner *r, const vds_step *st)
{
    if (interrupted_flag) {
        r->interrupted = true;
        return step_fail(r, st, "interrupted");
    }
    return step_fail(r, st, "the agent stack is gone: %s", r->t->dead);
}

static int do_expect(runner *r, const vds_step *st, uint64_t start)
{
    uint64_t deadline = start + st->within_ns;
    g_autofree char *want = want_text(r, st);
    for (;;) {
        vds_rx *rx;
        while ((rx = g_queue_pop_head(r->t->rx))) {
            g_autoptr(JsonNode) ev = rx_event(r, rx);
            JsonNode *got;
            if (matches(r, st, rx, ev, &got)) {
                record(r, ev);
                add_latency(r, st, rx->t_ns, start);
                capture(r, st, got);
                vds_rx_free(rx);
                return 0;
            }
            if (ignored(r, rx)) {
                record(r, ev);
                vds_rx_free(rx);
                continue;
            }
            if (st->optional) {
                g_queue_push_head(r->t->rx, rx); /* for the next step */
                return 0;
            }
            record(r, ev);
            g_autofree char *gt = rx_text(ev);
            double ms = (double)(rx->t_ns > start ? rx->t_ns - start : 0) / 1e6;
            vds_rx_free(rx);
            return step_fail(r, st, "expected %s within %.0f ms, got %s after %.1f ms", want,
                             st->within_ns / 1e6, gt, ms);
        }
        if (r->t->dead || interrupted_flag)
            return dead_or_interrupted(r, st);
        if (vds_clock_now_ns() >= deadline)
            return st->optional ? 0
                                : step_fail(r, st, "expected %s within %.0f ms, got nothing", want,
                                            st->within_ns / 1e6);
        vds_target_wait(r->t, deadline, rx_or_dead, r);
    }
}

static int do_not(runner *r, const vds_step *st, uint64_t start)
{
    uint64_t deadline = start + st->within_ns;
    GQueue keep = G_QUEUE_INIT;
    int rc = 0;
    while (rc == 0) {
        vds_rx *rx;
        while (rc == 0 && (rx = g_queue_pop_head(r->t->rx))) {
            g_autoptr(JsonNode) ev = rx_event(r, rx);
            JsonNode *got;
            if (matches(r, st, rx, ev, &got)) {
                record(r, ev);
                g_autofree char *gt = rx_text(ev);
                rc = step_fail(r, st, "got %s after %.1f ms; it must not come within %.0f ms", gt,
                               (double)(rx->t_ns - start) / 1e6, st->within_ns / 1e6);
                vds_rx_free(rx);
            } else {
                g_queue_push_tail(&keep, rx);
            }
        }
        if (rc || vds_clock_now_ns() >= deadline)
            break;
        if (r->t->dead || interrupted_flag) {
            rc = dead_or_interrupted(r, st);
            break;
        }
        vds_target_wait(r->t, deadline, rx_or_dead, r);
    }
    /* what else came stays for the next steps, in order */
    vds_rx *rx;
    while ((rx = g_queue_pop_tail(&keep)))
        g_queue_push_head(r->t->rx, rx);
    return rc;
}

static int do_any_order(runner *r, const vds_step *st, uint64_t start)
{
    g_autoptr(GPtrArray) left = g_ptr_array_new();
    uint64_t within = 0;
    for (guint i = 0; i < st->children->len; i++) {
        vds_step *c = st->children->pdata[i];
        g_ptr_array_add(left, c);
        within = MAX(within, c->within_ns);
    }
    uint64_t deadline = start + within;
    while (left->len) {
        vds_rx *rx;
        while (left->len && (rx = g_queue_pop_head(r->t->rx))) {
            bool hit = false;
            g_autoptr(JsonNode) ev = rx_event(r, rx);
            for (guint i = 0; i < left->len && !hit; i++) {
                vds_step *c = left->pdata[i];
                JsonNode *got;
                if (matches(r, c, rx, ev, &got)) {
                    add_latency(r, c, rx->t_ns, start);
                    capture(r, c, got);
                    g_ptr_array_remove_index(left, i);
                    hit = true;
                }
            }
            record(r, ev);
            if (!hit && !ignored(r, rx)) {
                g_autofree char *gt = rx_text(ev);
                g_autofree char *w = want_text(r, left->pdata[0]);
                vds_rx_free(rx);
                return step_fail(r, st, "got %s while waiting for %u more (first: %s)", gt,
                                 left->len, w);
            }
            vds_rx_free(rx);
        }
        if (!left->len)
            break;
        if (r->t->dead || interrupted_flag)
            return dead_or_interrupted(r, st);
        if (vds_clock_now_ns() >= deadline) {
            g_autofree char *w = want_text(r, left->pdata[0]);
            return step_fail(r, st, "%u expected messages did not come within %.0f ms (first: %s)",
                             left->len, within / 1e6, w);
        }
        vds_target_wait(r->t, deadline, rx_or_dead, r);
    }
    return 0;
}

/* vdagentd reopens its port after an error: give it a moment */
static void await_port(runner *r)
{
    if (!r->t->port_open)
        vds_target_wait(r->t, vds_clock_now_ns() + 2000000000ull, port_open_or_dead, r);
}

/* Encode m into out (initialised here; the caller clears it) and send it on
 * port; *t_ns is when it went out. */
static int encode_send(runner *r, uint32_t port, const vds_agent_msg *m, vds_buf *out,
                       uint64_t *t_ns, vds_err *err)
{
    vds_buf_init(out, 256u << 20);
    if (vds_agent_encode(m, out, err) < 0)
        return -1;
    return r->t->ops->send(r->t, port, out->data, out->len, t_ns, err);
}

static int do_send(runner *r, const vds_step *st)
{
    await_port(r);
    g_autoptr(JsonNode) fields = fields_node(r, st->fields);
    JsonObject *f = json_node_get_object(fields);
    vds_build_ctx bctx = {.caps = r->agent_caps, .payload = st->payload};
    vds_agent_msg m;
    vds_err err = {0};
    if (vds_agent_msg_build(st->msg_type, f, &bctx, &m, &err) < 0)
        return step_fail(r, st, "%s", err.msg);
    /* grab serials: ours per selection unless the scenario gives one */
    if (m.type == VD_AGENT_CLIPBOARD_GRAB && m.u.grab.has_serial) {
        uint8_t sel = m.u.grab.sel.selection & 1;
        if (!json_object_has_member(f, "serial"))
            m.u.grab.serial = r->serial[sel];
        r->serial[sel] = m.u.grab.serial + 1;
    }
    vds_buf out;
    uint64_t t;
    int rc = encode_send(r, st->port, &m, &out, &t, &err);
    vds_agent_msg_clear(&m);
    if (rc == 0) {
        r->stim_t = t;
        bool malformed;
        vds_chunk_msg cm = {st->port,
                            out.data,
                            out.len,
                            r->t->tx_offset,
                            (uint32_t)((out.len + VDS_AGENT_MAX_CHUNK - 1) / VDS_AGENT_MAX_CHUNK),
                            NULL};
        g_autoptr(JsonNode) ev =
            vds_trace_agent_event(rel(r, t), VDS_DIR_TO_AGENT, &cm, r->agent_caps, &malformed);
        record(r, ev);
    }
    vds_buf_clear(&out);
    return rc < 0 ? step_fail(r, st, "%s", err.msg) : 0;
}

static int do_raw(runner *r, const vds_step *st)
{
    await_port(r);
    vds_err err = {0};
    gsize len;
    const uint8_t *p = g_bytes_get_data(st->payload, &len);
    vds_buf out;
    vds_buf_init(&out, 64u << 20);
    if (st->raw_chunk) {
        uint8_t *h = vds_buf_extend(&out, 8, NULL);
        vds_put_u32(h, st->port);
        vds_put_u32(h + 4, (uint32_t)len);
    }
    vds_buf_append(&out, p, len, NULL);
    int rc = r->t->ops->write_raw(r->t, out.data, out.len, &err);
    g_autofree char *what = g_strdup_printf("raw: %zu bytes written", out.len);
    record_note(r, what, NULL); /* a stimulus: no "observed" member */
    vds_buf_clear(&out);
    return rc < 0 ? step_fail(r, st, "%s", err.msg) : 0;
}

/* client: what vdsim's SPICE client does by itself, noted in the trace (its
   SPICE messages are there already) as a stimulus. */
static int do_client(runner *r, const vds_step *st)
{
    if (!r->t->ops->client)
        return step_fail(r, st,
                         "target %s has no SPICE client (client steps need local-server or "
                         "spice://; mark the scenario's targets:)",
                         r->t->ops->name);
    vds_client_action a = st->client;
    vds_err err = {0};
    uint64_t t;
    a.body = st->payload;
    a.caps = r->s->client_caps;
    a.deadline =
        vds_clock_now_ns() + (a.kind == VDS_CLIENT_CLOSED ? st->within_ns : 10ull * 1000000000);
    if (a.kind == VDS_CLIENT_RECONNECT)
        r->serial[0] = r->serial[1] = 0; /* a new session, as in setup: grabs count anew */
    /* noted first: what happens during the action (a reconnect's link, the
       agent's answer) comes after it in the trace */
    g_autofree char *note = g_strdup_printf("client: %s", vds_client_kind_name(a.kind));
    record_note(r, note, NULL);
    if (r->t->ops->client(r->t, &a, &t, &err) < 0)
        return step_fail(r, st, "client: %s: %s", vds_client_kind_name(a.kind), err.msg);
    if (a.kind != VDS_CLIENT_CLOSED)
        r->stim_t = t;
    return 0;
}

static char *rects_text(GArray *rects)
{
    GString *s = g_string_new("[");
    for (guint i = 0; i < rects->len; i++) {
        vds_rect *x = &g_array_index(rects, vds_rect, i);
        g_string_append_printf(s, "%s%ux%u%+d%+d", i ? ", " : "", x->w, x->h, x->x, x->y);
    }
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

static char *events_text(const vds_input_event *ev, guint n)
{
    GString *s = g_string_new("[");
    char buf[64];
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "",
                               vds_input_event_fmt(&ev[i], buf, sizeof(buf)));
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

static JsonNode *string_node(const char *s)
{
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, s);
    return n;
}

typedef struct input_wait {
    runner *r;
    guint want;
} input_wait;

static bool input_arrived(void *user)
{
    input_wait *w = user;
    if (w->r->t->ops->input_sync)
        w->r->t->ops->input_sync(w->r->t);
    return w->r->t->input->len - w->r->input_pos >= w->want || w->r->t->dead || interrupted_flag;
}

static int do_guest(runner *r, const vds_step *st, uint64_t start)
{
    uint64_t deadline = start + st->within_ns;
    vds_err err = {0};
    switch (st->guest) {
    case VDS_GUEST_INPUT: {
        if (!r->t->input)
            return step_fail(r, st,
                             "target %s sees no input events in the guest (input checks need "
                             "local, local-server or a guest with its QEMU guest agent)",
                             r->t->ops->name);
        /* an empty list means: nothing for the whole window */
        input_wait w = {r, st->events->len ? st->events->len : 1};
        vds_target_wait(r->t, deadline, input_arrived, &w);
        if (interrupted_flag || (r->t->dead && r->t->input->len - r->input_pos < w.want))
            return dead_or_interrupted(r, st);
        guint got_n = r->t->input->len - r->input_pos;
        const vds_input_event *got = &g_array_index(r->t->input, vds_input_event, r->input_pos);
        g_autofree char *gt = events_text(got, got_n);
        g_autofree char *wt = events_text((vds_input_event *)st->events->data, st->events->len);
        g_autoptr(JsonNode) obs = string_node(gt);
        record_note(r, "guest input", obs);
        r->input_pos = r->t->input ? r->t->input->len : 0;
        if (got_n != st->events->len ||
            (got_n && memcmp(got, st->events->data, got_n * sizeof(vds_input_event)) != 0))
            return step_fail(r, st, "the agent's input device got %s within %.0f ms, expected %s",
                             gt, st->within_ns / 1e6, wt);
        return 0;
    }
    case VDS_GUEST_SCREEN: {
        g_autoptr(GArray) rects = g_array_new(FALSE, FALSE, sizeof(vds_rect));
        for (;;) {
            if (r->t->ops->screen(r->t, rects, &err) < 0)
                return step_fail(r, st, "%s", err.msg);
            bool on_x = rects->len == st->rects->len &&
                        memcmp(rects->data, st->rects->data, rects->len * sizeof(vds_rect)) == 0;
            /* what a viewer sees: with one output, the display's own size
               from the host (a screenshot) must follow X */
            uint32_t dw = 0, dh = 0;
            int drc = 1;
            if (on_x && rects->len == 1 && r->t->ops->display &&
                (drc = r->t->ops->display(r->t, &dw, &dh, &err)) < 0)
                return step_fail(r, st, "%s", err.msg);
            const vds_rect *one = rects->len ? &g_array_index(rects, vds_rect, 0) : NULL;
            bool on_display = on_x && (drc == 1 || (dw == one->w && dh == one->h));
            /* and the daemon has taken it too, or a mouse state sent next
               would still use the old monitor offsets */
            bool same = on_display;
            if (same && r->t->ops->screen_taken)
                same = r->t->ops->screen_taken(r->t);
            if (same || vds_clock_now_ns() >= deadline || r->t->dead || interrupted_flag) {
                g_autofree char *rt = rects_text(rects);
                g_autofree char *gt =
                    drc == 0 ? g_strdup_printf("%s (display %ux%u)", rt, dw, dh) : g_strdup(rt);
                g_autoptr(JsonNode) obs = string_node(gt);
                record_note(r, "guest screen", obs);
                if (same)
                    return 0;
                if (r->t->dead || interrupted_flag)
                    return dead_or_interrupted(r, st);
                if (on_x && !on_display)
                    return step_fail(r, st,
                                     "the X screen shows %s, but the display shows %ux%u after "
                                     "%.0f ms",
                                     rt, dw, dh, st->within_ns / 1e6);
                if (on_display)
                    return step_fail(r, st,
                                     "the X screen shows %s, but the agent has not taken the new "
                                     "screen size within %.0f ms",
                                     gt, st->within_ns / 1e6);
                g_autofree char *wt = rects_text(st->rects);
                return step_fail(r, st, "the X screen shows %s after %.0f ms, expected %s", gt,
                                 st->within_ns / 1e6, wt);
            }
            vds_target_wait(r->t, MIN(deadline, vds_clock_now_ns() + POLL_NS), only_interrupt,
                            NULL);
        }
    }
    case VDS_GUEST_PASTED: {
        GBytes *text = NULL;
        int prc = r->t->ops->paste_result(r->t, deadline, &text, &err);
        g_autofree char *got =
            text ? g_strndup(g_bytes_get_data(text, NULL), g_bytes_get_size(text)) : NULL;
        bool same = st->payload ? text && g_bytes_equal(text, st->payload) : !text;
        if (text && g_bytes_get_size(text) > 256) { /* long pastes: note their size */
            g_free(got);
            got = g_strdup_printf("(%zu bytes)", g_bytes_get_size(text));
        }
        if (text)
            g_bytes_unref(text);
        g_autoptr(JsonNode) obs = got ? string_node(got) : json_node_new(JSON_NODE_NULL);
        record_note(r, "guest pasted", obs);
        if (same)
            return 0;
        if (!st->payload)
            return step_fail(r, st, "the guest pasted \"%s\", expected nothing to paste", got);
        if (g_bytes_get_size(st->payload) > 256)
            return step_fail(r, st,
                             "the guest pasted %s, expected the %zu bytes of the payload file",
                             got ? got : "nothing", g_bytes_get_size(st->payload));
        if (prc < 0)
            return step_fail(r, st, "%s within %.0f ms", err.msg, st->within_ns / 1e6);
        return step_fail(r, st, "the guest pasted \"%s\", expected \"%.*s\"", got,
                         (int)g_bytes_get_size(st->payload),
                         (const char *)g_bytes_get_data(st->payload, NULL));
    }
    case VDS_GUEST_CLIPBOARD: {
        g_autofree char *last = NULL;
        for (;;) {
            GBytes *text = NULL;
            uint64_t now = vds_clock_now_ns();
            uint64_t left = deadline > now ? deadline - now : 1000000;
            bool ok = r->t->ops->clipboard(r->t, st->selection, MIN(left, 2000000000ull), &text,
                                           &err) == 0;
            if (ok) {
                g_free(last);
                last = g_strndup(g_bytes_get_data(text, NULL), g_bytes_get_size(text));
            }
            bool same = ok && g_bytes_equal(text, st->payload);
            if (text)
                g_bytes_unref(text);
            if (same || vds_clock_now_ns() >= deadline || r->t->dead || interrupted_flag) {
                g_autoptr(JsonNode) obs = string_node(last ? last : "");
                record_note(r, "guest clipboard", obs);
                if (same)
                    return 0;
                if (r->t->dead || interrupted_flag)
                    return dead_or_interrupted(r, st);
                if (!last)
                    return step_fail(r, st, "%s within %.0f ms", err.msg, st->within_ns / 1e6);
                return step_fail(r, st, "the guest pasted \"%s\", expected \"%.*s\"", last,
                                 (int)g_bytes_get_size(st->payload),
                                 (const char *)g_bytes_get_data(st->payload, NULL));
            }
            vds_target_wait(r->t, MIN(deadline, vds_clock_now_ns() + POLL_NS), only_interrupt,
                            NULL);
        }
    }
    }
    return 0;
}

static int run_step(runner *r, const vds_step *st)
{
    vds_err err = {0};
    uint64_t start = vds_clock_now_ns();
    r->step = st->index;
    if (r->t->dead || interrupted_flag)
        return dead_or_interrupted(r, st);
    bool guest = st->kind == VDS_STEP_GUEST || st->kind == VDS_STEP_GUEST_COPY ||
                 st->kind == VDS_STEP_GUEST_RELEASE || st->kind == VDS_STEP_GUEST_PASTE;
    if (guest && !r->t->ops->screen)
        return step_fail(r, st, "target %s has no guest-side oracle (mark the scenario's targets:)",
                         r->t->ops->name);
    switch (st->kind) {
    case VDS_STEP_SEND:
        return do_send(r, st);
    case VDS_STEP_EXPECT:
        return do_expect(r, st, start);
    case VDS_STEP_NOT:
        return do_not(r, st, start);
    case VDS_STEP_ANY_ORDER:
        return do_any_order(r, st, start);
    case VDS_STEP_GUEST:
        return do_guest(r, st, start);
    case VDS_STEP_GUEST_COPY:
        if (r->t->ops->guest_copy(r->t, st->selection, st->payload, st->payload_path, &err) < 0)
            return step_fail(r, st, "%s", err.msg);
        record_note(r, "guest copy", NULL);
        return 0;
    case VDS_STEP_RAW:
        return do_raw(r, st);
    case VDS_STEP_GUEST_RELEASE:
        r->t->ops->guest_release(r->t, st->selection);
        record_note(r, "guest release", NULL);
        return 0;
    case VDS_STEP_CLIENT:
        return do_client(r, st);
    case VDS_STEP_GUEST_AGENT:
        if (!r->t->ops->agent_pause)
            return step_fail(r, st,
                             "target %s cannot stop its agent (mark the scenario's targets:)",
                             r->t->ops->name);
        if (r->t->ops->agent_pause(r->t, st->agent_stop, &err) < 0)
            return step_fail(r, st, "%s", err.msg);
        record_note(r, st->agent_stop ? "guest agent stopped" : "guest agent continued", NULL);
        return 0;
    case VDS_STEP_GUEST_PASTE:
        if (r->t->ops->paste_start(r->t, st->selection, &err) < 0)
            return step_fail(r, st, "%s", err.msg);
        record_note(r, "guest paste started", NULL);
        return 0;
    }
    return 0;
}

/* --- setup: a fresh client for every scenario ---------------------------- */

static int setup(runner *r, vds_err *err)
{
    r->step = 0;
    r->t->ops->reset(r->t);
    r->serial[0] = r->serial[1] = 0;
    /* what the agent said between scenarios belongs to no scenario */
    vds_rx *rx;
    while ((rx = g_queue_pop_head(r->t->rx)))
        vds_rx_free(rx);
    uint64_t deadline = vds_clock_now_ns() + SETUP_TIMEOUT_NS;
    uint32_t caps = r->s->client_caps;
    if (r->t->ops->session(r->t, caps, deadline, err) < 0)
        return -1;
    /* input from here on is the scenario's (a guest's oracle drops the
       session's own warm-up move wherever it lands: vds_warm_filter) */
    if (r->t->input && r->t->ops->input_sync)
        r->t->ops->input_sync(r->t);
    r->input_pos = r->t->input ? r->t->input->len : 0;
    for (;;) {
        while ((rx = g_queue_pop_head(r->t->rx))) {
            vds_agent_msg m;
            bool answer = vds_agent_decode(g_bytes_get_data(rx->bytes, NULL),
                                           g_bytes_get_size(rx->bytes), caps, &m, NULL) == 0 &&
                          m.type == VD_AGENT_ANNOUNCE_CAPABILITIES && m.u.caps.request == 0 &&
                          m.u.caps.n_words > 0;
            if (answer)
                r->agent_caps = m.u.caps.caps[0];
            vds_agent_msg_clear(&m); /* zeroed by a failed decode: always safe */
            vds_rx_free(rx);
            if (answer)
                return 0;
        }
        if (r->t->dead || interrupted_flag)
            return vds_err_set(err, VDS_ERR_IO, NULL, "%s",
                               interrupted_flag ? "interrupted" : r->t->dead);
        if (vds_clock_now_ns() >= deadline)
            return vds_err_set(err, VDS_ERR_IO, NULL,
                               "the agent did not answer the capability announcement within 5 s");
        vds_target_wait(r->t, deadline, rx_or_dead, r);
    }
}

/* --- reporting ------------------------------------------------------------ */

static int cmp_u64(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(GArray *sorted, double p)
{
    guint n = sorted->len;
    guint i = (guint)(p / 100.0 * (n - 1) + 0.5);
    return g_array_index(sorted, uint64_t, MIN(i, n - 1)) / 1e6;
}

static char *latency_text(const latency *l)
{
    g_autoptr(GArray) s = g_array_copy(l->ns);
    g_array_sort(s, cmp_u64);
    if (s->len == 1)
        return g_strdup_printf("%s %.1f ms", l->what, pct(s, 50));
    return g_strdup_printf("%s n=%u p50 %.1f p95 %.1f p99 %.1f max %.1f ms", l->what, s->len,
                           pct(s, 50), pct(s, 95), pct(s, 99), pct(s, 100));
}

static void copy_logs(runner *r, result *res)
{
    if (!r->t->log_dir)
        return;
    GString *s = g_string_new(NULL);
    static const char *const logs[] = {"spice-vdagentd.log", "spice-vdagent.log"};
    for (size_t i = 0; i < G_N_ELEMENTS(logs); i++) {
        g_autofree char *p = g_build_filename(r->t->log_dir, logs[i], NULL);
        g_autofree char *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(p, &text, &len, NULL))
            continue;
        /* the last 3 KiB of each is what explains a failure */
        const char *from = len > 3072 ? text + len - 3072 : text;
        g_string_append_printf(s, "==== %s (tail) ====\n%s\n", logs[i], from);
    }
    res->logs = g_string_free(s, FALSE);
    /* and beside the trace, for a person reading the report */
    g_autofree char *dir = g_build_filename(r->o->report_dir, "logs", NULL);
    g_autofree char *safe = g_strdelimit(g_strdup(r->s->id), "/", '_');
    g_autofree char *name = g_strconcat(safe, ".log", NULL);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_mkdir_with_parents(dir, 0755);
    g_file_set_contents(path, res->logs, -1, NULL);
}

static void write_junit(const vds_run_opts *o, GPtrArray *results, uint64_t wall)
{
    unsigned failures = 0;
    for (guint i = 0; i < results->len; i++)
        failures += !((result *)results->pdata[i])->passed;
    unsigned skipped = 0;
    for (guint i = 0; i < results->len; i++)
        skipped += ((result *)results->pdata[i])->skipped;
    failures -= skipped;
    FILE *f = fopen(o->junit_path, "w");
    if (!f) {
        fprintf(stderr, "vdsim run: cannot write %s: %s\n", o->junit_path, g_strerror(errno));
        return;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuite name=\"vdsim %s\" tests=\"%u\" failures=\"%u\" skipped=\"%u\" "
            "time=\"%.3f\">\n",
            o->target, results->len, failures, skipped, wall / 1e9);
    for (guint i = 0; i < results->len; i++) {
        result *res = results->pdata[i];
        g_autofree char *id = g_markup_escape_text(res->s->id, -1);
        g_autofree char *family = g_path_get_dirname(res->s->id);
        g_autofree char *cls = g_markup_escape_text(family, -1);
        fprintf(f, "  <testcase classname=\"%s\" name=\"%s\" file=\"%s\" time=\"%.3f\">\n", cls, id,
                res->s->file, res->wall_ns / 1e9);
        if (!res->passed) {
            g_autofree char *m = g_markup_escape_text(res->failure ? res->failure : "failed", -1);
            fprintf(f, "    <%s message=\"%s\"/>\n", res->skipped ? "skipped" : "failure", m);
        }
        if (res->logs) {
            g_autofree char *l = g_markup_escape_text(res->logs, -1);
            fprintf(f, "    <system-err>%s</system-err>\n", l);
        }
        fprintf(f, "  </testcase>\n");
    }
    fprintf(f, "</testsuite>\n");
    fclose(f);
}

/* vdsim's own peak resident set so far (VmHWM), in KiB; -1 when unknown.
   Not getrusage's children figure, which would count the agent stack. */
static gint64 peak_rss_kib(void)
{
    g_autofree char *status = NULL;
    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
        return -1;
    const char *p = strstr(status, "\nVmHWM:");
    return p ? g_ascii_strtoll(p + 7, NULL, 10) : -1;
}

static void write_summary(const vds_run_opts *o, GPtrArray *results, const char *info)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "target");
    json_builder_add_string_value(b, o->target);
    json_builder_set_member_name(b, "peak-rss-kib");
    json_builder_add_int_value(b, peak_rss_kib());
    json_builder_set_member_name(b, "target-info");
    json_builder_add_string_value(b, info ? info : "");
    json_builder_set_member_name(b, "scenarios");
    json_builder_begin_array(b);
    for (guint i = 0; i < results->len; i++) {
        result *res = results->pdata[i];
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, res->s->id);
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, res->s->file);
        json_builder_set_member_name(b, "passed");
        json_builder_add_boolean_value(b, res->passed);
        if (res->skipped) {
            json_builder_set_member_name(b, "skipped");
            json_builder_add_boolean_value(b, true);
        }
        json_builder_set_member_name(b, "steps-run");
        json_builder_add_int_value(b, res->steps_run);
        json_builder_set_member_name(b, "wall-ms");
        json_builder_add_double_value(b, res->wall_ns / 1e6);
        json_builder_set_member_name(b, "setup-ms");
        json_builder_add_double_value(b, res->setup_ns / 1e6);
        if (res->failure) {
            json_builder_set_member_name(b, "failure");
            json_builder_add_string_value(b, res->failure);
        }
        if (res->trace_path) {
            json_builder_set_member_name(b, "trace");
            json_builder_add_string_value(b, res->trace_path);
        }
        json_builder_set_member_name(b, "latencies");
        json_builder_begin_array(b);
        for (guint j = 0; j < res->latencies->len; j++) {
            latency *l = res->latencies->pdata[j];
            g_autoptr(GArray) s = g_array_copy(l->ns);
            g_array_sort(s, cmp_u64);
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "step");
            json_builder_add_int_value(b, l->step);
            json_builder_set_member_name(b, "msg");
            json_builder_add_string_value(b, l->what);
            json_builder_set_member_name(b, "n");
            json_builder_add_int_value(b, s->len);
            static const double ps[] = {50, 95, 99, 100};
            static const char *const names[] = {"p50-ms", "p95-ms", "p99-ms", "max-ms"};
            for (int k = 0; k < 4; k++) {
                json_builder_set_member_name(b, names[k]);
                json_builder_add_double_value(b, pct(s, ps[k]));
            }
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, TRUE);
    g_autofree char *path = g_build_filename(o->report_dir, "summary.json", NULL);
    g_file_set_contents(path, text, -1, NULL);
}

/* --- the run ------------------------------------------------------------- */

static void golden_check(runner *r, result *res)
{
    g_autofree char *rel_path = g_strconcat(r->s->id, ".jsonl", NULL);
    g_autofree char *golden = g_build_filename(r->o->golden_dir, rel_path, NULL);
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    if (r->o->update_golden) {
        g_autofree char *dir = g_path_get_dirname(golden);
        g_autofree char *text = NULL;
        g_mkdir_with_parents(dir, 0755);
        if (!g_file_get_contents(res->trace_path, &text, NULL, NULL) ||
            !g_file_set_contents(golden, text, -1, NULL))
            fprintf(stderr, "vdsim run: cannot write golden %s\n", golden);
        else
            printf("  golden updated: %s\n", golden);
        return;
    }
    if (!g_file_test(golden, G_FILE_TEST_EXISTS)) {
        res->passed = false;
        res->failure = g_strdup_printf("%s: no golden trace %s (write it with --update-golden)",
                                       r->s->file, golden);
        return;
    }
    vds_trace_reader *a = vds_trace_reader_open(res->trace_path, &err);
    vds_trace_reader *b = a ? vds_trace_reader_open(golden, &err) : NULL;
    vds_compare_opts co = vds_compare_defaults;
    co.tol_floor_ns = r->o->tol_floor_ns;
    co.tol_pct = r->o->tol_pct;
    /* goldens are recorded on local, where vdsim is the port itself */
    co.ignore_framing = strcmp(r->t->ops->name, "local") != 0;
    vds_diff d = {0};
    int rc = a && b ? vds_trace_compare(a, b, &co, &d, &err) : -1;
    if (rc != 0) {
        res->passed = false;
        if (rc < 0) {
            res->failure = g_strdup_printf("golden: %s", vds_err_str(&err, ebuf, sizeof(ebuf)));
        } else {
            /* the event's step names the scenario line */
            g_autoptr(JsonParser) p = json_parser_new();
            unsigned stepno = 0;
            const char *text = d.text_a ? d.text_a : d.text_b;
            if (text && json_parser_load_from_data(p, text, -1, NULL))
                stepno = (unsigned)json_object_get_int_member_with_default(
                    json_node_get_object(json_parser_get_root(p)), "step", 0);
            const vds_step *st =
                stepno && stepno <= r->s->steps->len ? r->s->steps->pdata[stepno - 1] : NULL;
            res->failure =
                g_strdup_printf("%s:%u:%u: step %u differs from golden: %s\n    trace  %s:%zu: "
                                "%s\n    golden %s:%zu: %s",
                                r->s->file, st ? st->line : 1, st ? st->col : 1, stepno, d.what,
                                res->trace_path, d.line_a, d.text_a ? d.text_a : "(no more events)",
                                golden, d.line_b, d.text_b ? d.text_b : "(no more events)");
        }
    }
    vds_diff_clear(&d);
    vds_trace_reader_free(a);
    vds_trace_reader_free(b);
}

/* A scenario that names its targets runs only on those kinds of target. */
static char *not_for_target(const vds_scenario *s, const char *kind)
{
    if (!s->targets->len)
        return NULL;
    for (guint i = 0; i < s->targets->len; i++)
        if (strcmp(s->targets->pdata[i], kind) == 0)
            return NULL;
    g_autoptr(GString) list = g_string_new(NULL);
    for (guint i = 0; i < s->targets->len; i++)
        g_string_append_printf(list, "%s%s", i ? ", " : "", (char *)s->targets->pdata[i]);
    return g_strdup_printf("%s: for targets [%s], not %s", s->file, list->str, kind);
}

static void run_one(runner *r, result *res)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    const vds_scenario *s = r->s;
    r->res = res;
    res->latencies = g_ptr_array_new_with_free_func((GDestroyNotify)latency_free);
    if ((res->failure = not_for_target(s, r->t->ops->name))) {
        res->skipped = true;
        return;
    }
    r->vars =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_node_unref);
    uint64_t t_start = vds_clock_now_ns();
    r->t0 = t_start;

    g_autofree char *safe = g_strdelimit(g_strdup(s->id), "/", '_');
    g_autofree char *tdir = g_build_filename(r->o->report_dir, "traces", NULL);
    g_mkdir_with_parents(tdir, 0755);
    g_autofree char *name = g_strconcat(safe, ".jsonl", NULL);
    res->trace_path = g_build_filename(tdir, name, NULL);
    g_autofree char *source = g_strdup_printf("scenario:%s", s->file);
    vds_trace_info info = {.source = source,
                           .target = r->o->target,
                           .host_caps = s->client_caps,
                           .agent_caps = VDS_CAPS_VDAGENTD};
    r->trace = vds_trace_writer_open(res->trace_path, &info, &err);

    if (!r->started || r->o->fresh_agent) {
        if (r->started)
            r->t->ops->stop(r->t);
        g_clear_pointer(&r->t->dead, g_free);
        if (r->t->ops->start(r->t, &err) < 0) {
            res->infra = true;
            res->failure = g_strdup_printf("%s: the %s target did not start: %s", s->file,
                                           r->o->target, vds_err_str(&err, ebuf, sizeof(ebuf)));
            goto out;
        }
        r->started = true;
    }
    uint64_t t_setup = vds_clock_now_ns();
    int setup_rc = setup(r, &err);
    res->setup_ns = vds_clock_now_ns() - t_setup;
    if (setup_rc < 0) {
        res->infra = !interrupted_flag;
        r->interrupted = interrupted_flag;
        res->failure =
            g_strdup_printf("%s: setup: %s", s->file, vds_err_str(&err, ebuf, sizeof(ebuf)));
        goto out;
    }
    r->t0 = vds_clock_now_ns();
    record_note(r, s->id, NULL);
    r->stim_t = 0; /* the scenario's name is not something the agent answers */
    unsigned repeat = r->o->repeat ? r->o->repeat : s->repeat;
    res->passed = true;
    for (unsigned rep = 0; rep < repeat && res->passed; rep++) {
        for (guint i = 0; i < s->steps->len; i++) {
            if (run_step(r, s->steps->pdata[i]) < 0) {
                res->passed = false;
                break;
            }
            res->steps_run++;
        }
    }
    if (res->passed && r->t->dead) {
        res->passed = false;
        res->failure = g_strdup_printf("%s: the agent stack died: %s", s->file, r->t->dead);
    }
    /* guest state goes away while this scenario's caps still hold, and the
       agent must still answer afterwards: blame lands on the scenario that
       broke it, and a broken stack is restarted, not reused */
    /* what the last step sent may still be on its way through an
       in-process server: let whatever is ready run, without waiting, so it
       reaches the agent within that step */
    for (int i = 0; i < 64 && g_main_context_iteration(r->ctx, FALSE); i++)
        ;
    r->step = 0; /* what follows is the harness's, like setup */
    if (!r->t->dead && !interrupted_flag) {
        r->t->ops->reset(r->t);
        vds_target_wait(r->t, vds_clock_now_ns() + 200000000ull, only_interrupt, NULL);
        if (setup(r, &err) < 0) {
            r->stack_broken = true;
            if (res->passed && !s->breaks_agent) {
                res->passed = false;
                res->failure =
                    g_strdup_printf("%s: the agent stopped answering after this scenario: %s",
                                    s->file, vds_err_str(&err, ebuf, sizeof(ebuf)));
            }
        } else if (s->breaks_agent && res->passed) {
            res->passed = false;
            res->failure = g_strdup_printf("%s: agent-after: broken, but the agent still answers "
                                           "(fixed? update the scenario)",
                                           s->file);
        }
    }
out:
    res->wall_ns = vds_clock_now_ns() - t_start;
    flush_wire(r, UINT64_MAX);
    vds_trace_writer_close(r->trace, &err);
    r->trace = NULL;
    if (res->passed && r->o->golden_dir)
        golden_check(r, res);
    if (!res->passed)
        copy_logs(r, res);
    /* a dead or broken stack is restarted for the next scenario */
    if ((r->t->dead || r->stack_broken || s->breaks_agent) && r->started) {
        r->t->ops->stop(r->t);
        r->started = false;
        r->stack_broken = false;
    }
    g_hash_table_unref(r->vars);
}

static void print_result(const result *res)
{
    GString *lat = g_string_new(NULL);
    for (guint i = 0; i < res->latencies->len; i++) {
        g_autofree char *l = latency_text(res->latencies->pdata[i]);
        g_string_append_printf(lat, "%s%s", i ? "; " : "", l);
    }
    printf("%s %-40s %u steps %6.2f s%s%s%s\n",
           res->skipped  ? "SKIP"
           : res->passed ? "PASS"
                         : "FAIL",
           res->s->id, res->steps_run, res->wall_ns / 1e9, lat->len ? "  (" : "", lat->str,
           lat->len ? ")" : "");
    if (!res->passed && res->failure)
        printf("  %s\n", res->failure);
    g_string_free(lat, TRUE);
    fflush(stdout);
}

int vds_run(GPtrArray *scenarios, const vds_run_opts *o)
{
    vds_err err = {0};
    vds_target *t = vds_target_new(o->target, g_main_context_default(), &err);
    if (!t) {
        char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
        fprintf(stderr, "vdsim run: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        /* a bad name is usage; a domain not there or libvirt not answering is not */
        return err.code == VDS_ERR_USAGE ? 2 : 3;
    }
    int rc = vds_run_target(scenarios, o, t);
    vds_target_free(t);
    return rc;
}

int vds_run_target(GPtrArray *scenarios, const vds_run_opts *o, vds_target *t)
{
    vds_err err = {0};
    runner r = {.o = o, .ctx = t->ctx, .t = t};
    g_autoptr(GPtrArray) results = g_ptr_array_new();
    int exit_code = 0;
    interrupted_flag = false;
    t->observe = on_observe;
    t->observe_user = &r;
    guint sig_int = g_unix_signal_add(SIGINT, on_signal, NULL);
    guint sig_term = g_unix_signal_add(SIGTERM, on_signal, NULL);

    g_mkdir_with_parents(o->report_dir, 0755);
    r.run_t0 = vds_clock_now_ns();
    if (o->trace_path) {
        vds_trace_info info = {.source = "run",
                               .target = o->target,
                               .host_caps = VDS_CAPS_SPICE_GTK,
                               .agent_caps = VDS_CAPS_VDAGENTD};
        r.run_trace = vds_trace_writer_open(o->trace_path, &info, &err);
        if (!r.run_trace)
            fprintf(stderr, "vdsim run: %s: %s\n", err.loc, err.msg);
    }
    uint64_t t0 = vds_clock_now_ns();
    unsigned passed = 0, failed = 0, infra = 0, skipped = 0;
    for (guint i = 0; i < scenarios->len && !r.interrupted; i++) {
        result *res = g_new0(result, 1);
        res->s = scenarios->pdata[i];
        r.s = res->s;
        run_one(&r, res);
        g_ptr_array_add(results, res);
        print_result(res);
        if (res->passed)
            passed++;
        else if (res->skipped)
            skipped++;
        else if (res->infra)
            infra++;
        else
            failed++;
        if (i == 0 && r.t->info)
            printf("  target: %s\n", r.t->info);
        if (interrupted_flag)
            r.interrupted = true;
    }
    uint64_t wall = vds_clock_now_ns() - t0;
    if (r.started)
        r.t->ops->stop(r.t);
    vds_trace_writer_close(r.run_trace, &err);
    write_summary(o, results, r.t->info);
    if (o->junit_path)
        write_junit(o, results, wall);
    unsigned not_run = scenarios->len - results->len;
    printf("%u passed, %u failed", passed, failed + infra);
    if (skipped)
        printf(", %u skipped (not for target %s)", skipped, r.t->ops->name);
    if (not_run)
        printf(" (%u not run: interrupted)", not_run);
    printf("\nresults: %s/summary.json  traces: %s/traces/%s%s\n", o->report_dir, o->report_dir,
           o->junit_path ? "  junit: " : "", o->junit_path ? o->junit_path : "");
    if (r.interrupted || infra)
        exit_code = 3;
    else if (failed)
        exit_code = 1;
    for (guint i = 0; i < results->len; i++) {
        result *res = results->pdata[i];
        g_free(res->failure);
        g_free(res->trace_path);
        g_free(res->logs);
        g_ptr_array_unref(res->latencies);
        g_free(res);
    }
    g_source_remove(sig_int);
    g_source_remove(sig_term);
    t->observe = NULL;
    return exit_code;
}
