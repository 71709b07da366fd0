#include "scenario/match.h"

#include <string.h>

static bool is_string_array(JsonArray *a)
{
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
            return false;
    }
    return true;
}

static bool match_name_set(JsonArray *w, JsonArray *g, guint n)
{
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

bool vds_match_json(JsonNode *want, JsonNode *got)
{
    if (!got)
        return false;
    if (JSON_NODE_HOLDS_OBJECT(want) && JSON_NODE_HOLDS_OBJECT(got)) {
        JsonObject *w = json_node_get_object(want), *g = json_node_get_object(got);
        g_autoptr(GList) members = json_object_get_members(w);
        for (GList *l = members; l; l = l->next)
            if (!vds_match_json(json_object_get_member(w, l->data),
                                json_object_get_member(g, l->data)))
                return false;
        return true;
    }
    if (JSON_NODE_HOLDS_ARRAY(want) && JSON_NODE_HOLDS_ARRAY(got)) {
        JsonArray *w = json_node_get_array(want), *g = json_node_get_array(got);
        guint n = json_array_get_length(w);
        if (n != json_array_get_length(g))
            return false;
        if (is_string_array(w) && is_string_array(g))
            return match_name_set(w, g, n);
        for (guint i = 0; i < n; i++)
            if (!vds_match_json(json_array_get_element(w, i), json_array_get_element(g, i)))
                return false;
        return true;
    }
    return json_node_equal(want, got);
}

const char *vds_match_var_next(const char *s, char **name)
{
    for (const char *p = strstr(s, "${"); p; p = strstr(p + 2, "${")) {
        const char *q = p + 2;
        while (g_ascii_isalnum(*q) || *q == '-' || *q == '_')
            q++;
        if (*q == '}' && q > p + 2) {
            *name = g_strndup(p + 2, (gsize)(q - p - 2));
            return p;
        }
    }
    return NULL;
}

/* A value as text inside a string: strings as they are, others as JSON. */
static char *value_text(JsonNode *v)
{
    if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING)
        return g_strdup(json_node_get_string(v));
    return json_to_string(v, FALSE);
}

static JsonNode *subst_string(const char *s, GHashTable *vars)
{
    char *name = NULL;
    const char *at = vars ? vds_match_var_next(s, &name) : NULL;
    JsonNode *whole = NULL;
    /* exactly one variable and nothing else: its value, with its type */
    if (at == s && s[strlen(name) + 3] == '\0')
        whole = g_hash_table_lookup(vars, name);
    if (whole) {
        g_free(name);
        return json_node_copy(whole);
    }
    GString *out = g_string_new(NULL);
    const char *from = s;
    while (at) {
        JsonNode *v = g_hash_table_lookup(vars, name);
        g_string_append_len(out, from, at - from);
        if (v) {
            g_autofree char *t = value_text(v);
            g_string_append(out, t);
        } else { /* not captured (yet): stays as written */
            g_string_append_printf(out, "${%s}", name);
        }
        from = at + strlen(name) + 3;
        g_clear_pointer(&name, g_free);
        at = vds_match_var_next(from, &name);
    }
    g_string_append(out, from);
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, out->str);
    g_string_free(out, TRUE);
    return n;
}

JsonNode *vds_match_subst(JsonNode *n, GHashTable *vars)
{
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
        return subst_string(json_node_get_string(n), vars);
    if (JSON_NODE_HOLDS_OBJECT(n))
        return vds_match_subst_object(json_node_get_object(n), vars);
    if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_array_new(), *src = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(src); i++)
            json_array_add_element(a, vds_match_subst(json_array_get_element(src, i), vars));
        JsonNode *out = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(out, a);
        return out;
    }
    return json_node_copy(n);
}

JsonNode *vds_match_subst_object(JsonObject *fields, GHashTable *vars)
{
    JsonObject *o = json_object_new();
    g_autoptr(GList) members = json_object_get_members(fields);
    for (GList *l = members; l; l = l->next)
        json_object_set_member(o, l->data,
                               vds_match_subst(json_object_get_member(fields, l->data), vars));
    JsonNode *out = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(out, o);
    return out;
}

void vds_match_capture(GHashTable *capture, JsonNode *got, GHashTable *vars)
{
    if (!capture || !got || !JSON_NODE_HOLDS_OBJECT(got))
        return;
    GHashTableIter it;
    gpointer var, field;
    g_hash_table_iter_init(&it, capture);
    while (g_hash_table_iter_next(&it, &var, &field)) {
        JsonNode *v = json_object_get_member(json_node_get_object(got), field);
        if (v)
            g_hash_table_insert(vars, g_strdup(var), json_node_copy(v));
    }
}

GHashTable *vds_match_vars_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_node_unref);
}
