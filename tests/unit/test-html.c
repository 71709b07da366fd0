/* The HTML report's builder: what it puts in the page, how it bounds it, and
 * that nothing in a trace can end the data element. */
#include "test-util.h"

#include <json-glib/json-glib.h>

#include "report/html.h"

static char *dir;

static void put_file(const char *name, const char *text)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    assert_true(g_file_set_contents(p, text, -1, NULL));
}

/* The page's data object (new node) and the page's text (new) */
static JsonNode *page_data(const char *page, char **text_out)
{
    char *text = NULL;
    assert_true(g_file_get_contents(page, &text, NULL, NULL));
    const char *open = "<script type=\"application/json\" id=\"vdsim-data\">";
    const char *start = strstr(text, open);
    assert_non_null(start);
    start += strlen(open);
    const char *end = strstr(start, "</script>");
    assert_non_null(end);
    g_autoptr(JsonParser) p = json_parser_new();
    assert_true(json_parser_load_from_data(p, start, end - start, NULL));
    *text_out = text;
    return json_node_copy(json_parser_get_root(p));
}

/* A trace of n notes, one of them trying to end the script element. */
static void write_trace(const char *name, unsigned n)
{
    GString *t = g_string_new("{\"vdsim-trace\":1,\"tool\":\"t\",\"target\":\"local\","
                              "\"port-writer\":\"vdsim\"}\n");
    for (unsigned i = 0; i < n; i++)
        g_string_append_printf(t, "{\"t\":%u,\"kind\":\"note\",\"note\":\"%s\",\"step\":1}\n",
                               i * 1000, i == 1 ? "</script><script>alert(1)</script><!--" : "n");
    g_string_append(t, "{\"t\":9999999,\"kind\":\"agent\",\"dir\":\"from-agent\",\"type\":"
                       "\"reply\",\"size\":600,\"fields\":{},\"raw\":\"");
    for (int i = 0; i < 620; i++)
        g_string_append(t, "ab");
    g_string_append(t, "\",\"step\":1}\n");
    put_file(name, t->str);
    g_string_free(t, TRUE);
}

static void bounded_and_escaped(void **state)
{
    dir = g_dir_make_tmp("vdsim-html-XXXXXX", NULL);
    write_trace("long.jsonl", 2000);
    g_autofree char *trace = g_build_filename(dir, "long.jsonl", NULL);
    g_autofree char *summary = g_strdup_printf(
        "{\"target\":\"local\",\"agent-version\":\"0.22.1\",\"scenarios\":["
        "{\"id\":\"a/b\",\"status\":\"fail\",\"failure\":\"t.yaml:3:5: step 1\","
        "\"failed-step\":1,\"trace\":\"%s\",\"latencies\":[{\"step\":1,\"msg\":\"reply\","
        "\"samples-ms\":[1.5,2.5]}]}]}",
        trace);
    put_file("summary.json", summary);
    g_autofree char *page = g_build_filename(dir, "index.html", NULL);
    vds_err err = {0};
    assert_int_equal(vds_report_html_run(dir, page, &err), 0);
    g_autofree char *text = NULL;
    g_autoptr(JsonNode) root = page_data(page, &text);
    /* the note's text is in the data, its markup is not in the page */
    assert_null(strstr(text, "<script>alert"));
    assert_null(strstr(text, "<!--"));
    JsonObject *sc = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(root), "scenarios"), 0);
    JsonArray *ev = json_object_get_array_member(sc, "events");
    assert_string_equal(json_object_get_string_member(json_array_get_object_element(ev, 1), "note"),
                        "</script><script>alert(1)</script><!--");
    /* 2001 events: the first 1200, a gap of 201, the last 600 */
    assert_int_equal(json_object_get_int_member(sc, "trace-events"), 2001);
    assert_int_equal(json_array_get_length(ev), 1200 + 1 + 600);
    JsonObject *gap = json_array_get_object_element(ev, 1200);
    assert_string_equal(json_object_get_string_member(gap, "kind"), "gap");
    assert_int_equal(json_object_get_int_member(gap, "left-out"), 201);
    /* the last message's 620 bytes cut to 256, with how many there were */
    JsonObject *last = json_array_get_object_element(ev, 1800);
    assert_int_equal(strlen(json_object_get_string_member(last, "raw")), 512);
    assert_int_equal(json_object_get_int_member(last, "raw-len"), 620);
    /* the link is relative: the trace is beside the page */
    assert_string_equal(json_object_get_string_member(sc, "trace-link"), "long.jsonl");
    /* a summary that is not one is refused, located */
    put_file("summary.json", "{\"scenarios\": 3}");
    assert_int_equal(vds_report_html_run(dir, page, &err), -1);
    assert_non_null(strstr(err.loc, "summary.json"));
    assert_non_null(strstr(err.msg, "no 'scenarios' array"));
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bounded_and_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
