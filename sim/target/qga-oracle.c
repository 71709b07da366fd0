/* The QEMU guest agent as an oracle: xrandr, xclip and a capture of the
 * agent's uinput tablet run inside the guest through guest-exec, the
 * display's size comes from a screenshot taken by the host. */
#include <json-glib/json-glib.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/image.h"
#include "core/loop.h"
#include "target/libvirt.h"

/* --- the QEMU guest agent as an oracle ---------------------------------------- */

typedef struct qga {
    vds_oracle base;
    virConnectPtr conn;
    virDomainPtr dom;
    char *name;
    int64_t paste_pid;   /* a guest-paste running in the guest, or 0 */
    bool started;        /* a later start restarts the guest's agent */
    uint64_t input_off;  /* bytes of the guest's input capture already taken */
    uint64_t input_t;    /* clock of the last look at it */
    uint8_t partial[24]; /* an input_event not yet complete */
    size_t have;
    bool paused;            /* spice-vdagentd stopped by a guest-agent step */
    unsigned opens;         /* tablets the capture has opened */
    unsigned opens_at_warm; /* ... when a move was asked for to make one */
    bool warm_pending;
    uint8_t owners; /* selections (bit 1 << sel) an xclip -i of ours may own */
} qga;

/* One guest agent command; the reply's "return" member (new node) or NULL. */
static JsonNode *qga_command(qga *q, JsonNode *cmd, vds_err *err)
{
    g_autofree char *text = json_to_string(cmd, FALSE);
    char *reply = virDomainQemuAgentCommand(q->dom, text, 10, 0);
    if (!reply) {
        g_autofree char *why = vds_libvirt_error();
        vds_err_set(err, VDS_ERR_IO, q->name, "guest agent: %s", why);
        return NULL;
    }
    g_autoptr(JsonParser) p = json_parser_new();
    JsonNode *ret = NULL;
    if (json_parser_load_from_data(p, reply, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        JsonNode *r =
            json_object_get_member(json_node_get_object(json_parser_get_root(p)), "return");
        ret = r ? json_node_copy(r) : NULL;
    }
    if (!ret)
        vds_err_set(err, VDS_ERR_PROTOCOL, q->name, "guest agent: unexpected reply %.200s", reply);
    free(reply);
    return ret;
}

/* Start sh -c script in the guest's X session (DISPLAY=:0), stdin from input. */
static int64_t qga_spawn(qga *q, const char *script, GBytes *input, vds_err *err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, "guest-exec");
    json_builder_set_member_name(b, "arguments");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, "/bin/sh");
    json_builder_set_member_name(b, "arg");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, "-c");
    json_builder_add_string_value(b, script);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "env");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, "DISPLAY=:0");
    json_builder_add_string_value(b, "HOME=/root");
    json_builder_add_string_value(b, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    json_builder_end_array(b);
    json_builder_set_member_name(b, "capture-output");
    json_builder_add_boolean_value(b, TRUE);
    if (input) {
        g_autofree char *b64 =
            g_base64_encode(g_bytes_get_data(input, NULL), g_bytes_get_size(input));
        json_builder_set_member_name(b, "input-data");
        json_builder_add_string_value(b, b64);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) cmd = json_builder_get_root(b);
    g_autoptr(JsonNode) ret = qga_command(q, cmd, err);
    if (!ret || !JSON_NODE_HOLDS_OBJECT(ret))
        return -1;
    return json_object_get_int_member_with_default(json_node_get_object(ret), "pid", -1);
}

/* Wait for a guest-exec pid until deadline: 0 with *out (stdout) and *status. */
static int qga_wait(qga *q, int64_t pid, uint64_t deadline, GBytes **out, int *status, vds_err *err)
{
    for (;;) {
        g_autofree char *text = g_strdup_printf(
            "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":%" G_GINT64_FORMAT "}}",
            pid);
        g_autoptr(JsonNode) cmd = json_from_string(text, NULL);
        g_autoptr(JsonNode) ret = qga_command(q, cmd, err);
        if (!ret || !JSON_NODE_HOLDS_OBJECT(ret))
            return -1;
        JsonObject *o = json_node_get_object(ret);
        if (json_object_get_boolean_member_with_default(o, "exited", FALSE)) {
            /* a signal shows as 128 + N, as a shell says it */
            *status = json_object_has_member(o, "signal")
                          ? 128 + (int)json_object_get_int_member(o, "signal")
                          : (int)json_object_get_int_member_with_default(o, "exitcode", -1);
            const char *b64 = json_object_get_string_member_with_default(o, "out-data", "");
            gsize n = 0;
            guchar *d = *b64 ? g_base64_decode(b64, &n) : NULL;
            *out = g_bytes_new_take(d, n);
            return 0;
        }
        if (vds_clock_now_ns() >= deadline)
            return vds_err_set(err, VDS_ERR_IO, q->name, "a command in the guest did not finish");
        /* not g_usleep: what the guest waits for may need the loop, e.g.
           the agent tokens that let vdsim's client send the rest of a
           clipboard the guest is pasting */
        vds_loop_sleep(q->base.ctx, 20000000ull);
    }
}

static int qga_run(qga *q, const char *script, GBytes *input, uint64_t timeout_ns, GBytes **out,
                   int *status, vds_err *err)
{
    int64_t pid = qga_spawn(q, script, input, err);
    if (pid < 0)
        return -1;
    return qga_wait(q, pid, vds_clock_now_ns() + timeout_ns, out, status, err);
}

/* One guest-file command on handle with extra arguments (a JSON fragment
   after the handle, or ""): its return (new node) or NULL with err. */
static JsonNode *qga_file_command(qga *q, const char *what, gint64 handle, const char *args,
                                  vds_err *err)
{
    g_autofree char *text =
        g_strdup_printf("{\"execute\":\"%s\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT "%s}}",
                        what, handle, args);
    g_autoptr(JsonNode) cmd = json_from_string(text, NULL);
    return qga_command(q, cmd, err);
}

/* Open path in the guest with mode ("r", "w"): its handle, or -1 with err. */
static gint64 qga_file_open(qga *q, const char *path, const char *mode, vds_err *err)
{
    g_autofree char *text = g_strdup_printf(
        "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"%s\",\"mode\":\"%s\"}}", path,
        mode);
    g_autoptr(JsonNode) cmd = json_from_string(text, NULL);
    g_autoptr(JsonNode) h = qga_command(q, cmd, err);
    return h && JSON_NODE_HOLDS_VALUE(h) ? json_node_get_int(h) : -1;
}

static void qga_file_close(qga *q, gint64 handle)
{
    vds_err ignored;
    JsonNode *closed = qga_file_command(q, "guest-file-close", handle, "", &ignored);
    if (closed)
        json_node_unref(closed);
}

/* A file in the guest from byte offset on, read in pieces (guest-file-read):
   large outputs do not go through one guest-exec reply. New bytes in *out. */
static int qga_read_file(qga *q, const char *path, uint64_t offset, GBytes **out, vds_err *err)
{
    gint64 handle = qga_file_open(q, path, "r", err);
    if (handle < 0)
        return -1;
    GByteArray *data = g_byte_array_new();
    int rc = 0;
    if (offset) {
        g_autofree char *args =
            g_strdup_printf(",\"offset\":%" G_GUINT64_FORMAT ",\"whence\":\"set\"", offset);
        g_autoptr(JsonNode) r = qga_file_command(q, "guest-file-seek", handle, args, err);
        if (!r)
            rc = -1;
    }
    while (rc == 0) {
        g_autoptr(JsonNode) r =
            qga_file_command(q, "guest-file-read", handle, ",\"count\":524288", err);
        if (!r || !JSON_NODE_HOLDS_OBJECT(r)) {
            rc = -1;
            break;
        }
        JsonObject *o = json_node_get_object(r);
        const char *b64 = json_object_get_string_member_with_default(o, "buf-b64", "");
        gsize n = 0;
        g_autofree guchar *piece = *b64 ? g_base64_decode(b64, &n) : NULL;
        g_byte_array_append(data, piece, (guint)n);
        if (json_object_get_boolean_member_with_default(o, "eof", TRUE) || n == 0)
            break;
    }
    qga_file_close(q, handle);
    *out = g_byte_array_free_to_bytes(data);
    if (rc < 0)
        g_clear_pointer(out, g_bytes_unref);
    return rc;
}

#define PASTE_FILE "/run/vdsim-paste.out"
#define INPUT_FILE "/run/vdsim-input.bin"
#define COPY_FILE  "/run/vdsim-copy.in"

/* Write data into a file in the guest in pieces (guest-file-write): a
   large guest-exec input does not get through the guest agent in time. */
static int qga_write_file(qga *q, const char *path, GBytes *data, vds_err *err)
{
    gint64 handle = qga_file_open(q, path, "w", err);
    if (handle < 0)
        return -1;
    gsize n;
    const guchar *d = g_bytes_get_data(data, &n);
    int rc = 0;
    for (gsize off = 0; rc == 0 && off < n; off += 49152) {
        g_autofree char *b64 = g_base64_encode(d + off, MIN(n - off, 49152));
        g_autofree char *args = g_strdup_printf(",\"buf-b64\":\"%s\"", b64);
        g_autoptr(JsonNode) r = qga_file_command(q, "guest-file-write", handle, args, err);
        rc = r ? 0 : -1;
    }
    qga_file_close(q, handle);
    return rc;
}

/* In the guest, in the background: the events of the agent's uinput tablet
   ("spice vdagent tablet", made again on every resolution change), appended
   to INPUT_FILE as raw struct input_event. */
static int qga_capture_input(qga *q, vds_err *err)
{
    /* the marker is spelt out only in the capture's own command line, so
       neither pkill nor this shell matches itself; each time the tablet is
       (re)opened an all-0xff input_event goes first, as a marker */
    static const char script[] =
        "pkill -f 'vdsim-input-captur[e]'; : > " INPUT_FILE "; m=vdsim-input; "
        "setsid sh -c \"while :; do for f in /sys/class/input/event*/device/name; do "
        "read n < \\$f 2>/dev/null; [ \\\"\\$n\\\" = 'spice vdagent tablet' ] || continue; "
        "d=\\${f%/device/name}; "
        "printf "
        "'\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377"
        "\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377\\\\377'; "
        "cat /dev/input/\\${d##*/}; done; sleep 0.1; done "
        "# $m-capture\" >> " INPUT_FILE " 2>/dev/null < /dev/null &";
    g_autoptr(GBytes) out = NULL;
    int status;
    q->input_off = 0;
    q->have = 0;
    q->opens = 0;
    q->warm_pending = false;
    vds_warm_filter_clear(&q->base.warm);
    if (qga_run(q, script, NULL, 10000000000ull, &out, &status, err) < 0)
        return -1;
    return status == 0 ? 0
                       : vds_err_set(err, VDS_ERR_IO, q->name,
                                     "starting the input capture in the guest: exit %d", status);
}

/* Take what the capture has appended since the last look (at most every
   50 ms: each look is a few guest agent commands). */
static void input_sync(qga *q, bool now_please)
{
    uint64_t now = vds_clock_now_ns();
    if (!now_please && now - q->input_t < 50000000ull)
        return;
    q->input_t = now;
    vds_err err;
    g_autoptr(GBytes) fresh = NULL;
    if (qga_read_file(q, INPUT_FILE, q->input_off, &fresh, &err) < 0)
        return; /* not there yet: nothing seen */
    gsize n;
    const uint8_t *d = g_bytes_get_data(fresh, &n);
    for (gsize i = 0; i < n; i++) {
        q->partial[q->have++] = d[i];
        if (q->have < 24)
            continue;
        /* struct input_event on x86_64: a 16-byte time, u16 type, u16 code, s32 value */
        vds_input_event ev;
        memcpy(&ev.type, q->partial + 16, 2);
        memcpy(&ev.code, q->partial + 18, 2);
        memcpy(&ev.value, q->partial + 20, 4);
        q->have = 0;
        if (ev.type == 0xffff && ev.code == 0xffff) { /* the capture opened a tablet */
            q->opens++;
            continue;
        }
        vds_warm_filter_take(&q->base.warm, &ev, q->base.input);
    }
    q->input_off += n;
}

static void qga_input_sync(vds_oracle *t)
{
    input_sync((qga *)t, false);
}

/* spice-vdagentd closes its tablet and makes a new one when the screen size
   changes (and makes one again on the next move if it lost it); events
   written before the capture has opened the new device are lost to it. So:
   when there is no tablet, ask for one move (the outer target makes it, see
   vds_oracle_screen_taken) and wait until the capture has opened a new one. */
static bool qga_screen_taken(vds_oracle *t)
{
    qga *q = (qga *)t;
    input_sync(q, true);
    if (q->warm_pending) {
        if (q->opens <= q->opens_at_warm)
            return false;
        q->warm_pending = false;
        return true;
    }
    g_autoptr(GBytes) out = NULL;
    int status = 1;
    vds_err err;
    if (qga_run(q,
                "for f in /sys/class/input/event*/device/name; do "
                "[ \"$(cat $f)\" = 'spice vdagent tablet' ] && exit 0; done; exit 1",
                NULL, 5000000000ull, &out, &status, &err) == 0 &&
        status == 0)
        return true;
    q->warm_pending = true;
    q->opens_at_warm = q->opens;
    q->base.warm_mouse = true;
    return false;
}

static int cmp_rect(gconstpointer a, gconstpointer b)
{
    const vds_rect *ra = a, *rb = b;
    return ra->x != rb->x ? (ra->x < rb->x ? -1 : 1) : (ra->y < rb->y ? -1 : ra->y > rb->y);
}

/* The outputs xrandr reports as connected with a mode: WxH+X+Y each. */
static int qga_screen(vds_oracle *t, GArray *rects, vds_err *err)
{
    qga *q = (qga *)t;
    g_autoptr(GBytes) out = NULL;
    int status;
    if (qga_run(q, "xrandr --query", NULL, 5000000000ull, &out, &status, err) < 0)
        return -1;
    if (status != 0)
        return vds_err_set(err, VDS_ERR_IO, q->name, "xrandr in the guest exited with %d", status);
    g_autofree char *text = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_array_set_size(rects, 0);
    for (char **l = lines; *l; l++) {
        char name[64];
        vds_rect r;
        if (sscanf(*l, "%63s connected primary %ux%u%d%d", name, &r.w, &r.h, &r.x, &r.y) == 5 ||
            sscanf(*l, "%63s connected %ux%u%d%d", name, &r.w, &r.h, &r.x, &r.y) == 5)
            g_array_append_val(rects, r);
    }
    g_array_sort(rects, cmp_rect);
    return 0;
}

/* A screenshot's first bytes (the header); the rest is drained. */
typedef struct shot_head {
    uint8_t d[VDS_IMAGE_HEAD_MAX];
    size_t n;
} shot_head;

static int keep_head(virStreamPtr st, const char *buf, size_t len, void *user)
{
    shot_head *h = user;
    size_t take = MIN(len, sizeof(h->d) - h->n);
    memcpy(h->d + h->n, buf, take);
    h->n += take;
    return (int)len;
}

/* What the display shows, from the host: libvirt's screenshot of screen 0
   (QEMU's screendump), whose header gives the size. */
static int qga_display(vds_oracle *t, uint32_t *w, uint32_t *h, vds_err *err)
{
    qga *q = (qga *)t;
    virStreamPtr st = virStreamNew(q->conn, 0);
    shot_head head = {.n = 0};
    char *mime = st ? virDomainScreenshot(q->dom, st, 0, 0) : NULL;
    int rc = mime && virStreamRecvAll(st, keep_head, &head) == 0 && virStreamFinish(st) == 0;
    if (!rc) {
        g_autofree char *why = vds_libvirt_error();
        if (st && mime)
            virStreamAbort(st);
        if (st)
            virStreamFree(st);
        free(mime);
        return vds_err_set(err, VDS_ERR_IO, q->name, "screenshot of the display: %s", why);
    }
    virStreamFree(st);
    vds_err ierr = {0};
    rc = vds_image_size(head.d, head.n, w, h, &ierr);
    if (rc < 0)
        vds_err_set(err, VDS_ERR_PROTOCOL, q->name, "the display's screenshot (%s): %s: %s", mime,
                    ierr.loc, ierr.msg);
    free(mime);
    return rc;
}

static const char *sel_name(uint8_t sel)
{
    return sel ? "primary" : "clipboard";
}

static int qga_clipboard(vds_oracle *t, uint8_t sel, uint64_t timeout_ns, GBytes **text,
                         vds_err *err)
{
    qga *q = (qga *)t;
    g_autofree char *cmd = g_strdup_printf("xclip -o -selection %s", sel_name(sel));
    int status;
    *text = NULL;
    if (qga_run(q, cmd, NULL, timeout_ns, text, &status, err) < 0)
        return -1;
    if (status != 0) {
        g_clear_pointer(text, g_bytes_unref);
        return vds_err_set(err, VDS_ERR_IO, q->name, "the guest's paste got nothing");
    }
    return 0;
}

static int qga_guest_copy(vds_oracle *t, uint8_t sel, GBytes *text, const char *path, vds_err *err)
{
    qga *q = (qga *)t;
    g_autoptr(GBytes) data = text ? g_bytes_ref(text) : NULL;
    if (!data) {
        char *d;
        gsize n;
        g_autoptr(GError) ge = NULL;
        if (!g_file_get_contents(path, &d, &n, &ge))
            return vds_err_set(err, VDS_ERR_IO, path, "%s", ge->message);
        data = g_bytes_new_take(d, n);
    }
    /* xclip reads stdin, then forks into the background owning the selection;
       its output goes nowhere, or the guest agent would wait for it to close.
       Large texts go to a file first, in pieces. */
    bool large = g_bytes_get_size(data) > 65536;
    if (large && qga_write_file(q, COPY_FILE, data, err) < 0)
        return -1;
    g_autofree char *cmd = g_strdup_printf(
        "pkill -x -f 'xclip -i -selection %s' ; xclip -i -selection %s >/dev/null 2>&1%s",
        sel_name(sel), sel_name(sel), large ? " < " COPY_FILE : "");
    g_autoptr(GBytes) out = NULL;
    int status;
    q->owners |= 1u << sel;
    if (qga_run(q, cmd, large ? NULL : data, 10000000000ull, &out, &status, err) < 0)
        return -1;
    return status == 0
               ? 0
               : vds_err_set(err, VDS_ERR_IO, q->name, "xclip in the guest exited with %d", status);
}

/* End the xclip -i of ours that may own the selections in mask (1 << sel),
   in one guest command: each costs a process start in a TCG guest. */
static void release_owners(qga *q, uint8_t mask)
{
    GString *cmd = g_string_new(NULL);
    for (uint8_t sel = 0; sel < 2; sel++)
        if (mask & (1u << sel))
            g_string_append_printf(cmd, "pkill -x -f 'xclip -i -selection %s'; ", sel_name(sel));
    q->owners &= (uint8_t)~mask;
    if (cmd->len) {
        g_autoptr(GBytes) out = NULL;
        int status;
        vds_err err;
        qga_run(q, cmd->str, NULL, 5000000000ull, &out, &status, &err);
    }
    g_string_free(cmd, TRUE);
}

static void qga_guest_release(vds_oracle *t, uint8_t sel)
{
    release_owners((qga *)t, (uint8_t)(1u << sel));
}

static int qga_paste_start(vds_oracle *t, uint8_t sel, vds_err *err)
{
    qga *q = (qga *)t;
    /* like a person: paste once the selection has an owner */
    g_autofree char *cmd = g_strdup_printf(
        "for i in $(seq 150); do xclip -o -selection %s -t TARGETS >/dev/null 2>&1 && break; "
        "sleep 0.02; done; xclip -o -selection %s > " PASTE_FILE,
        sel_name(sel), sel_name(sel));
    q->paste_pid = qga_spawn(q, cmd, NULL, err);
    return q->paste_pid < 0 ? -1 : 0;
}

static int qga_paste_result(vds_oracle *t, uint64_t deadline, GBytes **text, vds_err *err)
{
    qga *q = (qga *)t;
    int status;
    *text = NULL;
    if (q->paste_pid <= 0)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "no guest-paste step before this check");
    int64_t pid = q->paste_pid;
    q->paste_pid = 0;
    g_autoptr(GBytes) out = NULL;
    if (qga_wait(q, pid, deadline, &out, &status, err) < 0)
        return -1;
    if (status != 0)
        return vds_err_set(err, VDS_ERR_IO, q->name, "the guest's paste got nothing");
    return qga_read_file(q, PASTE_FILE, 0, text, err);
}

/* guest-agent: stop | continue, in the guest: SIGSTOP/SIGCONT to spice-vdagentd. */
static int qga_agent_pause(vds_oracle *t, bool stop, vds_err *err)
{
    qga *q = (qga *)t;
    g_autoptr(GBytes) out = NULL;
    int status;
    if (qga_run(q, stop ? "pkill -STOP -x spice-vdagentd" : "pkill -CONT -x spice-vdagentd", NULL,
                5000000000ull, &out, &status, err) < 0)
        return -1;
    if (status != 0)
        return vds_err_set(err, VDS_ERR_IO, q->name, "no spice-vdagentd running in the guest");
    q->paused = stop;
    return 0;
}

static void qga_reset(vds_oracle *t)
{
    qga *q = (qga *)t;
    if (q->paused) { /* the next scenario gets a running agent */
        vds_err err;
        qga_agent_pause(t, false, &err);
    }
    release_owners(q, q->owners); /* only what a guest-copy may have left */
    q->paste_pid = 0;
}

static void qga_free(vds_oracle *t)
{
    qga *q = (qga *)t;
    if (q->dom)
        virDomainFree(q->dom);
    if (q->conn)
        virConnectClose(q->conn);
    g_free(q->name);
    g_free(q);
}

/* The first start finds the agent running; a later one (after a scenario
   that broke the agent) restarts it in the guest and waits for its port. */
static int qga_start(vds_oracle *t, vds_err *err)
{
    qga *q = (qga *)t;
    q->base.warm_mouse = true;
    if (!q->started) {
        q->started = true;
        q->owners = 3; /* an earlier run's owners go at the first reset */
        return qga_capture_input(q, err);
    }
    g_autoptr(GBytes) out = NULL;
    int status;
    /* A new desktop session, as the guest's own units make it: X ends, so
       the login on tty1 ends and autologin starts a new one with its
       autostart agent; the daemon, ended too, comes back through its
       package's socket when that agent connects. No unit of the agent's
       package is named: they differ between packagings. */
    if (qga_run(q, "pkill -x Xorg; pkill -x spice-vdagentd; exit 0", NULL, 30000000000ull, &out,
                &status, err) < 0)
        return -1;
    uint64_t deadline = vds_clock_now_ns() + 60000000000ull;
    bool up = true; /* the old port closes first */
    while (up && vds_clock_now_ns() < deadline) {
        if (vds_libvirt_agent_port_up(q->dom, &up, err) < 0)
            return -1;
        if (up)
            vds_loop_sleep(q->base.ctx, 100000000ull);
    }
    switch (vds_libvirt_wait_agent_port(q->dom, deadline, q->base.ctx, NULL, err)) {
    case PORT_UP:
        return qga_capture_input(q, err);
    case PORT_TIMEOUT:
        return vds_err_set(err, VDS_ERR_IO, q->name,
                           "the guest's agent did not open " AGENT_PORT
                           " again within 60 s of its restart");
    case PORT_DOMAIN_STOPPED:
        return vds_err_set(err, VDS_ERR_IO, q->name, "the guest stopped while its agent restarted");
    default:
        return -1;
    }
}

/* Asked of the guest: its agent package and kernel. */
static char *qga_agent(vds_oracle *o, char **version)
{
    qga *q = (qga *)o;
    g_autoptr(GBytes) out = NULL;
    int status = -1;
    vds_err err = {0};
    const char *script = "dpkg-query -W -f='${Version}' spice-vdagent 2>/dev/null || echo unknown;"
                         " echo; uname -r";
    if (qga_run(q, script, NULL, 10000000000ull, &out, &status, &err) < 0 || status != 0) {
        *version = g_strdup("unknown");
        return g_strdup("spice-vdagent of unknown version in the guest (the QEMU guest agent "
                        "could not say)");
    }
    g_autofree char *text = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
    g_auto(GStrv) lines = g_strsplit(g_strstrip(text), "\n", 2);
    *version = g_strdup(lines[0] && *lines[0] ? lines[0] : "unknown");
    return g_strdup_printf("spice-vdagent %s in the guest (kernel %s)", *version,
                           lines[0] && lines[1] ? lines[1] : "unknown");
}

static const vds_oracle_ops qga_ops = {
    .name = "qemu-guest-agent",
    .start = qga_start,
    .screen = qga_screen,
    .screen_taken = qga_screen_taken,
    .display = qga_display,
    .clipboard = qga_clipboard,
    .guest_copy = qga_guest_copy,
    .guest_release = qga_guest_release,
    .paste_start = qga_paste_start,
    .paste_result = qga_paste_result,
    .input_sync = qga_input_sync,
    .agent_pause = qga_agent_pause,
    .reset = qga_reset,
    .agent = qga_agent,
    .free = qga_free,
};

vds_oracle *vds_qga_oracle_new(const char *domain, const char *uri, GMainContext *ctx, vds_err *err)
{
    qga *q = g_new0(qga, 1);
    /* one output (std VGA) and a real kernel's input device */
    vds_oracle_init(&q->base, &qga_ops,
                    VDS_CAP_SCREEN | VDS_CAP_CLIPBOARD | VDS_CAP_INPUT | VDS_CAP_AGENT_CONTROL,
                    ctx);
    q->name = g_strdup(domain);
    q->conn = vds_libvirt_connect(uri, err);
    if (!q->conn || !(q->dom = vds_libvirt_lookup(q->conn, domain, err))) {
        vds_oracle_free(&q->base);
        return NULL;
    }
    return &q->base;
}

/* What the guest's own tools allow, asked once: each missing piece takes away
   the capability that needs it, named, so that its scenarios are skipped
   with the reason instead of failing obscurely. */
void vds_qga_oracle_probe(vds_oracle *o)
{
    static const char script[] =
        "for c in xrandr xclip pkill setsid; do command -v $c >/dev/null && echo \"$c: yes\" "
        "|| echo \"$c: no\"; done; pgrep -x Xorg >/dev/null && echo 'x: yes' || echo 'x: no'";
    static const struct {
        const char *key;
        unsigned caps;
        const char *why;
    } needs[] = {
        {"x", VDS_CAP_SCREEN | VDS_CAP_CLIPBOARD,
         "the guest runs no X server (its screen and selections cannot be looked at)"},
        {"xrandr", VDS_CAP_SCREEN, "the guest has no xrandr (Debian: x11-xserver-utils)"},
        {"xclip", VDS_CAP_CLIPBOARD, "the guest has no xclip (Debian: xclip)"},
        {"pkill", VDS_CAP_INPUT | VDS_CAP_AGENT_CONTROL, "the guest has no pkill (Debian: procps)"},
        {"setsid", VDS_CAP_INPUT, "the guest has no setsid (Debian: util-linux)"},
    };
    g_autoptr(GBytes) out = NULL;
    int status = -1;
    vds_err err = {0};
    if (qga_run((qga *)o, script, NULL, 10000000000ull, &out, &status, &err) < 0) {
        g_autofree char *why =
            g_strdup_printf("the guest's QEMU guest agent does not answer (%s)", err.msg);
        vds_oracle_lack(o, o->caps, why);
        return;
    }
    g_autofree char *text = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
    for (size_t i = 0; i < G_N_ELEMENTS(needs); i++) {
        g_autofree char *no = g_strdup_printf("%s: no", needs[i].key);
        if (strstr(text, no))
            vds_oracle_lack(o, needs[i].caps, needs[i].why);
    }
}

int vds_qga_run(vds_oracle *o, const char *script, uint64_t timeout_ns, GBytes **out, int *status,
                vds_err *err)
{
    return qga_run((qga *)o, script, NULL, timeout_ns, out, status, err);
}
