#include "scenario/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "core/hex.h"
#include "core/version.h"
#include "proto/agent.h"
#include "proto/spice.h"
#include "scenario/match.h"
#include "scenario/step.h"
#include "scenario/yaml-tree.h"

#define DEFAULT_WITHIN_NS (2000ull * 1000000)
#define MAX_REPEAT        100000

static const char *const top_keys[] = {
    "id",    "requirement", "targets",      "needs",     "client-caps",      "ignore", "repeat",
    "steps", "agent-after", "differential", "known-bug", "field-agent-caps", NULL};
typedef vds_parse_ctx ctx;

void vds_scenario_free(vds_scenario *s)
{
    if (!s)
        return;
    g_free(s->file);
    g_free(s->id);
    g_free(s->requirement);
    if (s->targets)
        g_ptr_array_unref(s->targets);
    g_free(s->targets_why);
    if (s->ignore)
        g_array_unref(s->ignore);
    if (s->diff_ignore)
        g_array_unref(s->diff_ignore);
    g_free(s->diff_why);
    if (s->known_bugs)
        g_ptr_array_unref(s->known_bugs);
    if (s->steps)
        g_ptr_array_unref(s->steps);
    g_free(s);
}

bool vds_duration_parse(const char *s, uint64_t *ns)
{
    char *end;
    double v = g_ascii_strtod(s, &end);
    double mul;
    if (end == s || v < 0)
        return false;
    if (strcmp(end, "s") == 0)
        mul = 1e9;
    else if (strcmp(end, "ms") == 0)
        mul = 1e6;
    else if (strcmp(end, "us") == 0)
        mul = 1e3;
    else if (strcmp(end, "m") == 0)
        mul = 60e9;
    else
        return false;
    if (v * mul > 3600e9)
        return false;
    *ns = (uint64_t)(v * mul);
    return true;
}

typedef struct ev_name {
    const char *name;
    uint16_t type, code;
} ev_name;

/* linux/input-event-codes.h values, as spice-vdagentd writes them (protocol-reference 6.4) */
static const ev_name ev_names[] = {
    {"syn", 0, 0},          {"abs-x", 3, 0},         {"abs-y", 3, 1},
    {"btn-left", 1, 0x110}, {"btn-right", 1, 0x111}, {"btn-middle", 1, 0x112},
    {"btn-side", 1, 0x113}, {"btn-extra", 1, 0x114}, {"wheel", 2, 8},
};

bool vds_input_event_parse(const char *s, vds_input_event *ev)
{
    g_auto(GStrv) w = g_strsplit_set(s, " \t", -1);
    guint n = g_strv_length(w);
    for (size_t i = 0; i < G_N_ELEMENTS(ev_names); i++) {
        if (n == 0 || strcmp(w[0], ev_names[i].name) != 0)
            continue;
        ev->type = ev_names[i].type;
        ev->code = ev_names[i].code;
        ev->value = 0;
        if (ev->type == 0)
            return n == 1;
        if (n != 2)
            return false;
        char *end;
        long v = strtol(w[1], &end, 10);
        if (*end || v < INT32_MIN || v > INT32_MAX)
            return false;
        ev->value = (int32_t)v;
        return true;
    }
    return false;
}

const char *vds_input_event_fmt(const vds_input_event *ev, char *buf, size_t size)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ev_names); i++) {
        if (ev_names[i].type == ev->type && ev_names[i].code == ev->code) {
            if (ev->type == 0 && ev->value == 0)
                snprintf(buf, size, "syn");
            else
                snprintf(buf, size, "%s %d", ev_names[i].name, ev->value);
            return buf;
        }
    }
    snprintf(buf, size, "type %u code %u value %d", ev->type, ev->code, ev->value);
    return buf;
}

static int fail(ctx *c, const vds_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(ctx *c, const vds_ynode *n, const char *fmt, ...)
{
    char msg[VDS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vds_ynode_error(c->doc, n, c->err, "%s", msg);
}

/* Every key of map must be in allowed (extra_ok: keys that are message fields). */
static int known_keys(ctx *c, const vds_ynode *map, const char *const *allowed, const char *what)
{
    for (guint i = 0; i + 1 < map->items->len; i += 2) {
        vds_ynode *k = map->items->pdata[i];
        size_t n = 0;
        bool ok = false;
        for (; allowed[n]; n++)
            ok |= strcmp(allowed[n], k->value) == 0;
        if (ok)
            continue;
        vds_names names = {"key", allowed, n};
        const char *near = vds_names_suggest(&names, k->value);
        if (near)
            return fail(c, k, "unknown %s '%s' (did you mean '%s'?)", what, k->value, near);
        g_autofree char *list = g_strjoinv(", ", (char **)allowed);
        return fail(c, k, "unknown %s '%s' (expected one of: %s)", what, k->value, list);
    }
    return 0;
}

static const char *scalar(ctx *c, const vds_ynode *n, const char *what)
{
    if (!n || n->kind != VDS_Y_SCALAR) {
        fail(c, n, "%s must be a single value", what);
        return NULL;
    }
    return n->value;
}

static int duration(ctx *c, const vds_ynode *map, const char *key, uint64_t def, vds_step *st)
{
    vds_ynode *n = vds_ynode_get(map, key);
    uint64_t *out = &st->within_ns;
    *out = def;
    if (!n)
        return 0;
    st->within_given = true;
    const char *s = scalar(c, n, key);
    if (!s)
        return -1;
    if (!vds_duration_parse(s, out))
        return fail(c, n, "bad duration '%s' (write e.g. 500ms, 2s, 1.5s, 250us)", s);
    return 0;
}

static int msg_type(ctx *c, const vds_ynode *body, uint32_t *type)
{
    vds_ynode *n = vds_ynode_get(body, "msg");
    if (!n)
        return fail(c, body, "missing 'msg': the message type");
    const char *s = scalar(c, n, "msg");
    if (!s)
        return -1;
    if (!vds_names_find(&vds_agent_type_names, s, type) || !vds_agent_desc_get(*type)) {
        const char *near = vds_names_suggest(&vds_agent_type_names, s);
        if (near)
            return fail(c, n, "unknown message '%s' (did you mean '%s'?)", s, near);
        return fail(c, n, "unknown message '%s'", s);
    }
    return 0;
}

/* The message fields of a step body: all keys but the step's own. */
static JsonObject *fields_of(const vds_ynode *body, const char *const *own)
{
    JsonObject *o = json_object_new();
    for (guint i = 0; i + 1 < body->items->len; i += 2) {
        vds_ynode *k = body->items->pdata[i];
        bool skip = false;
        for (size_t j = 0; own[j]; j++)
            skip |= strcmp(own[j], k->value) == 0;
        if (!skip)
            json_object_set_member(o, k->value, vds_ynode_to_json(body->items->pdata[i + 1]));
    }
    return o;
}

/* Field names of expect/not must be ones the message describes. */
static int check_field_names(ctx *c, const vds_ynode *body, uint32_t type, const char *const *own)
{
    const vds_agent_desc *d = vds_agent_desc_get(type);
    for (guint i = 0; i + 1 < body->items->len; i += 2) {
        vds_ynode *k = body->items->pdata[i];
        bool ok = false;
        size_t n = 0;
        for (size_t j = 0; own[j]; j++)
            ok |= strcmp(own[j], k->value) == 0;
        for (; d->fields[n]; n++)
            ok |= strcmp(d->fields[n], k->value) == 0;
        if (ok)
            continue;
        vds_names names = {"field", d->fields, n};
        const char *near = vds_names_suggest(&names, k->value);
        g_autofree char *list = g_strjoinv(", ", (char **)d->fields);
        if (near)
            return fail(c, k, "%s has no field '%s' (did you mean '%s'?)", d->name, k->value, near);
        return fail(c, k, "%s has no field '%s' (fields: %s)", d->name, k->value,
                    n ? list : "none");
    }
    return 0;
}

/* Variables: every "${name}" in n must have been captured by an earlier
 * step (located at the value that uses it). */
static int check_vars(ctx *c, const vds_ynode *n)
{
    if (n->kind == VDS_Y_SCALAR) {
        char *name = NULL;
        for (const char *at = vds_match_var_next(n->value, &name); at;
             at = vds_match_var_next(at + 2, &name)) {
            bool known = g_hash_table_contains(c->vars, name);
            int rc =
                known ? 0 : fail(c, n, "variable '%s' is used before a step captures it", name);
            g_free(name);
            if (rc < 0)
                return -1;
        }
        return 0;
    }
    for (guint i = 0; i < n->items->len; i++)
        if ((n->kind == VDS_Y_SEQ || i % 2) && check_vars(c, n->items->pdata[i]) < 0)
            return -1;
    return 0;
}

/* What a variable captured from field of message type stands in as at lint:
   the field's value in an empty message of that type, so its type is the
   one a run will capture (a serial a number, data a string). New node. */
static JsonNode *stand_in(uint32_t type, const char *field)
{
    vds_agent_msg m = {.protocol = VD_AGENT_PROTOCOL, .type = type};
    vds_agent_msg_apply_caps(&m, ~0u); /* every conditional field present */
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    vds_agent_describe(&m, b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) fields = json_builder_get_root(b);
    JsonNode *v = json_object_get_member(json_node_get_object(fields), field);
    return v ? json_node_copy(v) : json_node_new(JSON_NODE_NULL);
}

/* A payload-file's path, relative to the scenario file (new string). */
static char *payload_path(ctx *c, const vds_ynode *n)
{
    const char *rel = scalar(c, n, "payload-file");
    if (!rel)
        return NULL;
    g_autofree char *dir = g_path_get_dirname(c->doc->file);
    return g_path_is_absolute(rel) ? g_strdup(rel) : g_build_filename(dir, rel, NULL);
}

static GBytes *read_payload(ctx *c, const vds_ynode *n)
{
    g_autofree char *path = payload_path(c, n);
    if (!path)
        return NULL;
    vds_err ferr = {0};
    GBytes *b = vds_file_read(path, VDS_PAYLOAD_MAX, "payload", &ferr);
    if (!b)
        fail(c, n, "%s: %s", ferr.loc, ferr.msg);
    return b;
}

static int u32_value(ctx *c, const vds_ynode *n, const char *what, uint32_t max, uint32_t *out)
{
    const char *s = scalar(c, n, what);
    if (!s)
        return -1;
    char *end;
    unsigned long long v = g_ascii_strtoull(s, &end, 0);
    if (!*s || *end || v > max)
        return fail(c, n, "%s is a number from 0 to %u, not '%s'", what, max, s);
    *out = (uint32_t)v;
    return 0;
}

static int bool_value(ctx *c, const vds_ynode *n, const char *what, bool *out)
{
    const char *s = scalar(c, n, what);
    if (!s)
        return -1;
    if (strcmp(s, "true") && strcmp(s, "false"))
        return fail(c, n, "%s is true or false, not '%s'", what, s);
    *out = s[0] == 't';
    return 0;
}

static const char *const send_own[] = {"msg", "port", "payload-file", NULL};
static const char *const expect_own[] = {"msg", "within", "optional", "capture", NULL};
static const char *const not_own[] = {"msg", "within", NULL};

/* The node a field path ("monitors[1].h", from the codec's build errors)
   names in body, or the nearest one that exists: where lint points. For
   key, the field's key rather than its value (a name that is wrong). */
static const vds_ynode *field_node(const vds_ynode *body, const char *path, bool key)
{
    const vds_ynode *n = body;
    g_auto(GStrv) parts = g_strsplit_set(path, ".[", -1);
    for (size_t i = 0; parts[i] && n; i++) {
        const char *p = parts[i];
        const vds_ynode *next = NULL;
        if (!*p)
            continue;
        if (g_ascii_isdigit(p[0]) && n->kind == VDS_Y_SEQ) {
            guint64 k = g_ascii_strtoull(p, NULL, 10);
            next = k < n->items->len ? n->items->pdata[k] : NULL;
        } else if (n->kind == VDS_Y_MAP) {
            for (guint k = 0; k + 1 < n->items->len && !next; k += 2)
                if (strcmp(((vds_ynode *)n->items->pdata[k])->value, p) == 0)
                    next = n->items->pdata[k + (key && !parts[i + 1] ? 0 : 1)];
        }
        if (!next)
            break;
        n = next;
    }
    return n;
}

int vds_parse_send(ctx *c, const vds_ynode *body, vds_step *step)
{
    vds_step_msg *st = &step->u.msg;
    if (msg_type(c, body, &st->type) < 0)
        return -1;
    vds_ynode *port = vds_ynode_get(body, "port");
    if (port) {
        const char *p = scalar(c, port, "port");
        if (!p || (strcmp(p, "1") && strcmp(p, "2") && strcmp(p, "0")))
            return p ? fail(c, port, "port must be 0, 1 or 2, not '%s'", p) : -1;
        st->port = (uint32_t)atoi(p);
        st->port_given = true;
    } else {
        /* what spice-server does: its own messages on the server port */
        st->port = st->type == VD_AGENT_MOUSE_STATE || st->type == VD_AGENT_CLIENT_DISCONNECTED ||
                           st->type == VD_AGENT_GRAPHICS_DEVICE_INFO
                       ? VDP_SERVER_PORT
                       : VDP_CLIENT_PORT;
    }
    vds_ynode *pf = vds_ynode_get(body, "payload-file");
    if (pf && !(st->payload = read_payload(c, pf)))
        return -1;
    if (pf)
        st->payload_file = g_strdup(pf->value);
    st->fields = fields_of(body, send_own);
    /* build it once now, each variable standing in as a value of the type it
       will capture, so field errors need no agent; the probe is a private
       tree, free to change */
    if (check_vars(c, body) < 0)
        return -1;
    g_autoptr(JsonNode) written = vds_ynode_to_json(body);
    g_autoptr(JsonNode) probe = vds_match_subst(written, c->vars);
    JsonObject *probe_fields = json_node_get_object(probe);
    for (size_t j = 0; send_own[j]; j++)
        if (json_object_has_member(probe_fields, send_own[j]))
            json_object_remove_member(probe_fields, send_own[j]);
    vds_build_ctx bctx = {.caps = VDS_CAPS_VDAGENTD, .payload = st->payload};
    vds_agent_msg m;
    vds_err berr = {0};
    if (vds_agent_msg_build(st->type, probe_fields, &bctx, &m, &berr) < 0)
        return fail(c, field_node(body, berr.loc, strstr(berr.msg, "unknown field") != NULL), "%s",
                    berr.msg);
    vds_agent_msg_clear(&m);
    return 0;
}

static int parse_expect(ctx *c, const vds_ynode *body, vds_step *step, bool is_not)
{
    vds_step_msg *st = &step->u.msg;
    if (msg_type(c, body, &st->type) < 0 ||
        check_field_names(c, body, st->type, is_not ? not_own : expect_own) < 0 ||
        duration(c, body, "within", DEFAULT_WITHIN_NS, step) < 0)
        return -1;
    if (is_not && !vds_ynode_get(body, "within"))
        return fail(c, body, "'not' needs 'within': how long the message must stay away");
    /* what it matches may use what earlier steps captured, not its own */
    for (guint i = 0; i + 1 < body->items->len; i += 2)
        if (strcmp(((vds_ynode *)body->items->pdata[i])->value, "capture") &&
            check_vars(c, body->items->pdata[i + 1]) < 0)
            return -1;
    vds_ynode *opt = vds_ynode_get(body, "optional");
    if (opt && bool_value(c, opt, "optional", &st->optional) < 0)
        return -1;
    vds_ynode *cap = vds_ynode_get(body, "capture");
    if (cap) {
        if (cap->kind != VDS_Y_MAP)
            return fail(c, cap, "capture maps variable names to fields: {serial-1: serial}");
        st->capture = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        const vds_agent_desc *d = vds_agent_desc_get(st->type);
        for (guint i = 0; i + 1 < cap->items->len; i += 2) {
            vds_ynode *var = cap->items->pdata[i], *field = cap->items->pdata[i + 1];
            const char *f = scalar(c, field, "capture field");
            if (!f)
                return -1;
            bool known = false;
            for (size_t j = 0; d->fields[j]; j++)
                known |= strcmp(d->fields[j], f) == 0;
            if (!known)
                return fail(c, field, "%s has no field '%s' to capture", d->name, f);
            g_hash_table_insert(st->capture, g_strdup(var->value), g_strdup(f));
            g_hash_table_insert(c->vars, g_strdup(var->value), stand_in(st->type, f));
        }
    }
    st->fields = fields_of(body, is_not ? not_own : expect_own);
    return 0;
}

int vds_parse_expect(ctx *c, const vds_ynode *body, vds_step *st)
{
    return parse_expect(c, body, st, false);
}

int vds_parse_not(ctx *c, const vds_ynode *body, vds_step *st)
{
    return parse_expect(c, body, st, true);
}

/* The optional selection of guest steps: clipboard (default) or primary, the
 * two spice-vdagent handles. */
static int parse_selection(ctx *c, const vds_ynode *body, uint8_t *out)
{
    vds_ynode *sel = vds_ynode_get(body, "selection");
    if (!sel)
        return 0;
    uint32_t v;
    const char *s = scalar(c, sel, "selection");
    if (!s || !vds_names_find(&vds_clip_sel_names, s, &v) || v > 1)
        return s ? fail(c, sel, "selection is clipboard or primary, not '%s'", s) : -1;
    *out = (uint8_t)v;
    return 0;
}

int vds_parse_guest(ctx *c, const vds_ynode *body, vds_step *step)
{
    vds_step_guest *st = &step->u.guest;
    static const char *const keys[] = {"input",       "screen",    "clipboard", "pasted",
                                       "pasted-file", "selection", "within",    NULL};
    if (known_keys(c, body, keys, "guest check") < 0 ||
        duration(c, body, "within", DEFAULT_WITHIN_NS, step) < 0)
        return -1;
    vds_ynode *in = vds_ynode_get(body, "input"), *scr = vds_ynode_get(body, "screen");
    vds_ynode *clip = vds_ynode_get(body, "clipboard"), *pasted = vds_ynode_get(body, "pasted");
    vds_ynode *pfile = vds_ynode_get(body, "pasted-file");
    if (!!in + !!scr + !!clip + !!pasted + !!pfile != 1)
        return fail(c, body, "a guest check is one of input, screen, clipboard or pasted");
    if (in) {
        if (in->kind != VDS_Y_SEQ)
            return fail(c, in, "input is a list of events: [abs-x 10, btn-left 1, syn]");
        st->what = VDS_GUEST_INPUT;
        st->events = g_array_new(FALSE, FALSE, sizeof(vds_input_event));
        for (guint i = 0; i < in->items->len; i++) {
            vds_ynode *e = in->items->pdata[i];
            vds_input_event ev;
            if (e->kind != VDS_Y_SCALAR || !vds_input_event_parse(e->value, &ev))
                return fail(c, e,
                            "bad input event '%s' (abs-x N, abs-y N, btn-left 0|1, "
                            "btn-right, btn-middle, btn-side, btn-extra, wheel 1|-1, syn)",
                            e->kind == VDS_Y_SCALAR ? e->value : "");
            g_array_append_val(st->events, ev);
        }
    } else if (scr) {
        if (scr->kind != VDS_Y_SEQ)
            return fail(c, scr, "screen is a list of WxH+X+Y");
        st->what = VDS_GUEST_SCREEN;
        st->rects = g_array_new(FALSE, FALSE, sizeof(vds_rect));
        for (guint i = 0; i < scr->items->len; i++) {
            vds_ynode *e = scr->items->pdata[i];
            vds_rect r;
            char tail;
            if (e->kind != VDS_Y_SCALAR ||
                sscanf(e->value, "%ux%u%d%d%c", &r.w, &r.h, &r.x, &r.y, &tail) != 4)
                return fail(c, e, "bad monitor '%s' (write WxH+X+Y, e.g. 1024x768+0+0)",
                            e->kind == VDS_Y_SCALAR ? e->value : "");
            g_array_append_val(st->rects, r);
        }
    } else if (pfile) {
        st->what = VDS_GUEST_PASTED;
        if (!(st->text = read_payload(c, pfile)))
            return -1;
        st->text_file = g_strdup(pfile->value);
    } else if (pasted && pasted->kind == VDS_Y_SCALAR && !pasted->quoted &&
               (strcmp(pasted->value, "~") == 0 || strcmp(pasted->value, "null") == 0)) {
        st->what = VDS_GUEST_PASTED; /* nothing can be pasted: payload stays NULL */
    } else {
        const char *t = scalar(c, clip ? clip : pasted, clip ? "clipboard" : "pasted");
        if (!t)
            return -1;
        st->what = clip ? VDS_GUEST_CLIPBOARD : VDS_GUEST_PASTED;
        st->text = g_bytes_new(t, strlen(t));
    }
    return parse_selection(c, body, &st->selection);
}

int vds_parse_guest_copy(ctx *c, const vds_ynode *body, vds_step *step)
{
    vds_step_copy *st = &step->u.copy;
    static const char *const keys[] = {"text", "payload-file", "selection", NULL};
    if (known_keys(c, body, keys, "guest-copy key") < 0)
        return -1;
    vds_ynode *text = vds_ynode_get(body, "text"), *pf = vds_ynode_get(body, "payload-file");
    if (!!text == !!pf)
        return fail(c, body, "guest-copy takes text or payload-file");
    if (text) {
        const char *t = scalar(c, text, "text");
        if (!t)
            return -1;
        st->text = g_bytes_new(t, strlen(t));
    } else {
        /* a guest copy goes to the guest as it is: checked now, read when
           the step runs, so a large file is streamed rather than held */
        if (!(st->path = payload_path(c, pf)))
            return -1;
        st->file = g_strdup(pf->value);
        vds_err ferr = {0};
        if (vds_file_check(st->path, VDS_PAYLOAD_MAX, "payload", &ferr) < 0)
            return fail(c, pf, "%s: %s", ferr.loc, ferr.msg);
    }
    return parse_selection(c, body, &st->selection);
}

int vds_parse_selection_step(ctx *c, const vds_ynode *body, vds_step *st)
{
    static const char *const keys[] = {"selection", NULL};
    if (known_keys(c, body, keys, "key") < 0)
        return -1;
    return parse_selection(c, body, &st->u.selection);
}

int vds_parse_raw(ctx *c, const vds_ynode *body, vds_step *step)
{
    vds_step_raw *st = &step->u.raw;
    static const char *const keys[] = {"hex", "port", "chunk", NULL};
    if (known_keys(c, body, keys, "raw key") < 0)
        return -1;
    const char *hex = scalar(c, vds_ynode_get(body, "hex"), "hex");
    if (!hex)
        return -1;
    vds_buf b;
    vds_err herr = {0};
    vds_buf_init(&b, 16u << 20);
    if (vds_hex_decode(hex, &b, &herr) < 0) {
        vds_buf_clear(&b);
        return fail(c, vds_ynode_get(body, "hex"), "%s", herr.msg);
    }
    st->bytes = g_bytes_new_take(b.data, b.len);
    /* any port: a bad one is what some robustness scenarios send */
    vds_ynode *chunk = vds_ynode_get(body, "chunk"), *port = vds_ynode_get(body, "port");
    st->chunk = false;
    st->port = VDP_CLIENT_PORT;
    st->port_given = port != NULL;
    if (chunk && bool_value(c, chunk, "chunk", &st->chunk) < 0)
        return -1;
    return port ? u32_value(c, port, "port", UINT32_MAX, &st->port) : 0;
}

/* --- client: the SPICE client's own actions ------------------------------ */

static const char *const client_actions[] = {
    "mouse-mode",    "position",    "press", "release", "disconnect", "reconnect",
    "exceed-tokens", "hold-tokens", "raw",   "closed",  NULL};
static const vds_client_kind client_kinds[] = {
    VDS_CLIENT_MOUSE_MODE, VDS_CLIENT_POSITION,  VDS_CLIENT_PRESS,         VDS_CLIENT_RELEASE,
    VDS_CLIENT_DISCONNECT, VDS_CLIENT_RECONNECT, VDS_CLIENT_EXCEED_TOKENS, VDS_CLIENT_HOLD_TOKENS,
    VDS_CLIENT_RAW,        VDS_CLIENT_CLOSED};
G_STATIC_ASSERT(G_N_ELEMENTS(client_kinds) == G_N_ELEMENTS(client_actions) - 1);

const char *vds_client_kind_name(vds_client_kind kind)
{
    for (size_t i = 0; i < G_N_ELEMENTS(client_kinds); i++)
        if (client_kinds[i] == kind)
            return client_actions[i];
    return "?";
}

static const char *const button_names[] = {NULL, "left", "middle", "right", "up", "down"};
static const vds_names buttons_names = VDS_NAMES("button", button_names);

/* A name of t only: not the number vds_names_find also takes. */
static bool known_name(const vds_names *t, const char *s, uint32_t *v)
{
    return vds_names_find(t, s, v) && vds_names_get(t, *v) && strcmp(vds_names_get(t, *v), s) == 0;
}

static int button_value(ctx *c, const vds_ynode *n, uint8_t *button)
{
    uint32_t v;
    const char *s = scalar(c, n, "button");
    if (!s)
        return -1;
    if (!known_name(&buttons_names, s, &v)) {
        const char *near = vds_names_suggest(&buttons_names, s);
        return fail(c, n, "unknown button '%s'%s%s%s (have: left, middle, right, up, down)", s,
                    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    *button = (uint8_t)v;
    return 0;
}

/* buttons: [left, ...] -> SPICE button mask (button n is bit n-1). */
static int buttons_value(ctx *c, const vds_ynode *map, uint16_t *mask)
{
    vds_ynode *n = vds_ynode_get(map, "buttons");
    *mask = 0;
    if (!n)
        return 0;
    if (n->kind != VDS_Y_SEQ)
        return fail(c, n, "buttons is a list: [left, right]");
    for (guint i = 0; i < n->items->len; i++) {
        uint8_t b = 0;
        if (button_value(c, n->items->pdata[i], &b) < 0)
            return -1;
        *mask |= (uint16_t)(1u << (b - 1));
    }
    return 0;
}

static int parse_client_raw(ctx *c, const vds_ynode *body, vds_client_action *a, vds_step *st)
{
    if (body->kind != VDS_Y_MAP)
        return fail(c, body,
                    "raw is {channel: main|inputs, type: NAME|NUMBER, hex: ...} or "
                    "the type's fields");
    const char *ch = scalar(c, vds_ynode_get(body, "channel"), "channel");
    if (!ch)
        return -1;
    if (strcmp(ch, "main") && strcmp(ch, "inputs"))
        return fail(c, vds_ynode_get(body, "channel"), "channel is main or inputs, not '%s'", ch);
    a->channel = strcmp(ch, "main") == 0 ? SPICE_CHANNEL_MAIN : SPICE_CHANNEL_INPUTS;
    vds_ynode *tn = vds_ynode_get(body, "type");
    const char *ts = scalar(c, tn, "type");
    if (!ts)
        return -1;
    int type = vds_spice_msg_type_find(a->channel, VDS_SPICE_FROM_CLIENT, ts);
    uint32_t num = 0;
    if (type < 0 && g_ascii_isdigit(ts[0]) && u32_value(c, tn, "type", 0xffff, &num) == 0)
        type = (int)num;
    if (type < 0)
        return fail(c, tn, "no %s message '%s' from a client (a name, or a number)", ch, ts);
    a->type = (uint16_t)type;
    vds_buf b;
    vds_err e = {0};
    vds_buf_init(&b, 16u << 20);
    vds_ynode *hex = vds_ynode_get(body, "hex");
    int rc;
    if (hex) {
        const char *h = scalar(c, hex, "hex");
        rc = !h ? -1 : vds_hex_decode(h, &b, &e) < 0 ? fail(c, hex, "%s", e.msg) : 0;
    } else {
        /* the fields by name, as traces show them */
        g_autoptr(JsonNode) j = vds_ynode_to_json(body);
        JsonObject *o = json_node_get_object(j);
        json_object_remove_member(o, "channel");
        json_object_remove_member(o, "type");
        rc = vds_spice_msg_encode(a->channel, VDS_SPICE_FROM_CLIENT, a->type, o, &b, &e) < 0
                 ? fail(c, body, "%s", e.msg)
                 : 0;
    }
    if (rc < 0) {
        vds_buf_clear(&b);
        return -1;
    }
    st->u.client.body = g_bytes_new_take(b.data, b.len);
    return 0;
}

/* The action's arguments: arg is its value, body the whole mapping (its
   other keys are the action's options). */
static int client_args(ctx *c, const vds_ynode *body, const vds_ynode *arg, vds_step *st)
{
    vds_client_action *a = &st->u.client.a;
    switch (a->kind) {
    case VDS_CLIENT_MOUSE_MODE: {
        const char *m = scalar(c, arg, "mouse-mode");
        if (!m)
            return -1;
        if (strcmp(m, "client") && strcmp(m, "server"))
            return fail(c, arg, "mouse-mode is client or server, not '%s'", m);
        a->mode = strcmp(m, "client") == 0 ? SPICE_MOUSE_MODE_CLIENT : SPICE_MOUSE_MODE_SERVER;
        return 0;
    }
    case VDS_CLIENT_POSITION: {
        uint32_t d = 0;
        if (arg->kind != VDS_Y_SEQ || arg->items->len != 2)
            return fail(c, arg, "position is [x, y]");
        if (u32_value(c, arg->items->pdata[0], "x", INT32_MAX, &a->x) < 0 ||
            u32_value(c, arg->items->pdata[1], "y", INT32_MAX, &a->y) < 0)
            return -1;
        vds_ynode *dn = vds_ynode_get(body, "display");
        if (dn && u32_value(c, dn, "display", 255, &d) < 0)
            return -1;
        a->display = (uint8_t)d;
        return buttons_value(c, body, &a->buttons);
    }
    case VDS_CLIENT_PRESS:
    case VDS_CLIENT_RELEASE:
        if (button_value(c, arg, &a->button) < 0)
            return -1;
        return buttons_value(c, body, &a->buttons);
    case VDS_CLIENT_DISCONNECT:
    case VDS_CLIENT_RECONNECT:
        return 0;
    case VDS_CLIENT_EXCEED_TOKENS:
        return u32_value(c, arg, "exceed-tokens", 1000, &a->count);
    case VDS_CLIENT_HOLD_TOKENS:
        return bool_value(c, arg, "hold-tokens", &a->hold);
    case VDS_CLIENT_RAW:
        return parse_client_raw(c, arg, a, st);
    case VDS_CLIENT_CLOSED: {
        const char *w = scalar(c, arg, "closed");
        if (!w)
            return -1;
        st->within_given = true;
        if (!vds_duration_parse(w, &st->within_ns))
            return fail(c, arg, "bad duration '%s' (write e.g. 500ms, 2s)", w);
        return 0;
    }
    }
    return 0;
}

/* Which action the body names: a scalar (client: disconnect) or the one key
   of a mapping that is an action. */
static int client_action(ctx *c, const vds_ynode *body, const vds_names *names, const char **action,
                         const vds_ynode **at, const vds_ynode **arg)
{
    uint32_t ignored;
    *action = NULL;
    *at = body;
    *arg = NULL;
    if (body->kind == VDS_Y_SCALAR)
        *action = body->value;
    for (guint i = 0; body->kind == VDS_Y_MAP && i + 1 < body->items->len; i += 2) {
        const vds_ynode *k = body->items->pdata[i];
        if (!known_name(names, k->value, &ignored))
            continue;
        if (*action)
            return fail(c, k, "client takes one action per step ('%s' and '%s')", *action,
                        k->value);
        *action = k->value;
        *at = k;
        *arg = body->items->pdata[i + 1];
    }
    if (!*action && body->kind == VDS_Y_MAP && body->items->len >= 2) {
        *at = body->items->pdata[0];
        *action = (*at)->value;
    }
    if (!*action)
        return fail(c, body,
                    "client takes one action: disconnect, reconnect, {position: [x, y]}, "
                    "{mouse-mode: client}, ...");
    return 0;
}

int vds_parse_client(ctx *c, const vds_ynode *body, vds_step *st)
{
    vds_client_action *a = &st->u.client.a;
    st->u.client.spec = vds_ynode_to_json(body);
    const vds_ynode *arg, *at;
    const char *action;
    vds_names names = {"client action", client_actions, G_N_ELEMENTS(client_actions) - 1};
    if (client_action(c, body, &names, &action, &at, &arg) < 0)
        return -1;
    uint32_t kind;
    if (!known_name(&names, action, &kind)) {
        const char *near = vds_names_suggest(&names, action);
        return fail(c, at, "unknown client action '%s'%s%s%s", action,
                    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    a->kind = client_kinds[kind];
    bool scalar_only = a->kind == VDS_CLIENT_DISCONNECT || a->kind == VDS_CLIENT_RECONNECT;
    if (scalar_only != !arg)
        return fail(c, body,
                    scalar_only ? "'%s' takes nothing: write client: %s"
                                : "'%s' needs a value: client: {%s: ...}",
                    action, action);
    /* the other keys of the mapping belong to the action */
    static const char *const pos_keys[] = {"position", "display", "buttons", NULL};
    static const char *const press_keys[] = {"press", "release", "buttons", NULL};
    static const char *const one_key[] = {"mouse-mode", "exceed-tokens", "hold-tokens",
                                          "raw",        "closed",        NULL};
    if (arg &&
        known_keys(c, body,
                   a->kind == VDS_CLIENT_POSITION                                 ? pos_keys
                   : a->kind == VDS_CLIENT_PRESS || a->kind == VDS_CLIENT_RELEASE ? press_keys
                                                                                  : one_key,
                   "client key") < 0)
        return -1;
    return client_args(c, body, arg, st);
}

int vds_parse_any_order(ctx *c, const vds_ynode *body, vds_step *st)
{
    if (body->kind != VDS_Y_SEQ || body->items->len == 0)
        return fail(c, body, "any-order is a list of expect bodies: [{msg: ...}, {msg: ...}]");
    st->u.any = g_ptr_array_new_with_free_func((GDestroyNotify)vds_step_free);
    for (guint i = 0; i < body->items->len; i++) {
        vds_ynode *item = body->items->pdata[i];
        if (item->kind != VDS_Y_MAP)
            return fail(c, item, "any-order items are expect bodies");
        vds_step *child = g_new0(vds_step, 1);
        child->kind = VDS_STEP_EXPECT;
        child->index = st->index;
        child->line = item->line;
        child->col = item->col;
        g_ptr_array_add(st->u.any, child);
        if (parse_expect(c, item, child, false) < 0)
            return -1;
    }
    return 0;
}

int vds_parse_guest_agent(ctx *c, const vds_ynode *body, vds_step *st)
{
    if (body->kind != VDS_Y_SCALAR ||
        (strcmp(body->value, "stop") && strcmp(body->value, "continue")))
        return fail(c, body, "guest-agent is stop or continue");
    st->u.agent_stop = strcmp(body->value, "stop") == 0;
    return 0;
}

static vds_step *parse_step(ctx *c, const vds_ynode *n, unsigned index)
{
    g_autofree char *keys = vds_step_keys_text();
    if (n->kind != VDS_Y_MAP || n->items->len != 2) {
        fail(c, n, "a step is one of: %s", keys);
        return NULL;
    }
    vds_ynode *key = n->items->pdata[0], *body = n->items->pdata[1];
    const vds_step_desc *d = vds_step_desc_for(key->value);
    if (!d) {
        const char *near = vds_names_suggest(vds_step_key_names(), key->value);
        fail(c, key, "unknown step '%s'%s%s%s (have: %s)", key->value,
             near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "", keys);
        return NULL;
    }
    if (d->map_body && body->kind != VDS_Y_MAP) {
        fail(c, body, "the body of '%s' is a mapping: {key: value, ...}", key->value);
        return NULL;
    }
    vds_step *st = g_new0(vds_step, 1);
    st->kind = d->kind;
    st->index = index;
    st->line = key->line;
    st->col = key->col;
    if (d->parse(c, body, st) == 0)
        return st;
    vds_step_free(st);
    return NULL;
}

/* targets: {only: [local, local-server], why: TEXT}: a rare override of what
   the needs decide, and it says why. */
static int parse_targets(ctx *c, const vds_ynode *n)
{
    static const char *const keys[] = {"only", "why", NULL};
    if (!n)
        return 0;
    if (n->kind != VDS_Y_MAP)
        return fail(c, n,
                    "targets is an override with a reason: {only: [local], why: TEXT}; what a "
                    "scenario needs comes from its steps and needs:");
    if (known_keys(c, n, keys, "targets key") < 0)
        return -1;
    vds_ynode *only = vds_ynode_get(n, "only"), *why = vds_ynode_get(n, "why");
    if (!only || !why)
        return fail(c, n, "targets needs both only (the kinds) and why (what rules the rest out)");
    if (only->kind != VDS_Y_SEQ)
        return fail(c, only, "only is a list: [local, local-server]");
    for (guint i = 0; i < only->items->len; i++) {
        vds_ynode *e = only->items->pdata[i];
        const char *t = scalar(c, e, "a target");
        uint32_t kind;
        if (!t)
            return -1;
        if (!known_name(&vds_target_kind_names, t, &kind)) {
            const char *near = vds_names_suggest(&vds_target_kind_names, t);
            return fail(c, e,
                        "unknown target '%s'%s%s%s (have: local, local-server, spice, libvirt, "
                        "chardev)",
                        t, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        }
        g_ptr_array_add(c->s->targets, g_strdup(t));
    }
    const char *w = scalar(c, why, "why");
    if (!w)
        return -1;
    c->s->targets_why = g_strstrip(g_strdup(w));
    return 0;
}

static int parse_names_list(ctx *c, const vds_ynode *n, const vds_names *names, const char *what,
                            uint32_t *mask, GArray *values)
{
    if (n->kind != VDS_Y_SEQ)
        return fail(c, n, "%s is a list of names", what);
    for (guint i = 0; i < n->items->len; i++) {
        vds_ynode *e = n->items->pdata[i];
        uint32_t v;
        if (e->kind != VDS_Y_SCALAR || !vds_names_find(names, e->value, &v) ||
            !vds_names_get(names, v)) {
            const char *near = e->kind == VDS_Y_SCALAR ? vds_names_suggest(names, e->value) : NULL;
            return fail(c, e, "unknown %s '%s'%s%s%s", names->what,
                        e->kind == VDS_Y_SCALAR ? e->value : "", near ? " (did you mean '" : "",
                        near ? near : "", near ? "'?)" : "");
        }
        if (mask)
            *mask |= 1u << v;
        if (values)
            g_array_append_val(values, v);
    }
    return 0;
}

bool vds_scenario_id_ok(const char *id, char *why, size_t why_size)
{
    size_t len = strlen(id);
    if (len == 0 || len > VDS_ID_MAX) {
        snprintf(why, why_size, "an id is 1 to %d characters, not %zu", VDS_ID_MAX, len);
        return false;
    }
    g_auto(GStrv) segs = g_strsplit(id, "/", -1);
    for (size_t i = 0; segs[i]; i++) {
        const char *g = segs[i];
        if (!*g || !strcmp(g, ".") || !strcmp(g, "..") || !g_ascii_isalnum(g[0])) {
            snprintf(why, why_size,
                     "segment %zu ('%s') must start with a letter or digit (ids are "
                     "family/name: letters, digits, '-' and '.', segments split by '/')",
                     i + 1, g);
            return false;
        }
        for (const char *p = g; *p; p++)
            if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.') {
                snprintf(why, why_size,
                         "'%c' at character %zu is not allowed (ids use letters, digits, '-', "
                         "'.' and '/')",
                         g_ascii_isprint(*p) ? *p : '?', (size_t)(p - g) + 1);
                return false;
            }
    }
    return true;
}

static int parse_header(ctx *c, const vds_ynode *root)
{
    vds_scenario *s = c->s;
    if (root->kind != VDS_Y_MAP)
        return fail(c, root, "a scenario is a mapping with id, requirement and steps");
    if (known_keys(c, root, top_keys, "scenario key") < 0)
        return -1;
    vds_ynode *id = vds_ynode_get(root, "id");
    if (!id)
        return fail(c, root, "missing 'id' (e.g. id: monitors/one-head)");
    const char *ids = scalar(c, id, "id");
    if (!ids)
        return -1;
    char why[256];
    if (!vds_scenario_id_ok(ids, why, sizeof(why)))
        return fail(c, id, "bad id '%.60s%s': %s", ids, strlen(ids) > 60 ? "..." : "", why);
    s->id = g_strdup(ids);
    vds_ynode *req = vds_ynode_get(root, "requirement");
    if (req) {
        const char *r = scalar(c, req, "requirement");
        if (!r)
            return -1;
        s->requirement = g_strdup(r);
    }
    if (parse_targets(c, vds_ynode_get(root, "targets")) < 0)
        return -1;
    vds_ynode *needs = vds_ynode_get(root, "needs");
    if (needs && parse_names_list(c, needs, &vds_cap_names, "needs", &s->needs_given, NULL) < 0)
        return -1;
    vds_ynode *caps = vds_ynode_get(root, "client-caps");
    if (caps) {
        s->client_caps = 0;
        if (parse_names_list(c, caps, &vds_agent_cap_names, "client-caps", &s->client_caps, NULL) <
            0)
            return -1;
    }
    vds_ynode *field = vds_ynode_get(root, "field-agent-caps");
    if (field) {
        s->has_field_agent_caps = true;
        if (parse_names_list(c, field, &vds_agent_cap_names, "field-agent-caps",
                             &s->field_agent_caps, NULL) < 0)
            return -1;
    }
    vds_ynode *ignore = vds_ynode_get(root, "ignore");
    return ignore ? parse_names_list(c, ignore, &vds_agent_type_names, "ignore", NULL, s->ignore)
                  : 0;
}

static int parse_differential(ctx *c, const vds_ynode *diff)
{
    static const char *const diff_keys[] = {"ignore", "why", NULL};
    if (!diff)
        return 0;
    if (diff->kind != VDS_Y_MAP)
        return fail(c, diff, "differential is a map: {ignore: [mouse-state], why: TEXT}");
    if (known_keys(c, diff, diff_keys, "differential key") < 0)
        return -1;
    vds_ynode *di = vds_ynode_get(diff, "ignore"), *why = vds_ynode_get(diff, "why");
    if (!di || !why)
        return fail(c, diff,
                    "differential needs both ignore (what a server may change) and why (what "
                    "makes that legitimate)");
    if (parse_names_list(c, di, &vds_agent_type_names, "differential ignore", NULL,
                         c->s->diff_ignore) < 0)
        return -1;
    const char *w = scalar(c, why, "why");
    if (!w)
        return -1;
    c->s->diff_why = g_strstrip(g_strdup(w));
    return 0;
}

static void known_bug_free(vds_known_bug *b)
{
    g_free(b->agent);
    g_free(b->ref);
    g_free(b->why);
    g_free(b);
}

static int parse_known_bug(ctx *c, const vds_ynode *n)
{
    static const char *const keys[] = {"agent", "ref", "why", NULL};
    if (n->kind != VDS_Y_MAP)
        return fail(c, n,
                    "a known-bug mark is {agent: \"< 0.23.0\", ref: URL-OR-COMMIT, why: TEXT}");
    if (known_keys(c, n, keys, "known-bug key") < 0)
        return -1;
    const char *v[3];
    for (size_t i = 0; i < 3; i++) {
        vds_ynode *e = vds_ynode_get(n, keys[i]);
        if (!e)
            return fail(c, n,
                        "known-bug needs agent (the versions it holds in), ref (where upstream "
                        "has it) and why; '%s' is missing",
                        keys[i]);
        if (!(v[i] = scalar(c, e, keys[i])))
            return -1;
    }
    vds_err rerr = {0};
    if (vds_version_range_check(v[0], &rerr) < 0)
        return fail(c, vds_ynode_get(n, "agent"), "%s", rerr.msg);
    vds_known_bug *b = g_new0(vds_known_bug, 1);
    b->agent = g_strstrip(g_strdup(v[0]));
    b->ref = g_strstrip(g_strdup(v[1]));
    b->why = g_strstrip(g_strdup(v[2]));
    g_ptr_array_add(c->s->known_bugs, b);
    return 0;
}

/* known-bug: one mark, or a list of them (a bug fixed in one version and
   another that came back later) */
static int parse_known_bugs(ctx *c, const vds_ynode *n)
{
    if (!n)
        return 0;
    if (n->kind != VDS_Y_SEQ)
        return parse_known_bug(c, n);
    for (guint i = 0; i < n->items->len; i++)
        if (parse_known_bug(c, n->items->pdata[i]) < 0)
            return -1;
    return 0;
}

const vds_known_bug *vds_scenario_known_bug(const vds_scenario *s, const char *version)
{
    if (!s->known_bugs->len)
        return NULL;
    if (!version || strcmp(version, "unknown") == 0)
        return s->known_bugs->pdata[0];
    for (guint i = 0; i < s->known_bugs->len; i++) {
        const vds_known_bug *b = s->known_bugs->pdata[i];
        if (vds_version_in(version, b->agent, NULL) == 1)
            return b;
    }
    return NULL;
}

static int parse_run_keys(ctx *c, const vds_ynode *root)
{
    vds_ynode *rep = vds_ynode_get(root, "repeat");
    if (rep) {
        const char *r = scalar(c, rep, "repeat");
        char *end;
        unsigned long v = r ? strtoul(r, &end, 10) : 0;
        if (!r)
            return -1;
        if (*end || v < 1 || v > MAX_REPEAT)
            return fail(c, rep, "repeat is a count from 1 to %d, not '%s'", MAX_REPEAT, r);
        c->s->repeat = (unsigned)v;
    }
    vds_ynode *after = vds_ynode_get(root, "agent-after");
    if (after) {
        const char *a = scalar(c, after, "agent-after");
        if (!a)
            return -1;
        if (strcmp(a, "ok") && strcmp(a, "broken"))
            return fail(c, after, "agent-after is ok or broken, not '%s'", a);
        c->s->breaks_agent = strcmp(a, "broken") == 0;
    }
    return 0;
}

static int parse_steps(ctx *c, const vds_ynode *root)
{
    vds_scenario *s = c->s;
    vds_ynode *steps = vds_ynode_get(root, "steps");
    if (!steps || steps->kind != VDS_Y_SEQ || steps->items->len == 0)
        return fail(c, steps ? steps : root,
                    "missing 'steps': a list of send/expect/guest/... steps");
    for (guint i = 0; i < steps->items->len; i++) {
        vds_step *st = parse_step(c, steps->items->pdata[i], i + 1);
        if (!st)
            return -1;
        g_ptr_array_add(s->steps, st);
    }
    s->needs = s->needs_given;
    for (guint i = 0; i < s->steps->len; i++)
        s->needs |= vds_step_needs(s->steps->pdata[i]);
    return 0;
}

vds_scenario *vds_scenario_parse(const char *file, const char *text, size_t len, vds_err *err)
{
    vds_ydoc *doc = vds_ydoc_parse(file, text, len, err);
    if (!doc)
        return NULL;
    ctx c = {doc, g_new0(vds_scenario, 1), vds_match_vars_new(), err};
    vds_scenario *s = c.s;
    vds_ynode *root = doc->root;
    s->file = g_strdup(file);
    s->targets = g_ptr_array_new_with_free_func(g_free);
    s->ignore = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    s->diff_ignore = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    s->known_bugs = g_ptr_array_new_with_free_func((GDestroyNotify)known_bug_free);
    s->steps = g_ptr_array_new_with_free_func((GDestroyNotify)vds_step_free);
    s->client_caps = VDS_CAPS_SPICE_GTK;
    s->repeat = 1;
    int rc = parse_header(&c, root);
    if (rc == 0)
        rc = parse_differential(&c, vds_ynode_get(root, "differential"));
    if (rc == 0)
        rc = parse_run_keys(&c, root);
    if (rc == 0)
        rc = parse_known_bugs(&c, vds_ynode_get(root, "known-bug"));
    if (rc == 0)
        rc = parse_steps(&c, root);
    g_hash_table_unref(c.vars);
    vds_ydoc_free(doc);
    if (rc == 0)
        return s;
    vds_scenario_free(s);
    return NULL;
}

vds_scenario *vds_scenario_load(const char *path, vds_err *err)
{
    g_autoptr(GBytes) text = vds_file_read(path, VDS_SCENARIO_MAX, "scenario", err);
    if (!text)
        return NULL;
    gsize len;
    const char *d = g_bytes_get_data(text, &len);
    return vds_scenario_parse(path, d ? d : "", len, err);
}

static int cmp_paths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_dir(const char *dir, GPtrArray *out)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    GPtrArray *local = g_ptr_array_new_with_free_func(g_free);
    while (d && (name = g_dir_read_name(d)))
        g_ptr_array_add(local, g_build_filename(dir, name, NULL));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(local, cmp_paths);
    for (guint i = 0; i < local->len; i++) {
        const char *p = local->pdata[i];
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            collect_dir(p, out);
        else if (g_str_has_suffix(p, ".yaml") || g_str_has_suffix(p, ".yml"))
            g_ptr_array_add(out, g_strdup(p));
    }
    g_ptr_array_unref(local);
}

GPtrArray *vds_scenario_collect(char **args, vds_err *err)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; args[i]; i++) {
        if (g_file_test(args[i], G_FILE_TEST_IS_DIR)) {
            collect_dir(args[i], out);
        } else if (g_file_test(args[i], G_FILE_TEST_EXISTS)) {
            g_ptr_array_add(out, g_strdup(args[i]));
        } else {
            vds_err_set(err, VDS_ERR_IO, args[i], "no such scenario file or directory");
            g_ptr_array_unref(out);
            return NULL;
        }
    }
    return out;
}

int vds_scenarios_unique(GPtrArray *scenarios, vds_err *err)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < scenarios->len; i++) {
        const vds_scenario *s = scenarios->pdata[i];
        const vds_scenario *first = g_hash_table_lookup(seen, s->id);
        if (first)
            return vds_err_set(err, VDS_ERR_USAGE, s->file,
                               "id '%s' is also the id of %s: ids name traces and goldens, so "
                               "each is used once",
                               s->id, first->file);
        g_hash_table_insert(seen, s->id, (gpointer)s);
    }
    return 0;
}
