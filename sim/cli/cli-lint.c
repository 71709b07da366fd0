/* vdsim lint: parse and validate scenarios, no agent needed. */
#include <stdio.h>

#include "cli/cli.h"
#include "scenario/scenario.h"

int vds_cli_lint(int argc, char **argv)
{
    GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO|DIR... - validate scenarios");
    g_autoptr(GError) gerr = NULL;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, "Exit status: 0 all valid, 2 a file has an error "
                                          "(printed as file:line:col: message).");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        fprintf(stderr, "vdsim lint: %s\n", gerr->message);
        return VDS_EXIT_USAGE;
    }
    if (argc < 2) {
        fprintf(stderr, "vdsim lint: expected scenario files or directories\n");
        return VDS_EXIT_USAGE;
    }
    g_autoptr(GPtrArray) files = vds_scenario_collect(argv + 1, &err);
    if (!files) {
        fprintf(stderr, "vdsim lint: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    unsigned bad = 0;
    g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func((GDestroyNotify)vds_scenario_free);
    for (guint i = 0; i < files->len; i++) {
        vds_scenario *s = vds_scenario_load(files->pdata[i], &err);
        if (!s) {
            fprintf(stderr, "%s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
            bad++;
            continue;
        }
        /* an id twice: both would write one trace and one golden */
        g_ptr_array_add(loaded, s);
        if (vds_scenarios_unique(loaded, &err) < 0) {
            fprintf(stderr, "%s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
            g_ptr_array_remove_index(loaded, loaded->len - 1);
            bad++;
        }
    }
    printf("%u scenario%s checked, %u with errors\n", files->len, files->len == 1 ? "" : "s", bad);
    if (files->len == 0) {
        fprintf(stderr, "vdsim lint: no *.yaml scenarios found\n");
        return VDS_EXIT_USAGE;
    }
    return bad ? VDS_EXIT_USAGE : VDS_EXIT_OK;
}
