/* Reading a run's summary.json back (summary-load.h). */
#include "report/summary-load.h"

#include "core/file.h"

const char *vds_json_str(JsonObject *o, const char *key, const char *dflt)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : dflt;
}

JsonNode *vds_summary_load(const char *dir, vds_err *err)
{
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    size_t len = 0;
    g_autofree char *text = vds_file_read_all(path, VDS_SUMMARY_MAX, "summary", &len, err);
    if (!text)
        return NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) gerr = NULL;
    if (!json_parser_load_from_data(p, text, (gssize)len, &gerr)) {
        vds_err_set(err, VDS_ERR_PARSE, path, "not JSON: %s", gerr->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(p);
    JsonObject *top = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *sc = top ? json_object_get_member(top, "scenarios") : NULL;
    if (!sc || !JSON_NODE_HOLDS_ARRAY(sc)) {
        vds_err_set(err, VDS_ERR_PARSE, path,
                    "not a vdsim summary: no 'scenarios' array (is this a report directory of "
                    "vdsim run?)");
        return NULL;
    }
    JsonArray *a = json_node_get_array(sc);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        JsonObject *s = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
        if (!vds_json_str(s, "id", NULL)) {
            vds_err_set(err, VDS_ERR_PARSE, path, "scenario %u has no 'id'", i + 1);
            return NULL;
        }
    }
    return json_node_copy(root);
}
