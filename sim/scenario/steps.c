/* The table of step kinds, what each needs, and freeing their payloads. */
#include "scenario/step.h"

#include <string.h>

#include "proto/agent.h"
#include "target/target.h"

static unsigned needs_send(const vds_step *st)
{
    const vds_step_msg *m = &st->u.msg;
    unsigned n = 0;
    /* a SPICE client reaches the agent's client and server ports only */
    if (m->port != VDP_CLIENT_PORT && m->port != VDP_SERVER_PORT)
        n |= VDS_CAP_RAW_PORT;
    JsonNode *mons = json_object_get_member(m->fields, "monitors");
    if (m->type == VD_AGENT_MONITORS_CONFIG && mons && JSON_NODE_HOLDS_ARRAY(mons) &&
        json_array_get_length(json_node_get_array(mons)) > 1)
        n |= VDS_CAP_MULTI_HEAD;
    return n;
}

static unsigned needs_guest(const vds_step *st)
{
    switch (st->u.guest.what) {
    case VDS_GUEST_INPUT:
        return VDS_CAP_INPUT;
    case VDS_GUEST_SCREEN:
        return VDS_CAP_SCREEN | (st->u.guest.rects->len > 1 ? VDS_CAP_MULTI_HEAD : 0);
    case VDS_GUEST_CLIPBOARD:
    case VDS_GUEST_PASTED:
        return VDS_CAP_CLIPBOARD;
    }
    return 0;
}

static unsigned needs_any_order(const vds_step *st)
{
    return 0;
}

static unsigned needs_clipboard(const vds_step *st)
{
    return VDS_CAP_CLIPBOARD;
}

static unsigned needs_raw(const vds_step *st)
{
    return VDS_CAP_RAW_PORT;
}

static unsigned needs_client(const vds_step *st)
{
    return VDS_CAP_SPICE_CLIENT;
}

static unsigned needs_agent_control(const vds_step *st)
{
    return VDS_CAP_AGENT_CONTROL;
}

static void clear_msg(vds_step *st)
{
    vds_step_msg *m = &st->u.msg;
    if (m->fields)
        json_object_unref(m->fields);
    if (m->capture)
        g_hash_table_unref(m->capture);
    if (m->payload)
        g_bytes_unref(m->payload);
    g_free(m->payload_file);
}

static void clear_any_order(vds_step *st)
{
    if (st->u.any)
        g_ptr_array_unref(st->u.any);
}

static void clear_guest(vds_step *st)
{
    vds_step_guest *g = &st->u.guest;
    if (g->events)
        g_array_unref(g->events);
    if (g->rects)
        g_array_unref(g->rects);
    if (g->text)
        g_bytes_unref(g->text);
    g_free(g->text_file);
}

static void clear_copy(vds_step *st)
{
    if (st->u.copy.text)
        g_bytes_unref(st->u.copy.text);
    g_free(st->u.copy.file);
    g_free(st->u.copy.path);
}

static void clear_raw(vds_step *st)
{
    if (st->u.raw.bytes)
        g_bytes_unref(st->u.raw.bytes);
}

static void clear_client(vds_step *st)
{
    if (st->u.client.body)
        g_bytes_unref(st->u.client.body);
    if (st->u.client.spec)
        json_node_unref(st->u.client.spec);
}

static void clear_nothing(vds_step *st) {}

/* kind, key, body is a mapping, parse, run, needs, write, clear */
const vds_step_desc vds_step_table[VDS_STEP_KIND_COUNT] = {
    [VDS_STEP_SEND] = {VDS_STEP_SEND, "send", true, vds_parse_send, vds_run_send, needs_send,
                       vds_write_send, clear_msg},
    [VDS_STEP_EXPECT] = {VDS_STEP_EXPECT, "expect", true, vds_parse_expect, vds_run_expect, NULL,
                         vds_write_expect, clear_msg},
    [VDS_STEP_NOT] = {VDS_STEP_NOT, "not", true, vds_parse_not, vds_run_not, NULL, vds_write_not,
                      clear_msg},
    [VDS_STEP_ANY_ORDER] = {VDS_STEP_ANY_ORDER, "any-order", false, vds_parse_any_order,
                            vds_run_any_order, needs_any_order, vds_write_any_order,
                            clear_any_order},
    [VDS_STEP_GUEST] = {VDS_STEP_GUEST, "guest", true, vds_parse_guest, vds_run_guest, needs_guest,
                        vds_write_guest, clear_guest},
    [VDS_STEP_GUEST_COPY] = {VDS_STEP_GUEST_COPY, "guest-copy", true, vds_parse_guest_copy,
                             vds_run_guest_copy, needs_clipboard, vds_write_guest_copy, clear_copy},
    [VDS_STEP_RAW] = {VDS_STEP_RAW, "raw", true, vds_parse_raw, vds_run_raw, needs_raw,
                      vds_write_raw, clear_raw},
    [VDS_STEP_GUEST_PASTE] = {VDS_STEP_GUEST_PASTE, "guest-paste", true, vds_parse_selection_step,
                              vds_run_guest_paste, needs_clipboard, vds_write_selection_step,
                              clear_nothing},
    [VDS_STEP_GUEST_RELEASE] = {VDS_STEP_GUEST_RELEASE, "guest-release", true,
                                vds_parse_selection_step, vds_run_guest_release, needs_clipboard,
                                vds_write_selection_step, clear_nothing},
    [VDS_STEP_CLIENT] = {VDS_STEP_CLIENT, "client", false, vds_parse_client, vds_run_client,
                         needs_client, vds_write_client, clear_client},
    [VDS_STEP_GUEST_AGENT] = {VDS_STEP_GUEST_AGENT, "guest-agent", false, vds_parse_guest_agent,
                              vds_run_guest_agent, needs_agent_control, vds_write_guest_agent,
                              clear_nothing},
};

const vds_names *vds_step_key_names(void)
{
    /* made from the table, the one place the keys are written */
    static const char *keys[VDS_STEP_KIND_COUNT];
    static const vds_names names = VDS_NAMES("step", keys);
    for (size_t i = 0; !keys[0] && i < VDS_STEP_KIND_COUNT; i++)
        keys[VDS_STEP_KIND_COUNT - 1 - i] = vds_step_table[VDS_STEP_KIND_COUNT - 1 - i].key;
    return &names;
}

const vds_step_desc *vds_step_desc_for(const char *key)
{
    for (size_t i = 0; i < VDS_STEP_KIND_COUNT; i++)
        if (vds_step_table[i].key && strcmp(vds_step_table[i].key, key) == 0)
            return &vds_step_table[i];
    return NULL;
}

char *vds_step_keys_text(void)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < VDS_STEP_KIND_COUNT; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", vds_step_table[i].key);
    return g_string_free(s, FALSE);
}

const char *vds_step_kind_name(vds_step_kind kind)
{
    return kind < VDS_STEP_KIND_COUNT ? vds_step_table[kind].key : "?";
}

unsigned vds_step_needs(const vds_step *st)
{
    const vds_step_desc *d = &vds_step_table[st->kind];
    return d->needs ? d->needs(st) : 0;
}

void vds_step_free(vds_step *st)
{
    if (!st)
        return;
    vds_step_table[st->kind].clear(st);
    g_free(st);
}

char *vds_scenario_not_for(const vds_scenario *s, const vds_target *t)
{
    if (s->targets->len) {
        bool listed = false;
        for (guint i = 0; i < s->targets->len; i++)
            listed |= strcmp(s->targets->pdata[i], t->kind->name) == 0;
        if (!listed)
            return g_strdup_printf("%s: not for %s: %s", s->file, t->kind->name, s->targets_why);
        return NULL;
    }
    g_autofree char *lacks = vds_target_lacks(t, s->needs);
    return lacks ? g_strdup_printf("%s: %s", s->file, lacks) : NULL;
}
