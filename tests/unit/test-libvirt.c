/* Where a libvirt domain's agent is: its live XML, parsed directly and read
 * through libvirt's test driver (fixtures/libvirt/test-node.xml). */
#include "test-util.h"

#include <stdio.h>

#include "target/libvirt.h"
#include "target/target.h"

#define DOMAIN(devices) "<domain type='kvm'><name>g</name><devices>" devices "</devices></domain>"
#define SPICEVMC                                                                            \
    "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0' state='%s'/>" \
    "</channel>"

static void parse_spicevmc(void **state)
{
    vds_domain_spice d;
    vds_err err = {0};
    g_autofree char *xml = g_strdup_printf(
        DOMAIN("<graphics type='spice' port='5930' tlsPort='5931' autoport='yes' "
               "passwd='sekrit'><listen type='address' address='127.0.0.1'/></graphics>" SPICEVMC),
        "connected");
    assert_int_equal(vds_domain_spice_parse(xml, &d, &err), 0);
    assert_string_equal(d.name, "g");
    assert_string_equal(d.spice_uri, "spice://127.0.0.1:5930?tls-port=5931");
    assert_string_equal(d.password, "sekrit");
    assert_true(d.spicevmc && d.agent_connected);
    assert_null(d.chardev);
    vds_domain_spice_clear(&d);

    /* no TLS port, listen as an attribute, agent not there yet */
    g_autofree char *xml2 = g_strdup_printf(
        DOMAIN("<graphics type='spice' port='5900' tlsPort='-1' listen='0.0.0.0'/>" SPICEVMC),
        "disconnected");
    assert_int_equal(vds_domain_spice_parse(xml2, &d, &err), 0);
    assert_string_equal(d.spice_uri, "spice://127.0.0.1:5900");
    assert_null(d.password);
    assert_false(d.agent_connected);
    vds_domain_spice_clear(&d);
}

static void parse_unix_and_errors(void **state)
{
    vds_domain_spice d;
    vds_err err = {0};
    assert_int_equal(vds_domain_spice_parse(
                         DOMAIN("<channel type='unix'><source mode='bind' path='/r/a.sock'/>"
                                "<target type='virtio' name='com.redhat.spice.0'/></channel>"),
                         &d, &err),
                     0);
    assert_string_equal(d.chardev, "/r/a.sock");
    assert_false(d.spicevmc);
    assert_null(d.spice_uri);
    vds_domain_spice_clear(&d);

    assert_int_equal(
        vds_domain_spice_parse(DOMAIN("<graphics type='spice' port='5900'/>"), &d, &err), -1);
    assert_string_equal(err.loc, "g");
    assert_string_equal(err.msg, "the domain has no com.redhat.spice.0 channel (spicevmc or unix)");
    assert_int_equal(vds_domain_spice_parse("<network><name>n</name></network>", &d, &err), -1);
    assert_string_equal(err.msg, "no /domain/name: not a domain");
    assert_int_equal(vds_domain_spice_parse("<domain", &d, &err), -1);
    assert_string_equal(err.loc, "domain XML");
}

static void target_names(void **state)
{
    g_autofree char *dom = NULL, *uri = NULL;
    vds_err err = {0};
    assert_int_equal(
        vds_libvirt_target_parse("libvirt:guest?uri=qemu+ssh://h/system", &dom, &uri, &err), 0);
    assert_string_equal(dom, "guest");
    assert_string_equal(uri, "qemu+ssh://h/system");
    g_clear_pointer(&dom, g_free);
    g_clear_pointer(&uri, g_free);
    assert_int_equal(vds_libvirt_target_parse("libvirt:guest", &dom, &uri, &err), 0);
    assert_null(uri);
    g_clear_pointer(&dom, g_free);
    assert_int_equal(vds_libvirt_target_parse("libvirt:", &dom, &uri, &err), -1);
    assert_string_equal(err.msg, "expected libvirt:DOMAIN or libvirt:DOMAIN?uri=URI");
}

static void chardev_names(void **state)
{
    g_autofree char *path = NULL, *dom = NULL, *uri = NULL;
    vds_err err = {0};
    /* what vdsim vm makes for a unix template over ssh: the URI keeps its '&' */
    assert_int_equal(vds_chardev_target_parse("chardev:/run/p.sock?domain=g&uri=qemu+ssh://"
                                              "root@h:2222/system?keyfile=/k&no_verify=1",
                                              &path, &dom, &uri, &err),
                     0);
    assert_string_equal(path, "/run/p.sock");
    assert_string_equal(dom, "g");
    assert_string_equal(uri, "qemu+ssh://root@h:2222/system?keyfile=/k&no_verify=1");
    g_clear_pointer(&path, g_free);
    g_clear_pointer(&dom, g_free);
    g_clear_pointer(&uri, g_free);
    assert_int_equal(vds_chardev_target_parse("chardev:/run/p.sock", &path, &dom, &uri, &err), 0);
    assert_null(dom);
    assert_null(uri);
    g_clear_pointer(&path, g_free);
    assert_int_equal(
        vds_chardev_target_parse("chardev:/run/p.sock?domian=g", &path, &dom, &uri, &err), -1);
    assert_string_equal(err.msg, "unknown option 'domian=g' (have: domain=, uri=)");
    assert_null(path);
    assert_int_equal(vds_chardev_target_parse("chardev:p.sock", &path, &dom, &uri, &err), -1);
    assert_string_equal(err.msg, "expected chardev:/ABSOLUTE/PATH");
}

/* The lookup against a real libvirt: its test driver. */
static void lookup_test_driver(void **state)
{
    g_autofree char *node = fixture_path("libvirt/test-node.xml");
    g_autofree char *uri = g_strconcat("test://", node, NULL);
    vds_domain_spice d;
    vds_err err = {0};
    assert_int_equal(vds_libvirt_domain_spice("vdsim-spicevmc", uri, &d, &err), 0);
    assert_string_equal(d.spice_uri, "spice://127.0.0.1:5901?tls-port=5902");
    assert_string_equal(d.password, "sekrit"); /* read with VIR_DOMAIN_XML_SECURE */
    assert_true(d.spicevmc);
    vds_domain_spice_clear(&d);
    assert_int_equal(vds_libvirt_domain_spice("vdsim-unix", uri, &d, &err), 0);
    assert_string_equal(d.chardev, "/run/vdsim-test/agent.sock");
    vds_domain_spice_clear(&d);
    assert_int_equal(vds_libvirt_domain_spice("vdsim-no-agent", uri, &d, &err), -1);
    assert_string_equal(err.msg, "the domain has no com.redhat.spice.0 channel (spicevmc or unix)");
    assert_int_equal(vds_libvirt_domain_spice("nosuch", uri, &d, &err), -1);
    assert_string_equal(err.loc, "nosuch");
    assert_true(g_str_has_prefix(err.msg, "no such domain: "));
    /* a target that resolves to the unix wiring says which target to use */
    g_autofree char *name = g_strconcat("libvirt:vdsim-unix?uri=", uri, NULL);
    assert_null(vds_target_new(name, NULL, &err));
    assert_string_equal(err.msg, "com.redhat.spice.0 is not a spicevmc channel: use "
                                 "chardev:/run/vdsim-test/agent.sock");
}

/* qemu+ssh:// names another host: what its SPICE listens on decides. */
static void remote_uris(void **state)
{
    vds_domain_spice d;
    vds_err err = {0};
    g_autofree char *xml = g_strdup_printf(
        DOMAIN("<graphics type='spice' port='5930' tlsPort='5931' listen='0.0.0.0'/>" SPICEVMC),
        "connected");
    assert_int_equal(vds_domain_spice_parse(xml, &d, &err), 0);
    g_autofree char *local = vds_domain_spice_uri_for(&d, "qemu:///system", &err);
    assert_string_equal(local, "spice://127.0.0.1:5930?tls-port=5931");
    g_autofree char *remote = vds_domain_spice_uri_for(&d, "qemu+ssh://ci@vmhost/system", &err);
    assert_string_equal(remote, "spice://vmhost:5930?tls-port=5931");
    vds_domain_spice_clear(&d);
    g_autofree char *xml2 = g_strdup_printf(
        DOMAIN("<graphics type='spice' port='5900'><listen type='address' address='127.0.0.1'/>"
               "</graphics>" SPICEVMC),
        "connected");
    assert_int_equal(vds_domain_spice_parse(xml2, &d, &err), 0);
    assert_null(vds_domain_spice_uri_for(&d, "qemu+ssh://vmhost/system", &err));
    assert_string_equal(err.msg, "SPICE listens on 127.0.0.1 on vmhost, which vdsim cannot reach "
                                 "from here: listen on an address, or tunnel it and use spice://");
    vds_domain_spice_clear(&d);
}

/* libvirt's own default test domain has no agent channel: said so. */
static void test_default_domain(void **state)
{
    vds_domain_spice d;
    vds_err err = {0};
    assert_int_equal(vds_libvirt_domain_spice("test", "test:///default", &d, &err), -1);
    assert_string_equal(err.loc, "test");
    assert_string_equal(err.msg, "the domain has no com.redhat.spice.0 channel (spicevmc or unix)");
}

/* The guest input capture, less vdsim's own warm-up move to 1,1. */
static GArray *events(const char *spec) /* "3:0:1 0:0:0": type:code:value */
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(vds_input_event));
    g_auto(GStrv) parts = g_strsplit(spec, " ", -1);
    for (char **p = parts; *p && **p; p++) {
        unsigned type, code;
        int value;
        assert_int_equal(sscanf(*p, "%u:%u:%d", &type, &code, &value), 3);
        vds_input_event e = {(uint16_t)type, (uint16_t)code, value};
        g_array_append_val(a, e);
    }
    return a;
}

static void expect_filtered(bool arm, const char *in, const char *want)
{
    vds_warm_filter f = {0};
    if (arm)
        vds_warm_filter_arm(&f);
    g_autoptr(GArray) src = events(in), out = g_array_new(FALSE, FALSE, sizeof(vds_input_event));
    g_autoptr(GArray) exp = events(want);
    for (guint i = 0; i < src->len; i++)
        vds_warm_filter_take(&f, &g_array_index(src, vds_input_event, i), out);
    assert_int_equal(out->len, exp->len);
    assert_memory_equal(out->data, exp->data, out->len * sizeof(vds_input_event));
    vds_warm_filter_clear(&f);
}

static void warm_frame_dropped(void **state)
{
    /* the warm-up frame, whole or in part, then the scenario's */
    expect_filtered(true, "3:0:1 3:1:1 0:0:0 3:0:5 0:0:0", "3:0:5 0:0:0");
    expect_filtered(true, "3:1:1 0:0:0 1:272:1 0:0:0", "1:272:1 0:0:0");
    /* it never came (already at 1,1): the scenario's first frame passes */
    expect_filtered(true, "3:0:5 3:1:5 0:0:0 3:0:1 0:0:0", "3:0:5 3:1:5 0:0:0 3:0:1 0:0:0");
    /* not 1,1 only */
    expect_filtered(true, "3:0:1 1:272:1 0:0:0", "3:0:1 1:272:1 0:0:0");
    /* not armed: nothing is dropped; a frame without its SYN yet is held */
    expect_filtered(false, "3:0:1 3:1:1 0:0:0", "3:0:1 3:1:1 0:0:0");
    expect_filtered(true, "3:0:1 3:1:1", "");
}

/* The cause a boot timeout names, from the guest's answers. */
static void boot_causes(void **state)
{
    static const struct {
        const char *answers, *starts;
        bool again;
    } cases[] = {
        {"port: no\nXorg: none\n", "the guest has no /dev/virtio-ports/com.redhat.spice.0", false},
        {"port: yes\nXorg: none\nspice-vdagent: none\nspice-vdagentd: none\n",
         "no X server runs in the guest", false},
        {"port: yes\nXorg: 512\nspice-vdagent: none\nspice-vdagentd: none\n",
         "spice-vdagent (the session agent) is not running", false},
        {"port: yes\nXorg: 512\nspice-vdagent: 600\nspice-vdagentd: none\n",
         "spice-vdagentd is not running in the guest", false},
        /* the udev rule did not start the socket: it came and went between boots */
        {"port: yes\nXorg: 512\nspice-vdagent: 600\nsocket: inactive\nspice-vdagentd: none\n",
         "spice-vdagentd.socket was not started", true},
        /* a guest without systemd answers something else: not that cause */
        {"port: yes\nXorg: 512\nspice-vdagent: 600\nsocket: sh: systemctl: not found\n"
         "spice-vdagentd: none\n",
         "spice-vdagentd is not running in the guest", false},
        {"port: yes\nXorg: 512\nspice-vdagent: 600\nspice-vdagentd: 601\nsessions: 1 0 root "
         "seat0 tty1\nopened: no\n--- spice-vdagentd\n",
         "spice-vdagentd is waiting for an active session", false},
        {"port: yes\nXorg: 512\nspice-vdagent: 600\nspice-vdagentd: 601\nopened: yes\n",
         "the agent opened its port in the guest, but the host did not see it", false},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(GStrv) lines = g_strsplit(cases[i].answers, "\n", -1);
        bool again = !cases[i].again;
        const char *got = vds_vm_cause(lines, &again);
        if (!g_str_has_prefix(got, cases[i].starts) || again != cases[i].again)
            fail_msg("case %zu: %s (again %d)", i, got, again);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_spicevmc),     cmocka_unit_test(parse_unix_and_errors),
        cmocka_unit_test(warm_frame_dropped), cmocka_unit_test(target_names),
        cmocka_unit_test(chardev_names),      cmocka_unit_test(lookup_test_driver),
        cmocka_unit_test(remote_uris),        cmocka_unit_test(test_default_domain),
        cmocka_unit_test(boot_causes),
    };
    return cmocka_run_group_tests_name("/libvirt", tests, NULL, NULL);
}
