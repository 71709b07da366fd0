/* vdsim fmt: scenarios written back in canonical form, from the parsed model. */
#include <stdio.h>

#include "cli/cli.h"
#include "scenario/scenario.h"

static int fmt_one(const char *path, bool write)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_scenario *s = vds_scenario_load(path, &err);
    if (!s) {
        fprintf(stderr, "%s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    g_autofree char *text = vds_scenario_write(s);
    vds_scenario_free(s);
    if (!write) {
        fputs(text, stdout);
        return VDS_EXIT_OK;
    }
    g_autoptr(GError) gerr = NULL;
    if (!g_file_set_contents(path, text, -1, &gerr)) {
        fprintf(stderr, "vdsim fmt: %s\n", gerr->message);
        return VDS_EXIT_INFRA;
    }
    return VDS_EXIT_OK;
}

int vds_cli_fmt(int argc, char **argv)
{
    gboolean write = FALSE;
    GOptionEntry entries[] = {
        {"write", 'w', 0, G_OPTION_ARG_NONE, &write,
         "Rewrite the files in place (comments are not kept)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("SCENARIO|DIR... - print scenarios in canonical form");
    g_autoptr(GError) gerr = NULL;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, "Exit status: 0 done, 2 a file has an error.");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        fprintf(stderr, "vdsim fmt: %s\n", gerr->message);
        return VDS_EXIT_USAGE;
    }
    if (argc < 2) {
        fprintf(stderr, "vdsim fmt: expected scenario files or directories\n");
        return VDS_EXIT_USAGE;
    }
    g_autoptr(GPtrArray) files = vds_scenario_collect(argv + 1, &err);
    if (!files) {
        fprintf(stderr, "vdsim fmt: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    int worst = VDS_EXIT_OK;
    for (guint i = 0; i < files->len; i++) {
        int rc = fmt_one(files->pdata[i], write); /* once: MAX evaluates twice */
        worst = MAX(worst, rc);
    }
    return worst;
}
