/* libvirt guests. The domain's live XML says where its agent is; the QEMU
 * guest agent runs xrandr and xclip inside the guest for the oracles; a
 * transient domain lives as long as `vdsim vm` needs it. */
#include "target/libvirt.h"

#include "core/image.h"
#include "core/loop.h"
#include "core/secret.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

/* --- the live XML ------------------------------------------------------------ */

void vds_domain_spice_clear(vds_domain_spice *d)
{
    g_free(d->name);
    g_free(d->spice_uri);
    if (d->password)
        memset(d->password, 0, strlen(d->password));
    g_free(d->password);
    g_free(d->chardev);
    g_free(d->listen);
    memset(d, 0, sizeof(*d));
}

/* The string value of an XPath expression, or NULL when empty (new string). */
static char *xpath_str(xmlXPathContextPtr x, const char *expr)
{
    g_autofree char *wrapped = g_strdup_printf("string(%s)", expr);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)wrapped, x);
    char *s = NULL;
    if (o && o->type == XPATH_STRING && o->stringval && *o->stringval)
        s = g_strdup((const char *)o->stringval);
    xmlXPathFreeObject(o);
    return s;
}

static int parse_devices(xmlXPathContextPtr x, vds_domain_spice *out, vds_err *err);

/* The same for base + rel. */
static char *xpath_at(xmlXPathContextPtr x, const char *base, const char *rel)
{
    g_autofree char *expr = g_strconcat(base, rel, NULL);
    return xpath_str(x, expr);
}

int vds_domain_spice_parse(const char *xml, vds_domain_spice *out, vds_err *err)
{
    memset(out, 0, sizeof(*out));
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        g_autofree char *why = g_strstrip(g_strdup(e && e->message ? e->message : "not XML"));
        return vds_err_set(err, VDS_ERR_PARSE, "domain XML", "%s", why);
    }
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    int rc = 0;
    out->name = xpath_str(x, "/domain/name");
    if (out->name)
        rc = parse_devices(x, out, err);
    else
        rc = vds_err_set(err, VDS_ERR_PARSE, "domain XML", "no /domain/name: not a domain");
    xmlXPathFreeContext(x);
    xmlFreeDoc(doc);
    if (rc < 0)
        vds_domain_spice_clear(out);
    return rc;
}

static bool is_wildcard(const char *addr)
{
    return addr && (strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0);
}

static bool is_loopback(const char *addr)
{
    return addr && (g_str_has_prefix(addr, "127.") || strcmp(addr, "::1") == 0 ||
                    strcmp(addr, "localhost") == 0);
}

/* spice://HOST:PORT[?tls-port=N], or spice://HOST?tls-port=N (0: no such port). */
static char *spice_uri(const char *host, unsigned port, unsigned tls_port)
{
    if (port && tls_port)
        return g_strdup_printf("spice://%s:%u?tls-port=%u", host, port, tls_port);
    if (port)
        return g_strdup_printf("spice://%s:%u", host, port);
    return g_strdup_printf("spice://%s?tls-port=%u", host, tls_port);
}

/* A graphics port attribute: 0 when absent or -1 (autoport not yet given). */
static unsigned port_attr(const char *v)
{
    return v && strcmp(v, "-1") != 0 ? (unsigned)atoi(v) : 0;
}

/* Graphics and the agent's channel, from a domain's XML. */
static int parse_devices(xmlXPathContextPtr x, vds_domain_spice *out, vds_err *err)
{
    const char *g = "/domain/devices/graphics[@type='spice'][1]";
    g_autofree char *port = xpath_at(x, g, "/@port");
    g_autofree char *tls = xpath_at(x, g, "/@tlsPort");
    g_autofree char *addr = xpath_at(x, g, "/listen[@type='address'][1]/@address");
    if (!addr)
        addr = xpath_at(x, g, "/@listen");
    out->password = xpath_at(x, g, "/@passwd");
    out->listen = g_strdup(addr);
    out->port = port_attr(port);
    out->tls_port = port_attr(tls);
    if (out->port || out->tls_port)
        out->spice_uri =
            spice_uri(addr && !is_wildcard(addr) ? addr : "127.0.0.1", out->port, out->tls_port);
    const char *ch = "/domain/devices/channel[target/@name='" AGENT_PORT "'][1]";
    g_autofree char *type = xpath_at(x, ch, "/@type");
    g_autofree char *state = xpath_at(x, ch, "/target/@state");
    out->spicevmc = type && strcmp(type, "spicevmc") == 0;
    if (type && strcmp(type, "unix") == 0)
        out->chardev = xpath_at(x, ch, "/source/@path");
    out->agent_connected = state && strcmp(state, "connected") == 0;
    if (!type)
        return vds_err_set(err, VDS_ERR_USAGE, out->name,
                           "the domain has no " AGENT_PORT " channel (spicevmc or unix)");
    return 0;
}

int vds_libvirt_target_parse(const char *target, char **domain, char **uri, vds_err *err)
{
    const char *rest = target + strlen("libvirt:");
    const char *q = strstr(rest, "?uri=");
    *domain = q ? g_strndup(rest, (gsize)(q - rest)) : g_strdup(rest);
    *uri = q ? g_strdup(q + 5) : NULL;
    if (!**domain || (*uri && !**uri)) {
        g_clear_pointer(domain, g_free);
        g_clear_pointer(uri, g_free);
        return vds_err_set(err, VDS_ERR_USAGE, target,
                           "expected libvirt:DOMAIN or libvirt:DOMAIN?uri=URI");
    }
    return 0;
}

char *vds_libvirt_error(void)
{
    const virError *e = virGetLastError();
    return g_strdup(e && e->message ? e->message : "unknown libvirt error");
}

static void quiet_libvirt(void *user, virErrorPtr e) {} /* errors are ours to report */

virConnectPtr vds_libvirt_connect(const char *uri, vds_err *err)
{
    virSetErrorFunc(NULL, quiet_libvirt);
    virConnectPtr c = virConnectOpen(uri ? uri : "qemu:///system");
    if (!c) {
        g_autofree char *why = vds_libvirt_error();
        vds_err_set(err, VDS_ERR_IO, uri ? uri : "qemu:///system",
                    "cannot connect to libvirt: %s (tools/lib/libvirt-up starts the daemons)", why);
    }
    return c;
}

static char *live_xml(virDomainPtr d, vds_err *err)
{
    char *x = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_SECURE);
    if (!x) {
        g_autofree char *why = vds_libvirt_error();
        vds_err_set(err, VDS_ERR_IO, virDomainGetName(d), "cannot read the live XML: %s", why);
        return NULL;
    }
    char *copy = g_strdup(x);
    free(x);
    return copy;
}

virDomainPtr vds_libvirt_lookup(virConnectPtr c, const char *domain, vds_err *err)
{
    virDomainPtr d = virDomainLookupByName(c, domain);
    if (!d) {
        g_autofree char *why = vds_libvirt_error();
        vds_err_set(err, VDS_ERR_IO, domain, "no such domain: %s", why);
        return NULL;
    }
    if (virDomainIsActive(d) != 1) {
        vds_err_set(err, VDS_ERR_IO, domain, "the domain is not running");
        virDomainFree(d);
        return NULL;
    }
    return d;
}

/* Does the guest hold com.redhat.spice.0 open, by the live XML? */
int vds_libvirt_agent_port_up(virDomainPtr dom, bool *up, vds_err *err)
{
    g_autofree char *xml = live_xml(dom, err);
    vds_domain_spice d;
    if (!xml || vds_domain_spice_parse(xml, &d, err) < 0)
        return -1;
    *up = d.agent_connected;
    vds_domain_spice_clear(&d);
    return 0;
}

int vds_libvirt_wait_agent_port(virDomainPtr dom, uint64_t deadline, GMainContext *ctx,
                                const volatile sig_atomic_t *stop, vds_err *err)
{
    for (;;) {
        if (stop && *stop)
            return PORT_INTERRUPTED;
        if (virDomainIsActive(dom) != 1)
            return PORT_DOMAIN_STOPPED;
        bool up;
        if (vds_libvirt_agent_port_up(dom, &up, err) < 0)
            return -1;
        if (up)
            return PORT_UP;
        if (vds_clock_now_ns() >= deadline)
            return PORT_TIMEOUT;
        vds_loop_sleep(ctx, 200000000ull);
    }
}

int vds_libvirt_domain_spice(const char *domain, const char *uri, vds_domain_spice *out,
                             vds_err *err)
{
    virConnectPtr c = vds_libvirt_connect(uri, err);
    if (!c)
        return -1;
    int rc = -1;
    virDomainPtr d = vds_libvirt_lookup(c, domain, err);
    if (d) {
        g_autofree char *xml = live_xml(d, err);
        rc = xml ? vds_domain_spice_parse(xml, out, err) : -1;
        virDomainFree(d);
    }
    virConnectClose(c);
    return rc;
}

/* --- target libvirt:DOMAIN ------------------------------------------------------ */

char *vds_domain_spice_uri_for(const vds_domain_spice *d, const char *libvirt_uri, vds_err *err)
{
    g_autoptr(GUri) u = libvirt_uri ? g_uri_parse(libvirt_uri, G_URI_FLAGS_NONE, NULL) : NULL;
    const char *host = u ? g_uri_get_host(u) : NULL;
    if (!host || !*host || is_loopback(host) || !d->spice_uri)
        return g_strdup(d->spice_uri);
    const char *l = d->listen;
    if (is_loopback(l))
        return vds_err_set(err, VDS_ERR_USAGE, d->name,
                           "SPICE listens on %s on %s, which vdsim cannot reach from here: "
                           "listen on an address, or tunnel it and use spice://",
                           l, host),
               NULL;
    return spice_uri(l && !is_wildcard(l) ? l : host, d->port, d->tls_port);
}

vds_target *vds_target_libvirt_new(const char *name, GMainContext *ctx, vds_err *err)
{
    g_autofree char *domain = NULL, *uri = NULL;
    if (vds_libvirt_target_parse(name, &domain, &uri, err) < 0)
        return NULL;
    vds_domain_spice d;
    if (vds_libvirt_domain_spice(domain, uri, &d, err) < 0)
        return NULL;
    vds_target *t = NULL;
    if (!d.spicevmc)
        vds_err_set(err, VDS_ERR_USAGE, domain, AGENT_PORT " is not a spicevmc channel%s%s",
                    d.chardev ? ": use chardev:" : "", d.chardev ? d.chardev : "");
    else if (!d.spice_uri)
        vds_err_set(err, VDS_ERR_USAGE, domain, "the domain has no SPICE graphics to connect to");
    else {
        g_autofree char *spice = vds_domain_spice_uri_for(&d, uri, err);
        vds_oracle *oracle = spice ? vds_qga_oracle_new(domain, uri, ctx, err) : NULL;
        if (oracle)
            vds_qga_oracle_probe(oracle);
        if (oracle)
            t = vds_target_client_new_with(name, spice, d.password, oracle, ctx, err);
    }
    vds_domain_spice_clear(&d);
    return t;
}

/* --- transient domains (vdsim vm) ---------------------------------------------- */

struct vds_vm {
    virConnectPtr conn;
    virDomainPtr dom;
    char *uri;
    char *name;
    char *dir; /* overlay disk, serial log, chardev socket */
    char *serial_log;
    char *chardev; /* the raw port's socket, for unix templates */
};

static char *read_image_file(const char *image_dir, const char *name, vds_err *err)
{
    char *p = g_build_filename(image_dir, name, NULL);
    if (!g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
        vds_err_set(err, VDS_ERR_USAGE, image_dir,
                    "no %s here: build the image with tools/build-guest-image", name);
        g_free(p);
        return NULL;
    }
    return p;
}

/* Replace each @KEY@ of tmpl by its value (pairs, NULL-ended); an unknown
   placeholder left over is an error naming it. New string. */
static char *fill_template(const char *path, const char *tmpl, const char *const *kv, vds_err *err)
{
    GString *s = g_string_new(tmpl);
    for (const char *const *p = kv; p[0]; p += 2)
        g_string_replace(s, p[0], p[1], 0);
    const char *at = strchr(s->str, '@');
    while (at) {
        const char *end = strchr(at + 1, '@');
        if (end && end - at > 1 && end - at < 32 &&
            strspn(at + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == (size_t)(end - at - 1)) {
            vds_err_set(err, VDS_ERR_USAGE, path, "unknown placeholder %.*s", (int)(end - at + 1),
                        at);
            g_string_free(s, TRUE);
            return NULL;
        }
        at = strchr(at + 1, '@');
    }
    return g_string_free(s, FALSE);
}

#define CREATE_TIMEOUT_S 120

/* virDomainCreateXML in a thread of its own, so that a libvirtd that never
   answers (seen here: stuck probing QEMU's capabilities after its probe
   process died) is an error after a while and not a run that hangs. */
typedef struct create_call {
    gint refs;
    virConnectPtr conn; /* a reference of the call's own */
    char *xml;
    GMutex lock;
    GCond done_cond;
    bool done;
    virDomainPtr dom;
    char *why;
} create_call;

static void create_call_unref(create_call *c)
{
    if (!g_atomic_int_dec_and_test(&c->refs))
        return;
    if (c->dom) /* the caller gave up on it: AUTODESTROY ends it with the connection */
        virDomainFree(c->dom);
    virConnectClose(c->conn);
    g_free(c->xml);
    g_free(c->why);
    g_mutex_clear(&c->lock);
    g_cond_clear(&c->done_cond);
    g_free(c);
}

static gpointer create_thread(gpointer user)
{
    create_call *c = user;
    virDomainPtr dom = virDomainCreateXML(c->conn, c->xml, VIR_DOMAIN_START_AUTODESTROY);
    char *why = dom ? NULL : vds_libvirt_error();
    g_mutex_lock(&c->lock);
    c->dom = dom;
    c->why = why;
    c->done = true;
    g_cond_signal(&c->done_cond);
    g_mutex_unlock(&c->lock);
    create_call_unref(c);
    return NULL;
}

static virDomainPtr create_within(virConnectPtr conn, const char *xml, int timeout_s, char **why)
{
    create_call *c = g_new0(create_call, 1);
    c->refs = 2;
    virConnectRef(conn);
    c->conn = conn;
    c->xml = g_strdup(xml);
    g_mutex_init(&c->lock);
    g_cond_init(&c->done_cond);
    g_thread_unref(g_thread_new("vdsim-create", create_thread, c));
    gint64 end = g_get_monotonic_time() + (gint64)timeout_s * G_TIME_SPAN_SECOND;
    virDomainPtr dom = NULL;
    g_mutex_lock(&c->lock);
    while (!c->done && g_cond_wait_until(&c->done_cond, &c->lock, end))
        ;
    if (c->done) {
        dom = g_steal_pointer(&c->dom);
        *why = c->why ? g_strdup_printf("libvirt refused the domain: %s", c->why) : NULL;
    } else {
        *why = g_strdup_printf("libvirtd did not start the domain within %d s (a libvirtd stuck "
                               "probing QEMU does this; restart it, e.g. tools/lib/libvirt-up)",
                               timeout_s);
    }
    g_mutex_unlock(&c->lock);
    create_call_unref(c);
    return dom;
}

/* A whole disk's format as qemu-img reads it ("qcow2", "raw"): new string,
   or NULL with err. */
static char *disk_format(const char *disk, vds_err *err)
{
    const char *argv[] = {"qemu-img", "info", "--output=json", disk, NULL};
    g_autofree char *out = NULL, *qerr = NULL;
    g_autoptr(GError) ge = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &qerr,
                      &status, &ge) ||
        !g_spawn_check_wait_status(status, NULL))
        return vds_err_set(err, VDS_ERR_USAGE, disk, "not a disk image qemu-img reads: %s",
                           ge ? ge->message : g_strstrip(qerr)),
               NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    JsonNode *root = json_parser_load_from_data(p, out, -1, NULL) ? json_parser_get_root(p) : NULL;
    const char *fmt =
        root && JSON_NODE_HOLDS_OBJECT(root)
            ? json_object_get_string_member_with_default(json_node_get_object(root), "format", NULL)
            : NULL;
    if (!fmt || (strcmp(fmt, "qcow2") && strcmp(fmt, "raw")))
        return vds_err_set(err, VDS_ERR_USAGE, disk, "a disk image is qcow2 or raw, not %s",
                           fmt ? fmt : "(unknown)"),
               NULL;
    return g_strdup(fmt);
}

/* Overlay, template, domain: the steps of vds_vm_start that can fail.
   kernel and initrd are NULL for a whole disk that boots by itself. */
static int vm_boot(vds_vm *vm, const vds_vm_opts *o, const char *tmpl, const char *kernel,
                   const char *initrd, const char *disk, vds_err *err)
{
    g_autoptr(GError) ge = NULL;
    vm->dir = g_dir_make_tmp("vdsim-vm-XXXXXX", &ge);
    if (!vm->dir)
        return vds_err_set(err, VDS_ERR_IO, NULL, "temp dir: %s", ge->message);
    g_chmod(vm->dir, 0777); /* QEMU may run as libvirt-qemu and makes the socket here */
    g_autofree char *overlay = g_build_filename(vm->dir, "disk.qcow2", NULL);
    vm->serial_log = g_build_filename(vm->dir, "serial.log", NULL);
    vm->chardev = g_build_filename(vm->dir, "agent-port.sock", NULL);
    /* a throwaway overlay: the cached image is never written */
    g_autofree char *abs_disk = g_canonicalize_filename(disk, NULL);
    g_autofree char *fmt = kernel ? g_strdup("raw") : disk_format(abs_disk, err);
    if (!fmt)
        return -1;
    const char *argv[] = {"qemu-img", "create", "-q",     "-f",    "qcow2", "-F",
                          fmt,        "-b",     abs_disk, overlay, NULL};
    g_autofree char *qerr = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &qerr,
                      &status, &ge) ||
        !g_spawn_check_wait_status(status, NULL))
        return vds_err_set(err, VDS_ERR_IO, overlay, "qemu-img create: %s",
                           ge ? ge->message : g_strstrip(qerr));
    g_autofree char *abs_kernel = kernel ? g_canonicalize_filename(kernel, NULL) : g_strdup("");
    g_autofree char *abs_initrd = initrd ? g_canonicalize_filename(initrd, NULL) : g_strdup("");
    const char *pw = vds_secret_spice_password();
    g_autofree char *passwd = pw && *pw ? g_markup_printf_escaped("passwd='%s'", pw) : g_strdup("");
    const char *efi = o->uefi ? "firmware='efi'" : "";
    /* secure boot off: libvirt would pick Debian's OVMF with Microsoft's keys
       enrolled, which refuses an unsigned loader ("Access Denied") */
    const char *efi_features =
        o->uefi ? "<firmware><feature enabled='no' name='secure-boot'/></firmware>" : "";
    /* clang-format off */
    const char *kv[] = {
        "@NAME@", vm->name,
        "@DOMAIN_TYPE@", o->domain_type ? o->domain_type : "qemu",
        "@KERNEL@", abs_kernel,
        "@INITRD@", abs_initrd,
        "@DISK@", overlay,
        "@SERIAL_LOG@", vm->serial_log,
        "@CHARDEV@", vm->chardev,
        "@GRAPHICS_PASSWD@", passwd,
        "@FIRMWARE@", efi,
        "@FIRMWARE_FEATURES@", efi_features,
        NULL};
    /* clang-format on */
    g_autofree char *xml = fill_template(o->template_path, tmpl, kv, err);
    if (!xml)
        return -1;
    g_autofree char *xml_path = g_build_filename(vm->dir, "domain.xml", NULL);
    g_file_set_contents(xml_path, xml, -1, NULL);
    if (!(vm->conn = vds_libvirt_connect(vm->uri, err)))
        return -1;
    /* AUTODESTROY: if vdsim dies, libvirt destroys the domain with the connection */
    char *why = NULL;
    vm->dom = create_within(vm->conn, xml, CREATE_TIMEOUT_S, &why);
    if (!vm->dom) {
        vds_err_set(err, VDS_ERR_IO, o->template_path, "%s", why);
        g_free(why);
        return -1;
    }
    if (!strstr(tmpl, "@CHARDEV@"))
        g_clear_pointer(&vm->chardev, g_free);
    return 0;
}

vds_vm *vds_vm_start(const vds_vm_opts *o, vds_err *err)
{
    g_autofree char *tmpl = NULL;
    g_autoptr(GError) ge = NULL;
    if (!g_file_get_contents(o->template_path, &tmpl, NULL, &ge))
        return vds_err_set(err, VDS_ERR_USAGE, o->template_path, "%s", ge->message), NULL;
    g_autofree char *kernel = NULL, *initrd = NULL, *disk = NULL;
    bool direct = strstr(tmpl, "@KERNEL@") != NULL;
    if (g_file_test(o->image_dir, G_FILE_TEST_IS_REGULAR)) { /* a whole disk */
        if (direct)
            return vds_err_set(err, VDS_ERR_USAGE, o->template_path,
                               "this template boots a kernel from an image directory; a whole "
                               "disk (%s) boots with vmconfigs/disk-spicevmc.xml",
                               o->image_dir),
                   NULL;
        disk = g_strdup(o->image_dir);
    } else if (!direct) {
        return vds_err_set(err, VDS_ERR_USAGE, o->template_path,
                           "this template boots a whole disk with its own loader: give --image "
                           "a disk (qcow2 or raw; tools/build-guest-image makes DIR/bootable.raw)"),
               NULL;
    } else {
        kernel = read_image_file(o->image_dir, "vmlinuz", err);
        initrd = kernel ? read_image_file(o->image_dir, "initrd.img", err) : NULL;
        disk = initrd ? read_image_file(o->image_dir, "disk.img", err) : NULL;
        if (!disk)
            return NULL;
    }
    vds_vm *vm = g_new0(vds_vm, 1);
    vm->uri = g_strdup(o->uri ? o->uri : "qemu:///system");
    vm->name = o->name ? g_strdup(o->name) : g_strdup_printf("vdsim-%d", (int)getpid());
    if (vm_boot(vm, o, tmpl, kernel, initrd, disk, err) < 0) {
        vds_vm_destroy(vm);
        return NULL;
    }
    return vm;
}

/* The console's text (new string, "" when none). */
static char *serial_text(vds_vm *vm)
{
    g_autofree char *text = NULL;
    if (!vm->serial_log || !g_file_get_contents(vm->serial_log, &text, NULL, NULL))
        return g_strdup("");
    return g_steal_pointer(&text);
}

/* Its last non-empty line, control characters dropped (new string). */
static char *last_line(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint n = g_strv_length(lines); n > 0; n--) {
        GString *clean = g_string_new(NULL);
        for (const char *p = lines[n - 1]; *p; p++)
            if ((unsigned char)*p >= 0x20 && *p != 0x7f)
                g_string_append_c(clean, *p);
        g_strstrip(clean->str);
        if (clean->str[0])
            return g_string_free(clean, FALSE);
        g_string_free(clean, TRUE);
    }
    return g_strdup("");
}

/* The console from a few lines before marker on (new string), or NULL. */
static char *console_around(const char *text, const char *marker)
{
    const char *m = strstr(text, marker);
    if (!m)
        return NULL;
    const char *from = m;
    for (int lines = 0; from > text && lines < 4; from--)
        lines += from[-1] == '\n';
    return g_strndup(from, MIN(strlen(from), 1500));
}

/* A guest that will not come up: why (new string), or NULL while it may. */
static char *guest_failed(vds_vm *vm, const char *console)
{
    static const char *const panics[] = {"Kernel panic - not syncing", "end Kernel panic",
                                         "Oops: ", "BUG: unable to handle"};
    /* OVMF and SeaBIOS when nothing on the disk boots */
    static const char *const firmware[] = {"No bootable option or device was found",
                                           "No bootable device"};
    int state = 0, reason = 0;
    if (virDomainGetState(vm->dom, &state, &reason, 0) == 0) {
        if (state == VIR_DOMAIN_CRASHED ||
            (state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_CRASHED))
            return g_strdup("the guest's kernel crashed (pvpanic)");
        if (state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_SHUTDOWN)
            return g_strdup("the guest shut down before its agent connected");
    } else {
        return g_strdup("the guest is gone (it shut down, crashed, or its firmware found nothing "
                        "to boot and restarted)");
    }
    for (size_t i = 0; i < G_N_ELEMENTS(panics); i++)
        if (strstr(console, panics[i]))
            return g_strdup_printf("the guest's kernel says \"%s\"", panics[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(firmware); i++)
        if (strstr(console, firmware[i]))
            return g_strdup_printf("the guest's firmware says \"%s\" (no loader on the disk, "
                                   "or one it refused: Secure Boot?)",
                                   firmware[i]);
    return NULL;
}

/* What the guest is asked at a boot timeout: key: value lines, then logs. */
static const char diagnose_script[] =
    "p=/dev/virtio-ports/com.redhat.spice.0\n"
    "[ -e $p ] && echo port: yes || echo port: no\n"
    "for c in spice-vdagentd spice-vdagent Xorg; do\n"
    "  pid=$(pgrep -x $c | head -n 1); echo \"$c: ${pid:-none}\"\n"
    "done\n"
    "echo \"sessions: $(loginctl list-sessions --no-legend 2>&1 | tr -s ' \\n' ' ')\"\n"
    "echo \"socket: $(systemctl cat spice-vdagentd.socket >/dev/null 2>&1 && systemctl "
    "is-active spice-vdagentd.socket 2>&1 | head -n 1 || echo absent)\"\n"
    "echo \"udev: $(udevadm info -q property $p 2>&1 | grep -E "
    "'^(CURRENT_TAGS|TAGS|SYSTEMD_WANTS|DEVLINKS)=' | tr '\\n' ' ')\"\n"
    "journalctl -b -q --no-pager -o cat -t spice-vdagentd 2>/dev/null | grep -q 'opening "
    "vdagent virtio channel' && echo opened: yes || echo opened: no\n"
    "echo '--- spice-vdagentd'; journalctl -b -q --no-pager -o short-monotonic -t "
    "spice-vdagentd 2>&1 | tail -n 8\n"
    "echo '--- spice-vdagent'; journalctl -b -q --no-pager -o short-monotonic -t "
    "spice-vdagent 2>&1 | tail -n 8\n"
    "echo '--- systemd'; journalctl -b -q --no-pager -o short-monotonic -u "
    "spice-vdagentd.socket -u spice-vdagentd.service 2>&1 | tail -n 8\n";

static const char *field(char **lines, const char *key)
{
    size_t n = strlen(key);
    for (char **l = lines; *l; l++)
        if (!strncmp(*l, key, n) && (*l)[n] == ':')
            return g_strstrip(*l + n + 1);
    return "";
}

const char *vds_vm_cause(char **lines, bool *again)
{
    /* what the rest stands on first: the port, X, the session agent (which
       socket-activates the daemon), the daemon's socket, the daemon, the
       daemon's session. again: a cause seen to come and go between boots of
       the same image, which a second boot may not have. */
    static const struct {
        const char *key, *value, *cause;
        bool again;
    } causes[] = {
        {"port", "no",
         "the guest has no /dev/virtio-ports/com.redhat.spice.0 (is the virtio-serial port in "
         "the template, virtio_console in the guest's kernel?)",
         false},
        {"Xorg", "none",
         "no X server runs in the guest: no desktop session started, so no session agent "
         "either",
         false},
        {"spice-vdagent", "none",
         "spice-vdagent (the session agent) is not running in the guest's X session", false},
        {"socket", "inactive",
         "spice-vdagentd.socket was not started: the package's udev rule "
         "(70-spice-vdagentd.rules) acts only on the port's add event and needs the port's "
         "name there, but the kernel learns the name from a later control message and "
         "announces it with a change event; when udev handles the add event first, nothing "
         "starts the socket (a race in the agent's packaging, seen now and then under TCG; "
         "the udev properties are below)",
         true},
        {"spice-vdagentd", "none",
         "spice-vdagentd is not running in the guest (its package's udev rule and socket start "
         "it when the port appears and the session agent connects)",
         false},
        {"opened", "no",
         "spice-vdagentd is waiting for an active session: spice-vdagent runs but the daemon "
         "has not opened its port (see logind's sessions)",
         false},
    };
    *again = false;
    for (size_t i = 0; i < G_N_ELEMENTS(causes); i++)
        if (!strcmp(field(lines, causes[i].key), causes[i].value)) {
            *again = causes[i].again;
            return causes[i].cause;
        }
    return "the agent opened its port in the guest, but the host did not see it connected";
}

char *vds_vm_diagnose(vds_vm *vm, bool *again)
{
    *again = false;
    vds_err err = {0};
    vds_oracle *o = vds_qga_oracle_new(vm->name, vm->uri, NULL, &err);
    g_autoptr(GBytes) out = NULL;
    int status = -1;
    int rc = o ? vds_qga_run(o, diagnose_script, 10000000000ull, &out, &status, &err) : -1;
    vds_oracle_free(o);
    if (rc < 0 || !out)
        return NULL;
    g_autofree char *text = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *joined = g_strjoinv("\n    ", lines);
    return g_strdup_printf("%s\nthe guest says:\n    %s", vds_vm_cause(lines, again), joined);
}

/* A guest whose console stays empty this long is not booting: the kernel
   writes within seconds even under TCG on a loaded host (seen: 2-5 s). */
#define SILENT_S 90

static char *tail_of(const char *text, size_t n)
{
    size_t len = strlen(text);
    return g_strdup(text + (len > n ? len - n : 0));
}

int vds_vm_wait_agent(vds_vm *vm, uint64_t deadline, const volatile sig_atomic_t *stop,
                      vds_vm_progress_fn progress, void *user, char **detail, vds_err *err)
{
    uint64_t t0 = vds_clock_now_ns();
    for (;;) {
        uint64_t step = MIN(deadline, vds_clock_now_ns() + 1000000000ull);
        int w = vds_libvirt_wait_agent_port(vm->dom, step, NULL, stop, err);
        if (w == PORT_UP)
            return w;
        if (w == PORT_INTERRUPTED)
            return 1;
        double took = (vds_clock_now_ns() - t0) / 1e9;
        g_autofree char *console = serial_text(vm);
        g_autofree char *why = guest_failed(vm, console);
        if (w < 0 && !why)
            return -1; /* libvirt failed, the guest is still there */
        if (why || w == PORT_DOMAIN_STOPPED) {
            g_autofree char *around = console_around(console, "Kernel panic");
            if (!around)
                around = console_around(console, "BdsDxe: failed");
            if (!around)
                around = tail_of(console, 1500);
            if (detail)
                *detail = g_strdup_printf("the console:\n%s", around);
            return vds_err_set(err, VDS_ERR_IO, vm->name, "%s after %.0f s",
                               why ? why : "the guest stopped before its agent connected", took);
        }
        g_autofree char *last = last_line(console);
        if (progress)
            progress(user, took, last);
        if (!*last && took >= SILENT_S) { /* firmware, loader and kernel all write there */
            if (detail)
                *detail = g_strdup("the serial console is empty");
            return vds_err_set(err, VDS_ERR_IO, vm->name,
                               "the guest has printed nothing on its console in %.0f s: its "
                               "vCPUs do not seem to run (with --kvm: is KVM usable here?)",
                               took);
        }
        if (vds_clock_now_ns() < deadline)
            continue;
        bool again = false;
        g_autofree char *said = vds_vm_diagnose(vm, &again);
        if (said) {
            char *nl = strchr(said, '\n');
            if (detail)
                *detail = g_strdup(nl ? nl + 1 : "");
            if (nl)
                *nl = '\0';
            vds_err_set(err, VDS_ERR_IO, vm->name,
                        "the guest's agent did not open " AGENT_PORT " within %.0f s: %s", took,
                        said);
            /* the guest named its cause: booting again would not change it, unless
               it is one that comes and goes */
            return again ? -1 : -2;
        }
        g_autofree char *tail = tail_of(console, 1500);
        if (detail)
            *detail = g_strdup_printf("serial console ends:\n%s", tail);
        return vds_err_set(err, VDS_ERR_IO, vm->name,
                           "the guest's agent did not open " AGENT_PORT
                           " within %.0f s, and the QEMU guest agent does not answer either: the "
                           "guest did not finish booting",
                           took);
    }
}

char *vds_vm_target(const vds_vm *vm)
{
    if (vm->chardev)
        return g_strdup_printf("chardev:%s?domain=%s&uri=%s", vm->chardev, vm->name, vm->uri);
    return g_strdup_printf("libvirt:%s?uri=%s", vm->name, vm->uri);
}

void vds_vm_save_serial(const vds_vm *vm, const char *dir)
{
    g_mkdir_with_parents(dir, 0755);
    g_autofree char *serial = g_build_filename(dir, "guest-serial.log", NULL);
    g_autofree char *text = NULL;
    gsize n;
    if (vm->serial_log && g_file_get_contents(vm->serial_log, &text, &n, NULL))
        g_file_set_contents(serial, text, (gssize)n, NULL);
}

void vds_vm_collect_logs(vds_vm *vm, const char *dir)
{
    vds_err err = {0};
    vds_vm_save_serial(vm, dir);
    vds_oracle *o = vds_qga_oracle_new(vm->name, vm->uri, NULL, &err);
    if (!o)
        return;
    g_autoptr(GBytes) out = NULL;
    int status;
    if (vds_qga_run(o,
                    "for t in spice-vdagentd spice-vdagent; do echo \"--- $t\"; journalctl -b "
                    "-q --no-pager -o short-monotonic -t $t 2>&1 | tail -n 1000; done; "
                    "echo '--- qemu-guest-agent'; journalctl -b -q --no-pager -u "
                    "qemu-guest-agent 2>&1 | tail -n 200; echo '--- X session'; "
                    "tail -n 200 /root/xsession.log 2>&1",
                    10000000000ull, &out, &status, &err) == 0) {
        g_autofree char *path = g_build_filename(dir, "guest-agent.log", NULL);
        g_file_set_contents(path, g_bytes_get_data(out, NULL), (gssize)g_bytes_get_size(out), NULL);
    }
    vds_oracle_free(o);
}

void vds_vm_destroy(vds_vm *vm)
{
    if (!vm)
        return;
    if (vm->dom) {
        virDomainDestroy(vm->dom);
        virDomainFree(vm->dom);
    }
    if (vm->conn)
        virConnectClose(vm->conn);
    if (vm->dir)
        vds_remove_tree(vm->dir);
    g_free(vm->dir);
    g_free(vm->serial_log);
    g_free(vm->chardev);
    g_free(vm->name);
    g_free(vm->uri);
    g_free(vm);
}
