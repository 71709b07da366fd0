#include "scenario/yaml-tree.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_BYTES (16u << 20)
#define YAML_MAX_DEPTH 64

static void node_free(vds_ynode *n)
{
    if (!n)
        return;
    g_free(n->value);
    if (n->items)
        g_ptr_array_unref(n->items);
    g_free(n);
}

static vds_ynode *node_new(vds_ynode_kind kind, const yaml_mark_t *mark)
{
    vds_ynode *n = g_new0(vds_ynode, 1);
    n->kind = kind;
    n->line = (unsigned)mark->line + 1;
    n->col = (unsigned)mark->column + 1;
    if (kind != VDS_Y_SCALAR)
        n->items = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    return n;
}

static int located(vds_err *err, const char *file, unsigned line, unsigned col, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

static int located(vds_err *err, const char *file, unsigned line, unsigned col, const char *fmt,
                   ...)
{
    char loc[VDS_ERR_LOC_MAX];
    va_list ap;
    snprintf(loc, sizeof(loc), "%s:%u:%u", file, line, col);
    va_start(ap, fmt);
    vds_err_setv(err, VDS_ERR_PARSE, loc, fmt, ap);
    va_end(ap);
    return -1;
}

typedef struct parse_state {
    yaml_parser_t parser;
    const char *file;
    const char *text; /* the input, for locating reader errors */
    size_t len;
    vds_err *err;
} parse_state;

static int next_event(parse_state *ps, yaml_event_t *ev)
{
    if (yaml_parser_parse(&ps->parser, ev))
        return 0;
    const yaml_parser_t *p = &ps->parser;
    unsigned line = (unsigned)p->problem_mark.line + 1, col = (unsigned)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) {
        /* a reader error (bytes that are not UTF-8) has an offset, no mark */
        line = 1;
        col = 1;
        for (size_t i = 0; i < p->problem_offset && i < ps->len; i++, col++)
            if (ps->text[i] == '\n') {
                line++;
                col = 0;
            }
        return located(ps->err, ps->file, line, col, "%s (byte 0x%02x at offset %zu)",
                       p->problem ? p->problem : "not UTF-8",
                       p->problem_value >= 0 ? (unsigned)p->problem_value : 0u,
                       (size_t)p->problem_offset);
    }
    return located(ps->err, ps->file, line, col, "%s%s%s", p->problem ? p->problem : "YAML error",
                   p->context ? " " : "", p->context ? p->context : "");
}

/* Parse the node that starts with ev (consumed). */
static vds_ynode *parse_node(parse_state *ps, yaml_event_t *ev, unsigned depth)
{
    vds_ynode *n = NULL;
    if (depth > YAML_MAX_DEPTH) {
        located(ps->err, ps->file, (unsigned)ev->start_mark.line + 1,
                (unsigned)ev->start_mark.column + 1, "nesting deeper than %d levels",
                YAML_MAX_DEPTH);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = node_new(VDS_Y_SCALAR, &ev->start_mark);
        n->value = g_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        return n;
    case YAML_ALIAS_EVENT:
        located(ps->err, ps->file, (unsigned)ev->start_mark.line + 1,
                (unsigned)ev->start_mark.column + 1, "YAML aliases are not supported");
        return NULL;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        yaml_event_type_t end = map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        n = node_new(map ? VDS_Y_MAP : VDS_Y_SEQ, &ev->start_mark);
        for (;;) {
            yaml_event_t child;
            if (next_event(ps, &child) < 0)
                goto fail;
            if (child.type == end) {
                yaml_event_delete(&child);
                return n;
            }
            if (map && n->items->len % 2 == 0 && child.type != YAML_SCALAR_EVENT) {
                located(ps->err, ps->file, (unsigned)child.start_mark.line + 1,
                        (unsigned)child.start_mark.column + 1, "map keys must be plain words");
                yaml_event_delete(&child);
                goto fail;
            }
            vds_ynode *c = parse_node(ps, &child, depth + 1);
            yaml_event_delete(&child);
            if (!c)
                goto fail;
            if (map && n->items->len % 2 == 0 && vds_ynode_get(n, c->value)) {
                located(ps->err, ps->file, c->line, c->col, "duplicate key '%s'", c->value);
                node_free(c);
                goto fail;
            }
            g_ptr_array_add(n->items, c);
        }
    }
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        break;
    }
    located(ps->err, ps->file, (unsigned)ev->start_mark.line + 1,
            (unsigned)ev->start_mark.column + 1, "unexpected YAML event");
    return NULL;
fail:
    node_free(n);
    return NULL;
}

vds_ydoc *vds_ydoc_parse(const char *file, const char *text, size_t len, vds_err *err)
{
    parse_state ps = {.file = file, .text = text, .len = len, .err = err};
    vds_ydoc *doc = NULL;
    yaml_event_t ev;

    if (len > YAML_MAX_BYTES) {
        located(err, file, 1, 1, "file of %zu bytes exceeds the %u-byte limit", len,
                YAML_MAX_BYTES);
        return NULL;
    }
    yaml_parser_initialize(&ps.parser);
    yaml_parser_set_input_string(&ps.parser, (const unsigned char *)text, len);
    /* stream start, document start */
    for (int i = 0; i < 2; i++) {
        if (next_event(&ps, &ev) < 0)
            goto out;
        bool empty = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (empty) {
            located(err, file, 1, 1, "empty file: expected a scenario mapping");
            goto out;
        }
    }
    if (next_event(&ps, &ev) < 0)
        goto out;
    vds_ynode *root = parse_node(&ps, &ev, 0);
    yaml_event_delete(&ev);
    if (!root)
        goto out;
    if (next_event(&ps, &ev) < 0) { /* document end */
        node_free(root);
        goto out;
    }
    yaml_event_delete(&ev);
    if (next_event(&ps, &ev) < 0) {
        node_free(root);
        goto out;
    }
    if (ev.type != YAML_STREAM_END_EVENT) {
        located(err, file, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
                "one scenario per file: a second YAML document starts here");
        yaml_event_delete(&ev);
        node_free(root);
        goto out;
    }
    yaml_event_delete(&ev);
    doc = g_new0(vds_ydoc, 1);
    doc->file = g_strdup(file);
    doc->root = root;
out:
    yaml_parser_delete(&ps.parser);
    return doc;
}

void vds_ydoc_free(vds_ydoc *doc)
{
    if (!doc)
        return;
    node_free(doc->root);
    g_free(doc->file);
    g_free(doc);
}

vds_ynode *vds_ynode_get(const vds_ynode *map, const char *key)
{
    if (!map || map->kind != VDS_Y_MAP)
        return NULL;
    for (guint i = 0; i + 1 < map->items->len; i += 2) {
        vds_ynode *k = map->items->pdata[i];
        if (strcmp(k->value, key) == 0)
            return map->items->pdata[i + 1];
    }
    return NULL;
}

int vds_ynode_error(const vds_ydoc *doc, const vds_ynode *node, vds_err *err, const char *fmt, ...)
{
    char loc[VDS_ERR_LOC_MAX];
    va_list ap;
    snprintf(loc, sizeof(loc), "%s:%u:%u", doc->file, node ? node->line : 1, node ? node->col : 1);
    va_start(ap, fmt);
    vds_err_setv(err, VDS_ERR_PARSE, loc, fmt, ap);
    va_end(ap);
    return -1;
}

static bool as_int(const char *s, gint64 *out)
{
    char *end;
    if (!*s || g_ascii_isspace(*s))
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

JsonNode *vds_ynode_to_json(const vds_ynode *n)
{
    JsonNode *out;
    gint64 iv;
    switch (n->kind) {
    case VDS_Y_SCALAR:
        if (!n->quoted && as_int(n->value, &iv)) {
            out = json_node_new(JSON_NODE_VALUE);
            json_node_set_int(out, iv);
        } else if (!n->quoted &&
                   (strcmp(n->value, "true") == 0 || strcmp(n->value, "false") == 0)) {
            out = json_node_new(JSON_NODE_VALUE);
            json_node_set_boolean(out, n->value[0] == 't');
        } else if (!n->quoted && (strcmp(n->value, "null") == 0 || strcmp(n->value, "~") == 0)) {
            out = json_node_new(JSON_NODE_NULL);
        } else {
            out = json_node_new(JSON_NODE_VALUE);
            json_node_set_string(out, n->value);
        }
        return out;
    case VDS_Y_SEQ: {
        JsonArray *a = json_array_new();
        for (guint i = 0; i < n->items->len; i++)
            json_array_add_element(a, vds_ynode_to_json(n->items->pdata[i]));
        out = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(out, a);
        return out;
    }
    case VDS_Y_MAP: {
        JsonObject *o = json_object_new();
        for (guint i = 0; i + 1 < n->items->len; i += 2) {
            vds_ynode *k = n->items->pdata[i];
            json_object_set_member(o, k->value, vds_ynode_to_json(n->items->pdata[i + 1]));
        }
        out = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(out, o);
        return out;
    }
    }
    return json_node_new(JSON_NODE_NULL);
}
