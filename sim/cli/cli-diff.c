/* vdsim diff TRACE GOLDEN */
#include <stdio.h>

#include "cli/cli.h"
#include "trace/trace.h"

int vds_cli_diff(int argc, char **argv)
{
    gint tol_ms = -1, tol_pct = -1;
    gboolean no_time = FALSE;
    GOptionEntry entries[] = {
        {"tolerance-ms", 0, 0, G_OPTION_ARG_INT, &tol_ms,
         "Absolute floor of the time tolerance between events (default 250)", "N"},
        {"tolerance-pct", 0, 0, G_OPTION_ARG_INT, &tol_pct,
         "Tolerance as a percentage of the golden gap (default 50)", "N"},
        {"no-time", 0, 0, G_OPTION_ARG_NONE, &no_time, "Do not compare timing", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("TRACE GOLDEN - compare two traces");
    g_autoptr(GError) gerr = NULL;
    vds_compare_opts opts = vds_compare_defaults;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Volatile fields (times, offsets, opaque, serials, ids) are normalised away; the\n"
             "time between consecutive events must agree within max(floor, pct% of golden).\n"
             "Exit status: 0 equal, 1 different (the first difference is printed), 2 error.");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        fprintf(stderr, "vdsim diff: %s\n", gerr->message);
        return VDS_EXIT_USAGE;
    }
    if (argc != 3) {
        fprintf(stderr, "vdsim diff: expected TRACE and GOLDEN, got %d arguments\n", argc - 1);
        return VDS_EXIT_USAGE;
    }
    if (tol_ms < -1 || tol_pct < -1) {
        fprintf(stderr, "vdsim diff: tolerances must not be negative\n");
        return VDS_EXIT_USAGE;
    }
    if (tol_ms >= 0)
        opts.tol_floor_ns = (uint64_t)tol_ms * 1000000u;
    if (tol_pct >= 0)
        opts.tol_pct = (unsigned)tol_pct;
    opts.check_time = !no_time;

    vds_trace_reader *a = vds_trace_reader_open(argv[1], &err);
    vds_trace_reader *b = a ? vds_trace_reader_open(argv[2], &err) : NULL;
    vds_diff d = {0};
    int rc = a && b ? vds_trace_compare(a, b, &opts, &d, &err) : -1;
    if (rc < 0) {
        fprintf(stderr, "vdsim diff: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = VDS_EXIT_USAGE;
    } else if (rc == 1) {
        printf("traces differ: %s\n", d.what);
        if (d.text_a)
            printf("  %s:%zu: %s\n", argv[1], d.line_a, d.text_a);
        else
            printf("  %s: (no more events)\n", argv[1]);
        if (d.text_b)
            printf("  %s:%zu: %s\n", argv[2], d.line_b, d.text_b);
        else
            printf("  %s: (no more events)\n", argv[2]);
        rc = VDS_EXIT_FAIL;
    } else {
        printf("traces equal\n");
    }
    vds_diff_clear(&d);
    vds_trace_reader_free(a);
    vds_trace_reader_free(b);
    return rc;
}
