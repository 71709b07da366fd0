/* Steps on the guest's side, through the target's oracle: guest checks
 * (input, screen, clipboard, pasted), guest-copy, guest-paste,
 * guest-release and guest-agent. The runner calls these only on targets
 * whose capabilities cover the scenario's needs. */
#include <string.h>

#include "core/clock.h"
#include "scenario/runner-ctx.h"

#define POLL_NS (50ull * 1000000)

static char *rects_text(GArray *rects)
{
    GString *s = g_string_new("[");
    for (guint i = 0; i < rects->len; i++) {
        vds_rect *x = &g_array_index(rects, vds_rect, i);
        g_string_append_printf(s, "%s%ux%u%+d%+d", i ? ", " : "", x->w, x->h, x->x, x->y);
    }
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

static char *events_text(const vds_input_event *ev, guint n)
{
    GString *s = g_string_new("[");
    char buf[64];
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "",
                               vds_input_event_fmt(&ev[i], buf, sizeof(buf)));
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

static JsonNode *string_node(const char *s)
{
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, s);
    return n;
}

/* --- input -------------------------------------------------------------------- */

typedef struct input_wait {
    vds_runner *r;
    guint want;
} input_wait;

static bool input_arrived(void *user)
{
    input_wait *w = user;
    vds_oracle *o = w->r->t->oracle;
    if (o->ops->input_sync)
        o->ops->input_sync(o);
    return o->input->len - w->r->input_pos >= w->want;
}

static int guest_input(vds_runner *r, const vds_step *st, uint64_t deadline)
{
    const GArray *want = st->u.guest.events;
    GArray *input = r->t->oracle->input;
    /* an empty list means: nothing for the whole window */
    input_wait w = {r, want->len ? want->len : 1};
    vds_await_status why = vds_runner_await(r, deadline, 0, input_arrived, &w);
    if (why == VDS_AWAIT_DEAD || why == VDS_AWAIT_INTERRUPTED)
        return vds_step_fail_await(r, st, why);
    guint got_n = input->len - r->input_pos;
    const vds_input_event *got = &g_array_index(input, vds_input_event, r->input_pos);
    g_autofree char *gt = events_text(got, got_n);
    g_autofree char *wt = events_text((vds_input_event *)want->data, want->len);
    g_autoptr(JsonNode) obs = string_node(gt);
    vds_runner_note(r, "guest input", obs);
    r->input_pos = input->len;
    if (got_n != want->len ||
        (got_n && memcmp(got, want->data, got_n * sizeof(vds_input_event)) != 0))
        return vds_step_fail(r, st, "the agent's input device got %s within %.0f ms, expected %s",
                             gt, st->within_ns / 1e6, wt);
    return 0;
}

/* --- screen ------------------------------------------------------------------- */

typedef struct screen_wait {
    vds_runner *r;
    const vds_step *st;
    GArray *rects;   /* what X shows */
    uint32_t dw, dh; /* what the display shows, when drc is 0 */
    int drc;         /* the display op's answer (1: no display) */
    bool on_x, on_display;
    vds_err err;
    bool failed; /* an oracle error: err */
} screen_wait;

static bool screen_check(void *user)
{
    screen_wait *w = user;
    vds_oracle *o = w->r->t->oracle;
    const GArray *want = w->st->u.guest.rects;
    if (o->ops->screen(o, w->rects, &w->err) < 0)
        return w->failed = true;
    w->on_x = w->rects->len == want->len &&
              memcmp(w->rects->data, want->data, want->len * sizeof(vds_rect)) == 0;
    /* what a viewer sees: with one output, the display's own size from the
       host (a screenshot) must follow X */
    w->drc = 1;
    if (w->on_x && w->rects->len == 1 && o->ops->display &&
        (w->drc = o->ops->display(o, &w->dw, &w->dh, &w->err)) < 0)
        return w->failed = true;
    const vds_rect *one = w->rects->len ? &g_array_index(w->rects, vds_rect, 0) : NULL;
    w->on_display = w->on_x && (w->drc == 1 || (w->dw == one->w && w->dh == one->h));
    /* and the daemon has taken it too, or a mouse state sent next would
       still use the old monitor offsets */
    return w->on_display && vds_target_screen_taken(w->r->t);
}

static int guest_screen(vds_runner *r, const vds_step *st, uint64_t deadline)
{
    g_autoptr(GArray) rects = g_array_new(FALSE, FALSE, sizeof(vds_rect));
    screen_wait w = {.r = r, .st = st, .rects = rects, .drc = 1};
    vds_await_status why = vds_runner_await(r, deadline, POLL_NS, screen_check, &w);
    if (w.failed)
        return vds_step_fail(r, st, "%s", w.err.msg);
    g_autofree char *rt = rects_text(rects);
    g_autofree char *gt =
        w.drc == 0 ? g_strdup_printf("%s (display %ux%u)", rt, w.dw, w.dh) : g_strdup(rt);
    g_autoptr(JsonNode) obs = string_node(gt);
    vds_runner_note(r, "guest screen", obs);
    if (why == VDS_AWAIT_MATCH)
        return 0;
    if (why != VDS_AWAIT_TIMEOUT)
        return vds_step_fail_await(r, st, why);
    if (w.on_x && !w.on_display)
        return vds_step_fail(r, st,
                             "the X screen shows %s, but the display shows %ux%u after %.0f ms", rt,
                             w.dw, w.dh, st->within_ns / 1e6);
    if (w.on_display)
        return vds_step_fail(r, st,
                             "the X screen shows %s, but the agent has not taken the new "
                             "screen size within %.0f ms",
                             gt, st->within_ns / 1e6);
    g_autofree char *wt = rects_text(st->u.guest.rects);
    return vds_step_fail(r, st, "the X screen shows %s after %.0f ms, expected %s", gt,
                         st->within_ns / 1e6, wt);
}

/* --- pasted, clipboard ----------------------------------------------------------- */

/* What a paste or a selection held, for the trace: the bytes (text, or hex
   when they are not text), or their size when they are long. New node. */
static JsonNode *observed_bytes(GBytes *b)
{
    gsize n;
    const uint8_t *p = b ? g_bytes_get_data(b, &n) : NULL;
    if (!b)
        return json_node_new(JSON_NODE_NULL);
    if (n > 256) { /* long pastes: note their size */
        g_autofree char *size = g_strdup_printf("(%zu bytes)", n);
        return string_node(size);
    }
    return vds_trace_bytes_node(p, n);
}

/* The same for a failure's message (new string). */
static char *bytes_text(GBytes *b)
{
    gsize n;
    const uint8_t *p = g_bytes_get_data(b, &n);
    if (n > 256)
        return g_strdup_printf("%zu bytes", n);
    g_autofree char *t = vds_bytes_text(p, n);
    return g_strdup_printf("\"%s\"", t);
}

static int guest_pasted(vds_runner *r, const vds_step *st, uint64_t deadline)
{
    vds_oracle *o = r->t->oracle;
    GBytes *want = st->u.guest.text;
    g_autoptr(GBytes) text = NULL;
    vds_err err = {0};
    int prc = o->ops->paste_result(o, deadline, &text, &err);
    bool same = want ? text && g_bytes_equal(text, want) : !text;
    g_autoptr(JsonNode) obs = observed_bytes(text);
    vds_runner_note(r, "guest pasted", obs);
    if (same)
        return 0;
    g_autofree char *got = text ? bytes_text(text) : g_strdup("nothing");
    if (!want)
        return vds_step_fail(r, st, "the guest pasted %s, expected nothing to paste", got);
    if (prc < 0 && !text)
        return vds_step_fail(r, st, "%s within %.0f ms", err.msg, st->within_ns / 1e6);
    g_autofree char *wt = bytes_text(want);
    return vds_step_fail(r, st, "the guest pasted %s, expected %s", got, wt);
}

typedef struct clip_wait {
    vds_runner *r;
    const vds_step *st;
    uint64_t deadline;
    GBytes *last; /* what the selection held at the last look */
    vds_err err;
} clip_wait;

static bool clipboard_check(void *user)
{
    clip_wait *w = user;
    vds_oracle *o = w->r->t->oracle;
    GBytes *text = NULL;
    uint64_t now = vds_clock_now_ns();
    uint64_t left = w->deadline > now ? w->deadline - now : 1000000;
    if (o->ops->clipboard(o, w->st->u.guest.selection, MIN(left, 2000000000ull), &text, &w->err) <
        0)
        return false;
    if (w->last)
        g_bytes_unref(w->last);
    w->last = text;
    return g_bytes_equal(text, w->st->u.guest.text);
}

static int guest_clipboard(vds_runner *r, const vds_step *st, uint64_t deadline)
{
    clip_wait w = {r, st, deadline, NULL, {0}};
    vds_await_status why = vds_runner_await(r, deadline, POLL_NS, clipboard_check, &w);
    g_autoptr(GBytes) last = w.last;
    g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
    g_autoptr(JsonNode) obs = observed_bytes(last ? last : empty);
    vds_runner_note(r, "guest clipboard", obs);
    if (why == VDS_AWAIT_MATCH)
        return 0;
    if (why != VDS_AWAIT_TIMEOUT)
        return vds_step_fail_await(r, st, why);
    if (!last)
        return vds_step_fail(r, st, "%s within %.0f ms", w.err.msg, st->within_ns / 1e6);
    g_autofree char *got = bytes_text(last);
    g_autofree char *wt = bytes_text(st->u.guest.text);
    return vds_step_fail(r, st, "the guest pasted %s, expected %s", got, wt);
}

int vds_run_guest(vds_runner *r, const vds_step *st, uint64_t start)
{
    uint64_t deadline = start + st->within_ns;
    switch (st->u.guest.what) {
    case VDS_GUEST_INPUT:
        return guest_input(r, st, deadline);
    case VDS_GUEST_SCREEN:
        return guest_screen(r, st, deadline);
    case VDS_GUEST_PASTED:
        return guest_pasted(r, st, deadline);
    case VDS_GUEST_CLIPBOARD:
        return guest_clipboard(r, st, deadline);
    }
    return 0;
}

/* --- guest actions ------------------------------------------------------------------ */

int vds_run_guest_copy(vds_runner *r, const vds_step *st, uint64_t start)
{
    vds_oracle *o = r->t->oracle;
    vds_err err = {0};
    const vds_step_copy *c = &st->u.copy;
    if (o->ops->guest_copy(o, c->selection, c->text, c->path, &err) < 0)
        return vds_step_fail(r, st, "%s", err.msg);
    vds_runner_note(r, "guest copy", NULL);
    return 0;
}

int vds_run_guest_paste(vds_runner *r, const vds_step *st, uint64_t start)
{
    vds_oracle *o = r->t->oracle;
    vds_err err = {0};
    if (o->ops->paste_start(o, st->u.selection, &err) < 0)
        return vds_step_fail(r, st, "%s", err.msg);
    vds_runner_note(r, "guest paste started", NULL);
    return 0;
}

int vds_run_guest_release(vds_runner *r, const vds_step *st, uint64_t start)
{
    vds_oracle *o = r->t->oracle;
    o->ops->guest_release(o, st->u.selection);
    vds_runner_note(r, "guest release", NULL);
    return 0;
}

int vds_run_guest_agent(vds_runner *r, const vds_step *st, uint64_t start)
{
    vds_oracle *o = r->t->oracle;
    vds_err err = {0};
    if (o->ops->agent_pause(o, st->u.agent_stop, &err) < 0)
        return vds_step_fail(r, st, "%s", err.msg);
    vds_runner_note(r, st->u.agent_stop ? "guest agent stopped" : "guest agent continued", NULL);
    return 0;
}
