/* Capture bytes -> libpcap -> TCP reassembly -> SPICE sessions -> scenario:
 * no crash, no leak, and what the importer writes must parse. */
#include <stdint.h>
#include <string.h>

#include "scenario/import.h"
#include "scenario/scenario.h"
#include "trace/spice-import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vds_err err;
    vds_capture c;
    if (vds_capture_read_mem("fuzz.pcap", data, size, &c, &err) < 0)
        return 0;
    vds_capture_sessions ss;
    vds_capture_sessions_find(&c, &ss);
    for (guint i = 0; i < ss.sessions->len; i++) {
        vds_spice_session *s = ss.sessions->pdata[i];
        GPtrArray *ev = g_ptr_array_new();
        for (guint k = 0; k < s->events->len; k++)
            g_ptr_array_add(ev, json_node_get_object(s->events->pdata[k]));
        /* with payload files (which the parse below could not find) ... */
        GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify)vds_import_payload_free);
        vds_import_info kept = {.source = "fuzz.pcap",
                                .session = s->index,
                                .payloads = s->payloads,
                                .payload_dir = "fuzz.payloads",
                                .payload_files = files};
        g_free(vds_import_scenario(ev, &kept, &err));
        g_ptr_array_unref(files);
        /* ... and with placeholders, read back */
        vds_import_info info = {.source = "fuzz.pcap", .session = s->index};
        char *text = vds_import_scenario(ev, &info, &err);
        if (text) {
            vds_scenario *sc = vds_scenario_parse("fuzz.yaml", text, strlen(text), &err);
            if (!sc)
                __builtin_trap(); /* the importer wrote what it cannot read */
            vds_scenario_free(sc);
            g_free(text);
        }
        g_ptr_array_unref(ev);
    }
    vds_capture_sessions_clear(&ss);
    vds_capture_clear(&c);
    return 0;
}
