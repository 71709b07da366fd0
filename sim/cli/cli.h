/* Subcommands. Each returns the process exit code; only main() exits. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "scenario/runner.h"
#include "trace/spice-import.h"

enum vds_exit {
    VDS_EXIT_OK = 0,    /* all passed / everything decoded / traces equal */
    VDS_EXIT_FAIL = 1,  /* a scenario failed / malformed input / traces differ */
    VDS_EXIT_USAGE = 2, /* usage, scenario or unreadable-input error */
    VDS_EXIT_INFRA = 3, /* infrastructure fault */
};

int vds_cli_main(int argc, char **argv);

/* --agent-root DIR, for the commands that start the local agent stack. */
#define VDS_CLI_AGENT_ROOT_ENTRY(var)                                                           \
    {                                                                                           \
        "agent-root", 0, 0, G_OPTION_ARG_FILENAME, &(var),                                      \
            "Run the agents of this tree (tools/build-agent-root) instead of the host's; also " \
            "$VDSIM_AGENT_ROOT",                                                                \
            "DIR"                                                                               \
    }
/* Check dir (NULL: nothing to do) and hand it to the local stack. VDS_EXIT_OK,
 * or VDS_EXIT_USAGE with the message printed after who. */
int vds_cli_use_agent_root(const char *who, const char *dir);
int vds_cli_decode(int argc, char **argv);
int vds_cli_diff(int argc, char **argv);
int vds_cli_lint(int argc, char **argv);
int vds_cli_fmt(int argc, char **argv);
int vds_cli_run(int argc, char **argv);
/* vds_cli_run's checks only: its options parse and every scenario loads.
 * VDS_EXIT_OK or the exit status vds_cli_run would have given, its message
 * printed. argv's pointers are reordered (GOption), the strings untouched. */
int vds_cli_run_check(int argc, char **argv);
int vds_cli_import(int argc, char **argv);
int vds_cli_replay(int argc, char **argv);
int vds_cli_minimize(int argc, char **argv);
int vds_cli_agent(int argc, char **argv);
int vds_cli_server(int argc, char **argv);
int vds_cli_vm(int argc, char **argv);
int vds_cli_compare(int argc, char **argv);
int vds_cli_report(int argc, char **argv);

/* A capture's SPICE session N (0: the only one): read into c and ss (clear
 * both after) and returned (borrowed from ss). NULL with err, having said
 * on stderr what the capture holds when the choice is not clear. */
vds_spice_session *vds_cli_capture_session(const char *path, unsigned session, vds_capture *c,
                                           vds_capture_sessions *ss, vds_err *err);

/* One run with its reports: signal handlers, the console lines as it goes,
 * then judge(user, result) (may be NULL: a replay's verdict), summary.json
 * and JUnit. The exit code. */
int vds_cli_run_and_report(GPtrArray *scenarios, const vds_run_opts *opts, const char *junit,
                           bool verbose, void (*judge)(void *, vds_run_result *), void *user);
