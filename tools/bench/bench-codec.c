/* Codec throughput beside memcpy of the same bytes, measured in one run:
 *  - 1 MiB clipboard messages: encode + chunk into <= 2048-byte chunks +
 *    reassemble + decode (bar: >= 1 GB/s)
 *  - 13-byte mouse states: encode + chunk + reassemble + decode (bar: >= 5 M/s)
 * Each figure is the best of several timed rounds of at least 0.2 s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "proto/agent-chunk.h"
#include "proto/agent.h"

#define ROUNDS   7
#define ROUND_NS 200000000ull

typedef struct sink {
    uint32_t caps;
    uint64_t decoded;
    uint64_t checksum;
} sink;

static void on_msg(void *user, const vds_chunk_msg *cm)
{
    sink *s = user;
    vds_agent_msg m;
    if (vds_agent_decode(cm->bytes, cm->len, s->caps, &m, NULL) < 0)
        abort();
    s->decoded++;
    s->checksum += m.type == VD_AGENT_MOUSE_STATE ? m.u.mouse.x : m.u.clipboard.len;
    vds_agent_msg_clear(&m);
}

/* Runs fn(arg) repeatedly for ROUND_NS, ROUNDS times; best ns per call. */
static double best_ns(void (*fn)(void *), void *arg)
{
    double best = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t calls = 0, start = vds_clock_now_ns(), now;
        do {
            fn(arg);
            calls++;
            now = vds_clock_now_ns();
        } while (now - start < ROUND_NS);
        double per = (double)(now - start) / (double)calls;
        if (per < best)
            best = per;
    }
    return best;
}

typedef struct clip_job {
    vds_agent_msg msg;
    vds_buf enc, wire;
    vds_chunk_reader *reader;
    sink s;
} clip_job;

static void clip_round(void *arg)
{
    clip_job *j = arg;
    vds_buf_reset(&j->enc);
    vds_buf_reset(&j->wire);
    if (vds_agent_encode(&j->msg, &j->enc, NULL) < 0 ||
        vds_chunk_write(VDP_CLIENT_PORT, j->enc.data, j->enc.len, VDS_AGENT_MAX_CHUNK, &j->wire,
                        NULL) < 0 ||
        vds_chunk_reader_feed(j->reader, j->wire.data, j->wire.len, NULL) < 0)
        abort();
}

typedef struct copy_job {
    uint8_t *src, *dst;
    size_t len;
} copy_job;

static void copy_round(void *arg)
{
    copy_job *j = arg;
    memcpy(j->dst, j->src, j->len);
    __asm__ volatile("" : : "r"(j->dst) : "memory"); /* keep the copy */
}

#define MOUSE_BATCH 4096

typedef struct mouse_job {
    vds_buf enc, wire;
    vds_chunk_reader *reader;
    sink s;
} mouse_job;

static void mouse_round(void *arg)
{
    mouse_job *j = arg;
    vds_agent_msg m = {.protocol = VD_AGENT_PROTOCOL, .type = VD_AGENT_MOUSE_STATE};
    vds_buf_reset(&j->wire);
    for (uint32_t i = 0; i < MOUSE_BATCH; i++) {
        m.u.mouse.x = i;
        m.u.mouse.y = i * 3;
        m.u.mouse.buttons = (i & 1) << 1;
        vds_buf_reset(&j->enc);
        if (vds_agent_encode(&m, &j->enc, NULL) < 0 ||
            vds_chunk_write(VDP_SERVER_PORT, j->enc.data, j->enc.len, VDS_AGENT_MAX_CHUNK, &j->wire,
                            NULL) < 0)
            abort();
    }
    if (vds_chunk_reader_feed(j->reader, j->wire.data, j->wire.len, NULL) < 0)
        abort();
}

int main(int argc, char **argv)
{
    const size_t clip = 1u << 20;
    uint32_t caps = VDS_CAPS_VDAGENTD;

    /* 1 MiB clipboard */
    clip_job cj = {.s = {.caps = caps}};
    uint8_t *text = g_malloc(clip);
    for (size_t i = 0; i < clip; i++)
        text[i] = (uint8_t)('a' + i % 26);
    cj.msg.protocol = VD_AGENT_PROTOCOL;
    cj.msg.type = VD_AGENT_CLIPBOARD;
    cj.msg.u.clipboard.type = VD_AGENT_CLIPBOARD_UTF8_TEXT;
    cj.msg.u.clipboard.data = text;
    cj.msg.u.clipboard.len = clip;
    vds_agent_msg_apply_caps(&cj.msg, caps);
    vds_buf_init(&cj.enc, 4u << 20);
    vds_buf_init(&cj.wire, 4u << 20);
    cj.reader = vds_chunk_reader_new(&vds_chunk_limits_to_agent, on_msg, &cj.s);
    double clip_ns = best_ns(clip_round, &cj);
    size_t msg_bytes = cj.enc.len;

    copy_job cc = {g_malloc(msg_bytes), g_malloc(msg_bytes), msg_bytes};
    memset(cc.src, 1, msg_bytes);
    memset(cc.dst, 0, msg_bytes);
    double copy_ns = best_ns(copy_round, &cc);

    /* mouse states */
    mouse_job mj = {.s = {.caps = caps}};
    vds_buf_init(&mj.enc, 64);
    vds_buf_init(&mj.wire, MOUSE_BATCH * 64);
    mj.reader = vds_chunk_reader_new(&vds_chunk_limits_to_agent, on_msg, &mj.s);
    double mouse_ns = best_ns(mouse_round, &mj) / MOUSE_BATCH;
    size_t mouse_wire = VDS_CHUNK_HDR_SIZE + VDS_AGENT_HDR_SIZE + 13;
    copy_job mc = {g_malloc(mouse_wire * MOUSE_BATCH), g_malloc(mouse_wire * MOUSE_BATCH),
                   mouse_wire * MOUSE_BATCH};
    memset(mc.src, 2, mc.len);
    double mouse_copy_ns = best_ns(copy_round, &mc) / MOUSE_BATCH;

    double clip_gbs = msg_bytes / clip_ns, copy_gbs = msg_bytes / copy_ns;
    double mouse_mps = 1e3 / mouse_ns, mouse_copy_mps = 1e3 / mouse_copy_ns;
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (json) {
        printf("{\"clipboard_1mib_gbps\":%.3f,\"memcpy_1mib_gbps\":%.3f,"
               "\"mouse_mps\":%.3f,\"memcpy_41b_mps\":%.3f}\n",
               clip_gbs, copy_gbs, mouse_mps, mouse_copy_mps);
    } else {
        printf("%-46s %10s %12s %8s %s\n", "benchmark", "vdsim", "memcpy", "ratio", "bar");
        printf("%-46s %7.2f GB/s %7.2f GB/s %7.1f%% %s\n",
               "1 MiB clipboard: encode+chunk+reassemble+decode", clip_gbs, copy_gbs,
               100 * clip_gbs / copy_gbs, clip_gbs >= 1.0 ? ">= 1 GB/s: met" : ">= 1 GB/s: MISSED");
        printf("%-46s %7.2f M/s  %7.2f M/s  %7.1f%% %s\n",
               "13-byte mouse state: encode+chunk+...+decode", mouse_mps, mouse_copy_mps,
               100 * mouse_mps / mouse_copy_mps,
               mouse_mps >= 5.0 ? ">= 5 M/s: met" : ">= 5 M/s: MISSED");
        printf("(best of %d rounds of %.1f s; memcpy copies the same bytes: %zu per clipboard "
               "message, %zu per mouse state)\n",
               ROUNDS, ROUND_NS / 1e9, msg_bytes, mouse_wire);
    }
    if (mj.s.decoded == 0 || cj.s.decoded == 0)
        abort();
    vds_chunk_reader_free(cj.reader);
    vds_chunk_reader_free(mj.reader);
    vds_buf_clear(&cj.enc);
    vds_buf_clear(&cj.wire);
    vds_buf_clear(&mj.enc);
    vds_buf_clear(&mj.wire);
    g_free(text);
    g_free(cc.src);
    g_free(cc.dst);
    g_free(mc.src);
    g_free(mc.dst);
    return clip_gbs >= 1.0 && mouse_mps >= 5.0 ? 0 : 1;
}
