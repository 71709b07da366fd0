/* vdsim decode: a raw virtio-port byte stream -> one line (or trace event)
 * per message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "proto/agent-chunk.h"
#include "trace/capture.h"
#include "trace/trace.h"

typedef struct decode_run {
    vds_dir dir;
    uint32_t caps;
    bool json;
    vds_trace_writer *out;   /* --json to stdout */
    vds_trace_writer *trace; /* --trace FILE */
    unsigned messages, malformed;
    bool write_failed;
    vds_err write_err;
} decode_run;

static void emit(decode_run *run, JsonNode *ev)
{
    if (run->json) {
        if (vds_trace_writer_add(run->out, ev, &run->write_err) < 0)
            run->write_failed = true;
    } else {
        g_autofree char *line = vds_trace_event_text(json_node_get_object(ev));
        printf("%s\n", line);
    }
    if (run->trace && vds_trace_writer_add(run->trace, ev, &run->write_err) < 0)
        run->write_failed = true;
}

static void on_message(void *user, const vds_chunk_msg *cm)
{
    decode_run *run = user;
    bool malformed;
    g_autoptr(JsonNode) ev = vds_trace_agent_event(0, run->dir, cm, run->caps, &malformed);
    run->messages++;
    run->malformed += malformed;
    emit(run, ev);
}

/* path for reading ("-": stdin), or NULL said on stderr: a file that cannot
   be opened, or one that is a capture or a trace (named with the commands
   that read it: decoded as port bytes it would be a framing error at 0). */
static FILE *open_stream(const char *path)
{
    if (!strcmp(path, "-"))
        return stdin;
    bool capture = vds_capture_file_sniff(path);
    if (capture || vds_trace_file_sniff(path)) {
        fprintf(stderr,
                "vdsim decode: %s is a %s, not a port's byte stream: vdsim import %s makes "
                "it a scenario, vdsim report %s a page\n",
                path, capture ? "packet capture" : "vdsim trace", path, path);
        return NULL;
    }
    FILE *in = fopen(path, "rb");
    if (!in)
        fprintf(stderr, "vdsim decode: %s: %s\n", path, g_strerror(errno));
    return in;
}

/* The stream in through the chunk reader into run's output: 0, or < 0 for
   a framing error (err says where). *read_failed (err set) when in could
   not be read. */
static int decode_stream(decode_run *run, FILE *in, const char *path, bool *read_failed,
                         vds_err *err)
{
    const vds_chunk_limits *limits =
        run->dir == VDS_DIR_TO_AGENT ? &vds_chunk_limits_to_agent : &vds_chunk_limits_from_agent;
    vds_chunk_reader *reader = vds_chunk_reader_new(limits, on_message, run);
    uint8_t block[65536];
    size_t n;
    int framing = 0;
    while ((n = fread(block, 1, sizeof(block), in)) > 0)
        if ((framing = vds_chunk_reader_feed(reader, block, n, err)) < 0)
            break;
    *read_failed = ferror(in);
    if (*read_failed)
        vds_err_set(err, VDS_ERR_IO, path, "read failed: %s", g_strerror(errno));
    else if (framing == 0)
        framing = vds_chunk_reader_finish(reader, err);
    vds_chunk_reader_free(reader);
    return framing;
}

int vds_cli_decode(int argc, char **argv)
{
    g_autofree char *from = NULL, *caps_arg = NULL, *trace_path = NULL;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "Who wrote the stream: agent (default) or host",
         "agent|host"},
        {"caps", 0, 0, G_OPTION_ARG_STRING, &caps_arg,
         "Receiver capabilities deciding conditional layouts: names, 'vdagentd', 'spice-gtk' "
         "or a 0x word (default: what the real peers announce)",
         "CAPS"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON Lines trace instead of text", NULL},
        {"trace", 0, 0, G_OPTION_ARG_FILENAME, &trace_path, "Also write a trace to FILE", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("FILE|- - decode a raw virtio-port stream");
    g_autoptr(GError) gerr = NULL;
    decode_run run = {.dir = VDS_DIR_FROM_AGENT};
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    int rc = VDS_EXIT_OK;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Exit status: 0 everything decoded, 1 something was malformed (the byte offset and\n"
             "reason are printed), 2 usage error or unreadable input.");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        fprintf(stderr, "vdsim decode: %s\n", gerr->message);
        return VDS_EXIT_USAGE;
    }
    if (argc != 2) {
        fprintf(stderr, "vdsim decode: expected one FILE (or - for stdin), got %d\n", argc - 1);
        return VDS_EXIT_USAGE;
    }
    if (from && !vds_dir_parse(strcmp(from, "agent") == 0  ? "from-agent"
                               : strcmp(from, "host") == 0 ? "to-agent"
                                                           : from,
                               &run.dir)) {
        fprintf(stderr, "vdsim decode: --from must be 'agent' or 'host', not '%s'\n", from);
        return VDS_EXIT_USAGE;
    }
    /* layouts follow the receiver's caps: the host's for agent output */
    run.caps = run.dir == VDS_DIR_FROM_AGENT ? VDS_CAPS_SPICE_GTK : VDS_CAPS_VDAGENTD;
    if (caps_arg && vds_agent_caps_parse(caps_arg, &run.caps, &err) < 0) {
        fprintf(stderr, "vdsim decode: --caps: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    const char *path = argv[1];
    FILE *in = open_stream(path);
    if (!in)
        return VDS_EXIT_USAGE;
    g_autofree char *source = g_strdup_printf("decode:%s", path);
    vds_trace_info info = {
        .source = source,
        .host_caps = run.dir == VDS_DIR_FROM_AGENT ? run.caps : VDS_CAPS_SPICE_GTK,
        .agent_caps = run.dir == VDS_DIR_TO_AGENT ? run.caps : VDS_CAPS_VDAGENTD,
    };
    run.json = json;
    if (json && !(run.out = vds_trace_writer_open("-", &info, &err)))
        goto io_error;
    if (trace_path && !(run.trace = vds_trace_writer_open(trace_path, &info, &err)))
        goto io_error;

    bool read_failed;
    int framing = decode_stream(&run, in, path, &read_failed, &err);
    if (read_failed)
        goto io_error;
    if (framing < 0) {
        g_autoptr(JsonNode) ev = vds_trace_error_event(0, run.dir, &err);
        emit(&run, ev);
        vds_err_prefix_loc(&err, path);
        fprintf(stderr, "vdsim decode: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = VDS_EXIT_FAIL;
    }
    if (run.malformed)
        rc = VDS_EXIT_FAIL;
    fprintf(stderr, "%s: %u messages, %u malformed%s\n", path, run.messages, run.malformed,
            framing < 0 ? ", framing error" : "");
    if (run.write_failed) {
        err = run.write_err;
        goto io_error;
    }
    goto out;

io_error:
    fprintf(stderr, "vdsim decode: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
    rc = VDS_EXIT_USAGE;
out:
    if (in && in != stdin)
        fclose(in);
    if (vds_trace_writer_close(run.out, &err) < 0 || vds_trace_writer_close(run.trace, &err) < 0) {
        fprintf(stderr, "vdsim decode: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = VDS_EXIT_USAGE;
    }
    return rc;
}
