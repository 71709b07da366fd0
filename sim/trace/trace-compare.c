/* Golden comparison: normalise volatile fields, compare event by event and
 * field by field, check the time between events against a tolerance. */
#include <stdio.h>
#include <string.h>

#include "trace/trace.h"

const vds_compare_opts vds_compare_defaults = {
    .check_time = true,
    .tol_floor_ns = 250 * 1000000ull, /* holds on a loaded 2-core machine */
    .tol_pct = 50,
};

/* Event members that change from run to run. */
static const char *const volatile_top[] = {"t", "offset", "opaque"};
/* Members of "fields" that change from run to run: serials and ids. */
static const char *const volatile_fields[] = {"serial", "id", "session-id", "timestamp"};

void vds_diff_clear(vds_diff *d)
{
    g_free(d->text_a);
    g_free(d->text_b);
    memset(d, 0, sizeof(*d));
}

static bool listed(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, list[i]) == 0)
            return true;
    return false;
}

/* A new object with obj's members but those listed (values shared, not copied:
 * json_node_copy shares objects, so nothing here may mutate them). */
static JsonNode *object_without(JsonObject *obj, const char *const *list, size_t n, bool drop_raw)
{
    JsonObject *out = json_object_new();
    g_autoptr(GList) members = json_object_get_members(obj);

    for (GList *l = members; l; l = l->next) {
        const char *key = l->data;
        if (listed(key, list, n) || (drop_raw && strcmp(key, "raw") == 0))
            continue;
        JsonNode *v = json_object_get_member(obj, key);
        if (list == volatile_top && strcmp(key, "fields") == 0 && JSON_NODE_HOLDS_OBJECT(v))
            v = object_without(json_node_get_object(v), volatile_fields,
                               G_N_ELEMENTS(volatile_fields), false);
        else
            v = json_node_copy(v);
        json_object_set_member(out, key, v);
    }
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, out);
    return node;
}

JsonNode *vds_trace_normalise(JsonObject *event)
{
    /* raw bytes carry serials; the decoded fields say the same, minus them */
    return object_without(event, volatile_top, G_N_ELEMENTS(volatile_top),
                          json_object_has_member(event, "fields"));
}

static void value_text(JsonNode *n, char *buf, size_t size)
{
    if (!n) {
        snprintf(buf, size, "(absent)");
        return;
    }
    g_autofree char *s = json_to_string(n, FALSE);
    if (strlen(s) > 120)
        snprintf(buf, size, "%.117s...", s);
    else
        snprintf(buf, size, "%s", s);
}

/* First difference between a and b under path; false when equal. */
static bool node_diff(JsonNode *a, JsonNode *b, GString *path, char *what, size_t size)
{
    char va[128], vb[128];

    if (a && b && json_node_get_node_type(a) == json_node_get_node_type(b)) {
        if (JSON_NODE_HOLDS_OBJECT(a)) {
            JsonObject *oa = json_node_get_object(a), *ob = json_node_get_object(b);
            g_autoptr(GList) ma = json_object_get_members(oa);
            g_autoptr(GList) mb = json_object_get_members(ob);
            for (int pass = 0; pass < 2; pass++) {
                for (GList *l = pass ? mb : ma; l; l = l->next) {
                    const char *k = l->data;
                    if (pass && json_object_has_member(oa, k))
                        continue;
                    size_t keep = path->len;
                    g_string_append_printf(path, "%s%s", path->len ? "." : "", k);
                    bool d = node_diff(json_object_get_member(oa, k), json_object_get_member(ob, k),
                                       path, what, size);
                    if (d)
                        return true;
                    g_string_truncate(path, keep);
                }
            }
            return false;
        }
        if (JSON_NODE_HOLDS_ARRAY(a)) {
            JsonArray *aa = json_node_get_array(a), *ab = json_node_get_array(b);
            guint na = json_array_get_length(aa), nb = json_array_get_length(ab);
            for (guint i = 0; i < MAX(na, nb); i++) {
                size_t keep = path->len;
                g_string_append_printf(path, "[%u]", i);
                bool d = node_diff(i < na ? json_array_get_element(aa, i) : NULL,
                                   i < nb ? json_array_get_element(ab, i) : NULL, path, what, size);
                if (d)
                    return true;
                g_string_truncate(path, keep);
            }
            return false;
        }
        if (json_node_equal(a, b))
            return false;
    }
    value_text(a, va, sizeof(va));
    value_text(b, vb, sizeof(vb));
    snprintf(what, size, "%s: %s != %s", path->len ? path->str : "event", va, vb);
    return true;
}

static void set_lines(vds_diff *d, const vds_trace_line *la, const vds_trace_line *lb)
{
    d->line_a = la ? la->lineno : 0;
    d->line_b = lb ? lb->lineno : 0;
    d->text_a = la ? g_strdup(la->text) : NULL;
    d->text_b = lb ? g_strdup(lb->text) : NULL;
}

/* Goldens hold what vdsim and the agent said to each other: the SPICE
 * messages around it, the port view of a server in between and the runner's
 * step marks are kept in traces but are not compared. */
static bool golden_event(JsonObject *ev)
{
    const char *kind = json_object_get_string_member_with_default(ev, "kind", "");
    return strcmp(kind, "agent") == 0 || strcmp(kind, "note") == 0 ||
           strcmp(kind, "framing-error") == 0;
}

/* What reached the agent: where vdsim wrote the port itself, its own agent
 * events; behind a server, the server's port events. Traces from before the
 * header said who wrote the port name their target. */
static bool received_event(vds_trace_reader *r, JsonObject *ev, const vds_compare_opts *o)
{
    JsonObject *h = vds_trace_reader_header(r);
    const char *writer = json_object_get_string_member_with_default(h, "port-writer", NULL);
    bool ours =
        writer ? strcmp(writer, "vdsim") == 0
               : strcmp(json_object_get_string_member_with_default(h, "target", ""), "local") == 0;
    const char *want = ours ? "agent" : "port";
    if (strcmp(json_object_get_string_member_with_default(ev, "kind", ""), want) != 0 ||
        strcmp(json_object_get_string_member_with_default(ev, "dir", ""), "to-agent") != 0 ||
        json_object_get_int_member_with_default(ev, "step", 0) < 1)
        return false;
    const char *type = json_object_get_string_member_with_default(ev, "type", "");
    for (const char *const *i = o->ignore_types; i && *i; i++)
        if (strcmp(type, *i) == 0)
            return false;
    return true;
}

static int next_event(vds_trace_reader *r, vds_trace_line *l, const vds_compare_opts *o,
                      vds_err *err)
{
    for (;;) {
        int rc = vds_trace_reader_next(r, l, err);
        if (rc <= 0)
            return rc;
        if (o->received_only ? received_event(r, l->event, o) : golden_event(l->event))
            return rc;
    }
}

vds_event_role vds_trace_event_role(JsonObject *ev)
{
    const char *kind = json_object_get_string_member_with_default(ev, "kind", "");
    if (strcmp(kind, "agent") == 0)
        return strcmp(json_object_get_string_member_with_default(ev, "dir", ""), "from-agent")
                   ? VDS_EV_STIMULUS
                   : VDS_EV_REPLY;
    return strcmp(kind, "note") == 0 && !json_object_has_member(ev, "observed") ? VDS_EV_STIMULUS
                                                                                : VDS_EV_OTHER;
}

/* A reply's gap from its stimulus against the golden's, within tolerance?
   Fills d when not. */
static bool gap_differs(const vds_compare_opts *o, size_t index, gint64 gap_a, gint64 gap_b,
                        vds_diff *d)
{
    gint64 tol = MAX((gint64)o->tol_floor_ns, gap_b * (gint64)o->tol_pct / 100);
    if (gap_a - gap_b <= tol && gap_b - gap_a <= tol)
        return false;
    snprintf(d->what, sizeof(d->what),
             "event %zu: came %.1f ms after the last stimulus, golden %.1f ms (tolerance %.1f ms)",
             index, gap_a / 1e6, gap_b / 1e6, tol / 1e6);
    return true;
}

int vds_trace_compare(vds_trace_reader *a, vds_trace_reader *b, const vds_compare_opts *o,
                      vds_diff *d, vds_err *err)
{
    gint64 stim_a = 0, stim_b = 0; /* the start counts as the first stimulus */
    size_t index = 0;

    const char *label_b = o->label_b ? o->label_b : "golden";
    const char *label_a = o->label_a ? o->label_a : "";

    memset(d, 0, sizeof(*d));
    for (;;) {
        vds_trace_line la, lb;
        int ra = next_event(a, &la, o, err);
        if (ra < 0)
            return -1;
        /* la's objects are owned by a's parser, b's by b's: both stay valid */
        int rb = next_event(b, &lb, o, err);
        if (rb < 0)
            return -1;
        if (ra == 0 && rb == 0)
            return 0;
        index++;
        if (ra == 0 || rb == 0) {
            set_lines(d, ra ? &la : NULL, rb ? &lb : NULL);
            snprintf(d->what, sizeof(d->what), "event %zu: %s (the %s%strace ended)", index,
                     ra ? "extra event" : "missing event", ra ? label_b : label_a,
                     ra || *label_a ? " " : "");
            return 1;
        }
        g_autoptr(JsonNode) na = vds_trace_normalise(la.event);
        g_autoptr(JsonNode) nb = vds_trace_normalise(lb.event);
        if (o->ignore_framing) {
            json_object_remove_member(json_node_get_object(na), "chunks");
            json_object_remove_member(json_node_get_object(nb), "chunks");
        }
        if (o->received_only) {
            /* the same message seen from two places: "agent" on one side,
               "port" on the other, forwarded by a server a step later */
            static const char *const seen_from[] = {"kind", "step"};
            for (size_t i = 0; i < G_N_ELEMENTS(seen_from); i++) {
                json_object_remove_member(json_node_get_object(na), seen_from[i]);
                json_object_remove_member(json_node_get_object(nb), seen_from[i]);
            }
        }
        g_autoptr(GString) path = g_string_new(NULL);
        char what[400];
        if (node_diff(na, nb, path, what, sizeof(what))) {
            set_lines(d, &la, &lb);
            snprintf(d->what, sizeof(d->what), "event %zu: %s (%s)", index, what, label_b);
            return 1;
        }
        if (o->received_only)
            continue; /* what arrived, not when */
        gint64 ta = json_object_get_int_member(la.event, "t");
        gint64 tb = json_object_get_int_member(lb.event, "t");
        /* goldens time the agent's reactions, not the harness's pacing */
        vds_event_role role = vds_trace_event_role(la.event);
        if (role == VDS_EV_STIMULUS) {
            stim_a = ta;
            stim_b = tb;
            continue;
        }
        if (role == VDS_EV_REPLY && o->check_time &&
            gap_differs(o, index, ta - stim_a, tb - stim_b, d)) {
            set_lines(d, &la, &lb);
            return 1;
        }
    }
}
