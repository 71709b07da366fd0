/* ddmin over steps (Zeller), then greedy reductions inside send steps: the
 * monitors of a layout one by one, clipboard text by halves. A candidate is
 * kept only when it fails the same way as the original. */
#include "scenario/minimize.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "proto/agent.h"
#include "scenario/step.h"

/* "the agent sent # bytes \"…\"": numbers and quoted text out of a message. */
static char *normalise(const char *msg)
{
    GString *out = g_string_new(NULL);
    for (const char *p = msg; *p; p++) {
        if (p[0] == '0' && p[1] == 'x' && g_ascii_isxdigit(p[2])) { /* a pointer in a log */
            for (p += 2; g_ascii_isxdigit(p[1]);)
                p++;
            g_string_append_c(out, '#');
        } else if (g_ascii_isdigit(*p)) {
            while (g_ascii_isdigit(p[1]) || (p[1] == '.' && g_ascii_isdigit(p[2])))
                p++;
            g_string_append_c(out, '#');
        } else if (*p == '"') {
            const char *q = strchr(p + 1, '"');
            g_string_append(out, "\"…\"");
            p = q ? q : p + strlen(p) - 1;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

/* A passing run of a scenario with a `not` (what a field agent never
   answered): it reproduces that, as long as the not and what it follows stay. */
static char *reproduced(const vds_scenario *s)
{
    const vds_step *stim = NULL;
    for (guint i = 0; i < s->steps->len; i++) {
        const vds_step *st = s->steps->pdata[i];
        if (st->kind == VDS_STEP_NOT && stim)
            return g_strdup_printf("reproduced: no %s after %s %s",
                                   vds_names_get(&vds_agent_type_names, st->u.msg.type),
                                   vds_step_kind_name(stim->kind),
                                   stim->kind == VDS_STEP_SEND
                                       ? vds_names_get(&vds_agent_type_names, stim->u.msg.type)
                                       : "-");
        if (st->kind != VDS_STEP_EXPECT && st->kind != VDS_STEP_NOT && st->kind != VDS_STEP_GUEST &&
            st->kind != VDS_STEP_ANY_ORDER)
            stim = st;
    }
    return NULL;
}

/* How the run ended, without the agent's word on it. */
static char *ending(const vds_scenario *s, const vds_scenario_result *res)
{
    if (res->status == VDS_PASS)
        return reproduced(s);
    if (res->status != VDS_FAIL || !res->failure)
        return NULL;
    unsigned line, col, k = 0;
    const char *at = strchr(res->failure, ':');
    const char *step = strstr(res->failure, ": step ");
    if (!at || sscanf(at + 1, "%u:%u", &line, &col) != 2 || !step ||
        sscanf(step + 7, "%u", &k) != 1 || !k || k > s->steps->len) {
        g_autofree char *n = normalise(at ? at + 1 : res->failure);
        return g_strdup_printf("scenario: %s", n); /* after the steps (the closing check) */
    }
    const vds_step *st = s->steps->pdata[k - 1];
    const char *msg = strstr(step, "): ");
    g_autofree char *n = normalise(msg ? msg + 3 : step);
    const char *type =
        st->kind == VDS_STEP_SEND || st->kind == VDS_STEP_EXPECT || st->kind == VDS_STEP_NOT
            ? vds_names_get(&vds_agent_type_names, st->u.msg.type)
            : "-";
    return g_strdup_printf("%s %s: %s", vds_step_kind_name(st->kind), type ? type : "?", n);
}

char *vds_failure_signature(const vds_scenario *s, const vds_scenario_result *res)
{
    char *sig = ending(s, res);
    if (!sig || !res->agent_said)
        return sig;
    g_autofree char *said = normalise(res->agent_said);
    g_autofree char *end = sig;
    return g_strdup_printf("%s; the agent logged: %s", end, said);
}

typedef struct minimizer {
    const vds_scenario *orig;
    GHashTable *index; /* vds_step* -> its index + 1 in orig (copies too) */
    int *stimulus;     /* per step of orig: the step an expect or not answers, or -1 */
    const char *want;
    vds_min_run_fn run;
    void *user;
    const vds_min_opts *o;
    vds_min_stats *stats;
    uint64_t t0;
} minimizer;

static bool out_of_budget(minimizer *m)
{
    bool out = m->stats->runs >= m->o->max_runs || vds_clock_now_ns() - m->t0 >= m->o->max_ns ||
               (m->o->interrupt && *m->o->interrupt);
    m->stats->bounded |= out;
    return out;
}

/* The text of orig with just these steps (vds_step*, borrowed). */
static char *text_of(minimizer *m, GPtrArray *steps)
{
    vds_scenario copy = *m->orig;
    copy.steps = steps;
    return vds_scenario_write(&copy);
}

/* What the agent answers comes after what asks it: an expectation keeps
   the step before it that acts on the agent or the guest. */
static bool stimulus_kind(const vds_step *st)
{
    return st->kind != VDS_STEP_EXPECT && st->kind != VDS_STEP_NOT &&
           st->kind != VDS_STEP_ANY_ORDER && st->kind != VDS_STEP_GUEST;
}

static void find_stimuli(minimizer *m)
{
    int last = -1;
    m->stimulus = g_new(int, m->orig->steps->len);
    for (guint i = 0; i < m->orig->steps->len; i++) {
        const vds_step *st = m->orig->steps->pdata[i];
        m->stimulus[i] = stimulus_kind(st) ? -1 : last;
        if (stimulus_kind(st))
            last = (int)i;
        g_hash_table_insert(m->index, (gpointer)st, GUINT_TO_POINTER(i + 1));
    }
}

/* Does every expectation of the candidate keep what it answers? */
static bool keeps_stimuli(minimizer *m, GPtrArray *steps)
{
    g_autoptr(GHashTable) present = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < steps->len; i++)
        g_hash_table_add(present, g_hash_table_lookup(m->index, steps->pdata[i]));
    for (guint i = 0; i < steps->len; i++) {
        guint k = GPOINTER_TO_UINT(g_hash_table_lookup(m->index, steps->pdata[i])) - 1;
        int stim = m->stimulus[k];
        if (stim >= 0 && !g_hash_table_contains(present, GUINT_TO_POINTER((guint)stim + 1)))
            return false;
    }
    return true;
}

/* Does the candidate fail the same way? Runs it unless it is not a valid
   candidate (an expectation without its stimulus, or it does not parse). */
static bool same_failure(minimizer *m, GPtrArray *steps)
{
    if (out_of_budget(m) || !keeps_stimuli(m, steps))
        return false;
    g_autofree char *text = text_of(m, steps);
    vds_err err;
    vds_scenario *c = vds_scenario_parse(m->orig->file, text, strlen(text), &err);
    if (!c)
        return false;
    g_autofree char *sig = m->run(m->user, c);
    vds_scenario_free(c);
    m->stats->runs++;
    if (m->o->progress)
        m->o->progress(m->o->user, m->stats->runs, steps->len, m->stats->steps0);
    return sig && strcmp(sig, m->want) == 0;
}

/* steps without those in [from, to). New array, borrowing the steps. */
static GPtrArray *without(GPtrArray *steps, guint from, guint to)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < steps->len; i++)
        if (i < from || i >= to)
            g_ptr_array_add(out, steps->pdata[i]);
    return out;
}

/* ddmin on complements: drop one of n chunks while the failure stays. */
static GPtrArray *ddmin(minimizer *m, GPtrArray *steps)
{
    guint n = 2;
    while (steps->len >= 2 && !out_of_budget(m)) {
        bool reduced = false;
        guint size = (steps->len + n - 1) / n;
        for (guint from = 0; from < steps->len && !reduced; from += size) {
            GPtrArray *c = without(steps, from, MIN(from + size, steps->len));
            if (c->len && same_failure(m, c)) {
                g_ptr_array_unref(steps);
                steps = c;
                n = MAX(n - 1, 2);
                reduced = true;
            } else {
                g_ptr_array_unref(c);
            }
        }
        if (!reduced) {
            if (n >= steps->len)
                break;
            n = MIN(n * 2, steps->len);
        }
    }
    return steps;
}

/* A shallow copy of a send step with other fields (taken): the candidate's
   own, freed with the minimizer. */
static vds_step *with_fields(minimizer *m, GPtrArray *owned, const vds_step *st, JsonObject *fields)
{
    vds_step *c = g_new(vds_step, 1);
    *c = *st;
    c->u.msg.fields = fields;
    g_ptr_array_add(owned, c);
    g_hash_table_insert(m->index, c, g_hash_table_lookup(m->index, st));
    return c;
}

static void owned_free(vds_step *st)
{
    json_object_unref(st->u.msg.fields);
    g_free(st);
}

static JsonObject *fields_copy(const vds_step *st)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), st->u.msg.fields);
    JsonNode *c = json_node_copy(n);
    JsonObject *o = json_object_ref(json_node_get_object(c));
    json_node_unref(n);
    json_node_unref(c);
    return o;
}

/* Try steps with steps[i] replaced by c: kept when the failure stays. */
static bool try_replace(minimizer *m, GPtrArray *steps, guint i, vds_step *c)
{
    gpointer old = steps->pdata[i];
    steps->pdata[i] = c;
    if (same_failure(m, steps))
        return true;
    steps->pdata[i] = old;
    return false;
}

static bool send_of(const vds_step *st, uint32_t type)
{
    return st->kind == VDS_STEP_SEND && st->u.msg.type == type;
}

/* Inside sends: a layout's monitors one at a time, clipboard text by halves. */
static void shrink_messages(minimizer *m, GPtrArray *steps, GPtrArray *owned)
{
    for (guint i = 0; i < steps->len && !out_of_budget(m); i++) {
        const vds_step *st = steps->pdata[i];
        JsonNode *mons = send_of(st, VD_AGENT_MONITORS_CONFIG)
                             ? json_object_get_member(st->u.msg.fields, "monitors")
                             : NULL;
        guint n = mons && JSON_NODE_HOLDS_ARRAY(mons)
                      ? json_array_get_length(json_node_get_array(mons))
                      : 0;
        for (guint j = n; j-- > 0 && !out_of_budget(m);) {
            const vds_step *cur = steps->pdata[i];
            JsonObject *f = fields_copy(cur);
            JsonArray *a = json_object_get_array_member(f, "monitors");
            if (j >= json_array_get_length(a) || json_array_get_length(a) < 2) { /* keep one */
                json_object_unref(f);
                continue;
            }
            json_array_remove_element(a, j);
            try_replace(m, steps, i, with_fields(m, owned, cur, f));
        }
        while (send_of(steps->pdata[i], VD_AGENT_CLIPBOARD) && !out_of_budget(m)) {
            const vds_step *cur = steps->pdata[i];
            const char *d =
                json_object_get_string_member_with_default(cur->u.msg.fields, "data", NULL);
            glong len = d ? g_utf8_strlen(d, -1) : 0;
            if (len < 2)
                break;
            JsonObject *f = fields_copy(cur);
            g_autofree char *half = g_utf8_substring(d, 0, len / 2);
            json_object_set_string_member(f, "data", half);
            json_object_remove_member(f, "len"); /* the builder counts it */
            if (!try_replace(m, steps, i, with_fields(m, owned, cur, f)))
                break;
        }
    }
}

char *vds_minimize(const vds_scenario *s, const char *want, vds_min_run_fn run, void *user,
                   const vds_min_opts *o, vds_min_stats *stats)
{
    minimizer m = {s,
                   g_hash_table_new(g_direct_hash, g_direct_equal),
                   NULL,
                   want,
                   run,
                   user,
                   o,
                   stats,
                   vds_clock_now_ns()};
    memset(stats, 0, sizeof(*stats));
    find_stimuli(&m);
    stats->steps0 = s->steps->len;
    g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func((GDestroyNotify)owned_free);
    GPtrArray *steps = g_ptr_array_new();
    for (guint i = 0; i < s->steps->len; i++)
        g_ptr_array_add(steps, s->steps->pdata[i]);
    steps = ddmin(&m, steps);
    shrink_messages(&m, steps, owned);
    stats->steps = steps->len;
    stats->ns = vds_clock_now_ns() - m.t0;
    char *text = text_of(&m, steps);
    g_ptr_array_unref(steps);
    g_free(m.stimulus);
    g_hash_table_unref(m.index);
    return text;
}
