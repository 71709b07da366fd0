/* Goldens and the agents' logs of a scenario, beside its trace. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "scenario/runner-ctx.h"

char *vds_report_path(const char *dir, const char *sub, const char *id, const char *ext)
{
    g_autofree char *safe = g_strdelimit(g_strdup(id), "/", '_');
    g_autofree char *name = g_strconcat(safe, ext, NULL);
    return g_build_filename(dir, sub, name, NULL);
}

static char *golden_failure(vds_runner *r, vds_scenario_result *res, const char *golden,
                            const vds_diff *d)
{
    /* the event's step names the scenario line */
    g_autoptr(JsonParser) p = json_parser_new();
    unsigned stepno = 0;
    const char *text = d->text_a ? d->text_a : d->text_b;
    if (text && json_parser_load_from_data(p, text, -1, NULL))
        stepno = (unsigned)json_object_get_int_member_with_default(
            json_node_get_object(json_parser_get_root(p)), "step", 0);
    const vds_step *st =
        stepno && stepno <= r->s->steps->len ? r->s->steps->pdata[stepno - 1] : NULL;
    return g_strdup_printf("%s:%u:%u: step %u differs from golden: %s\n    trace  %s:%zu: "
                           "%s\n    golden %s:%zu: %s",
                           r->s->file, st ? st->line : 1, st ? st->col : 1, stepno, d->what,
                           res->trace_path, d->line_a, d->text_a ? d->text_a : "(no more events)",
                           golden, d->line_b, d->text_b ? d->text_b : "(no more events)");
}

static void golden_update(vds_runner *r, vds_scenario_result *res, const char *golden)
{
    g_autofree char *dir = g_path_get_dirname(golden);
    g_autofree char *text = NULL;
    g_mkdir_with_parents(dir, 0755);
    g_autofree char *line = NULL;
    if (!g_file_get_contents(res->trace_path, &text, NULL, NULL) ||
        !g_file_set_contents(golden, text, -1, NULL))
        line = g_strdup_printf("vdsim run: cannot write golden %s", golden);
    else
        line = g_strdup_printf("  golden updated: %s", golden);
    if (r->o->observer.notice)
        r->o->observer.notice(r->o->observer.user, line);
}

void vds_golden_check(vds_runner *r, vds_scenario_result *res)
{
    g_autofree char *rel_path = g_strconcat(r->s->id, ".jsonl", NULL);
    g_autofree char *golden = g_build_filename(r->o->golden_dir, rel_path, NULL);
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    if (r->o->update_golden) {
        golden_update(r, res, golden);
        return;
    }
    if (!g_file_test(golden, G_FILE_TEST_EXISTS)) {
        res->status = VDS_FAIL;
        res->failure = g_strdup_printf("%s: no golden trace %s (write it with --update-golden)",
                                       r->s->file, golden);
        return;
    }
    vds_trace_reader *a = vds_trace_reader_open(res->trace_path, &err);
    vds_trace_reader *b = a ? vds_trace_reader_open(golden, &err) : NULL;
    vds_compare_opts co = vds_compare_defaults;
    co.tol_floor_ns = r->o->tol_floor_ns;
    co.tol_pct = r->o->tol_pct;
    /* goldens are recorded where vdsim writes the port itself: framing
       differs where a server writes it */
    co.ignore_framing = strcmp(r->t->kind->port_writer, "vdsim") != 0;
    vds_diff d = {0};
    int rc = a && b ? vds_trace_compare(a, b, &co, &d, &err) : -1;
    if (rc != 0) {
        res->status = VDS_FAIL;
        res->failure = rc < 0 ? g_strdup_printf("golden: %s", vds_err_str(&err, ebuf, sizeof(ebuf)))
                              : golden_failure(r, res, golden, &d);
    }
    vds_diff_clear(&d);
    vds_trace_reader_free(a);
    vds_trace_reader_free(b);
}

void vds_copy_logs(vds_runner *r, vds_scenario_result *res)
{
    if (!r->t->log_dir)
        return;
    GString *s = g_string_new(NULL);
    static const char *const logs[] = {"spice-vdagentd.log", "spice-vdagent.log"};
    for (size_t i = 0; i < G_N_ELEMENTS(logs); i++) {
        g_autofree char *p = g_build_filename(r->t->log_dir, logs[i], NULL);
        g_autofree char *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(p, &text, &len, NULL))
            continue;
        /* the last 3 KiB of each is what explains a failure */
        const char *from = len > 3072 ? text + len - 3072 : text;
        g_string_append_printf(s, "==== %s (tail) ====\n%s\n", logs[i], from);
    }
    res->logs = g_string_free(s, FALSE);
    /* and beside the trace, for a person reading the report */
    g_autofree char *dir = g_build_filename(r->o->report_dir, "logs", NULL);
    g_autofree char *path = vds_report_path(r->o->report_dir, "logs", r->s->id, ".log");
    g_mkdir_with_parents(dir, 0755);
    g_file_set_contents(path, res->logs, -1, NULL);
}
