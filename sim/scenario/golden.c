/* Goldens and the agents' logs of a scenario, beside its trace. */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "core/file.h"
#include "core/version.h"
#include "scenario/runner-ctx.h"

char *vds_report_path(const char *dir, const char *sub, const char *id, const char *ext)
{
    g_autofree char *safe = g_strdelimit(g_strdup(id), "/", '_');
    g_autofree char *name = g_strconcat(safe, ext, NULL);
    return g_build_filename(dir, sub, name, NULL);
}

char *vds_runner_result_path(vds_runner *r, const char *sub, const char *ext)
{
    if (r->run->repeat_run <= 1)
        return vds_report_path(r->o->report_dir, sub, r->s->id, ext);
    g_autofree char *numbered = g_strdup_printf(".run%u%s", r->res->run_no, ext);
    return vds_report_path(r->o->report_dir, sub, r->s->id, numbered);
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
    vds_err err = {0};
    g_autofree char *dir = g_path_get_dirname(golden);
    g_autoptr(GBytes) text = vds_file_read(res->trace_path, 1u << 30, "trace", &err);
    if (g_mkdir_with_parents(dir, 0755) < 0)
        vds_err_set(&err, VDS_ERR_IO, dir, "cannot create: %s", g_strerror(errno));
    else if (text && vds_file_write(golden, g_bytes_get_data(text, NULL), g_bytes_get_size(text),
                                    &err) == 0) {
        g_autofree char *line = g_strdup_printf("  golden updated: %s", golden);
        if (r->o->observer.notice)
            r->o->observer.notice(r->o->observer.user, line);
        return;
    }
    vds_run_result_lost(r->run, &err);
}

/* The golden of id for the agent under test: ID@V.jsonl beside ID.jsonl holds
   for agents from version V on, so the greatest V at or below the version
   here wins; ID.jsonl otherwise (and when the version is unknown). Ids
   cannot hold '@', so the names do not collide. New relative path. */
static char *golden_name(const char *dir, const char *id, const char *version)
{
    g_autofree char *base = g_path_get_basename(id), *sub = g_path_get_dirname(id);
    g_autofree char *where = g_build_filename(dir, sub, NULL);
    g_autofree char *best = NULL;
    GDir *d = version && strcmp(version, "unknown") ? g_dir_open(where, 0, NULL) : NULL;
    g_autofree char *prefix = g_strconcat(base, "@", NULL);
    for (const char *n; d && (n = g_dir_read_name(d));) {
        if (!g_str_has_prefix(n, prefix) || !g_str_has_suffix(n, ".jsonl"))
            continue;
        g_autofree char *v = g_strndup(n + strlen(prefix), strlen(n) - strlen(prefix) - 6);
        g_autofree char *range = g_strconcat(">= ", v, NULL);
        if (vds_version_in(version, range, NULL) == 1 && (!best || vds_version_cmp(v, best) > 0))
            g_free(best), best = g_strdup(v);
    }
    if (d)
        g_dir_close(d);
    return best ? g_strdup_printf("%s@%s.jsonl", id, best) : g_strconcat(id, ".jsonl", NULL);
}

void vds_golden_check(vds_runner *r, vds_scenario_result *res)
{
    g_autofree char *rel_path = golden_name(r->o->golden_dir, r->s->id, r->t->agent_version);
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_autofree char *golden = vds_path_under(r->o->golden_dir, rel_path, &err);
    if (!golden) { /* ids are checked at load; this keeps every path built from one honest */
        res->status = VDS_ERROR;
        res->failure = g_strdup_printf("golden: %s", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return;
    }
    if (r->o->update_golden) {
        golden_update(r, res, golden);
        return;
    }
    res->golden_path = g_strdup(golden);
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

static const char *const agent_logs[] = {"spice-vdagentd.log", "spice-vdagent.log"};
/* What a failure copies of each log: its last lines explain it. */
#define LOG_COPY_MAX 8192

void vds_logs_mark(vds_runner *r)
{
    for (size_t i = 0; i < G_N_ELEMENTS(agent_logs); i++) {
        GStatBuf st;
        g_autofree char *p =
            r->t->log_dir ? g_build_filename(r->t->log_dir, agent_logs[i], NULL) : NULL;
        r->log_from[i] = p && g_stat(p, &st) == 0 ? (goffset)st.st_size : 0;
    }
}

/* The agents log without levels: a complaint is known by its words. */
static bool complaint(const char *line)
{
    static const char *const words[] = {
        "invalid",    "error",   "fail",  "cannot",        "can't",    "could not", "unknown",
        "unexpected", "wrong",   "refus", "dropping",      "ignoring", "warning",   "critical",
        "too large",  "too big", "bad ",  "not supported", NULL};
    g_autofree char *low = g_ascii_strdown(line, -1);
    for (size_t i = 0; words[i]; i++)
        if (strstr(low, words[i]))
            return true;
    return false;
}

/* The last complaint in path after byte from (at most its last MiB), or NULL. */
static char *last_complaint(const char *path, goffset from)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *found = NULL;
    if (fseeko(f, 0, SEEK_END) == 0) {
        off_t size = ftello(f);
        if (size < from) /* a new log: the stack was restarted */
            from = 0;
        if (size - from > (1 << 20))
            from = size - (1 << 20);
        char line[1024];
        if (fseeko(f, from, SEEK_SET) == 0)
            while (fgets(line, sizeof(line), f)) {
                g_strchomp(line);
                if (complaint(line)) {
                    g_free(found);
                    found = g_strdup(line);
                }
            }
    }
    fclose(f);
    return found;
}

void vds_logs_complaint(vds_runner *r, vds_scenario_result *res)
{
    /* the daemon's first: it is the one that checks what the client sent */
    for (size_t i = 0; r->t->log_dir && !res->agent_said && i < G_N_ELEMENTS(agent_logs); i++) {
        g_autofree char *p = g_build_filename(r->t->log_dir, agent_logs[i], NULL);
        res->agent_said = last_complaint(p, r->log_from[i]);
    }
}

void vds_copy_logs(vds_runner *r, vds_scenario_result *res)
{
    if (!r->t->log_dir)
        return;
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(agent_logs); i++) {
        g_autofree char *p = g_build_filename(r->t->log_dir, agent_logs[i], NULL);
        g_autofree char *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(p, &text, &len, NULL))
            continue;
        /* this scenario's lines (a log shorter than the mark is a restarted
           stack's), at most their last 8 KiB, from a line's start */
        gsize from = (gsize)r->log_from[i] <= len ? (gsize)r->log_from[i] : 0;
        bool cut = len - from > LOG_COPY_MAX;
        if (cut) {
            from = len - LOG_COPY_MAX;
            const char *nl = memchr(text + from, '\n', len - from);
            from = nl ? (gsize)(nl + 1 - text) : from;
        }
        g_string_append_printf(s, "==== %s: this scenario's lines%s ====\n%s\n", agent_logs[i],
                               cut ? " (the last 8 KiB)" : "", text + from);
    }
    res->logs = g_string_free(s, FALSE);
    /* and beside the trace, for a person reading the report */
    vds_err err = {0};
    g_autofree char *dir = g_build_filename(r->o->report_dir, "logs", NULL);
    g_autofree char *path = vds_runner_result_path(r, "logs", ".log");
    if (g_mkdir_with_parents(dir, 0755) < 0)
        vds_err_set(&err, VDS_ERR_IO, dir, "cannot create: %s", g_strerror(errno));
    if (err.code || vds_file_write(path, res->logs, strlen(res->logs), &err) < 0)
        vds_run_result_lost(r->run, &err);
    else
        res->log_path = g_steal_pointer(&path);
}
