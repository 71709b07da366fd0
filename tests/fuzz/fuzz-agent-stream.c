/* Bytes -> chunks -> messages -> verdicts, decode, trace event, text, and a
 * re-encode of whatever decoded. The first byte picks the direction and the
 * layout caps; the second the feeding piece size. */
#include <stdint.h>
#include <string.h>

#include "proto/agent-chunk.h"
#include "proto/agent.h"
#include "trace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct ctx {
    vds_dir dir;
    uint32_t caps;
} ctx;

static void on_msg(void *user, const vds_chunk_msg *cm)
{
    ctx *c = user;
    bool malformed;
    JsonNode *ev = vds_trace_agent_event(0, c->dir, cm, c->caps, &malformed);
    char *text = vds_trace_event_text(json_node_get_object(ev));
    g_free(text);
    json_node_unref(ev);

    vds_agent_msg m;
    vds_err err;
    if (vds_agent_decode(cm->bytes, cm->len, c->caps, &m, &err) == 0) {
        vds_buf out;
        vds_buf_init(&out, 1u << 27);
        if (vds_agent_encode(&m, &out, &err) == 0) {
            vds_agent_msg again;
            /* what we encode from a decoded message must decode again */
            if (vds_agent_decode(out.data, out.len, c->caps, &again, &err) != 0 &&
                !(m.type == VD_AGENT_CLIPBOARD_RELEASE && m.u.release.short_release))
                __builtin_trap();
            else
                vds_agent_msg_clear(&again);
        }
        vds_buf_clear(&out);
        vds_agent_msg_clear(&m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t caps_sets[] = {0, VDS_CAPS_VDAGENTD, VDS_CAPS_SPICE_GTK,
                                         VDS_CAP(VD_AGENT_CAP_CLIPBOARD_SELECTION)};
    if (size < 2)
        return 0;
    ctx c = {data[0] & 1 ? VDS_DIR_TO_AGENT : VDS_DIR_FROM_AGENT, caps_sets[(data[0] >> 1) & 3]};
    size_t piece = data[1] ? data[1] : size;
    data += 2;
    size -= 2;
    vds_chunk_limits lim =
        c.dir == VDS_DIR_TO_AGENT ? vds_chunk_limits_to_agent : vds_chunk_limits_from_agent;
    lim.max_msg = 1u << 20; /* keep the fuzzer's memory bounded */
    vds_chunk_reader *r = vds_chunk_reader_new(&lim, on_msg, &c);
    vds_err err;
    for (size_t off = 0; off < size; off += piece)
        if (vds_chunk_reader_feed(r, data + off, size - off < piece ? size - off : piece, &err) < 0)
            break;
    vds_chunk_reader_finish(r, &err);
    vds_chunk_reader_free(r);
    return 0;
}
