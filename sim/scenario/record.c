/* Recording a scenario's trace: the runner's own events and the target's
 * wire events (SPICE messages, what the port carried), interleaved in time. */
#include <stdio.h>

#include "core/clock.h"
#include "scenario/runner-ctx.h"

static void write_event(vds_runner *r, JsonNode *ev)
{
    JsonObject *o = json_node_get_object(ev);
    if (!json_object_has_member(o, "step")) /* wire events carry the step they were seen in */
        json_object_set_int_member(o, "step", r->step);
    if (r->o->observer.event)
        r->o->observer.event(r->o->observer.user, o);
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

uint64_t vds_runner_rel(vds_runner *r, uint64_t t)
{
    return t > r->t0 ? t - r->t0 : 0;
}

/* Wire events go in between the runner's own, in time order: those from
 * before the scenario's start (the link, during setup) count as 0. */
void vds_runner_flush_wire(vds_runner *r, uint64_t upto)
{
    JsonNode *w;
    while ((w = g_queue_peek_head(&r->wire))) {
        JsonObject *o = json_node_get_object(w);
        uint64_t t = (uint64_t)json_object_get_int_member(o, "t");
        if (vds_runner_rel(r, t) > upto)
            break;
        g_queue_pop_head(&r->wire);
        json_object_set_int_member(o, "t", (gint64)vds_runner_rel(r, t));
        write_event(r, w);
        json_node_unref(w);
    }
}

void vds_runner_record(vds_runner *r, JsonNode *ev)
{
    vds_runner_flush_wire(r, (uint64_t)json_object_get_int_member(json_node_get_object(ev), "t"));
    write_event(r, ev);
}

JsonNode *vds_runner_rx_event(vds_runner *r, const vds_rx *rx)
{
    bool malformed;
    vds_chunk_msg cm = {rx->port,
                        g_bytes_get_data(rx->bytes, NULL),
                        g_bytes_get_size(rx->bytes),
                        rx->offset,
                        rx->n_chunks,
                        NULL};
    return vds_trace_agent_event(vds_runner_rel(r, rx->t_ns), VDS_DIR_FROM_AGENT, &cm,
                                 r->s->client_caps, &malformed);
}

/* At most this many wire events wait (a 16 MiB clipboard is 8192
 * AGENT_DATA messages). */
#define WIRE_QUEUE_MAX 256

/* Queue ev (clock ns; a reference is taken) in time order. */
static void queue_event(vds_runner *r, JsonNode *ev)
{
    gint64 t = json_object_get_int_member(json_node_get_object(ev), "t");
    GList *at = r->wire.tail;
    while (at && json_object_get_int_member(json_node_get_object(at->data), "t") > t)
        at = at->prev;
    if (at)
        g_queue_insert_after(&r->wire, at, json_node_ref(ev));
    else
        g_queue_push_head(&r->wire, json_node_ref(ev));
}

void vds_runner_on_wire(void *user, JsonNode *ev)
{
    vds_runner *r = user;
    if (!r->trace)
        return;
    /* a read's messages carry the read's time, replies sent while handling
       them a later one: keep the queue in time order */
    json_object_set_int_member(json_node_get_object(ev), "step", r->step);
    queue_event(r, ev);
    if (r->wire.length > WIRE_QUEUE_MAX) {
        /* a long transfer: whatever the runner records later is no older
           than the oldest message it has not taken yet (or than now), and
           wire events still to come are no older than the newest half of
           the queue (one read's events arrive out of order, not more) */
        vds_rx *oldest = g_queue_peek_head(r->t->rx);
        uint64_t upto = oldest ? oldest->t_ns : vds_clock_now_ns();
        JsonNode *mid = g_queue_peek_nth(&r->wire, WIRE_QUEUE_MAX / 2);
        upto = MIN(upto, (uint64_t)json_object_get_int_member(json_node_get_object(mid), "t"));
        uint64_t rel = vds_runner_rel(r, upto);
        vds_runner_flush_wire(r, rel ? rel - 1 : 0);
    }
}

void vds_runner_note(vds_runner *r, const char *what, JsonNode *detail)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "t");
    json_builder_add_int_value(b, (gint64)vds_runner_rel(r, vds_clock_now_ns()));
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
    vds_runner_record(r, ev);
}

/* The longest step body a step event quotes: enough to name the message. */
#define STEP_BODY_MAX 160

void vds_runner_step_event(vds_runner *r, const vds_step *st, unsigned rep, const char *failed)
{
    if (!r->trace)
        return;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "t");
    json_builder_add_int_value(b, (gint64)vds_clock_now_ns());
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "step");
    json_builder_set_member_name(b, "step");
    json_builder_add_int_value(b, st->index);
    if (failed) {
        json_builder_set_member_name(b, "failed");
        json_builder_add_string_value(b, failed);
    } else {
        const vds_step_desc *d = &vds_step_table[st->kind];
        g_autoptr(GString) body = g_string_new(NULL);
        d->write(body, st);
        if (body->len > STEP_BODY_MAX) {
            /* cut at a character, not inside one */
            const char *end = g_utf8_find_prev_char(body->str, body->str + STEP_BODY_MAX);
            g_string_truncate(body, end ? (gsize)(end - body->str) : 0);
            g_string_append(body, "...");
        }
        json_builder_set_member_name(b, "what");
        json_builder_add_string_value(b, d->key);
        json_builder_set_member_name(b, "body");
        json_builder_add_string_value(b, body->str);
        json_builder_set_member_name(b, "line");
        json_builder_add_int_value(b, st->line);
        if (rep) {
            json_builder_set_member_name(b, "rep");
            json_builder_add_int_value(b, rep);
        }
        if (st->within_ns) {
            json_builder_set_member_name(b, "within-ms");
            json_builder_add_double_value(b, st->within_ns / 1e6);
        }
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) ev = json_builder_get_root(b);
    /* among the wire events: a message the step takes may have come before
       it began, and is recorded when taken, with the time it came */
    queue_event(r, ev);
}
