/* The run: a target, a fresh client session per scenario, its steps through
 * the step table, the check that the agent still answers afterwards, and the
 * restart policy for a stack a scenario broke. */
#include "scenario/runner.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/stats.h"
#include "proto/agent.h"
#include "scenario/match.h"
#include "scenario/runner-ctx.h"

#define SETUP_TIMEOUT_NS (5ull * 1000000000)

bool vds_runner_interrupted(const vds_runner *r)
{
    return r->o->interrupt && *r->o->interrupt;
}

vds_await_status vds_runner_await(vds_runner *r, uint64_t deadline, uint64_t poll_ns,
                                  bool (*check)(void *), void *user)
{
    vds_await_opts ao = {.deadline = deadline, .poll_ns = poll_ns, .interrupt = r->o->interrupt};
    return vds_await(r->t, &ao, check, user);
}

int vds_step_fail(vds_runner *r, const vds_step *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *stall = r->t->ops->stall ? r->t->ops->stall(r->t) : NULL;
    if (r->res->failure)
        return -1;
    r->res->failure =
        g_strdup_printf("%s:%u:%u: step %u (%s): %s%s%s", r->s->file, st->line, st->col, st->index,
                        vds_step_kind_name(st->kind), msg, stall ? "; " : "", stall ? stall : "");
    r->res->failed_step = st->index;
    g_autofree char *failed = g_strdup_printf("%s%s%s", msg, stall ? "; " : "", stall ? stall : "");
    vds_runner_step_event(r, st, 0, failed);
    return -1;
}

int vds_step_fail_await(vds_runner *r, const vds_step *st, vds_await_status why)
{
    if (why == VDS_AWAIT_INTERRUPTED)
        return vds_step_fail(r, st, "interrupted");
    return vds_step_fail(r, st, "the agent stack is gone: %s", r->t->dead);
}

void vds_latency_free(vds_latency *l)
{
    g_array_unref(l->ns);
    g_free(l);
}

/* --- setup: a fresh client for every scenario ---------------------------- */

typedef struct caps_wait {
    vds_runner *r;
    uint32_t caps;
} caps_wait;

/* The agent's answer to the announcement: its capabilities. */
static bool caps_answered(void *user)
{
    caps_wait *w = user;
    vds_rx *rx;
    while ((rx = g_queue_pop_head(w->r->t->rx))) {
        vds_agent_msg m;
        bool answer = vds_agent_decode(g_bytes_get_data(rx->bytes, NULL),
                                       g_bytes_get_size(rx->bytes), w->caps, &m, NULL) == 0 &&
                      m.type == VD_AGENT_ANNOUNCE_CAPABILITIES && m.u.caps.request == 0 &&
                      m.u.caps.n_words > 0;
        if (answer)
            w->r->agent_caps = m.u.caps.caps[0];
        vds_agent_msg_clear(&m); /* zeroed by a failed decode: always safe */
        vds_rx_free(rx);
        if (answer)
            return true;
    }
    return false;
}

static int setup(vds_runner *r, vds_err *err)
{
    r->step = 0;
    vds_target_reset(r->t);
    r->serial[0] = r->serial[1] = 0;
    /* what the agent said between scenarios belongs to no scenario */
    vds_rx *rx;
    while ((rx = g_queue_pop_head(r->t->rx)))
        vds_rx_free(rx);
    uint64_t deadline = vds_clock_now_ns() + SETUP_TIMEOUT_NS;
    caps_wait w = {r, r->s->client_caps};
    if (r->t->ops->session(r->t, w.caps, deadline, err) < 0)
        return -1;
    /* input from here on is the scenario's (a guest's oracle drops the
       session's own warm-up move wherever it lands: vds_warm_filter) */
    vds_oracle *o = r->t->oracle;
    if (o && o->ops->input_sync)
        o->ops->input_sync(o);
    r->input_pos = o ? o->input->len : 0;
    switch (vds_runner_await(r, deadline, 0, caps_answered, &w)) {
    case VDS_AWAIT_MATCH:
        return 0;
    case VDS_AWAIT_TIMEOUT:
        return vds_err_set(err, VDS_ERR_IO, NULL,
                           "the agent did not answer the capability announcement within 5 s");
    case VDS_AWAIT_INTERRUPTED:
        return vds_err_set(err, VDS_ERR_IO, NULL, "interrupted");
    case VDS_AWAIT_DEAD:
        break;
    }
    return vds_err_set(err, VDS_ERR_IO, NULL, "%s", r->t->dead);
}

/* --- one scenario ----------------------------------------------------------- */

static bool never(void *user)
{
    return false;
}

/* Guest state goes away while this scenario's caps still hold, and the agent
   must still answer afterwards: blame lands on the scenario that broke it,
   and a broken stack is restarted, not reused. */
static void post_check(vds_runner *r, vds_scenario_result *res)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    const vds_scenario *s = r->s;
    /* what the last step sent may still be on its way through an in-process
       server: let whatever is ready run, without waiting */
    for (int i = 0; i < 64 && g_main_context_iteration(r->ctx, FALSE); i++)
        ;
    r->step = 0; /* what follows is the harness's, like setup */
    if (r->t->dead || vds_runner_interrupted(r))
        return;
    vds_target_reset(r->t);
    vds_runner_await(r, vds_clock_now_ns() + 200000000ull, 0, never, NULL);
    if (setup(r, &err) < 0) {
        if (vds_runner_interrupted(r))
            return; /* not the agent's doing */
        r->stack_broken = true;
        if (res->status == VDS_PASS && !s->breaks_agent) {
            res->status = VDS_FAIL;
            res->failure =
                g_strdup_printf("%s: the agent stopped answering after this scenario: %s", s->file,
                                vds_err_str(&err, ebuf, sizeof(ebuf)));
        }
    } else if (s->breaks_agent && res->status == VDS_PASS) {
        res->status = VDS_FAIL;
        res->failure = g_strdup_printf("%s: agent-after: broken, but the agent still answers "
                                       "(fixed? update the scenario)",
                                       s->file);
    }
}

/* A scenario with a known-bug mark whose range holds for the agent under
   test: its failure is the bug (XFAIL), its pass means the mark is out of
   date (XPASS). Only FAIL and PASS are judged: an error is vdsim's. */
static void judge_known_bug(vds_runner *r, vds_scenario_result *res)
{
    const char *version = r->t->agent_version;
    const vds_known_bug *b = vds_scenario_known_bug(r->s, version);
    if (!b || (res->status != VDS_FAIL && res->status != VDS_PASS))
        return;
    bool unknown = !version || strcmp(version, "unknown") == 0;
    res->known_bug = b;
    if (res->status == VDS_FAIL) {
        res->status = VDS_XFAIL;
        g_ptr_array_add(res->notes, g_strdup_printf("known bug (agent %s%s): %s (%s)", b->agent,
                                                    unknown ? "; the version here is unknown" : "",
                                                    b->why, b->ref));
        r->stack_broken = true; /* a bug that held may leave the agent unusable */
        return;
    }
    res->status = VDS_XPASS;
    g_free(res->failure);
    res->failure = unknown ? g_strdup_printf("%s: passes, but its known-bug mark (agent %s) "
                                             "says it fails, and the version here is unknown",
                                             r->s->file, b->agent)
                           : g_strdup_printf("%s: known bug no longer reproduces on %s: update "
                                             "the mark (agent %s; %s)",
                                             r->s->file, version, b->agent, b->ref);
}

static int run_steps(vds_runner *r, vds_scenario_result *res)
{
    unsigned repeat = r->o->repeat ? r->o->repeat : r->s->repeat;
    for (unsigned rep = 0; rep < repeat; rep++) {
        for (guint i = 0; i < r->s->steps->len; i++) {
            const vds_step *st = r->s->steps->pdata[i];
            uint64_t start = vds_clock_now_ns();
            r->step = st->index;
            vds_runner_step_event(r, st, rep, NULL);
            if (r->t->dead || vds_runner_interrupted(r))
                return vds_step_fail_await(r, st,
                                           r->t->dead ? VDS_AWAIT_DEAD : VDS_AWAIT_INTERRUPTED);
            if (vds_step_table[st->kind].run(r, st, start) < 0)
                return -1;
            res->steps_run++;
        }
    }
    return 0;
}

/* Start the stack when it is not running (or for every scenario). */
static int ensure_started(vds_runner *r, vds_scenario_result *res)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    if (r->t->started && !r->o->fresh_agent)
        return 0;
    if (r->t->started)
        vds_target_stop(r->t);
    g_clear_pointer(&r->t->dead, g_free);
    if (vds_target_start(r->t, &err) < 0) {
        res->status = VDS_ERROR;
        res->failure = g_strdup_printf("%s: the %s target did not start: %s", r->s->file,
                                       r->o->target, vds_err_str(&err, ebuf, sizeof(ebuf)));
        return -1;
    }
    if (!r->run->agent && r->t->agent) { /* the run's first line */
        r->run->agent = g_strdup(r->t->agent);
        r->run->agent_version = g_strdup(r->t->agent_version);
        g_autofree char *line = g_strdup_printf("agent under test: %s", r->t->agent);
        if (r->o->observer.notice)
            r->o->observer.notice(r->o->observer.user, line);
    }
    return 0;
}

/* The scenario's trace; -1 when it cannot be kept (the scenario is an error). */
static int open_trace(vds_runner *r, vds_scenario_result *res)
{
    vds_err err = {0};
    g_autofree char *tdir = g_build_filename(r->o->report_dir, "traces", NULL);
    g_mkdir_with_parents(tdir, 0755);
    res->trace_path = vds_runner_result_path(r, "traces", ".jsonl");
    g_autofree char *source = g_strdup_printf("scenario:%s", r->s->file);
    vds_trace_info info = {.source = source,
                           .target = r->o->target,
                           .port_writer = r->t->kind->port_writer,
                           .agent_version = r->t->agent_version,
                           .host_caps = r->s->client_caps,
                           .agent_caps = VDS_CAPS_VDAGENTD};
    r->trace = vds_trace_writer_open(res->trace_path, &info, &err);
    if (r->trace)
        return 0;
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    if (!res->failure) { /* a start that failed says so first */
        res->status = VDS_ERROR;
        res->failure = g_strdup_printf("%s: its trace cannot be kept: %s", r->s->file,
                                       vds_err_str(&err, ebuf, sizeof(ebuf)));
    }
    vds_run_result_lost(r->run, &err);
    return -1;
}

/* Close the scenario's trace; a trace not written whole fails the scenario
   and the run (its results were not kept). */
static void close_trace(vds_runner *r, vds_scenario_result *res)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    if (!r->trace)
        return;
    int rc = vds_trace_writer_close(r->trace, &err);
    r->trace = NULL;
    if (rc == 0)
        return;
    vds_run_result_lost(r->run, &err);
    char *failure = g_strdup_printf("%s: its trace was not kept: %s%s%s", r->s->file,
                                    vds_err_str(&err, ebuf, sizeof(ebuf)),
                                    res->failure ? "; and " : "", res->failure ? res->failure : "");
    g_free(res->failure);
    res->failure = failure;
    res->status = VDS_ERROR;
}

/* "the agent here announces X that the field agent did not, and lacks Y" */
static char *caps_difference(uint32_t field, uint32_t here)
{
    GString *s = g_string_new("the agent here announces other capabilities than the field agent:");
    for (int k = 0; k < 2; k++) {
        uint32_t d = k ? field & ~here : here & ~field;
        if (!d)
            continue;
        g_string_append(s, k ? " lacks [" : " adds [");
        bool first = true;
        for (unsigned b = 0; b < 32; b++)
            if (d & (1u << b)) {
                const char *n = vds_names_get(&vds_agent_cap_names, b);
                g_string_append_printf(s, "%s%s", first ? "" : ", ", n ? n : "?");
                first = false;
            }
        g_string_append_c(s, ']');
    }
    return g_string_free(s, FALSE);
}

static void run_one(vds_runner *r, vds_scenario_result *res)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    res->latencies = g_ptr_array_new_with_free_func((GDestroyNotify)vds_latency_free);
    res->notes = g_ptr_array_new_with_free_func(g_free);
    if ((res->failure = vds_scenario_not_for(r->s, r->t))) {
        res->status = VDS_SKIP;
        return;
    }
    r->vars = vds_match_vars_new();
    uint64_t t_start = vds_clock_now_ns();
    r->t0 = t_start;
    int started = ensure_started(r, res); /* first: the trace's header names the agent */
    if (open_trace(r, res) < 0 || started < 0)
        goto out;
    vds_logs_mark(r);
    uint64_t t_setup = vds_clock_now_ns();
    int setup_rc = setup(r, &err);
    res->setup_ns = vds_clock_now_ns() - t_setup;
    if (setup_rc < 0) {
        res->status = vds_runner_interrupted(r) ? VDS_FAIL : VDS_ERROR;
        res->failure =
            g_strdup_printf("%s: setup: %s", r->s->file, vds_err_str(&err, ebuf, sizeof(ebuf)));
        goto out;
    }
    if (r->s->has_field_agent_caps && r->agent_caps != r->s->field_agent_caps)
        g_ptr_array_add(res->notes, caps_difference(r->s->field_agent_caps, r->agent_caps));
    r->t0 = vds_clock_now_ns();
    vds_runner_note(r, r->s->id, NULL);
    r->stim_t = 0; /* the scenario's name is not something the agent answers */
    res->status = run_steps(r, res) < 0 ? VDS_FAIL : VDS_PASS;
    if (res->status == VDS_PASS && r->t->dead) {
        res->status = VDS_FAIL;
        res->failure = g_strdup_printf("%s: the agent stack died: %s", r->s->file, r->t->dead);
    }
    post_check(r, res);
    vds_logs_complaint(r, res);
    judge_known_bug(r, res);
out:
    res->wall_ns = vds_clock_now_ns() - t_start;
    vds_runner_flush_wire(r, UINT64_MAX);
    close_trace(r, res);
    if (res->status == VDS_PASS && r->o->golden_dir)
        vds_golden_check(r, res);
    if (res->status != VDS_PASS)
        vds_copy_logs(r, res);
    /* a dead or broken stack is restarted for the next scenario */
    if ((r->t->dead || r->stack_broken || r->s->breaks_agent) && r->t->started) {
        vds_target_stop(r->t);
        r->stack_broken = false;
    }
    g_hash_table_unref(r->vars);
}

/* --- the run ------------------------------------------------------------------ */

/* vdsim's own peak resident set so far (VmHWM), in KiB; -1 when unknown.
   Not getrusage's children figure, which would count the agent stack. */
static gint64 peak_rss_kib(void)
{
    g_autofree char *status = NULL;
    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
        return -1;
    const char *p = strstr(status, "\nVmHWM:");
    return p ? g_ascii_strtoll(p + 7, NULL, 10) : -1;
}

static void result_free(vds_scenario_result *res)
{
    g_free(res->failure);
    g_free(res->trace_path);
    g_free(res->golden_path);
    g_free(res->log_path);
    g_free(res->logs);
    g_free(res->agent_said);
    if (res->latencies)
        g_ptr_array_unref(res->latencies);
    if (res->notes)
        g_ptr_array_unref(res->notes);
    g_free(res);
}

void vds_run_result_free(vds_run_result *r)
{
    if (!r)
        return;
    g_ptr_array_unref(r->results);
    g_free(r->target);
    g_free(r->target_kind);
    g_free(r->target_info);
    g_free(r->agent);
    g_free(r->agent_version);
    g_free(r->lost);
    g_free(r->verdict);
    g_free(r->verdict_detail);
    g_free(r);
}

bool vds_result_ok(const vds_run_result *run, const vds_scenario_result *res)
{
    return res->status == VDS_PASS || res->status == VDS_SKIP || res->status == VDS_XFAIL ||
           (res->status == VDS_XPASS && !run->strict);
}

/* How bad a status is for the scenario's line, worst last. */
static int severity(vds_status s)
{
    static const vds_status order[] = {VDS_SKIP,  VDS_PASS, VDS_XFAIL,
                                       VDS_XPASS, VDS_FAIL, VDS_ERROR};
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
        if (order[i] == s)
            return (int)i;
    return 0;
}

static void group_judge(vds_result_group *g)
{
    unsigned failed = 0;
    for (guint i = 0; i < g->runs->len; i++) {
        const vds_scenario_result *res = g->runs->pdata[i];
        if (!g->first || severity(res->status) > severity(g->status)) {
            g->status = res->status;
            g->first = res;
        }
        if (res->status == VDS_SKIP)
            continue;
        g->judged++;
        /* what the agent did: an XFAIL is the bug showing, an XPASS it not showing */
        if (res->status == VDS_PASS || res->status == VDS_XPASS)
            g->passed++;
        else
            failed++;
    }
    g->flaky = g->passed && failed;
    vds_wilson95(g->passed, g->judged, &g->rate_lo, &g->rate_hi);
}

void vds_result_group_free(vds_result_group *g)
{
    if (!g)
        return;
    g_ptr_array_unref(g->runs);
    g_free(g);
}

vds_result_group *vds_result_group_last(const vds_run_result *r)
{
    if (!r->results->len)
        return NULL;
    vds_result_group *g = g_new0(vds_result_group, 1);
    guint end = r->results->len, from = end - 1;
    g->s = ((vds_scenario_result *)r->results->pdata[from])->s;
    while (from > 0 && ((vds_scenario_result *)r->results->pdata[from - 1])->s == g->s)
        from--;
    g->runs = g_ptr_array_sized_new(end - from);
    for (guint i = from; i < end; i++)
        g_ptr_array_add(g->runs, r->results->pdata[i]);
    group_judge(g);
    return g;
}

GPtrArray *vds_result_groups(const vds_run_result *r)
{
    GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify)vds_result_group_free);
    vds_result_group *g = NULL;
    for (guint i = 0; i < r->results->len; i++) {
        vds_scenario_result *res = r->results->pdata[i];
        if (!g || g->s != res->s) { /* a scenario's runs follow each other */
            g = g_new0(vds_result_group, 1);
            g->s = res->s;
            g->runs = g_ptr_array_new();
            g_ptr_array_add(groups, g);
        }
        g_ptr_array_add(g->runs, res);
    }
    for (guint i = 0; i < groups->len; i++)
        group_judge(groups->pdata[i]);
    return groups;
}

unsigned vds_run_result_count(const vds_run_result *r, vds_status st)
{
    unsigned n = 0;
    for (guint i = 0; i < r->results->len; i++)
        n += ((vds_scenario_result *)r->results->pdata[i])->status == st;
    return n;
}

void vds_run_result_lost(vds_run_result *r, const vds_err *err)
{
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    if (!r->lost)
        r->lost = g_strdup(vds_err_str(err, ebuf, sizeof(ebuf)));
}

int vds_run_result_exit(const vds_run_result *r)
{
    if (r->interrupted || r->lost || vds_run_result_count(r, VDS_ERROR))
        return 3;
    if (r->strict && vds_run_result_count(r, VDS_XPASS))
        return 1;
    return vds_run_result_count(r, VDS_FAIL) ? 1 : 0;
}

vds_run_result *vds_run(GPtrArray *scenarios, const vds_run_opts *o, vds_err *err)
{
    vds_target *t = vds_target_new(o->target, g_main_context_default(), err);
    if (!t)
        return NULL;
    vds_run_result *res = vds_run_target(scenarios, o, t);
    vds_target_free(t);
    return res;
}

static void open_run_trace(vds_runner *r)
{
    vds_err err = {0};
    if (!r->o->trace_path)
        return;
    vds_trace_info info = {.source = "run",
                           .target = r->o->target,
                           .port_writer = r->t->kind->port_writer,
                           .host_caps = VDS_CAPS_SPICE_GTK,
                           .agent_caps = VDS_CAPS_VDAGENTD};
    r->run_trace = vds_trace_writer_open(r->o->trace_path, &info, &err);
    if (!r->run_trace)
        vds_run_result_lost(r->run, &err);
}

/* A run like one before it: its trace and logs go (its figures stay). */
static void forget_run(vds_scenario_result *res)
{
    if (res->trace_path)
        g_unlink(res->trace_path);
    if (res->log_path)
        g_unlink(res->log_path);
    g_clear_pointer(&res->trace_path, g_free);
    g_clear_pointer(&res->log_path, g_free);
    g_clear_pointer(&res->logs, g_free);
}

vds_run_result *vds_run_target(GPtrArray *scenarios, const vds_run_opts *o, vds_target *t)
{
    vds_err err = {0};
    vds_run_result *run = g_new0(vds_run_result, 1);
    vds_runner r = {.o = o, .ctx = t->ctx, .t = t, .run = run};
    run->target = g_strdup(o->target);
    run->strict = o->strict;
    run->scenarios = scenarios;
    run->target_kind = g_strdup(t->kind->name);
    run->results = g_ptr_array_new_with_free_func((GDestroyNotify)result_free);
    run->total = scenarios->len;
    t->observe = vds_runner_on_wire;
    t->observe_user = &r;
    if (g_mkdir_with_parents(o->report_dir, 0755) < 0) {
        vds_err_set(&err, VDS_ERR_IO, o->report_dir, "cannot create: %s", g_strerror(errno));
        vds_run_result_lost(run, &err);
    }
    r.run_t0 = vds_clock_now_ns();
    run->started_unix_us = g_get_real_time();
    open_run_trace(&r);
    run->repeat_run = o->repeat_run ? o->repeat_run : o->until_fail ? VDS_UNTIL_FAIL_MAX : 1;
    run->until_fail = o->until_fail;
    for (guint i = 0; i < scenarios->len && !vds_runner_interrupted(&r) && !run->stopped; i++) {
        run->started++;
        r.s = scenarios->pdata[i];
        unsigned seen = 0; /* the statuses its runs had so far, a bit each */
        for (unsigned k = 1; k <= run->repeat_run; k++) {
            if (o->observer.begin)
                o->observer.begin(o->observer.user, run, r.s, k);
            vds_scenario_result *res = g_new0(vds_scenario_result, 1);
            res->s = r.s;
            res->run_no = k;
            r.res = res;
            run_one(&r, res);
            bool failed = !vds_result_ok(run, res);
            run->stopped = o->until_fail && failed && !vds_runner_interrupted(&r);
            res->last_run = k == run->repeat_run || run->stopped || vds_runner_interrupted(&r) ||
                            res->status == VDS_SKIP;
            if (!failed && (seen & (1u << res->status)))
                forget_run(res); /* of many runs: the failing ones, and one of each other kind */
            seen |= 1u << res->status;
            g_ptr_array_add(run->results, res);
            if (!run->target_info && t->info)
                run->target_info = g_strdup(t->info);
            if (o->observer.scenario)
                o->observer.scenario(o->observer.user, run, res);
            if (res->last_run)
                break;
        }
    }
    run->interrupted = vds_runner_interrupted(&r);
    if (run->interrupted)
        run->interrupted_ns = vds_clock_now_ns() - r.run_t0;
    run->wall_ns = vds_clock_now_ns() - r.run_t0;
    if (t->started && !o->keep_started)
        vds_target_stop(t);
    if (vds_trace_writer_close(r.run_trace, &err) < 0)
        vds_run_result_lost(run, &err);
    run->peak_rss_kib = peak_rss_kib();
    t->observe = NULL;
    return run;
}
