#include "peer/spice-client.h"

#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "proto/agent.h"

#define MAX_MSG       (16u << 20) /* one SPICE message from a server */
#define MAX_AGENT_MSG (256u << 20)
#define MOTION_WINDOW (2 * SPICE_INPUT_MOTION_ACK_BUNCH)
/* What the server may spend on us. spice-gtk grants ~0; vdsim keeps a window
   like the server's own (10, returned 5 at a time) so a large agent message
   streams through instead of being read whole into the server's queue. */
#define CLIENT_TOKENS       10u
#define CLIENT_TOKENS_BATCH 5u

/* --- endpoints ------------------------------------------------------------ */

void vds_spice_endpoint_clear(vds_spice_endpoint *ep)
{
    g_free(ep->host);
    g_free(ep->unix_path);
    g_free(ep->ca_file);
    memset(ep, 0, sizeof(*ep));
}

static int parse_port(const char *s, const char *uri, unsigned *out, vds_err *err)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v == 0 || v > 65535)
        return vds_err_set(err, VDS_ERR_USAGE, uri, "bad port '%s' (1..65535)", s);
    *out = (unsigned)v;
    return 0;
}

int vds_spice_endpoint_parse(const char *uri, vds_spice_endpoint *ep, vds_err *err)
{
    memset(ep, 0, sizeof(*ep));
    if (g_str_has_prefix(uri, "spice+unix://")) {
        const char *path = uri + strlen("spice+unix://");
        if (!*path)
            return vds_err_set(err, VDS_ERR_USAGE, uri, "no socket path after spice+unix://");
        ep->unix_path = g_strdup(path);
        return 0;
    }
    if (!g_str_has_prefix(uri, "spice://"))
        return vds_err_set(err, VDS_ERR_USAGE, uri,
                           "not a SPICE URI (spice://HOST:PORT or spice+unix://PATH)");
    g_autofree char *rest = g_strdup(uri + strlen("spice://"));
    char *query = strchr(rest, '?');
    if (query)
        *query++ = '\0';
    char *colon = strrchr(rest, ':');
    if (colon && !strchr(colon, ']')) {
        *colon = '\0';
        if (parse_port(colon + 1, uri, &ep->port, err) < 0)
            goto fail;
    }
    if (rest[0] == '[') { /* [::1] */
        size_t n = strlen(rest);
        if (n < 3 || rest[n - 1] != ']') {
            vds_err_set(err, VDS_ERR_USAGE, uri, "bad IPv6 address '%s'", rest);
            goto fail;
        }
        ep->host = g_strndup(rest + 1, n - 2);
    } else {
        ep->host = g_strdup(rest);
    }
    if (!*ep->host) {
        vds_err_set(err, VDS_ERR_USAGE, uri, "no host");
        goto fail;
    }
    for (char *kv = query ? strtok(query, "&") : NULL; kv; kv = strtok(NULL, "&")) {
        char *eq = strchr(kv, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        if (strcmp(kv, "tls-port") == 0) {
            if (parse_port(val, uri, &ep->tls_port, err) < 0)
                goto fail;
        } else if (strcmp(kv, "port") == 0) {
            if (parse_port(val, uri, &ep->port, err) < 0)
                goto fail;
        } else if (strcmp(kv, "ca") == 0) {
            g_free(ep->ca_file);
            ep->ca_file = g_strdup(val);
        } else {
            vds_err_set(err, VDS_ERR_USAGE, uri,
                        "unknown parameter '%s' (have: tls-port, port, ca)", kv);
            goto fail;
        }
    }
    if (!ep->port && !ep->tls_port) {
        vds_err_set(err, VDS_ERR_USAGE, uri, "no port (spice://HOST:PORT or ?tls-port=N)");
        goto fail;
    }
    return 0;
fail:
    vds_spice_endpoint_clear(ep);
    return -1;
}

char *vds_spice_endpoint_text(const vds_spice_endpoint *ep, bool tls)
{
    if (ep->unix_path)
        return g_strdup_printf("unix:%s", ep->unix_path);
    bool v6 = strchr(ep->host, ':') != NULL;
    return g_strdup_printf("%s%s%s:%u%s", v6 ? "[" : "", ep->host, v6 ? "]" : "",
                           tls ? ep->tls_port : ep->port, tls ? " (tls)" : "");
}

/* --- channel connections ------------------------------------------------- */

typedef enum conn_state {
    CONN_TLS,    /* TLS handshake */
    CONN_LINK,   /* link sent, waiting for the reply */
    CONN_RESULT, /* ticket sent, waiting for the 4-byte result */
    CONN_DATA,
    CONN_CLOSED,
} conn_state;

typedef struct conn {
    vds_spice_client *c;
    uint8_t channel;
    int fd;
    SSL *ssl;
    conn_state state;
    GSource *in_src, *out_src;
    vds_buf in, out;
    size_t in_off;   /* consumed bytes of in */
    uint64_t rx_pos; /* stream offset of in.data[0], for located errors */
    bool mini;
} conn;

struct vds_spice_client {
    GMainContext *ctx;
    const vds_spice_client_opts *o;
    const vds_spice_client_events *ev;
    void *user;
    char *addr;
    SSL_CTX *ssl_ctx;
    conn *main, *inputs;
    vds_err err; /* the first fault */
    bool failed;

    bool init_seen;
    uint32_t session_id;
    bool agent;
    int64_t tokens;
    GQueue agent_q; /* GBytes* AGENT_DATA bodies waiting for tokens */
    uint16_t mouse_supported, mouse_current;
    bool mode_requested;
    uint16_t mode_wanted; /* a mode asked for explicitly, kept over client_mouse; 0: none */
    bool hold_tokens;     /* keep the server's tokens: it stops reading the agent */
    unsigned motions;     /* unacknowledged positions */
    GQueue motion_q;      /* GBytes* MOUSE_POSITION bodies held back */

    uint8_t *agent_in; /* reassembly of one agent message */
    size_t agent_len, agent_want;
    uint32_t agent_pieces;
    uint32_t server_spent; /* AGENT_DATA taken since tokens were last returned */
    uint8_t agent_hdr[VDS_AGENT_HDR_SIZE];
};

static void fail(vds_spice_client *c, conn *k, const vds_err *e)
{
    if (!c->failed) {
        c->failed = true;
        c->err = *e;
    }
    bool was_main = k == c->main && k->state != CONN_CLOSED;
    if (k->in_src) {
        g_source_destroy(k->in_src);
        g_clear_pointer(&k->in_src, g_source_unref);
    }
    if (k->out_src) {
        g_source_destroy(k->out_src);
        g_clear_pointer(&k->out_src, g_source_unref);
    }
    k->state = CONN_CLOSED;
    if (k == c->main)
        c->agent = false;
    if (was_main && c->ev->closed)
        c->ev->closed(c->user, vds_clock_now_ns(), e);
}

static int failf(vds_spice_client *c, conn *k, vds_err_code code, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static int failf(vds_spice_client *c, conn *k, vds_err_code code, const char *fmt, ...)
{
    vds_err e = {0};
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *m = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *loc =
        g_strdup_printf("%s %s", c->addr, vds_names_get(&vds_spice_channel_names, k->channel));
    vds_err_set(&e, code, loc, "%s", m);
    fail(c, k, &e);
    return -1;
}

static const char *ssl_reason(void)
{
    unsigned long e = ERR_get_error();
    return e ? ERR_reason_error_string(e) : "unknown TLS error";
}

/* >0 bytes, 0 EOF, -1 error (reason in *why), -2 would block */
static ssize_t conn_read(conn *k, void *buf, size_t n, const char **why)
{
    if (!k->ssl) {
        ssize_t r = read(k->fd, buf, n);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return -2;
        if (r < 0)
            *why = g_strerror(errno);
        return r;
    }
    int r = SSL_read(k->ssl, buf, (int)MIN(n, INT_MAX));
    if (r > 0)
        return r;
    switch (SSL_get_error(k->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return -2;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0)
            return 0;
        *why = g_strerror(errno);
        return -1;
    default:
        *why = ssl_reason();
        return -1;
    }
}

static ssize_t conn_write(conn *k, const void *buf, size_t n, const char **why)
{
    if (!k->ssl) {
        ssize_t r = send(k->fd, buf, n, MSG_NOSIGNAL);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return -2;
        if (r < 0)
            *why = g_strerror(errno);
        return r;
    }
    int r = SSL_write(k->ssl, buf, (int)MIN(n, INT_MAX));
    if (r > 0)
        return r;
    int e = SSL_get_error(k->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
        return -2;
    *why = e == SSL_ERROR_SYSCALL ? g_strerror(errno) : ssl_reason();
    return -1;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer user);

static void flush(conn *k)
{
    const char *why = NULL;
    while (k->out.len && k->state != CONN_CLOSED && k->state != CONN_TLS) {
        ssize_t n = conn_write(k, k->out.data, k->out.len, &why);
        if (n == -2)
            break;
        if (n < 0) {
            failf(k->c, k, VDS_ERR_IO, "write: %s", why);
            return;
        }
        vds_buf_consume(&k->out, (size_t)n);
    }
    bool want = k->out.len && k->state != CONN_CLOSED;
    if (want && !k->out_src) {
        k->out_src = g_unix_fd_source_new(k->fd, G_IO_OUT);
        g_source_set_callback(k->out_src, G_SOURCE_FUNC(on_writable), k, NULL);
        g_source_attach(k->out_src, k->c->ctx);
    } else if (!want && k->out_src) {
        g_source_destroy(k->out_src);
        g_clear_pointer(&k->out_src, g_source_unref);
    }
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer user)
{
    conn *k = user;
    g_source_ref(k->out_src);
    GSource *self = k->out_src;
    flush(k);
    bool keep = k->out_src == self;
    g_source_unref(self);
    return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Queue one data message (header per the negotiated kind) and report it. */
static int conn_send(conn *k, uint16_t type, const uint8_t *body, size_t len, uint64_t *t_ns)
{
    vds_spice_client *c = k->c;
    vds_err e = {0};
    if (k->state != CONN_DATA)
        return -1;
    /* serial 0 in a full header: servers do not check client serials */
    vds_spice_data_hdr h = {.serial = 0, .type = type, .size = (uint32_t)len};
    if (vds_spice_data_hdr_encode(&h, k->mini, &k->out, &e) < 0 ||
        vds_buf_append(&k->out, body, len, &e) < 0) {
        fail(c, k, &e);
        return -1;
    }
    uint64_t t = vds_clock_now_ns();
    if (t_ns)
        *t_ns = t;
    if (c->ev->wire)
        c->ev->wire(c->user, t, VDS_SPICE_FROM_CLIENT, k->channel, type, body, len);
    flush(k);
    return k->state == CONN_CLOSED ? -1 : 0;
}

/* --- link ---------------------------------------------------------------- */

static void send_link(conn *k)
{
    uint32_t common = 1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION |
                      1u << SPICE_COMMON_CAP_AUTH_SPICE | 1u << SPICE_COMMON_CAP_MINI_HEADER;
    uint32_t chan =
        k->channel == SPICE_CHANNEL_MAIN
            ? (1u << SPICE_MAIN_CAP_NAME_AND_UUID | 1u << SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS)
            : 0;
    vds_spice_link_mess m = {.connection_id =
                                 k->channel == SPICE_CHANNEL_MAIN ? 0 : k->c->session_id,
                             .channel_type = k->channel,
                             .channel_id = 0,
                             .caps = {1, 1, &common, &chan}};
    vds_err e = {0};
    if (vds_spice_link_mess_encode(&m, &k->out, &e) < 0)
        fail(k->c, k, &e);
    k->state = CONN_LINK;
    flush(k);
}

/* RSA-OAEP (SHA-1) of the password and its NUL under the server's key. */
static int ticket(vds_spice_client *c, conn *k, const uint8_t *pub, uint8_t *out, size_t *out_len)
{
    const uint8_t *p = pub;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, VDS_SPICE_PUBKEY_SIZE);
    if (!key)
        return failf(c, k, VDS_ERR_PROTOCOL, "the server's public key does not parse: %s",
                     ssl_reason());
    const char *pw = c->o->password ? c->o->password : "";
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
    int ok = pc && EVP_PKEY_encrypt_init(pc) > 0 &&
             EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) > 0 &&
             EVP_PKEY_encrypt(pc, out, out_len, (const uint8_t *)pw, strlen(pw) + 1) > 0;
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(key);
    return ok ? 0 : failf(c, k, VDS_ERR_PROTOCOL, "cannot encrypt the ticket: %s", ssl_reason());
}

static const char *link_hint(uint32_t code)
{
    switch (code) {
    case SPICE_LINK_ERR_PERMISSION_DENIED:
        return " (wrong or missing password)";
    case SPICE_LINK_ERR_NEED_SECURED:
        return " (the server wants TLS: use ?tls-port=)";
    case SPICE_LINK_ERR_BAD_CONNECTION_ID:
        return " (the main channel's session is gone)";
    default:
        return "";
    }
}

/* Returns bytes consumed, 0 for "need more", -1 after failing. */
static ssize_t on_link_bytes(conn *k, const uint8_t *p, size_t len)
{
    vds_spice_client *c = k->c;
    vds_err e = {0};
    if (k->state == CONN_RESULT) {
        if (len < 4)
            return 0;
        uint32_t code = vds_get_u32(p);
        if (code != SPICE_LINK_ERR_OK)
            return failf(c, k, VDS_ERR_PROTOCOL, "link refused: %s%s",
                         vds_names_get(&vds_spice_link_err_names, code), link_hint(code));
        k->state = CONN_DATA;
        return 4;
    }
    vds_spice_link_hdr h;
    if (len < VDS_SPICE_LINK_HDR_SIZE)
        return 0;
    if (vds_spice_link_hdr_decode(p, len, &h, &e) < 0)
        return failf(c, k, VDS_ERR_PROTOCOL, "%s: %s: not a SPICE server?", e.loc, e.msg);
    if (len < VDS_SPICE_LINK_HDR_SIZE + h.size)
        return 0;
    vds_spice_link_reply r;
    if (vds_spice_link_reply_decode(p + VDS_SPICE_LINK_HDR_SIZE, h.size, &r, &e) < 0)
        return failf(c, k, VDS_ERR_PROTOCOL, "link reply: %s: %s", e.loc, e.msg);
    uint32_t code = r.error;
    bool sel = vds_spice_caps_has(r.caps.common, r.caps.n_common,
                                  SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    k->mini = vds_spice_caps_has(r.caps.common, r.caps.n_common, SPICE_COMMON_CAP_MINI_HEADER);
    uint8_t pub[VDS_SPICE_PUBKEY_SIZE];
    memcpy(pub, r.pub_key, sizeof(pub));
    vds_spice_caps_clear(&r.caps);
    if (code != SPICE_LINK_ERR_OK)
        return failf(c, k, VDS_ERR_PROTOCOL, "link refused: %s%s",
                     vds_names_get(&vds_spice_link_err_names, code), link_hint(code));
    if (sel) {
        /* its own write, as spice-gtk does: tshark's dissector expects the
           mechanism and the ticket in separate segments */
        uint8_t mech[4];
        vds_put_u32(mech, SPICE_COMMON_CAP_AUTH_SPICE);
        vds_buf_append(&k->out, mech, 4, NULL);
        flush(k);
    }
    uint8_t t[512];
    size_t tl = sizeof(t);
    if (ticket(c, k, pub, t, &tl) < 0)
        return -1;
    vds_buf_append(&k->out, t, tl, NULL);
    k->state = CONN_RESULT;
    flush(k);
    return VDS_SPICE_LINK_HDR_SIZE + h.size;
}

/* --- agent data ------------------------------------------------------------ */

static void agent_reset(vds_spice_client *c)
{
    g_queue_clear_full(&c->agent_q, (GDestroyNotify)g_bytes_unref);
    g_clear_pointer(&c->agent_in, g_free);
    c->agent_len = c->agent_want = 0;
    c->agent_pieces = 0;
    c->server_spent = 0;
}

static void agent_flush(vds_spice_client *c)
{
    GBytes *piece;
    while (c->tokens > 0 && (piece = g_queue_pop_head(&c->agent_q))) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(piece, &n);
        c->tokens--;
        conn_send(c->main, SPICE_MSGC_MAIN_AGENT_DATA, d, n, NULL);
        g_bytes_unref(piece);
    }
}

static void agent_start(vds_spice_client *c)
{
    uint8_t b[4];
    vds_put_u32(b, CLIENT_TOKENS);
    agent_reset(c);
    c->agent = true;
    conn_send(c->main, SPICE_MSGC_MAIN_AGENT_START, b, 4, NULL);
    if (c->o->announce_caps) {
        uint32_t caps = c->o->announce_caps;
        vds_agent_msg m = {.protocol = VD_AGENT_PROTOCOL,
                           .type = VD_AGENT_ANNOUNCE_CAPABILITIES,
                           .u.caps = {.request = 1, .caps = &caps, .n_words = 1}};
        vds_buf out;
        vds_buf_init(&out, 4096);
        if (vds_agent_encode(&m, &out, NULL) == 0)
            vds_spice_client_agent_send(c, out.data, out.len, false, NULL, NULL);
        vds_buf_clear(&out);
    }
}

/* One AGENT_DATA body: pieces of agent messages, never two in one piece. */
static int agent_data(vds_spice_client *c, const uint8_t *p, size_t len, uint64_t t)
{
    while (len) {
        if (!c->agent_in) {
            /* a message starts: its header may itself be split */
            size_t h = c->agent_len;
            size_t take = MIN(len, VDS_AGENT_HDR_SIZE - h);
            memcpy(c->agent_hdr + h, p, take);
            c->agent_len += take;
            p += take;
            len -= take;
            if (c->agent_len < VDS_AGENT_HDR_SIZE)
                continue; /* len is 0: the piece is counted below */
            uint32_t size = vds_get_u32(c->agent_hdr + 16);
            if (size > MAX_AGENT_MSG)
                return failf(c, c->main, VDS_ERR_LIMIT,
                             "agent message of %u bytes exceeds vdsim's limit %u", size,
                             MAX_AGENT_MSG);
            c->agent_want = VDS_AGENT_HDR_SIZE + (size_t)size;
            c->agent_in = g_malloc(c->agent_want);
            memcpy(c->agent_in, c->agent_hdr, VDS_AGENT_HDR_SIZE);
        }
        size_t take = MIN(len, c->agent_want - c->agent_len);
        memcpy(c->agent_in + c->agent_len, p, take);
        c->agent_len += take;
        p += take;
        len -= take;
        if (c->agent_len == c->agent_want) {
            GBytes *msg = g_bytes_new_take(c->agent_in, c->agent_want);
            uint32_t pieces = c->agent_pieces + 1;
            c->agent_in = NULL;
            c->agent_len = c->agent_want = 0;
            c->agent_pieces = 0;
            c->ev->agent_msg(c->user, t, msg, pieces);
        }
    }
    if (c->agent_len)
        c->agent_pieces++;
    return 0;
}

/* --- incoming messages ----------------------------------------------------- */

static void motion_flush(vds_spice_client *c)
{
    GBytes *m;
    while (c->motions < MOTION_WINDOW && (m = g_queue_pop_head(&c->motion_q))) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(m, &n);
        c->motions++;
        conn_send(c->inputs, SPICE_MSGC_INPUTS_MOUSE_POSITION, d, n, NULL);
        g_bytes_unref(m);
    }
}

static int mode_request(vds_spice_client *c, uint16_t mode, vds_err *err);

static void maybe_request_client_mouse(vds_spice_client *c)
{
    if (c->o->client_mouse && !c->mode_wanted && (c->mouse_supported & SPICE_MOUSE_MODE_CLIENT) &&
        c->mouse_current != SPICE_MOUSE_MODE_CLIENT && !c->mode_requested) {
        c->mode_requested = true;
        mode_request(c, SPICE_MOUSE_MODE_CLIENT, NULL);
    }
}

static int short_body(vds_spice_client *c, conn *k, uint16_t type, size_t len, size_t want)
{
    return failf(c, k, VDS_ERR_PROTOCOL, "byte %llu: message %u has %zu bytes, needs %zu",
                 (unsigned long long)k->rx_pos, type, len, want);
}

static int on_main(vds_spice_client *c, conn *k, uint16_t type, const uint8_t *p, size_t len,
                   uint64_t t)
{
    switch (type) {
    case SPICE_MSG_MAIN_INIT:
        if (len < 32)
            return short_body(c, k, type, len, 32);
        c->session_id = vds_get_u32(p);
        c->mouse_supported = (uint16_t)vds_get_u32(p + 8);
        c->mouse_current = (uint16_t)vds_get_u32(p + 12);
        c->tokens = vds_get_u32(p + 20);
        c->init_seen = true;
        conn_send(k, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0, NULL);
        if (vds_get_u32(p + 16))
            agent_start(c);
        maybe_request_client_mouse(c);
        break;
    case SPICE_MSG_MAIN_AGENT_CONNECTED:
        agent_start(c);
        break;
    case SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS:
        if (len < 4)
            return short_body(c, k, type, len, 4);
        c->tokens = vds_get_u32(p);
        agent_start(c);
        break;
    case SPICE_MSG_MAIN_AGENT_DISCONNECTED:
        c->agent = false;
        agent_reset(c);
        break;
    case SPICE_MSG_MAIN_AGENT_TOKEN:
        if (len < 4)
            return short_body(c, k, type, len, 4);
        c->tokens += vds_get_u32(p);
        agent_flush(c);
        break;
    case SPICE_MSG_MAIN_AGENT_DATA:
        if (++c->server_spent >= CLIENT_TOKENS_BATCH && !c->hold_tokens) {
            uint8_t b[4];
            vds_put_u32(b, c->server_spent);
            c->server_spent = 0;
            conn_send(k, SPICE_MSGC_MAIN_AGENT_TOKEN, b, 4, NULL);
        }
        return agent_data(c, p, len, t);
    case SPICE_MSG_MAIN_MOUSE_MODE:
        if (len < 4)
            return short_body(c, k, type, len, 4);
        c->mouse_supported = vds_get_u16(p);
        c->mouse_current = vds_get_u16(p + 2);
        c->mode_requested = false;
        maybe_request_client_mouse(c);
        break;
    default:
        break;
    }
    return 0;
}

static int on_message(conn *k, uint16_t type, const uint8_t *p, size_t len, uint64_t t)
{
    vds_spice_client *c = k->c;
    if (c->ev->wire)
        c->ev->wire(c->user, t, VDS_SPICE_FROM_SERVER, k->channel, type, p, len);
    if (type == SPICE_MSG_PING) {
        if (len < 12)
            return short_body(c, k, type, len, 12);
        return conn_send(k, SPICE_MSGC_PONG, p, 12, NULL);
    }
    if (type == SPICE_MSG_DISCONNECTING)
        return 0; /* the close follows */
    if (k->channel == SPICE_CHANNEL_MAIN)
        return on_main(c, k, type, p, len, t);
    if (k->channel == SPICE_CHANNEL_INPUTS && type == SPICE_MSG_INPUTS_MOUSE_MOTION_ACK) {
        c->motions = c->motions > SPICE_INPUT_MOTION_ACK_BUNCH
                         ? c->motions - SPICE_INPUT_MOTION_ACK_BUNCH
                         : 0;
        motion_flush(c);
    }
    return 0;
}

/* Parse what is buffered; keeps partial messages for the next read. */
static void process(conn *k, uint64_t t)
{
    vds_spice_client *c = k->c;
    while (k->state != CONN_CLOSED) {
        const uint8_t *p = k->in.data + k->in_off;
        size_t len = k->in.len - k->in_off;
        if (k->state == CONN_LINK || k->state == CONN_RESULT) {
            ssize_t n = on_link_bytes(k, p, len);
            if (n <= 0)
                break;
            k->in_off += (size_t)n;
            k->rx_pos += (uint64_t)n;
            continue;
        }
        size_t hs = k->mini ? VDS_SPICE_MINI_HDR_SIZE : VDS_SPICE_FULL_HDR_SIZE;
        vds_spice_data_hdr h;
        if (len < hs || vds_spice_data_hdr_decode(p, len, k->mini, &h, NULL) < 0)
            break;
        if (h.size > MAX_MSG) {
            failf(c, k, VDS_ERR_LIMIT, "byte %llu: message type %u of %u bytes exceeds %u",
                  (unsigned long long)k->rx_pos, h.type, h.size, MAX_MSG);
            break;
        }
        if (len < hs + h.size) {
            vds_buf_reserve(&k->in, hs + h.size - len, NULL);
            break;
        }
        if (on_message(k, h.type, p + hs, h.size, t) < 0)
            break;
        k->in_off += hs + h.size;
        k->rx_pos += hs + h.size;
    }
    vds_buf_consume(&k->in, k->in_off);
    k->in_off = 0;
}

static int tls_step(conn *k)
{
    int r = SSL_connect(k->ssl);
    if (r == 1) {
        send_link(k);
        return 0;
    }
    int e = SSL_get_error(k->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    long v = SSL_get_verify_result(k->ssl);
    if (v != X509_V_OK)
        return failf(k->c, k, VDS_ERR_IO, "TLS: the server's certificate is not trusted: %s",
                     X509_verify_cert_error_string(v));
    return failf(k->c, k, VDS_ERR_IO, "TLS handshake failed: %s",
                 e == SSL_ERROR_SYSCALL && !ERR_peek_error() ? "connection closed" : ssl_reason());
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer user)
{
    conn *k = user;
    vds_spice_client *c = k->c;
    if (k->state == CONN_TLS) {
        tls_step(k);
        return k->state == CONN_CLOSED ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
    }
    for (;;) {
        vds_err e = {0};
        if (vds_buf_reserve(&k->in, 65536, &e) < 0) {
            fail(c, k, &e);
            break;
        }
        const char *why = NULL;
        ssize_t n = conn_read(k, k->in.data + k->in.len, 65536, &why);
        uint64_t t = vds_clock_now_ns();
        if (n == -2)
            break;
        if (n <= 0) {
            if (k->state == CONN_DATA && n == 0)
                failf(c, k, VDS_ERR_IO, "the server closed the connection");
            else if (n == 0)
                failf(c, k, VDS_ERR_IO, "the server closed the connection during the link%s",
                      k->state == CONN_RESULT ? " (after the ticket)" : "");
            else
                failf(c, k, VDS_ERR_IO, "read: %s", why);
            break;
        }
        k->in.len += (size_t)n;
        process(k, t);
        if (k->state == CONN_CLOSED)
            break;
    }
    if (k->state == CONN_CLOSED) {
        g_clear_pointer(&k->in_src, g_source_unref); /* removed by returning REMOVE */
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static int open_socket(vds_spice_client *c, bool tls, vds_err *err)
{
    const vds_spice_endpoint *ep = c->o->ep;
    if (ep->unix_path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(ep->unix_path) >= sizeof(sa.sun_path))
            return vds_err_set(err, VDS_ERR_USAGE, c->addr, "socket path too long");
        strcpy(sa.sun_path, ep->unix_path);
        if (sa.sun_path[0] == '@')
            sa.sun_path[0] = '\0';
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return vds_err_set(err, VDS_ERR_IO, c->addr, "connect: %s", g_strerror(e));
        }
        return fd;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", tls ? ep->tls_port : ep->port);
    int rc = getaddrinfo(ep->host, port, &hints, &res);
    if (rc != 0)
        return vds_err_set(err, VDS_ERR_IO, c->addr, "cannot resolve: %s", gai_strerror(rc));
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        int one = 1;
        if (fd >= 0)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* small messages */
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return vds_err_set(err, VDS_ERR_IO, c->addr, "connect: %s", g_strerror(e));
    return fd;
}

static int ssl_setup(vds_spice_client *c, vds_err *err)
{
    if (c->ssl_ctx)
        return 0;
    if (!c->o->ep->ca_file)
        return vds_err_set(err, VDS_ERR_USAGE, c->addr,
                           "TLS needs the CA to verify the server with (ca=FILE in the URI)");
    c->ssl_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(c->ssl_ctx, c->o->ep->ca_file, NULL) != 1)
        return vds_err_set(err, VDS_ERR_IO, c->o->ep->ca_file, "cannot load the CA: %s",
                           ssl_reason());
    SSL_CTX_set_mode(c->ssl_ctx,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return 0;
}

static conn *conn_open(vds_spice_client *c, uint8_t channel, vds_err *err)
{
    bool tls = c->o->tls;
    if (tls && ssl_setup(c, err) < 0)
        return NULL;
    int fd = open_socket(c, tls, err);
    if (fd < 0)
        return NULL;
    conn *k = g_new0(conn, 1);
    k->c = c;
    k->channel = channel;
    k->fd = fd;
    vds_buf_init(&k->in, MAX_MSG + 64);
    vds_buf_init(&k->out, 64u << 20);
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    k->in_src = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(k->in_src, G_SOURCE_FUNC(on_readable), k, NULL);
    g_source_attach(k->in_src, c->ctx);
    if (tls) {
        k->ssl = SSL_new(c->ssl_ctx);
        SSL_set_fd(k->ssl, fd);
        if (c->o->ep->host) {
            SSL_set_tlsext_host_name(k->ssl, c->o->ep->host);
            SSL_set1_host(k->ssl, c->o->ep->host);
        }
        k->state = CONN_TLS;
        tls_step(k);
    } else {
        send_link(k);
    }
    return k;
}

static void conn_free(conn *k)
{
    if (!k)
        return;
    if (k->in_src) {
        g_source_destroy(k->in_src);
        g_source_unref(k->in_src);
    }
    if (k->out_src) {
        g_source_destroy(k->out_src);
        g_source_unref(k->out_src);
    }
    if (k->ssl) {
        if (k->state == CONN_DATA)
            SSL_shutdown(k->ssl);
        SSL_free(k->ssl);
    }
    close(k->fd);
    vds_buf_clear(&k->in);
    vds_buf_clear(&k->out);
    g_free(k);
}

/* --- the client ------------------------------------------------------------ */

vds_spice_client *vds_spice_client_new(GMainContext *ctx, const vds_spice_client_opts *o,
                                       const vds_spice_client_events *ev, void *user)
{
    vds_spice_client *c = g_new0(vds_spice_client, 1);
    c->ctx = ctx;
    c->o = o;
    c->ev = ev;
    c->user = user;
    c->addr = vds_spice_endpoint_text(o->ep, o->tls);
    g_queue_init(&c->agent_q);
    g_queue_init(&c->motion_q);
    return c;
}

static bool main_ready(void *user)
{
    vds_spice_client *c = user;
    return c->failed || (c->main && c->init_seen);
}

static bool all_ready(void *user)
{
    vds_spice_client *c = user;
    if (c->failed)
        return true;
    if (c->inputs && c->inputs->state != CONN_DATA)
        return false;
    /* the mouse mode settles once a request was answered */
    return !c->o->client_mouse || !(c->mouse_supported & SPICE_MOUSE_MODE_CLIENT) ||
           c->mouse_current == SPICE_MOUSE_MODE_CLIENT;
}

int vds_spice_client_connect(vds_spice_client *c, uint64_t deadline, vds_err *err)
{
    vds_spice_client_disconnect(c);
    c->failed = false;
    c->main = conn_open(c, SPICE_CHANNEL_MAIN, err);
    if (!c->main)
        return -1;
    bool ok = vds_loop_until(c->ctx, deadline, main_ready, c);
    if (ok && !c->failed && c->o->inputs) {
        c->inputs = conn_open(c, SPICE_CHANNEL_INPUTS, err);
        if (!c->inputs)
            return -1;
    }
    if (ok && !c->failed)
        ok = vds_loop_until(c->ctx, deadline, all_ready, c);
    if (c->failed) {
        *err = c->err;
        return -1;
    }
    if (!ok)
        return vds_err_set(err, VDS_ERR_IO, c->addr, "%s within the deadline",
                           !c->init_seen ? "no link and MAIN_INIT"
                           : c->inputs && c->inputs->state != CONN_DATA
                               ? "the inputs channel did not link"
                               : "client mouse mode was not granted");
    return 0;
}

void vds_spice_client_disconnect(vds_spice_client *c)
{
    g_clear_pointer(&c->inputs, conn_free);
    g_clear_pointer(&c->main, conn_free);
    agent_reset(c);
    g_queue_clear_full(&c->motion_q, (GDestroyNotify)g_bytes_unref);
    c->agent = false;
    c->init_seen = false;
    c->mode_requested = false;
    c->mode_wanted = 0;
    c->hold_tokens = false;
    c->motions = 0;
    c->mouse_supported = c->mouse_current = 0;
}

void vds_spice_client_free(vds_spice_client *c)
{
    if (!c)
        return;
    vds_spice_client_disconnect(c);
    if (c->ssl_ctx)
        SSL_CTX_free(c->ssl_ctx);
    g_free(c->addr);
    g_free(c);
}

bool vds_spice_client_linked(const vds_spice_client *c)
{
    return c->main && c->main->state == CONN_DATA && c->init_seen;
}

bool vds_spice_client_agent_connected(const vds_spice_client *c)
{
    return vds_spice_client_linked(c) && c->agent;
}

uint32_t vds_spice_client_tokens(const vds_spice_client *c)
{
    return c->tokens > 0 ? (uint32_t)c->tokens : 0;
}

size_t vds_spice_client_agent_queued(const vds_spice_client *c)
{
    size_t n = 0;
    for (const GList *l = c->agent_q.head; l; l = l->next)
        n += g_bytes_get_size(l->data);
    return n;
}

uint32_t vds_spice_client_mouse_mode(const vds_spice_client *c)
{
    return c->mouse_current;
}

static bool agent_or_gone(void *user)
{
    vds_spice_client *c = user;
    return c->agent || !vds_spice_client_linked(c);
}

bool vds_spice_client_wait_agent(vds_spice_client *c, uint64_t deadline)
{
    vds_loop_until(c->ctx, deadline, agent_or_gone, c);
    return vds_spice_client_agent_connected(c);
}

static int not_linked(vds_spice_client *c, conn *k, vds_err *err)
{
    if (c->failed && err)
        *err = c->err;
    else
        vds_err_set(err, VDS_ERR_IO, c->addr, "the %s channel is not linked",
                    k == c->inputs ? "inputs" : "main");
    return -1;
}

int vds_spice_client_agent_send(vds_spice_client *c, const uint8_t *msg, size_t len,
                                bool ignore_tokens, uint64_t *t_ns, vds_err *err)
{
    if (!vds_spice_client_linked(c))
        return not_linked(c, c->main, err);
    if (!c->agent)
        return vds_err_set(err, VDS_ERR_IO, c->addr, "the agent is not connected to the server");
    if (t_ns)
        *t_ns = vds_clock_now_ns();
    for (size_t off = 0; off < len || (len == 0 && off == 0); off += VD_AGENT_MAX_DATA_SIZE) {
        size_t n = MIN(len - off, VD_AGENT_MAX_DATA_SIZE);
        if (ignore_tokens) {
            c->tokens--;
            conn_send(c->main, SPICE_MSGC_MAIN_AGENT_DATA, msg + off, n, NULL);
        } else {
            g_queue_push_tail(&c->agent_q, g_bytes_new(msg + off, n));
        }
        if (len == 0)
            break;
    }
    agent_flush(c);
    if (!vds_spice_client_linked(c))
        return not_linked(c, c->main, err);
    return 0;
}

int vds_spice_client_mouse_position(vds_spice_client *c, uint32_t x, uint32_t y, uint16_t buttons,
                                    uint8_t display, uint64_t *t_ns, vds_err *err)
{
    if (!c->inputs || c->inputs->state != CONN_DATA)
        return not_linked(c, c->inputs, err);
    uint8_t b[11];
    vds_put_u32(b, x);
    vds_put_u32(b + 4, y);
    vds_put_u16(b + 8, buttons);
    b[10] = display;
    if (t_ns)
        *t_ns = vds_clock_now_ns();
    g_queue_push_tail(&c->motion_q, g_bytes_new(b, sizeof(b)));
    motion_flush(c);
    return c->inputs->state == CONN_DATA ? 0 : not_linked(c, c->inputs, err);
}

int vds_spice_client_mouse_button(vds_spice_client *c, bool press, uint8_t button, uint16_t buttons,
                                  uint64_t *t_ns, vds_err *err)
{
    if (!c->inputs || c->inputs->state != CONN_DATA)
        return not_linked(c, c->inputs, err);
    uint8_t b[3] = {button};
    vds_put_u16(b + 1, buttons);
    uint16_t type = press ? SPICE_MSGC_INPUTS_MOUSE_PRESS : SPICE_MSGC_INPUTS_MOUSE_RELEASE;
    return conn_send(c->inputs, type, b, sizeof(b), t_ns) < 0 ? not_linked(c, c->inputs, err) : 0;
}

static int mode_request(vds_spice_client *c, uint16_t mode, vds_err *err)
{
    uint8_t b[2];
    vds_put_u16(b, mode);
    if (!vds_spice_client_linked(c) ||
        conn_send(c->main, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, b, 2, NULL) < 0)
        return not_linked(c, c->main, err);
    return 0;
}

int vds_spice_client_mouse_mode_request(vds_spice_client *c, uint16_t mode, vds_err *err)
{
    c->mode_wanted = mode;
    return mode_request(c, mode, err);
}

int vds_spice_client_hold_tokens(vds_spice_client *c, bool hold, vds_err *err)
{
    c->hold_tokens = hold;
    if (hold || c->server_spent == 0)
        return 0;
    uint8_t b[4];
    vds_put_u32(b, c->server_spent);
    c->server_spent = 0;
    if (!vds_spice_client_linked(c) ||
        conn_send(c->main, SPICE_MSGC_MAIN_AGENT_TOKEN, b, 4, NULL) < 0)
        return not_linked(c, c->main, err);
    return 0;
}

bool vds_spice_client_closed(const vds_spice_client *c, vds_err *why)
{
    if (c->main && c->main->state != CONN_CLOSED)
        return false;
    if (why)
        *why = c->err;
    return true;
}

int vds_spice_client_send_raw(vds_spice_client *c, uint8_t channel, uint16_t type,
                              const uint8_t *body, size_t len, vds_err *err)
{
    conn *k = channel == SPICE_CHANNEL_INPUTS ? c->inputs : c->main;
    if (!k || k->state != CONN_DATA || conn_send(k, type, body, len, NULL) < 0)
        return not_linked(c, k, err);
    return 0;
}
