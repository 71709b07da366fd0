/* vdsim agent up: the local agent stack by itself, for manual work. It runs
 * in the foreground until Ctrl-C and then tears everything down, so there is
 * no separate 'down' to forget. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "target/target.h"

static volatile bool stop_requested;

static gboolean on_signal(gpointer user)
{
    stop_requested = true;
    return G_SOURCE_CONTINUE;
}

static bool stop_or_dead(void *user)
{
    vds_target *t = user;
    return stop_requested || t->dead;
}

int vds_cli_agent(int argc, char **argv)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];

    if (argc != 2 || strcmp(argv[1], "up") != 0) {
        fprintf(stderr, "usage: vdsim agent up   (runs until Ctrl-C, then tears it all down)\n");
        return VDS_EXIT_USAGE;
    }
    guint s1 = g_unix_signal_add(SIGINT, on_signal, NULL);
    guint s2 = g_unix_signal_add(SIGTERM, on_signal, NULL);
    vds_target *t = vds_target_local_new(g_main_context_default());
    int rc = VDS_EXIT_OK;
    if (t->ops->start(t, &err) < 0) {
        fprintf(stderr, "vdsim agent: the local stack did not start: %s\n",
                vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = VDS_EXIT_INFRA;
    } else {
        printf("agent ready: %s\n  logs and sockets: %s\n  (Ctrl-C stops it)\n", t->info,
               t->log_dir);
        fflush(stdout);
        while (!stop_or_dead(t))
            vds_target_wait(t, vds_clock_now_ns() + 1000000000ull, stop_or_dead, t);
        if (t->dead) {
            fprintf(stderr, "vdsim agent: %s\n", t->dead);
            rc = VDS_EXIT_INFRA;
        }
    }
    vds_target_free(t);
    g_source_remove(s1);
    g_source_remove(s2);
    return rc;
}
