/* pcap/pcapng through libpcap, link layers, IPv4/IPv6 and TCP reassembly. */
#include "trace/capture.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#define STREAM_MAX   (512ull << 20) /* bytes one direction of a connection may hold */
#define IP_PROTO_TCP 6

typedef struct coverage {
    uint64_t start, end;
} coverage;

/* What reassembly needs beside the stream while reading. */
typedef struct stream_state {
    bool started;     /* base is set */
    uint32_t base;    /* the sequence number of offset 0 */
    uint64_t last;    /* the last offset seen, to unwrap sequence numbers */
    GArray *covered;  /* coverage, merged and sorted */
    uint64_t dropped; /* bytes past STREAM_MAX */
} stream_state;

typedef struct conn_state {
    vds_tcp_conn *conn;
    uint8_t addr_c[16], addr_s[16];
    uint16_t port_c, port_s;
    bool v6;
    stream_state to_server, to_client;
    bool finished; /* a FIN or RST both ways, or a RST: a new SYN starts another */
} conn_state;

typedef struct reader {
    vds_capture *c;
    GPtrArray *states; /* conn_state* */
    GHashTable *live;  /* key string -> conn_state*: the current connection of a 4-tuple */
    uint64_t frame;
} reader;

static void stream_init(vds_tcp_stream *s)
{
    s->data = g_byte_array_new();
    s->segs = g_array_new(FALSE, FALSE, sizeof(vds_tcp_mark));
    s->gaps = g_array_new(FALSE, FALSE, sizeof(vds_tcp_gap));
}

static void stream_clear(vds_tcp_stream *s)
{
    if (s->data)
        g_byte_array_unref(s->data);
    if (s->segs)
        g_array_unref(s->segs);
    if (s->gaps)
        g_array_unref(s->gaps);
    memset(s, 0, sizeof(*s));
}

vds_tcp_conn *vds_tcp_conn_new(const char *client, const char *server, uint64_t first_frame)
{
    vds_tcp_conn *c = g_new0(vds_tcp_conn, 1);
    c->client = g_strdup(client);
    c->server = g_strdup(server);
    c->first_frame = first_frame;
    stream_init(&c->to_server);
    stream_init(&c->to_client);
    return c;
}

void vds_tcp_conn_free(vds_tcp_conn *c)
{
    if (!c)
        return;
    g_free(c->client);
    g_free(c->server);
    stream_clear(&c->to_server);
    stream_clear(&c->to_client);
    g_free(c);
}

void vds_capture_clear(vds_capture *c)
{
    g_free(c->path);
    if (c->conns)
        g_ptr_array_unref(c->conns);
    g_free(c->note);
    g_free(c->cut);
    memset(c, 0, sizeof(*c));
}

static char *addr_text(const uint8_t *a, bool v6, uint16_t port)
{
    char text[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, a, text, sizeof(text));
    return g_strdup_printf(v6 ? "[%s]:%u" : "%s:%u", text, port);
}

/* Mark [start, end) covered; returns the parts that were not (new bytes). */
static void cover(GArray *cov, uint64_t start, uint64_t end, GArray *fresh)
{
    uint64_t at = start;
    guint i = 0;
    while (i < cov->len && g_array_index(cov, coverage, i).end < start)
        i++;
    for (guint k = i; k < cov->len && at < end; k++) {
        coverage *c = &g_array_index(cov, coverage, k);
        if (c->start > at) {
            coverage f = {at, MIN(end, c->start)};
            g_array_append_val(fresh, f);
        }
        at = MAX(at, c->end);
    }
    if (at < end) {
        coverage f = {at, end};
        g_array_append_val(fresh, f);
    }
    /* merge [start, end) into the list */
    coverage n = {start, end};
    guint j = i;
    while (j < cov->len && g_array_index(cov, coverage, j).start <= end) {
        n.start = MIN(n.start, g_array_index(cov, coverage, j).start);
        n.end = MAX(n.end, g_array_index(cov, coverage, j).end);
        j++;
    }
    g_array_remove_range(cov, i, j - i);
    g_array_insert_val(cov, i, n);
}

/* One segment's payload into its stream: in place by sequence number, the
   first copy of a byte kept (retransmissions and overlaps add nothing). */
static void stream_add(vds_tcp_stream *s, stream_state *st, uint32_t seq, const uint8_t *p,
                       uint32_t len, uint64_t frame, uint64_t t_ns)
{
    if (!st->started) {
        st->started = true;
        st->base = seq;
    }
    if (!len)
        return;
    /* unwrap: the offset closest to the last one */
    uint32_t rel32 = seq - st->base;
    int64_t delta = (int32_t)(rel32 - (uint32_t)st->last);
    int64_t rel = (int64_t)st->last + delta;
    if (rel < 0) { /* before what the stream starts with */
        if ((int64_t)len <= -rel)
            return;
        p += -rel;
        len -= (uint32_t)-rel;
        rel = 0;
    }
    uint64_t off = (uint64_t)rel, end = off + len;
    if (end > STREAM_MAX) {
        st->dropped += len;
        return;
    }
    st->last = end;
    if (s->data->len < end) {
        guint old = s->data->len;
        g_byte_array_set_size(s->data, (guint)end);
        memset(s->data->data + old, 0, end - old); /* what never comes stays zero */
    }
    g_autoptr(GArray) fresh = g_array_new(FALSE, FALSE, sizeof(coverage));
    cover(st->covered, off, end, fresh);
    for (guint i = 0; i < fresh->len; i++) {
        coverage *f = &g_array_index(fresh, coverage, i);
        memcpy(s->data->data + f->start, p + (f->start - off), f->end - f->start);
    }
    vds_tcp_mark m = {off, len, frame, t_ns};
    g_array_append_val(s->segs, m);
}

/* --- frames ------------------------------------------------------------------ */

typedef struct packet {
    const uint8_t *ip;
    size_t len;
} packet;

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The IP packet in a frame of linktype: false when it carries none. */
static bool link_payload(int linktype, const uint8_t *p, size_t len, packet *out)
{
    uint32_t proto = 0; /* an ethertype, or 0 for "look at the IP version" */
    size_t off = 0;
    switch (linktype) {
    case DLT_EN10MB:
        if (len < 14)
            return false;
        proto = be16(p + 12);
        off = 14;
        while ((proto == 0x8100 || proto == 0x88a8) && len >= off + 4) { /* VLAN tags */
            proto = be16(p + off + 2);
            off += 4;
        }
        break;
    case DLT_NULL:
    case DLT_LOOP: { /* a 4-byte address family, in either byte order */
        if (len < 4)
            return false;
        uint32_t fam = linktype == DLT_LOOP ? be32(p)
                                            : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                                  (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        if (fam > 0xffff)
            fam = be32(p);
        if (fam != 2 && fam != 10 && fam != 24 && fam != 28 && fam != 30)
            return false;
        off = 4;
        break;
    }
    case DLT_LINUX_SLL:
        if (len < 16)
            return false;
        proto = be16(p + 14);
        off = 16;
        break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
        if (len < 20)
            return false;
        proto = be16(p);
        off = 20;
        break;
#endif
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
        break;
    default:
        return false;
    }
    if (proto && proto != 0x0800 && proto != 0x86dd)
        return false;
    out->ip = p + off;
    out->len = len - off;
    return true;
}

typedef struct tcp_seg {
    uint8_t src[16], dst[16];
    bool v6;
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags;
    const uint8_t *payload;
    uint32_t len;
} tcp_seg;

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static bool tcp_of(const packet *pk, tcp_seg *t)
{
    const uint8_t *p = pk->ip;
    size_t len = pk->len, hl;
    if (len < 1)
        return false;
    memset(t, 0, sizeof(*t));
    if (p[0] >> 4 == 4) {
        if (len < 20 || (hl = (size_t)(p[0] & 15) * 4) < 20 || hl > len)
            return false;
        size_t total = be16(p + 2);
        if (p[9] != IP_PROTO_TCP || (be16(p + 6) & 0x1fff) || (be16(p + 6) & 0x2000))
            return false;               /* not TCP, or a fragment */
        len = MIN(len, MAX(total, hl)); /* Ethernet padding is not payload */
        memcpy(t->src, p + 12, 4);
        memcpy(t->dst, p + 16, 4);
    } else if (p[0] >> 4 == 6) {
        if (len < 40)
            return false;
        uint8_t next = p[6];
        len = MIN(len, 40 + (size_t)be16(p + 4));
        memcpy(t->src, p + 8, 16);
        memcpy(t->dst, p + 24, 16);
        t->v6 = true;
        hl = 40;
        while (next == 0 || next == 43 || next == 60) { /* hop-by-hop, routing, options */
            if (len < hl + 8)
                return false;
            next = p[hl];
            hl += (size_t)(p[hl + 1] + 1) * 8;
        }
        if (next != IP_PROTO_TCP || hl > len)
            return false;
    } else {
        return false;
    }
    const uint8_t *tcp = p + hl;
    size_t tl = len - hl, doff;
    if (tl < 20 || (doff = (size_t)(tcp[12] >> 4) * 4) < 20 || doff > tl)
        return false;
    t->sport = be16(tcp);
    t->dport = be16(tcp + 2);
    t->seq = be32(tcp + 4);
    t->flags = tcp[13];
    t->payload = tcp + doff;
    t->len = (uint32_t)(tl - doff);
    return true;
}

static char *tuple_key(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb, bool v6)
{
    /* both directions to one key: the smaller end first */
    size_t n = v6 ? 16 : 4;
    int c = memcmp(a, b, n);
    if (c > 0 || (c == 0 && pa > pb)) {
        const uint8_t *x = a;
        a = b;
        b = x;
        uint16_t y = pa;
        pa = pb;
        pb = y;
    }
    g_autofree char *ka = addr_text(a, v6, pa), *kb = addr_text(b, v6, pb);
    return g_strconcat(ka, "-", kb, NULL);
}

static conn_state *conn_new(reader *r, const tcp_seg *t, bool sender_is_client)
{
    conn_state *cs = g_new0(conn_state, 1);
    cs->v6 = t->v6;
    memcpy(cs->addr_c, sender_is_client ? t->src : t->dst, 16);
    memcpy(cs->addr_s, sender_is_client ? t->dst : t->src, 16);
    cs->port_c = sender_is_client ? t->sport : t->dport;
    cs->port_s = sender_is_client ? t->dport : t->sport;
    g_autofree char *client = addr_text(cs->addr_c, t->v6, cs->port_c);
    g_autofree char *server = addr_text(cs->addr_s, t->v6, cs->port_s);
    cs->conn = vds_tcp_conn_new(client, server, r->frame);
    cs->to_server.covered = g_array_new(FALSE, FALSE, sizeof(coverage));
    cs->to_client.covered = g_array_new(FALSE, FALSE, sizeof(coverage));
    g_ptr_array_add(r->states, cs);
    g_ptr_array_add(r->c->conns, cs->conn);
    return cs;
}

static void on_tcp(reader *r, const tcp_seg *t, uint64_t t_ns)
{
    g_autofree char *key = tuple_key(t->src, t->sport, t->dst, t->dport, t->v6);
    conn_state *cs = g_hash_table_lookup(r->live, key);
    bool syn = (t->flags & TH_SYN) && !(t->flags & TH_ACK);
    if (!cs || (syn && (cs->finished || cs->to_server.started))) {
        cs = conn_new(r, t, syn || !cs ? true : false);
        g_hash_table_replace(r->live, g_strdup(key), cs);
    }
    bool to_server = t->sport == cs->port_c && !memcmp(t->src, cs->addr_c, t->v6 ? 16 : 4);
    vds_tcp_stream *s = to_server ? &cs->conn->to_server : &cs->conn->to_client;
    stream_state *st = to_server ? &cs->to_server : &cs->to_client;
    if (t->flags & TH_SYN) { /* the SYN takes one sequence number */
        if (!st->started) {
            st->started = true;
            st->base = t->seq + 1;
            s->from_start = true;
        }
        return;
    }
    if (t->flags & TH_RST)
        cs->finished = true;
    stream_add(s, st, t->seq, t->payload, t->len, r->frame, t_ns);
}

static int cmp_mark(gconstpointer a, gconstpointer b)
{
    const vds_tcp_mark *x = a, *y = b;
    return x->off != y->off ? (x->off < y->off ? -1 : 1) : (x->frame < y->frame ? -1 : 1);
}

/* Marks by offset, and the gaps between what frames carried. */
static void stream_finish(vds_tcp_stream *s, stream_state *st)
{
    g_array_sort(s->segs, cmp_mark);
    uint64_t at = 0;
    for (guint i = 0; i < st->covered->len; i++) {
        coverage *c = &g_array_index(st->covered, coverage, i);
        if (c->start > at) {
            const vds_tcp_mark *before = at ? vds_tcp_stream_mark(s, at - 1) : NULL;
            const vds_tcp_mark *after = vds_tcp_stream_mark(s, c->start);
            vds_tcp_gap g = {at, c->start - at, before ? before->frame : 0,
                             after ? after->frame : 0};
            g_array_append_val(s->gaps, g);
        }
        at = c->end;
    }
    g_array_unref(st->covered);
    st->covered = NULL;
}

const vds_tcp_mark *vds_tcp_stream_mark(const vds_tcp_stream *s, uint64_t off)
{
    /* the last mark starting at or before off */
    guint lo = 0, hi = s->segs->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (g_array_index(s->segs, vds_tcp_mark, mid).off <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &g_array_index(s->segs, vds_tcp_mark, lo - 1) : NULL;
}

const vds_tcp_gap *vds_tcp_stream_gap(const vds_tcp_stream *s, uint64_t off, uint64_t len)
{
    for (guint i = 0; i < s->gaps->len; i++) {
        const vds_tcp_gap *g = &g_array_index(s->gaps, vds_tcp_gap, i);
        if (g->off < off + len && off < g->off + g->len)
            return g;
    }
    return NULL;
}

bool vds_tcp_stream_have(const vds_tcp_stream *s, uint64_t off, uint64_t len)
{
    return off + len <= s->data->len && !vds_tcp_stream_gap(s, off, len);
}

uint64_t vds_tcp_stream_frame(const vds_tcp_stream *s, uint64_t off)
{
    const vds_tcp_mark *m = vds_tcp_stream_mark(s, off);
    return m ? m->frame : 0;
}

static int read_all(pcap_t *p, const char *name, vds_capture *c, vds_err *err)
{
    reader r = {c, g_ptr_array_new(), g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                0};
    c->linktype = pcap_datalink(p);
    c->conns = g_ptr_array_new_with_free_func((GDestroyNotify)vds_tcp_conn_free);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    uint64_t cut = 0, first_cut = 0;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        r.frame = ++c->frames;
        if (h->caplen < h->len && !cut++)
            first_cut = r.frame;
        packet pk;
        tcp_seg t;
        uint64_t t_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
        if (link_payload(c->linktype, data, h->caplen, &pk) && tcp_of(&pk, &t))
            on_tcp(&r, &t, t_ns);
        else
            c->not_tcp++;
    }
    if (cut) /* tcpdump -s 96, or an old tcpdump's default of 68 or 96 bytes */
        c->cut =
            g_strdup_printf("%" G_GUINT64_FORMAT " frames (the first is frame %" G_GUINT64_FORMAT
                            ") were cut to the capture's snap length of %d bytes: what "
                            "they lost is gaps (capture with -s 0)",
                            cut, first_cut, pcap_snapshot(p));
    if (rc == PCAP_ERROR) /* a truncated file: what came before is kept */
        c->note = g_strdup_printf("%s: frame %" G_GUINT64_FORMAT ": %s", name, c->frames + 1,
                                  pcap_geterr(p));
    for (guint i = 0; i < r.states->len; i++) {
        conn_state *cs = r.states->pdata[i];
        stream_finish(&cs->conn->to_server, &cs->to_server);
        stream_finish(&cs->conn->to_client, &cs->to_client);
        g_free(cs);
    }
    g_ptr_array_unref(r.states);
    g_hash_table_unref(r.live);
    if (!c->frames && c->note)
        return vds_err_set(err, VDS_ERR_PARSE, name, "%s", c->note);
    return 0;
}

static int open_failed(const char *name, const char *why, vds_err *err)
{
    return vds_err_set(err, VDS_ERR_PARSE, name, "not a capture libpcap reads: %s", why);
}

static bool link_known(int lt)
{
    return lt == DLT_EN10MB || lt == DLT_NULL || lt == DLT_LOOP || lt == DLT_LINUX_SLL ||
#ifdef DLT_LINUX_SLL2
           lt == DLT_LINUX_SLL2 ||
#endif
#ifdef DLT_IPV4
           lt == DLT_IPV4 || lt == DLT_IPV6 ||
#endif
           lt == DLT_RAW;
}

static int read_pcap(pcap_t *p, const char *name, vds_capture *c, vds_err *err)
{
    int lt = pcap_datalink(p);
    int rc;
    if (!link_known(lt))
        rc = vds_err_set(err, VDS_ERR_PARSE, name,
                         "link type %s (%d): vdsim reads Ethernet, loopback, Linux cooked v1 and "
                         "v2, and raw IP",
                         pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) : "?", lt);
    else
        rc = read_all(p, name, c, err);
    pcap_close(p);
    if (rc < 0)
        vds_capture_clear(c);
    return rc;
}

int vds_capture_read(const char *path, vds_capture *c, vds_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    memset(c, 0, sizeof(*c));
    c->path = g_strdup(path);
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        int rc = open_failed(path, ebuf, err);
        vds_capture_clear(c);
        return rc;
    }
    return read_pcap(p, path, c, err);
}

int vds_capture_read_mem(const char *name, const uint8_t *data, size_t len, vds_capture *c,
                         vds_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    memset(c, 0, sizeof(*c));
    c->path = g_strdup(name);
    FILE *f = len ? fmemopen((void *)data, len, "rb") : NULL;
    if (!f) {
        vds_capture_clear(c);
        return open_failed(name, "empty", err);
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        fclose(f);
        int rc = open_failed(name, ebuf, err);
        vds_capture_clear(c);
        return rc;
    }
    return read_pcap(p, name, c, err); /* pcap_close closes f */
}

bool vds_capture_file_sniff(const char *path)
{
    uint8_t m[4] = {0};
    FILE *f = fopen(path, "rb");
    if (f) {
        if (fread(m, 1, sizeof(m), f) != sizeof(m))
            memset(m, 0, sizeof(m));
        fclose(f);
    }
    uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    return be == 0xa1b2c3d4 || be == 0xd4c3b2a1 || /* pcap, microseconds, either byte order */
           be == 0xa1b23c4d || be == 0x4d3cb2a1 || /* pcap, nanoseconds */
           be == 0x0a0d0d0a;                       /* pcapng's section header block */
}
