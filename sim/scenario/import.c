/* Field sessions into scenarios: what the client sent is sent again, what
 * the agent answered is expected (its volatile fields masked, each window
 * from the field's gap), what the guest's user did becomes guest steps, and
 * what the field agent never answered a `not`. */
#include "scenario/import.h"

#include <string.h>

#include "proto/agent.h"
#include "scenario/step.h"

#define WINDOW_FLOOR_NS (1000ull * 1000000) /* no expectation is tighter than this */
#define WINDOW_CEIL_NS  (30ull * 1000000000)
#define WINDOW_FACTOR   4                   /* times the field's gap */
#define QUIET_NS        (1000ull * 1000000) /* how long a `not` waits for what never came */

typedef struct synth {
    GPtrArray *ev; /* JsonObject*, borrowed */
    GString *steps;
    uint32_t client_caps, agent_caps;
    bool have_client_caps, have_agent_caps;
    uint64_t stim_t;     /* time of the last thing the agent may answer */
    uint32_t serial[2];  /* the grab serial vdsim will give the client's next grab */
    bool client_owns[2]; /* the client's grab stands: a guest paste asks the client */
    bool guest_owns[2];  /* a guest copy stands */
    bool pasting[2];     /* a guest paste waits for the client's data */
    int32_t x, y;        /* the pointer, for presses and releases */
    unsigned display;
    unsigned sends, expects, guest_steps;
    const vds_import_info *info;
    GHashTable *named; /* JsonObject* (an event) -> its payload file's name (in info) */
} synth;

/* A member's text; "" when it is absent or not text (a type the codec
   could not name is a number, in an event from a damaged capture). */
static const char *str(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : "";
}

static bool is_agent(JsonObject *e, const char *dir, const char *type)
{
    return !strcmp(str(e, "kind"), "agent") && !strcmp(str(e, "dir"), dir) &&
           (!type || !strcmp(str(e, "type"), type));
}

static JsonObject *fields(JsonObject *e)
{
    JsonNode *f = json_object_get_member(e, "fields");
    return f && JSON_NODE_HOLDS_OBJECT(f) ? json_node_get_object(f) : NULL;
}

static uint8_t selection(JsonObject *e)
{
    JsonObject *f = fields(e);
    return f && !strcmp(str(f, "selection"), "primary") ? 1 : 0;
}

static uint64_t t_of(JsonObject *e)
{
    return (uint64_t)json_object_get_int_member_with_default(e, "t", 0);
}

/* "# frame 12, 0.026 s: WHAT" (or the trace line's time) before a step. */
static void comment(synth *s, JsonObject *e, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void comment(synth *s, JsonObject *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *raw = g_strdup_vprintf(fmt, ap);
    g_autofree char *what = vds_yaml_printable(raw); /* field text is anything */
    va_end(ap);
    g_string_append(s->steps, "  # field: ");
    if (json_object_has_member(e, "frame"))
        g_string_append_printf(s->steps, "frame %" G_GINT64_FORMAT ", ",
                               json_object_get_int_member(e, "frame"));
    g_string_append_printf(s->steps, "%.3f s: %s\n", t_of(e) / 1e9, what);
}

/* "monitors-config monitors=[...]" for comments, from the event's own text;
   a type the codec has no name for by its number, a message it refuses with
   why. */
static char *event_text(JsonObject *e)
{
    JsonNode *f = json_object_get_member(e, "fields");
    g_autofree char *ft = f ? vds_json_to_text(f) : g_strdup("");
    JsonNode *tn = json_object_get_member(e, "type");
    g_autofree char *type =
        *str(e, "type") ? g_strdup(str(e, "type"))
        : tn && JSON_NODE_HOLDS_VALUE(tn) && json_node_get_value_type(tn) == G_TYPE_INT64
            ? g_strdup_printf("type %" G_GINT64_FORMAT, json_node_get_int(tn))
            : g_strdup("a message shorter than its header");
    const char *error = str(e, "error");
    return g_strdup_printf("%s%s%s%s%s%s", type, *ft ? " " : "", ft, *error ? " (refused: " : "",
                           error, *error ? ")" : "");
}

/* Is name a field a scenario can give this event's message? */
static bool settable(JsonObject *e, const char *name)
{
    uint32_t type;
    const vds_agent_desc *d = vds_names_find(&vds_agent_type_names, str(e, "type"), &type)
                                  ? vds_agent_desc_get(type)
                                  : NULL;
    for (size_t i = 0; d && d->fields[i]; i++)
        if (!strcmp(d->fields[i], name))
            return true;
    return false;
}

/* Is d data a trace describes by its digest (large)? */
static bool by_digest(JsonNode *d)
{
    return d && JSON_NODE_HOLDS_OBJECT(d) &&
           json_object_has_member(json_node_get_object(d), "sha256");
}

/* A message the codec has no name for or refuses, or one whose fields it
   cannot build again (reserved bytes that are not zero, a capability bit
   without a name): it cannot be a send by meaning. Data known by its
   digest stands aside. */
static bool unreadable(JsonObject *e)
{
    uint32_t type;
    JsonObject *f = fields(e);
    if (!vds_names_find(&vds_agent_type_names, str(e, "type"), &type) ||
        json_object_has_member(e, "error"))
        return true;
    if (!f)
        return false;
    bool digest = by_digest(json_object_get_member(f, "data"));
    g_autoptr(GList) members = json_object_get_members(f);
    g_autoptr(JsonObject) probe = json_object_new(); /* the event's own stay as they are */
    for (GList *l = members; l; l = l->next)
        if (!digest || (strcmp(l->data, "data") && strcmp(l->data, "len")))
            json_object_set_member(probe, l->data,
                                   json_node_copy(json_object_get_member(f, l->data)));
    g_autoptr(GBytes) none = g_bytes_new(NULL, 0);
    vds_build_ctx ctx = {.caps = VDS_CAPS_VDAGENTD, .payload = digest ? none : NULL};
    vds_agent_msg m;
    if (vds_agent_msg_build(type, probe, &ctx, &m, NULL) < 0)
        return true;
    vds_agent_msg_clear(&m);
    return false;
}

/* What the client sent that the codec cannot read goes to the agent as the
   field had it: its bytes, cut into chunks as spice-server cuts them. */
static void send_raw(synth *s, JsonObject *e)
{
    const char *hex = str(e, "raw");
    if (!*hex) {
        g_string_append(s->steps, "  # its bytes are known by their digest only: left out\n");
        return;
    }
    for (size_t off = 0, n = strlen(hex); off < n; off += 2 * 2048) {
        g_autofree char *piece = g_strndup(hex + off, 2 * 2048);
        g_string_append(s->steps, "  - raw: {hex: ");
        vds_yaml_put_string(s->steps, piece);
        g_string_append(s->steps, ", chunk: true}\n");
    }
    s->sends++;
    s->stim_t = t_of(e);
}

void vds_import_payload_free(vds_import_payload *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_bytes_unref(p->data);
    g_free(p);
}

/* The payload file (as the scenario names it, borrowed from the info's
   list) that carries the data event e knows by digest only, or NULL when
   the import keeps no files or never saw the bytes. */
static const char *payload_file(synth *s, JsonObject *e)
{
    const vds_import_info *info = s->info;
    GBytes *data = info->payloads && info->payload_dir && info->payload_files
                       ? g_hash_table_lookup(info->payloads, e)
                       : NULL;
    if (!data)
        return NULL;
    const char *named = g_hash_table_lookup(s->named, e);
    if (named)
        return named;
    vds_import_payload *p = g_new0(vds_import_payload, 1);
    p->name = g_strdup_printf(
        "%s/%s-%" G_GINT64_FORMAT "-%u.bin", info->payload_dir, str(e, "type"),
        json_object_get_int_member_with_default(e, "frame", 0), info->payload_files->len + 1);
    p->data = g_bytes_ref(data);
    g_ptr_array_add(info->payload_files, p);
    g_hash_table_insert(s->named, e, p->name);
    return p->name;
}

static void step_open(synth *s, const char *key)
{
    g_string_append_printf(s->steps, "  - %s: ", key);
}

/* {msg: TYPE, FIELD: VALUE, ...} from an event's fields less the masked ones. */
static void put_msg(synth *s, JsonObject *e, const char *const *mask, const char *extra)
{
    g_string_append(s->steps, "{msg: ");
    vds_yaml_put_string(s->steps, str(e, "type"));
    JsonObject *f = fields(e);
    g_autoptr(GList) members = f ? json_object_get_members(f) : NULL;
    for (GList *l = members; l; l = l->next) {
        bool masked = false;
        for (size_t i = 0; mask && mask[i]; i++)
            masked |= !strcmp(mask[i], l->data);
        if (masked || !settable(e, l->data)) /* an expectation cannot name it */
            continue;
        g_string_append(s->steps, ", ");
        vds_yaml_put_string(s->steps, l->data);
        g_string_append(s->steps, ": ");
        vds_yaml_put_json(s->steps, json_object_get_member(f, l->data));
    }
    g_string_append_printf(s->steps, "%s}\n", extra ? extra : "");
}

static char *window(uint64_t gap)
{
    uint64_t w = CLAMP(gap * WINDOW_FACTOR, WINDOW_FLOOR_NS, WINDOW_CEIL_NS);
    w = (w + 99999999ull) / 100000000ull * 100000000ull; /* whole tenths of a second */
    g_autoptr(GString) out = g_string_new(", within: ");
    vds_yaml_put_duration(out, w);
    return g_strdup(out->str);
}

/* The index of the first event after i that matches, before one that ends
   the search (both may be NULL); -1 when none. */
static int find_after(synth *s, guint i, bool (*match)(JsonObject *, void *),
                      bool (*stop)(JsonObject *, void *), void *user)
{
    for (guint k = i + 1; k < s->ev->len; k++) {
        JsonObject *e = s->ev->pdata[k];
        if (match(e, user))
            return (int)k;
        if (stop && stop(e, user))
            return -1;
    }
    return -1;
}

static bool reply_to_monitors(JsonObject *e, void *user)
{
    JsonObject *f = fields(e);
    return is_agent(e, "from-agent", "reply") && f && !strcmp(str(f, "type"), "monitors-config");
}

static bool monitors_sent(JsonObject *e, void *user)
{
    return is_agent(e, "to-agent", "monitors-config");
}

static bool clipboard_answer(JsonObject *e, void *user)
{
    return is_agent(e, "from-agent", "clipboard") && selection(e) == *(uint8_t *)user;
}

static bool clipboard_asked(JsonObject *e, void *user)
{
    return is_agent(e, "to-agent", "clipboard-request") && selection(e) == *(uint8_t *)user;
}

static void quiet(synth *s, JsonObject *e, const char *what, const char *msg)
{
    comment(s, e, "the field agent never answered this %s", what);
    g_autoptr(GString) w = g_string_new(NULL);
    vds_yaml_put_duration(w, QUIET_NS);
    g_string_append_printf(s->steps, "  - not: {msg: %s, within: %s}\n", msg, w->str);
}

/* What the client sent the field agent: sent again. */
/* The client's clipboard bookkeeping for its message e: which grab serial
   vdsim will give, who owns the selection. Returns the mask of a grab that
   vdsim may number itself, else NULL. */
static const char *const *client_clipboard(synth *s, JsonObject *e, uint8_t sel)
{
    static const char *const serial_mask[] = {"serial", NULL};
    const char *type = str(e, "type");
    JsonObject *f = fields(e);
    const char *const *mask = NULL;
    if (!strcmp(type, "clipboard-grab")) {
        if (f && json_object_has_member(f, "serial")) {
            gint64 serial = json_object_get_int_member(f, "serial");
            if (serial == (gint64)s->serial[sel]) /* the normal sequence: vdsim numbers it */
                mask = serial_mask;
            s->serial[sel] = (uint32_t)serial + 1;
        }
        s->client_owns[sel] = true;
        s->guest_owns[sel] = false;
    } else if (!strcmp(type, "clipboard-release")) {
        s->client_owns[sel] = false;
    }
    return mask;
}

/* Large data d of the client's message e: a trace knows it by its digest;
   a capture holds it whole, and the import keeps it in a file beside the
   scenario, else sends a placeholder. Appends the send's own keys to extra
   and returns the fields to leave out. */
static const char *const *large_data(synth *s, JsonObject *e, JsonNode *d, GString *extra)
{
    static const char *const digest_mask[] = {"data", "len", "serial", NULL};
    const char *file = payload_file(s, e);
    if (file) {
        g_string_append(extra, ", payload-file: ");
        vds_yaml_put_string(extra, file);
    } else {
        g_string_append_printf(
            s->steps,
            "  # its %" G_GINT64_FORMAT
            " bytes are known by their digest only: a placeholder is sent\n",
            json_object_get_int_member_with_default(json_node_get_object(d), "len", 0));
        g_string_append(extra, ", data: \"vdsim placeholder\"");
    }
    return digest_mask;
}

/* The client's data d that a guest paste waited for: what it must get. */
static void pasted(synth *s, JsonObject *e, JsonNode *d, uint8_t sel)
{
    s->pasting[sel] = false;
    const char *file =
        by_digest(d) && !strcmp(str(fields(e), "type"), "utf8-text") ? payload_file(s, e) : NULL;
    if (!file && !(d && JSON_NODE_HOLDS_VALUE(d)))
        return; /* bytes that are not text: nothing a paste of text shows */
    g_string_append_printf(s->steps, "  - guest: {%s: ", file ? "pasted-file" : "pasted");
    if (file)
        vds_yaml_put_string(s->steps, file);
    else
        vds_yaml_put_json(s->steps, d);
    g_string_append_printf(s->steps, "%s, within: 3s}\n", sel ? ", selection: primary" : "");
    s->guest_steps++;
}

static void on_to_agent(synth *s, guint i, JsonObject *e)
{
    const char *type = str(e, "type");
    JsonObject *f = fields(e);
    uint8_t sel = selection(e);
    if (!strcmp(type, "client-disconnected"))
        return; /* a session boundary: vdsim makes its own */
    g_autofree char *text = event_text(e);
    if (unreadable(e)) {
        comment(s, e, "the client sent %s: sent as it was", text);
        send_raw(s, e);
        return;
    }
    const char *const *mask = client_clipboard(s, e, sel);
    comment(s, e, "the client sent %s", text);
    JsonNode *d = f ? json_object_get_member(f, "data") : NULL;
    g_autoptr(GString) extra = g_string_new(NULL);
    if (by_digest(d))
        mask = large_data(s, e, d, extra);
    step_open(s, "send");
    put_msg(s, e, mask, extra->str);
    s->sends++;
    s->stim_t = t_of(e);
    if (!strcmp(type, "monitors-config") && (s->agent_caps & VDS_CAP(VD_AGENT_CAP_REPLY)) &&
        find_after(s, i, reply_to_monitors, monitors_sent, NULL) < 0)
        quiet(s, e, "monitors-config", "reply");
    if (!strcmp(type, "clipboard-request") &&
        find_after(s, i, clipboard_answer, clipboard_asked, &sel) < 0)
        quiet(s, e, "clipboard request", "clipboard");
    if (!strcmp(type, "clipboard") && s->pasting[sel])
        pasted(s, e, d, sel);
}

/* The text a guest copy offered: what the agent later sent for that
   selection, or NULL when the capture does not show it. */
static JsonNode *copied_text(synth *s, guint i, uint8_t sel)
{
    int k = find_after(s, i, clipboard_answer, NULL, &sel);
    JsonObject *f = k >= 0 ? fields(s->ev->pdata[k]) : NULL;
    JsonNode *d = f ? json_object_get_member(f, "data") : NULL;
    return d && JSON_NODE_HOLDS_VALUE(d) && json_node_get_value_type(d) == G_TYPE_STRING ? d : NULL;
}

/* The file for a long text a guest copy offered, which the agent's answer
   knows by digest only; NULL when there is none. */
static const char *copied_file(synth *s, guint i, uint8_t sel)
{
    int k = find_after(s, i, clipboard_answer, NULL, &sel);
    JsonObject *f = k >= 0 ? fields(s->ev->pdata[k]) : NULL;
    if (!f || strcmp(str(f, "type"), "utf8-text"))
        return NULL; /* a guest copy offers text */
    return payload_file(s, s->ev->pdata[k]);
}

/* The guest's user acts before the agent tells the client. */
static void guest_action(synth *s, guint i, JsonObject *e)
{
    const char *type = str(e, "type");
    uint8_t sel = selection(e);
    const char *sel_opt = sel ? ", selection: primary" : "";
    if (!strcmp(type, "clipboard-grab")) {
        JsonNode *text = copied_text(s, i, sel);
        const char *file = text ? NULL : copied_file(s, i, sel);
        if (!text && !file)
            g_string_append(s->steps, "  # the capture does not show the text: a placeholder\n");
        g_string_append(s->steps, "  - guest-copy: {");
        g_string_append(s->steps, file ? "payload-file: " : "text: ");
        vds_yaml_put_string(s->steps, text   ? json_node_get_string(text)
                                      : file ? file
                                             : "vdsim placeholder");
        g_string_append_printf(s->steps, "%s}\n", sel_opt);
        s->guest_owns[sel] = true;
        s->client_owns[sel] = false;
        s->guest_steps++;
    } else if (!strcmp(type, "clipboard-request") && s->client_owns[sel]) {
        g_string_append_printf(s->steps, "  - guest-paste: {%s}\n",
                               sel ? "selection: primary" : "");
        s->pasting[sel] = true;
        s->guest_steps++;
    } else if (!strcmp(type, "clipboard-release") && s->guest_owns[sel]) {
        g_string_append_printf(s->steps, "  - guest-release: {%s}\n",
                               sel ? "selection: primary" : "");
        s->guest_owns[sel] = false;
        s->guest_steps++;
    }
}

/* What the field agent sent: expected, volatile fields masked. */
static void on_from_agent(synth *s, guint i, JsonObject *e)
{
    const char *type = str(e, "type");
    static const char *const grab_mask[] = {"serial", NULL};
    static const char *const grab_mask_types[] = {"serial", "types", NULL};
    static const char *const caps_mask[] = {"caps", "words", NULL};
    const char *const *mask = NULL;
    g_autofree char *text = event_text(e);
    comment(s, e, "the agent sent %s", text);
    if (!*type) {
        g_string_append(s->steps, "  # vdsim has no name for it: not expected\n");
        return;
    }
    guest_action(s, i, e);
    if (!strcmp(type, "clipboard-grab")) {
        JsonNode *types = fields(e) ? json_object_get_member(fields(e), "types") : NULL;
        g_autofree char *tt = types ? vds_json_to_text(types) : NULL;
        /* a guest copy here offers text; other types are the field's own */
        mask = tt && !strcmp(tt, "[utf8-text]") ? grab_mask : grab_mask_types;
    } else if (!strcmp(type, "announce-capabilities")) {
        mask = caps_mask; /* another agent version may announce others */
    }
    step_open(s, "expect");
    g_autofree char *w = window(t_of(e) > s->stim_t ? t_of(e) - s->stim_t : 0);
    put_msg(s, e, mask, w);
    s->expects++;
}

/* SPICE_MOUSE_BUTTON_MASK_* bits to the agent's button names: spice-server
   makes the agent's buttons the SPICE state shifted by one. */
static void put_buttons(GString *out, gint64 state)
{
    bool first = true;
    for (unsigned bit = 0; bit < 7; bit++) {
        if (!(state & (1 << bit)))
            continue;
        const char *n = vds_names_get(&vds_button_names, bit + 1);
        if (!n)
            continue;
        g_string_append_printf(out, "%s%s", first ? ", buttons: [" : ", ", n);
        first = false;
    }
    if (!first)
        g_string_append_c(out, ']');
}

/* The client's mouse (inputs channel) becomes the MOUSE_STATE spice-server
   builds from it: a send that goes through the inputs channel again on
   targets with a SPICE client. */
static void on_inputs(synth *s, JsonObject *e)
{
    const char *type = str(e, "type");
    JsonObject *f = fields(e);
    if (!f)
        return;
    if (!strcmp(type, "mouse-motion")) {
        comment(s, e, "a relative mouse motion (server mouse mode): not replayed");
        return;
    }
    if (!strcmp(type, "mouse-position")) {
        s->x = (int32_t)json_object_get_int_member_with_default(f, "x", 0);
        s->y = (int32_t)json_object_get_int_member_with_default(f, "y", 0);
        s->display = (unsigned)json_object_get_int_member_with_default(f, "display", 0);
    }
    g_autofree char *text = event_text(e);
    comment(s, e, "the client's %s", text);
    g_string_append_printf(s->steps, "  - send: {msg: mouse-state, x: %d, y: %d", s->x, s->y);
    put_buttons(s->steps, json_object_get_int_member_with_default(f, "buttons", 0));
    if (s->display)
        g_string_append_printf(s->steps, ", display: %u", s->display);
    g_string_append(s->steps, "}\n");
    s->sends++;
    s->stim_t = t_of(e);
}

static void on_event(synth *s, guint i, JsonObject *e)
{
    const char *kind = str(e, "kind");
    if (!strcmp(kind, "agent") && !strcmp(str(e, "dir"), "to-agent"))
        on_to_agent(s, i, e);
    else if (!strcmp(kind, "agent") && !strcmp(str(e, "dir"), "from-agent"))
        on_from_agent(s, i, e);
    else if (!strcmp(kind, "spice") && !strcmp(str(e, "channel"), "inputs") &&
             !strcmp(str(e, "dir"), "to-server"))
        on_inputs(s, e);
    else if (!strcmp(kind, "spice") && !strcmp(str(e, "type"), "agent-disconnected"))
        comment(s, e, "the server said the agent went away (agent-disconnected)");
    else if (!strcmp(kind, "framing-error"))
        comment(s, e, "a framing error: %s", str(e, "error"));
}

static uint32_t caps_of(JsonObject *e)
{
    JsonObject *f = fields(e);
    JsonNode *c = f ? json_object_get_member(f, "caps") : NULL;
    uint32_t mask = 0, v;
    for (guint i = 0;
         c && JSON_NODE_HOLDS_ARRAY(c) && i < json_array_get_length(json_node_get_array(c)); i++) {
        const char *n = json_array_get_string_element(json_node_get_array(c), i);
        if (n && vds_names_find(&vds_agent_cap_names, n, &v) && v < 32)
            mask |= 1u << v;
    }
    return mask;
}

/* The session's start: the client's first announcement (the runner makes
   its own) and the field agent's answer, which only say what each can do.
   Each counts only as the first agent message of its side, and the two need
   not be next to each other: spice-gtk waits for the answer, a web client
   (spice-html5) sends its monitor config at once. skip gets their indices
   (-1: not in the session). */
static void handshake(synth *s, gint64 skip[2])
{
    bool client_spoke = false, agent_spoke = false;
    skip[0] = skip[1] = -1;
    for (guint i = 0; i < s->ev->len && !(client_spoke && agent_spoke); i++) {
        JsonObject *e = s->ev->pdata[i];
        bool to_agent = is_agent(e, "to-agent", NULL), from_agent = is_agent(e, "from-agent", NULL);
        bool announce = !strcmp(str(e, "type"), "announce-capabilities");
        if (to_agent && !client_spoke && announce) {
            s->client_caps = caps_of(e);
            s->have_client_caps = true;
            skip[0] = i;
        } else if (from_agent && !agent_spoke && announce) {
            s->agent_caps = caps_of(e);
            s->have_agent_caps = true;
            skip[1] = i;
        }
        client_spoke |= to_agent;
        agent_spoke |= from_agent;
    }
}

static void put_caps(GString *out, const char *key, uint32_t caps)
{
    g_string_append_printf(out, "%s: [", key);
    bool first = true;
    for (unsigned b = 0; b < 32; b++)
        if (caps & (1u << b) && vds_names_get(&vds_agent_cap_names, b)) {
            g_string_append_printf(out, "%s%s", first ? "" : ", ",
                                   vds_names_get(&vds_agent_cap_names, b));
            first = false;
        }
    g_string_append(out, "]\n");
}

char *vds_import_id_for(const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    GString *id = g_string_new("import/");
    for (const char *p = base; *p && id->len < 100; p++)
        g_string_append_c(id, g_ascii_isalnum(*p) || *p == '-' || *p == '.' ? g_ascii_tolower(*p)
                                                                            : '-');
    if (!g_ascii_isalnum(id->str[7])) /* a segment starts with a letter or digit */
        g_string_insert_c(id, 7, 'c');
    return g_string_free(id, FALSE);
}

static void put_header(GString *out, const synth *s, const vds_import_info *info)
{
    /* a file name is any bytes: valid UTF-8 and printable in the YAML */
    g_autofree char *valid = g_utf8_make_valid(info->source, -1);
    g_autofree char *src = vds_yaml_printable(valid);
    g_string_append_printf(out, "# vdsim import of %s%s", src, info->session ? "" : "\n");
    if (info->session)
        g_string_append_printf(out, ", session %u%s%s\n", info->session,
                               info->via ? ", SPICE " : "", info->via ? info->via : "");
    g_string_append_printf(out, "# %u sends, %u expectations, %u guest actions\n", s->sends,
                           s->expects, s->guest_steps);
    for (guint i = 0; info->left_out && i < info->left_out->len; i++) {
        g_autofree char *v = g_utf8_make_valid(info->left_out->pdata[i], -1);
        g_autofree char *what = vds_yaml_printable(v);
        g_string_append_printf(out, "# left out: %s\n", what);
    }
    g_autofree char *id = info->id ? g_strdup(info->id) : vds_import_id_for(info->source);
    g_string_append(out, "id: ");
    vds_yaml_put_string(out, id);
    g_string_append(out, "\nrequirement: ");
    g_autofree char *req =
        g_strdup_printf("the agent here does what the field agent did in %s", src);
    vds_yaml_put_string(out, req);
    g_string_append_c(out, '\n');
    if (s->have_client_caps)
        put_caps(out, "client-caps", s->client_caps);
    if (s->have_agent_caps)
        put_caps(out, "field-agent-caps", s->agent_caps);
    g_string_append(out, "steps:\n");
}

char *vds_import_scenario(GPtrArray *events, const vds_import_info *info, vds_err *err)
{
    synth s = {.ev = events,
               .steps = g_string_new(NULL),
               .agent_caps = VDS_CAPS_VDAGENTD,
               .info = info,
               .named = g_hash_table_new(NULL, NULL)};
    gint64 skip[2];
    handshake(&s, skip);
    for (guint i = 0; i < events->len; i++)
        if (i != skip[0] && i != skip[1])
            on_event(&s, i, events->pdata[i]);
    if (!s.sends && !s.expects && !s.guest_steps) {
        g_string_free(s.steps, TRUE);
        g_hash_table_unref(s.named);
        vds_err_set(err, VDS_ERR_USAGE, info->source,
                    "nothing to replay: no agent message or client mouse after the session's "
                    "capability exchange");
        return NULL;
    }
    GString *out = g_string_new(NULL);
    put_header(out, &s, info);
    g_string_append(out, s.steps->str);
    g_string_free(s.steps, TRUE);
    g_hash_table_unref(s.named);
    return g_string_free(out, FALSE);
}
