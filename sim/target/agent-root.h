/* The agent under test: where it comes from and which version it is.
 *
 * By default the local stack runs the host's spice-vdagentd/spice-vdagent.
 * An agent root (tools/build-agent-root) is a debootstrapped tree holding
 * another Debian suite's agents; the stack then starts them inside it, in a
 * private mount namespace (and a user namespace when vdsim is not root),
 * with only the stack's run directory and the X socket directory shared. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "core/error.h"

/* Where the run directory is mounted inside an agent root. */
#define VDS_AGENT_ROOT_RUN "/run/vdsim"

/* The agent root vdsim is to use: VDSIM_AGENT_ROOT (which --agent-root
 * sets), or NULL for the host's agent. Borrowed from the environment. */
const char *vds_agent_root(void);

/* Check that root is a tree with both agents; a message naming what is
 * missing and how to build one otherwise. */
int vds_agent_root_check(const char *root, vds_err *err);

/* The Debian version of package as dpkg recorded it in root's
 * var/lib/dpkg/status (root NULL: the host's), or NULL when not installed.
 * New string. */
char *vds_dpkg_version(const char *root, const char *package);

/* One line naming the agent under test for headers and reports: "0.22.1-3+b2"
 * and where it is from ("host", the root's path, a VDSIM_VDAGENTD build).
 * *version gets the version alone (new string, "unknown" when it cannot be
 * read). New string. */
char *vds_agent_under_test(char **version);

/* For g_subprocess_launcher_set_child_setup, in the child: die with vdsim,
 * a process group of its own, then, when root (borrowed; it outlives the
 * spawn) is not NULL, enter it with run_dir bound at VDS_AGENT_ROOT_RUN. On
 * failure it prints why to stderr and exits 127. */
typedef struct vds_agent_root_entry {
    const char *root;    /* NULL: stay on the host */
    const char *run_dir; /* the stack's directory */
} vds_agent_root_entry;
void vds_agent_root_enter(gpointer entry);
