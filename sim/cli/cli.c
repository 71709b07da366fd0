#include "cli/cli.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "target/agent-root.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"run", vds_cli_run, "run scenarios against a target (default: the local agent stack)"},
    {"agent", vds_cli_agent, "'agent up': the local agent stack by itself until Ctrl-C"},
    {"server", vds_cli_server, "the embedded spice-server with the local agent, for remote-viewer"},
    {"vm", vds_cli_vm, "boot a libvirt guest from a template and an image, run scenarios into it"},
    {"decode", vds_cli_decode, "decode a raw virtio-port byte stream, one line per message"},
    {"diff", vds_cli_diff, "compare a trace with a golden trace"},
    {"lint", vds_cli_lint, "parse and validate scenario files, no agent needed"},
    {"fmt", vds_cli_fmt, "print scenarios in canonical form (-w rewrites them)"},
    {"import", vds_cli_import, "a field capture (pcap, pcapng) or a trace as a scenario"},
    {"replay", vds_cli_replay, "replay a capture, trace or scenario: reproduced or not?"},
    {"minimize", vds_cli_minimize, "reduce a failing scenario to what fails the same way"},
    {"compare", vds_cli_compare, "what changed between two runs' reports (two nights)"},
    {"report", vds_cli_report, "the HTML report of a run, a trace or a capture"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: vdsim COMMAND [OPTION...] ARGS\n\ncommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
        fprintf(fp, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(fp, "\n'vdsim COMMAND --help' describes a command. Exit codes: 0 ok, 1 failed or\n"
                "malformed, 2 usage or input error, 3 infrastructure fault.\n");
}

int vds_cli_use_agent_root(const char *who, const char *dir)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    if (!dir)
        dir = vds_agent_root(); /* the environment's is checked the same way */
    if (!dir)
        return VDS_EXIT_OK;
    if (vds_agent_root_check(dir, &err) < 0) {
        fprintf(stderr, "%s: --agent-root: %s\n", who, vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    g_autofree char *abs = g_canonicalize_filename(dir, NULL);
    g_setenv("VDSIM_AGENT_ROOT", abs, TRUE); /* the stack reads it; so do its children */
    return VDS_EXIT_OK;
}

int vds_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VDS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return VDS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vdsim %s\n", VDS_VERSION);
        return VDS_EXIT_OK;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vdsim: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return VDS_EXIT_USAGE;
}
