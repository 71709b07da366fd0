/* SPICE link header, link message/reply and main/inputs bodies. The first
 * byte picks what the rest is parsed as. */
#include <stdint.h>
#include <string.h>

#include "proto/spice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vds_err err;
    if (size < 3)
        return 0;
    uint8_t sel = data[0];
    uint16_t type = (uint16_t)(data[1] | (sel & 0x80 ? 0x100 : 0));
    data += 2;
    size -= 2;
    switch (sel & 3) {
    case 0: {
        vds_spice_link_hdr h;
        vds_spice_link_mess m;
        if (vds_spice_link_hdr_decode(data, size, &h, &err) == 0 &&
            vds_spice_link_mess_decode(data + 16, size - 16, &m, &err) == 0) {
            vds_buf out;
            vds_buf_init(&out, 1u << 16);
            vds_spice_link_mess_encode(&m, &out, &err);
            vds_buf_clear(&out);
            vds_spice_caps_clear(&m.caps);
        }
        break;
    }
    case 1: {
        vds_spice_link_reply r;
        if (vds_spice_link_reply_decode(data, size, &r, &err) == 0)
            vds_spice_caps_clear(&r.caps);
        break;
    }
    default: {
        uint8_t channel = sel & 4 ? SPICE_CHANNEL_INPUTS : SPICE_CHANNEL_MAIN;
        vds_spice_side side = sel & 8 ? VDS_SPICE_FROM_CLIENT : VDS_SPICE_FROM_SERVER;
        vds_spice_data_hdr h;
        vds_spice_data_hdr_decode(data, size, sel & 16, &h, &err);
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        int rc = vds_spice_msg_describe(channel, side, type, data, size, b, &err);
        json_builder_end_object(b);
        JsonNode *root = json_builder_get_root(b);
        if (rc == 0) {
            vds_buf out;
            vds_buf_init(&out, 1u << 20);
            /* what describes must encode back to the same bytes */
            if (vds_spice_msg_encode(channel, side, type, json_node_get_object(root), &out, &err) !=
                    0 ||
                out.len != size || memcmp(out.data, data, size) != 0)
                __builtin_trap();
            vds_buf_clear(&out);
        }
        json_node_unref(root);
        g_object_unref(b);
        break;
    }
    }
    return 0;
}
