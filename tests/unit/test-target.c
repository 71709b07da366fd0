/* The registry of target kinds and what a target lacks (target/target.c). */
#include "test-util.h"

#include "target/target.h"

static void kinds_by_name_and_prefix(void **state)
{
    static const struct {
        const char *target, *kind;
    } cases[] = {
        {"local", "local"},
        {"local-server", "local-server"},
        {"spice://127.0.0.1:5900", "spice"},
        {"spice+unix:///run/s.sock", "spice"},
        {"libvirt:guest?uri=qemu+ssh://h/system", "libvirt"},
        {"chardev:/tmp/x.sock?domain=d", "chardev"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const vds_target_kind *k = vds_target_kind_for(cases[i].target);
        assert_non_null(k);
        assert_string_equal(k->name, cases[i].kind);
        assert_ptr_equal(vds_target_kind_named(k->name)->make, k->make);
    }
    /* whole names are whole; unknown ones have no kind */
    assert_null(vds_target_kind_for("localhost"));
    assert_null(vds_target_kind_for("local-server2"));
    assert_null(vds_target_kind_for("vnc://h"));
    assert_null(vds_target_kind_named("fake"));
    /* who writes the agent's port follows from the kind, not from its name */
    assert_string_equal(vds_target_kind_for("chardev:/s")->port_writer, "vdsim");
    assert_string_equal(vds_target_kind_for("libvirt:d")->port_writer, "spice-server");
    assert_true(vds_target_kind_for("chardev:/s")->caps & VDS_CAP_RAW_PORT);
    assert_false(vds_target_kind_for("spice://h:1")->caps & VDS_CAP_RAW_PORT);
    vds_err err = {0};
    assert_null(vds_target_new("vnc://h", NULL, &err));
    assert_int_equal(err.code, VDS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "unknown target 'vnc://h' (this vdsim has: local, "
                                    "local-server, spice://..., spice+unix://..., libvirt:..., "
                                    "chardev:...)"));
}

static void lacks(void **state)
{
    static const vds_link_ops none = {0};
    vds_target t = {0};
    vds_target_init(&t, &none, "libvirt", NULL);
    assert_null(vds_target_lacks(&t, VDS_CAP_SPICE_CLIENT));
    g_autofree char *raw = vds_target_lacks(&t, VDS_CAP_RAW_PORT | VDS_CAP_SPICE_CLIENT);
    assert_string_equal(raw, "needs raw-port; libvirt: reaches the agent through a SPICE server, "
                             "with no guest oracle");
    g_autofree char *two = vds_target_lacks(&t, VDS_CAP_SCREEN | VDS_CAP_INPUT);
    assert_string_equal(two, "needs screen, input; libvirt: reaches the agent through a SPICE "
                             "server, with no guest oracle");
    /* an oracle whose guest lacks a tool: the cap goes, the reason is named */
    static const vds_oracle_ops oops = {.name = "qemu-guest-agent",
                                        .free = (void (*)(vds_oracle *))g_free};
    vds_oracle *o = g_new0(vds_oracle, 1);
    vds_oracle_init(o, &oops, VDS_CAP_SCREEN | VDS_CAP_CLIPBOARD | VDS_CAP_INPUT, NULL);
    vds_oracle_lack(o, VDS_CAP_CLIPBOARD, "the guest has no xclip (Debian: xclip)");
    vds_oracle_lack(o, VDS_CAP_MULTI_HEAD, "not had, not taken");
    vds_target_set_oracle(&t, o);
    assert_null(vds_target_lacks(&t, VDS_CAP_SCREEN | VDS_CAP_INPUT));
    g_autofree char *clip = vds_target_lacks(&t, VDS_CAP_CLIPBOARD | VDS_CAP_SCREEN);
    assert_string_equal(clip, "needs clipboard; libvirt: the guest has no xclip (Debian: xclip)");
    g_autofree char *multi = vds_target_lacks(&t, VDS_CAP_MULTI_HEAD);
    assert_string_equal(multi, "needs multi-head; libvirt: sees the guest through "
                               "qemu-guest-agent, which lacks it (has an X screen with more "
                               "than one output)");
    vds_oracle_free(o);
    g_queue_free(t.rx);
    g_autofree char *names = vds_caps_text(VDS_CAP_ALL);
    assert_string_equal(names, "raw-port, spice-client, screen, clipboard, input, input-frames, "
                               "multi-head, agent-control");
    uint32_t v;
    assert_true(vds_names_find(&vds_cap_names, "multi-head", &v));
    assert_int_equal(1u << v, VDS_CAP_MULTI_HEAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kinds_by_name_and_prefix),
        cmocka_unit_test(lacks),
    };
    return cmocka_run_group_tests_name("/target", tests, NULL, NULL);
}
