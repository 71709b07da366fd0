/* Reads traces line by line with located errors: "name:line:col: ...". */
#include <stdio.h>
#include <string.h>

#include "core/file.h"
#include "trace/trace.h"

#define TRACE_MAX_FILE (1u << 30)

struct vds_trace_reader {
    char *name;
    char *data; /* whole file, NUL-terminated */
    size_t len;
    size_t pos;
    size_t lineno;
    JsonParser *parser; /* holds the current event */
    JsonNode *header;
    char *line; /* current line copy */
    gint64 last_t;
};

static int located(vds_trace_reader *r, vds_err *err, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int located(vds_trace_reader *r, vds_err *err, size_t col, const char *fmt, ...)
{
    char loc[VDS_ERR_LOC_MAX];
    va_list ap;

    if (r->lineno == 0)
        snprintf(loc, sizeof(loc), "%s", r->name);
    else if (col)
        snprintf(loc, sizeof(loc), "%s:%zu:%zu", r->name, r->lineno, col);
    else
        snprintf(loc, sizeof(loc), "%s:%zu", r->name, r->lineno);
    va_start(ap, fmt);
    vds_err_setv(err, VDS_ERR_PARSE, loc, fmt, ap);
    va_end(ap);
    return -1;
}

/* Next non-empty line into r->line; 0 at EOF. */
static int read_line(vds_trace_reader *r, vds_err *err)
{
    while (r->pos < r->len) {
        const char *start = r->data + r->pos;
        const char *nl = memchr(start, '\n', r->len - r->pos);
        size_t n = nl ? (size_t)(nl - start) : r->len - r->pos;
        r->pos += n + (nl ? 1 : 0);
        r->lineno++;
        if (n && start[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        if (n > VDS_TRACE_MAX_LINE)
            return located(r, err, 0, "line of %zu bytes exceeds the %u-byte limit", n,
                           VDS_TRACE_MAX_LINE);
        if (memchr(start, '\0', n))
            return located(r, err, (size_t)((const char *)memchr(start, '\0', n) - start) + 1,
                           "NUL byte in trace line");
        g_free(r->line);
        r->line = g_strndup(start, n);
        return 1;
    }
    return 0;
}

/* Parse r->line as a JSON object. */
/* What json-glib must not see: nesting that would overflow its recursive
   parser's stack, and integers that do not fit 64 bits (it would wrap them).
   A scan outside strings; 0, or -1 with err at the column. */
static int prescan(vds_trace_reader *r, vds_err *err)
{
    unsigned depth = 0;
    bool in_str = false;
    for (const char *p = r->line; *p; p++) {
        size_t col = (size_t)(p - r->line) + 1;
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = false;
            continue;
        }
        if (*p == '"') {
            in_str = true;
        } else if (*p == '[' || *p == '{') {
            if (++depth > VDS_TRACE_MAX_DEPTH)
                return located(r, err, col, "nesting deeper than %d levels", VDS_TRACE_MAX_DEPTH);
        } else if (*p == ']' || *p == '}') {
            depth -= depth > 0;
        } else if (g_ascii_isdigit(*p) && (p == r->line || !g_ascii_isalnum(p[-1]))) {
            const char *q = p;
            while (g_ascii_isdigit(*q))
                q++;
            size_t n = (size_t)(q - p);
            bool integer = *q != '.' && *q != 'e' && *q != 'E';
            if (integer && (n > 19 || (n == 19 && strncmp(p, "9223372036854775807", 19) > 0)))
                return located(r, err, col, "number %.*s%s does not fit 64 bits", (int)MIN(n, 24),
                               p, n > 24 ? "..." : "");
            p = q - 1;
        }
    }
    return 0;
}

static JsonObject *parse_line(vds_trace_reader *r, vds_err *err)
{
    g_autoptr(GError) gerr = NULL;

    if (!g_utf8_validate(r->line, -1, NULL)) {
        const char *end;
        g_utf8_validate(r->line, -1, &end);
        located(r, err, (size_t)(end - r->line) + 1, "invalid UTF-8");
        return NULL;
    }
    if (prescan(r, err) < 0)
        return NULL;
    if (!json_parser_load_from_data(r->parser, r->line, -1, &gerr)) {
        /* json-glib says "<data>:1:17: Parse error: ..."; keep our location */
        const char *msg = gerr->message;
        size_t col = 0;
        unsigned l, c;
        if (sscanf(msg, "<data>:%u:%u:", &l, &c) == 2) {
            col = c;
            const char *p = strstr(msg + 7, ": ");
            msg = p ? p + 2 : msg;
        }
        located(r, err, col, "%s", msg);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(r->parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        located(r, err, 1, "expected a JSON object");
        return NULL;
    }
    return json_node_get_object(root);
}

static int check_header(vds_trace_reader *r, JsonObject *h, vds_err *err)
{
    JsonNode *v = json_object_get_member(h, "vdsim-trace");
    if (!v || !JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_INT64)
        return located(r, err, 0,
                       "not a vdsim trace: the first line has no \"vdsim-trace\" version");
    gint64 version = json_node_get_int(v);
    if (version != VDS_TRACE_VERSION)
        return located(r, err, 0,
                       "unsupported trace version %" G_GINT64_FORMAT
                       " (this vdsim reads version %d)",
                       version, VDS_TRACE_VERSION);
    return 0;
}

static vds_trace_reader *reader_new(const char *name, char *data, size_t len, vds_err *err)
{
    vds_trace_reader *r = g_new0(vds_trace_reader, 1);
    r->name = g_strdup(name);
    r->data = data;
    r->len = len;
    r->parser = json_parser_new_immutable();
    r->last_t = -1;

    int rc = read_line(r, err);
    if (rc == 0) {
        located(r, err, 0, "empty trace: no header line");
        goto fail;
    }
    if (rc < 0)
        goto fail;
    JsonObject *h = parse_line(r, err);
    if (!h || check_header(r, h, err) < 0)
        goto fail;
    r->header = json_node_copy(json_parser_get_root(r->parser));
    return r;
fail:
    vds_trace_reader_free(r);
    return NULL;
}

vds_trace_reader *vds_trace_reader_open(const char *path, vds_err *err)
{
    size_t len;
    char *data = vds_file_read_all(path, TRACE_MAX_FILE, "trace", &len, err);
    return data ? reader_new(path, data, len, err) : NULL;
}

vds_trace_reader *vds_trace_reader_new_from_data(const char *name, const char *data, size_t len,
                                                 vds_err *err)
{
    char *copy = g_malloc(len + 1);
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    return reader_new(name, copy, len, err);
}

void vds_trace_reader_free(vds_trace_reader *r)
{
    if (!r)
        return;
    g_free(r->name);
    g_free(r->data);
    g_free(r->line);
    if (r->header)
        json_node_unref(r->header);
    g_object_unref(r->parser);
    g_free(r);
}

const char *vds_trace_reader_name(const vds_trace_reader *r)
{
    return r->name;
}

JsonObject *vds_trace_reader_header(vds_trace_reader *r)
{
    return json_node_get_object(r->header);
}

static const char *const kinds[] = {"agent", "framing-error", "spice", "port", "note", "step"};

static int check_event(vds_trace_reader *r, JsonObject *ev, vds_err *err)
{
    JsonNode *t = json_object_get_member(ev, "t");
    if (!t || !JSON_NODE_HOLDS_VALUE(t) || json_node_get_value_type(t) != G_TYPE_INT64)
        return located(r, err, 0, "event has no integer \"t\" (ns since start)");
    gint64 tv = json_node_get_int(t);
    if (tv < 0)
        return located(r, err, 0, "negative time %" G_GINT64_FORMAT, tv);
    if (tv < r->last_t)
        return located(r, err, 0,
                       "time goes backwards: %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT, tv,
                       r->last_t);
    r->last_t = tv;
    JsonNode *k = json_object_get_member(ev, "kind");
    if (!k || !JSON_NODE_HOLDS_VALUE(k) || json_node_get_value_type(k) != G_TYPE_STRING)
        return located(r, err, 0, "event has no string \"kind\"");
    const char *kind = json_node_get_string(k);
    bool known = false;
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        known |= strcmp(kind, kinds[i]) == 0;
    if (!known)
        return located(r, err, 0, "unknown event kind '%s'", kind);
    if (strcmp(kind, "agent") == 0 || strcmp(kind, "framing-error") == 0) {
        JsonNode *d = json_object_get_member(ev, "dir");
        vds_dir dir;
        if (!d || !JSON_NODE_HOLDS_VALUE(d) || json_node_get_value_type(d) != G_TYPE_STRING ||
            !vds_dir_parse(json_node_get_string(d), &dir))
            return located(r, err, 0, "%s event needs \"dir\": \"to-agent\" or \"from-agent\"",
                           kind);
    }
    if (strcmp(kind, "agent") == 0 && !json_object_has_member(ev, "type") &&
        !json_object_has_member(ev, "error"))
        return located(r, err, 0, "agent event has neither \"type\" nor \"error\"");
    return 0;
}

int vds_trace_reader_next(vds_trace_reader *r, vds_trace_line *line, vds_err *err)
{
    int rc = read_line(r, err);
    if (rc <= 0)
        return rc;
    JsonObject *ev = parse_line(r, err);
    if (!ev || check_event(r, ev, err) < 0)
        return -1;
    line->lineno = r->lineno;
    line->text = r->line;
    line->event = ev;
    return 1;
}

bool vds_trace_file_sniff(const char *path)
{
    static const char start[] = "{\"vdsim-trace\"";
    char head[sizeof(start)] = {0};
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(head, 1, sizeof(head) - 1, f);
        head[n] = '\0';
        fclose(f);
    }
    return g_str_has_prefix(head, start);
}
