/* vdsim agent up: the local agent stack by itself, for manual work; vdsim
 * server: the same stack behind the embedded libspice-server, for a real
 * client (remote-viewer). Both run in the foreground until Ctrl-C and then
 * tear everything down, so there is no separate 'down' to forget. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/secret.h"
#include "peer/spice-server.h"
#include "target/local-stack.h"

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

/* Run until Ctrl-C or the stack dies; exit status. */
static int serve(vds_target *t)
{
    while (!stop_or_dead(t))
        vds_target_wait(t, vds_clock_now_ns() + 1000000000ull, stop_or_dead, t);
    if (t->dead) {
        fprintf(stderr, "vdsim: the agent stack died: %s\n", t->dead);
        return VDS_EXIT_INFRA;
    }
    return VDS_EXIT_OK;
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
    if (vds_target_start(t, &err) < 0) {
        fprintf(stderr, "vdsim agent: the local stack did not start: %s\n",
                vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = VDS_EXIT_INFRA;
    } else {
        printf("agent ready: %s\n  logs and sockets: %s\n  (Ctrl-C stops it)\n", t->info,
               t->log_dir);
        fflush(stdout);
        rc = serve(t);
    }
    vds_target_free(t);
    g_source_remove(s1);
    g_source_remove(s2);
    return rc;
}

static int attach(void *user, int fd)
{
    return vds_spice_server_attach_agent(user, fd, NULL);
}

static void on_agent(void *user, bool attached)
{
    printf("agent %s\n", attached ? "connected to the server" : "disconnected");
    fflush(stdout);
}

static const vds_spice_server_events server_events = {NULL, on_agent, NULL};

int vds_cli_server(int argc, char **argv)
{
    gint port = 5930, tls_port = -1;
    g_autofree char *host = NULL, *unix_path = NULL, *ca = NULL, *cert = NULL, *key = NULL;
    g_autofree char *agent_root = NULL;
    GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "Plain TCP port (default 5930; 0: a free one)",
         "N"},
        {"host", 0, 0, G_OPTION_ARG_STRING, &host, "Listen address (default 127.0.0.1)", "ADDR"},
        {"unix", 0, 0, G_OPTION_ARG_FILENAME, &unix_path, "Listen on a unix socket instead",
         "PATH"},
        {"tls-port", 0, 0, G_OPTION_ARG_INT, &tls_port,
         "Also listen with TLS on port N (0: a free one)", "N"},
        {"ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "TLS: CA certificate", "FILE"},
        {"cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "TLS: server certificate", "FILE"},
        {"key", 0, 0, G_OPTION_ARG_FILENAME, &key, "TLS: server key", "FILE"},
        VDS_CLI_AGENT_ROOT_ENTRY(agent_root),
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("- the embedded spice-server with the "
                                                          "local agent stack, until Ctrl-C");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_option_context_set_description(
        octx, "The password, if any, comes from VDSIM_SPICE_PASSWORD (never the command line).");
    g_autoptr(GError) gerr = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &gerr) || argc != 1 || port < 0 ||
        port > 65535 || tls_port < -1 || tls_port > 65535 ||
        (tls_port >= 0 && (!ca || !cert || !key))) {
        fprintf(stderr, "vdsim server: %s\n",
                gerr ? gerr->message : "bad arguments (TLS needs --ca, --cert and --key)");
        return VDS_EXIT_USAGE;
    }
    if (vds_cli_use_agent_root("vdsim server", agent_root) != VDS_EXIT_OK)
        return VDS_EXIT_USAGE;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_spice_server_opts so = {.host = host,
                                .port = (unsigned)port,
                                .unix_path = unix_path,
                                .tls = tls_port >= 0,
                                .tls_port = tls_port > 0 ? (unsigned)tls_port : 0,
                                .ca_file = ca,
                                .cert_file = cert,
                                .key_file = key,
                                .password = vds_secret_spice_password()};
    guint s1 = g_unix_signal_add(SIGINT, on_signal, NULL);
    guint s2 = g_unix_signal_add(SIGTERM, on_signal, NULL);
    GMainContext *ctx = g_main_context_default();
    int rc = VDS_EXIT_OK;
    vds_target *t = NULL;
    vds_spice_server *srv = vds_spice_server_new(ctx, &so, &server_events, NULL, &err);
    if (!srv) {
        fprintf(stderr, "vdsim server: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = VDS_EXIT_INFRA;
        goto out;
    }
    t = vds_target_local_new(ctx);
    vds_local_stack_set_port(vds_target_local_stack(t), attach, srv);
    if (vds_target_start(t, &err) < 0) {
        fprintf(stderr, "vdsim server: the local stack did not start: %s\n",
                vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = VDS_EXIT_INFRA;
        goto out;
    }
    if (unix_path)
        printf("listening: spice+unix://%s\n", unix_path);
    else
        printf("listening: spice://%s:%u\n", host ? host : "127.0.0.1", vds_spice_server_port(srv));
    if (tls_port >= 0)
        printf("listening: spice://%s?tls-port=%u (TLS)\n", host ? host : "127.0.0.1",
               vds_spice_server_tls_port(srv));
    char *uri = unix_path ? g_strdup_printf("spice+unix://%s", unix_path)
                          : g_strdup_printf("spice://%s:%u", host ? host : "127.0.0.1",
                                            vds_spice_server_port(srv));
    printf("agent stack: %s\n  logs: %s\n  try: remote-viewer %s  (Ctrl-C stops)\n", t->info,
           t->log_dir, uri);
    g_free(uri);
    fflush(stdout);
    rc = serve(t);
out:
    vds_target_free(t);
    vds_spice_server_free(srv);
    g_source_remove(s1);
    g_source_remove(s2);
    return rc;
}
