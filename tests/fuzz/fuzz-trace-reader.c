/* Trace text -> reader -> events; a trace that reads must equal itself. */
#include <stdint.h>

#include "trace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vds_err err;
    vds_trace_reader *r = vds_trace_reader_new_from_data("fuzz", (const char *)data, size, &err);
    if (!r)
        return 0;
    vds_trace_line line;
    int rc;
    while ((rc = vds_trace_reader_next(r, &line, &err)) > 0) {
        char *text = vds_trace_event_text(line.event);
        g_free(text);
        JsonNode *n = vds_trace_normalise(line.event);
        json_node_unref(n);
    }
    vds_trace_reader_free(r);
    if (rc == 0) {
        vds_trace_reader *a = vds_trace_reader_new_from_data("a", (const char *)data, size, &err);
        vds_trace_reader *b = vds_trace_reader_new_from_data("b", (const char *)data, size, &err);
        vds_diff d;
        if (!a || !b || vds_trace_compare(a, b, &vds_compare_defaults, &d, &err) != 0)
            __builtin_trap();
        vds_trace_reader_free(a);
        vds_trace_reader_free(b);
    }
    return 0;
}
