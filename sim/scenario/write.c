/* Scenarios written back in canonical form: `vdsim fmt`. Every step is one
 * line of YAML flow style; strings are plain where they read back as the
 * same string, double-quoted otherwise. Parsing the output gives the same
 * scenario, and writing that again gives the same text. */
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "proto/agent.h"
#include "scenario/step.h"
#include "target/target.h"

/* YAML allows in a stream only printable characters: the C0 and C1
   controls, DEL, a byte order mark and U+FFFE/U+FFFF must be escaped. The
   bytes at p that make one such character (0 when p starts none). */
static size_t escape_len(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if ((u[0] < 0x20 && u[0] != '\n' && u[0] != '\t') || u[0] == 0x7f)
        return 1;
    if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
        return 2;
    if (u[0] == 0xef && ((u[1] == 0xbb && u[2] == 0xbf) || (u[1] == 0xbf && u[2] >= 0xbe)))
        return 3;
    return 0;
}

char *vds_yaml_printable(const char *s)
{
    GString *out = g_string_new(NULL);
    for (const char *p = s; *p; p++) {
        size_t n = escape_len(p);
        if (n || *p == '\n' || *p == '\t') {
            g_string_append_printf(out, n == 3 ? "\\u%04x" : "\\x%02x",
                                   n ? g_utf8_get_char_validated(p, (gssize)n) : (gunichar)*p);
            p += n ? n - 1 : 0;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

/* Would s read back as this same string when written plain? */
static bool plain_ok(const char *s)
{
    if (!*s || strchr("-?:,[]{}#&*!|>'\"%@` ~", s[0]) || g_ascii_isspace(s[strlen(s) - 1]))
        return false;
    if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null") || !strcmp(s, "~"))
        return false;
    char *end;
    g_ascii_strtoll(s, &end, 0);
    if (!*end || g_ascii_isdigit(s[0]) || s[0] == '+' || s[0] == '.')
        return false; /* numbers, and anything YAML might take for one */
    for (const char *p = s; *p; p++)
        if (strchr(",[]{}#\"'\\\n\t", *p) || (p[0] == ':' && (p[1] == ' ' || !p[1])) ||
            escape_len(p))
            return false;
    return true;
}

void vds_yaml_put_string(GString *out, const char *s)
{
    if (plain_ok(s)) {
        g_string_append(out, s);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p == '\n')
            g_string_append(out, "\\n");
        else if (*p == '\t')
            g_string_append(out, "\\t");
        else if (escape_len(p)) { /* by its code point */
            size_t n = escape_len(p);
            g_string_append_printf(out, n == 3 ? "\\u%04x" : "\\x%02x",
                                   g_utf8_get_char_validated(p, (gssize)n));
            p += n - 1;
        } else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

static void put_members(GString *out, JsonObject *o, bool first)
{
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next, first = false) {
        g_string_append(out, first ? "" : ", ");
        vds_yaml_put_string(out, l->data);
        g_string_append(out, ": ");
        vds_yaml_put_json(out, json_object_get_member(o, l->data));
    }
}

void vds_yaml_put_json(GString *out, JsonNode *n)
{
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        g_string_append_c(out, '{');
        put_members(out, json_node_get_object(n), true);
        g_string_append_c(out, '}');
    } else if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);
        g_string_append_c(out, '[');
        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_string_append(out, i ? ", " : "");
            vds_yaml_put_json(out, json_array_get_element(a, i));
        }
        g_string_append_c(out, ']');
    } else if (JSON_NODE_HOLDS_NULL(n)) {
        g_string_append(out, "null");
    } else if (json_node_get_value_type(n) == G_TYPE_STRING) {
        vds_yaml_put_string(out, json_node_get_string(n));
    } else if (json_node_get_value_type(n) == G_TYPE_BOOLEAN) {
        g_string_append(out, json_node_get_boolean(n) ? "true" : "false");
    } else if (json_node_get_value_type(n) == G_TYPE_INT64) {
        g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(n));
    } else {
        g_autofree char *t = json_to_string(n, FALSE);
        g_string_append(out, t);
    }
}

/* 2s, 500ms, 250us: the largest unit that keeps it whole. */
void vds_yaml_put_duration(GString *out, uint64_t ns)
{
    if (ns && ns % 1000000000ull == 0)
        g_string_append_printf(out, "%llus", (unsigned long long)(ns / 1000000000ull));
    else if (ns % 1000000ull == 0)
        g_string_append_printf(out, "%llums", (unsigned long long)(ns / 1000000ull));
    else
        g_string_append_printf(out, "%lluus", (unsigned long long)(ns / 1000ull));
}

static void put_within(GString *out, const vds_step *st)
{
    if (!st->within_given)
        return;
    g_string_append(out, ", within: ");
    vds_yaml_put_duration(out, st->within_ns);
}

static void put_msg(GString *out, const vds_step_msg *m)
{
    g_string_append(out, "msg: ");
    vds_yaml_put_string(out, vds_names_get(&vds_agent_type_names, m->type));
    put_members(out, m->fields, false);
}

static void put_bytes_text(GString *out, GBytes *b)
{
    gsize n;
    const char *d = g_bytes_get_data(b, &n); /* NULL when empty */
    g_autofree char *t = g_strndup(d ? d : "", n);
    vds_yaml_put_string(out, t);
}

static void put_selection(GString *out, uint8_t sel, bool first)
{
    if (sel)
        g_string_append_printf(out, "%sselection: %s", first ? "" : ", ",
                               vds_names_get(&vds_clip_sel_names, sel));
}

void vds_write_send(GString *out, const vds_step *st)
{
    const vds_step_msg *m = &st->u.msg;
    g_string_append_c(out, '{');
    put_msg(out, m);
    if (m->port_given)
        g_string_append_printf(out, ", port: %u", m->port);
    if (m->payload_file) {
        g_string_append(out, ", payload-file: ");
        vds_yaml_put_string(out, m->payload_file);
    }
    g_string_append_c(out, '}');
}

static void write_expect_body(GString *out, const vds_step *st)
{
    const vds_step_msg *m = &st->u.msg;
    g_string_append_c(out, '{');
    put_msg(out, m);
    put_within(out, st);
    if (m->optional)
        g_string_append(out, ", optional: true");
    if (m->capture) {
        g_string_append(out, ", capture: {");
        g_autoptr(GList) vars = g_hash_table_get_keys(m->capture);
        vars = g_list_sort(vars, (GCompareFunc)strcmp);
        for (GList *l = vars; l; l = l->next) {
            g_string_append(out, l == vars ? "" : ", ");
            vds_yaml_put_string(out, l->data);
            g_string_append(out, ": ");
            vds_yaml_put_string(out, g_hash_table_lookup(m->capture, l->data));
        }
        g_string_append_c(out, '}');
    }
    g_string_append_c(out, '}');
}

void vds_write_expect(GString *out, const vds_step *st)
{
    write_expect_body(out, st);
}

void vds_write_not(GString *out, const vds_step *st)
{
    write_expect_body(out, st);
}

void vds_write_any_order(GString *out, const vds_step *st)
{
    g_string_append_c(out, '[');
    for (guint i = 0; i < st->u.any->len; i++) {
        g_string_append(out, i ? ", " : "");
        write_expect_body(out, st->u.any->pdata[i]);
    }
    g_string_append_c(out, ']');
}

static void put_guest_check(GString *out, const vds_step_guest *g)
{
    char buf[64];
    switch (g->what) {
    case VDS_GUEST_INPUT:
        g_string_append(out, "input: [");
        for (guint i = 0; i < g->events->len; i++)
            g_string_append_printf(
                out, "%s%s", i ? ", " : "",
                vds_input_event_fmt(&g_array_index(g->events, vds_input_event, i), buf,
                                    sizeof(buf)));
        g_string_append_c(out, ']');
        return;
    case VDS_GUEST_SCREEN:
        g_string_append(out, "screen: [");
        for (guint i = 0; i < g->rects->len; i++) {
            const vds_rect *r = &g_array_index(g->rects, vds_rect, i);
            g_string_append_printf(out, "%s%ux%u%+d%+d", i ? ", " : "", r->w, r->h, r->x, r->y);
        }
        g_string_append_c(out, ']');
        return;
    case VDS_GUEST_CLIPBOARD:
        g_string_append(out, "clipboard: ");
        put_bytes_text(out, g->text);
        return;
    case VDS_GUEST_PASTED:
        if (g->text_file) {
            g_string_append(out, "pasted-file: ");
            vds_yaml_put_string(out, g->text_file);
        } else if (!g->text) {
            g_string_append(out, "pasted: null");
        } else {
            g_string_append(out, "pasted: ");
            put_bytes_text(out, g->text);
        }
        return;
    }
}

void vds_write_guest(GString *out, const vds_step *st)
{
    g_string_append_c(out, '{');
    put_guest_check(out, &st->u.guest);
    put_selection(out, st->u.guest.selection, false);
    put_within(out, st);
    g_string_append_c(out, '}');
}

void vds_write_guest_copy(GString *out, const vds_step *st)
{
    const vds_step_copy *c = &st->u.copy;
    g_string_append_c(out, '{');
    if (c->file) {
        g_string_append(out, "payload-file: ");
        vds_yaml_put_string(out, c->file);
    } else {
        g_string_append(out, "text: ");
        put_bytes_text(out, c->text);
    }
    put_selection(out, c->selection, false);
    g_string_append_c(out, '}');
}

void vds_write_raw(GString *out, const vds_step *st)
{
    const vds_step_raw *r = &st->u.raw;
    gsize n;
    const uint8_t *d = g_bytes_get_data(r->bytes, &n);
    GString *hex = g_string_new(NULL);
    for (gsize i = 0; i < n; i++)
        g_string_append_printf(hex, "%s%02x", i && i % 4 == 0 ? " " : "", d[i]);
    g_string_append(out, "{");
    if (r->chunk)
        g_string_append(out, "chunk: true, ");
    if (r->port_given)
        g_string_append_printf(out, "port: %u, ", r->port);
    g_string_append_printf(out, "hex: \"%s\"}", hex->str);
    g_string_free(hex, TRUE);
}

void vds_write_selection_step(GString *out, const vds_step *st)
{
    g_string_append_c(out, '{');
    put_selection(out, st->u.selection, true);
    g_string_append_c(out, '}');
}

void vds_write_client(GString *out, const vds_step *st)
{
    vds_yaml_put_json(out, st->u.client.spec); /* as written: actions, options and raw bodies */
}

void vds_write_guest_agent(GString *out, const vds_step *st)
{
    g_string_append(out, st->u.agent_stop ? "stop" : "continue");
}

static void put_names(GString *out, const vds_names *names, GArray *values)
{
    g_string_append_c(out, '[');
    for (guint i = 0; i < values->len; i++)
        g_string_append_printf(out, "%s%s", i ? ", " : "",
                               vds_names_get(names, g_array_index(values, uint32_t, i)));
    g_string_append_c(out, ']');
}

static void put_key_text(GString *out, const char *key, const char *text)
{
    g_string_append_printf(out, "%s: ", key);
    vds_yaml_put_string(out, text);
    g_string_append_c(out, '\n');
}

static void put_mask(GString *out, const char *key, const vds_names *names, uint32_t mask)
{
    g_string_append_printf(out, "%s: [", key);
    bool first = true;
    for (uint32_t i = 0; i < 32; i++)
        if (mask & (1u << i)) {
            g_string_append_printf(out, "%s%s", first ? "" : ", ", vds_names_get(names, i));
            first = false;
        }
    g_string_append(out, "]\n");
}

char *vds_scenario_write(const vds_scenario *s)
{
    GString *out = g_string_new(NULL);
    put_key_text(out, "id", s->id);
    if (s->requirement)
        put_key_text(out, "requirement", s->requirement);
    if (s->targets->len) {
        g_string_append(out, "targets: {only: [");
        for (guint i = 0; i < s->targets->len; i++)
            g_string_append_printf(out, "%s%s", i ? ", " : "", (char *)s->targets->pdata[i]);
        g_string_append(out, "], why: ");
        vds_yaml_put_string(out, s->targets_why);
        g_string_append(out, "}\n");
    }
    if (s->needs_given)
        put_mask(out, "needs", &vds_cap_names, s->needs_given);
    if (s->client_caps != VDS_CAPS_SPICE_GTK)
        put_mask(out, "client-caps", &vds_agent_cap_names, s->client_caps);
    if (s->has_field_agent_caps)
        put_mask(out, "field-agent-caps", &vds_agent_cap_names, s->field_agent_caps);
    if (s->ignore->len) {
        g_string_append(out, "ignore: ");
        put_names(out, &vds_agent_type_names, s->ignore);
        g_string_append_c(out, '\n');
    }
    if (s->diff_why) {
        g_string_append(out, "differential: {ignore: ");
        put_names(out, &vds_agent_type_names, s->diff_ignore);
        g_string_append(out, ", why: ");
        vds_yaml_put_string(out, s->diff_why);
        g_string_append(out, "}\n");
    }
    if (s->repeat != 1)
        g_string_append_printf(out, "repeat: %u\n", s->repeat);
    if (s->breaks_agent)
        g_string_append(out, "agent-after: broken\n");
    for (guint i = 0; i < s->known_bugs->len; i++) {
        const vds_known_bug *b = s->known_bugs->pdata[i];
        g_string_append(out, s->known_bugs->len > 1 ? (i ? "  - " : "known-bug:\n  - ")
                                                    : "known-bug:\n    ");
        const char *keys[] = {"agent", "ref", "why"};
        const char *vals[] = {b->agent, b->ref, b->why};
        for (size_t k = 0; k < 3; k++) {
            g_string_append_printf(out, "%s%s: ", k ? "    " : "", keys[k]);
            vds_yaml_put_string(out, vals[k]);
            g_string_append_c(out, '\n');
        }
    }
    g_string_append(out, "steps:\n");
    for (guint i = 0; i < s->steps->len; i++) {
        const vds_step *st = s->steps->pdata[i];
        const vds_step_desc *d = &vds_step_table[st->kind];
        g_string_append_printf(out, "  - %s: ", d->key);
        d->write(out, st);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}
