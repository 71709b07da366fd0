/* SPICE endpoints (what --target spice://... means) and the client against
 * a peer that is not a SPICE server, over a socketpair-free loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "peer/spice-client.h"

static void parses(void **state)
{
    static const struct {
        const char *uri, *host, *unix_path, *ca;
        unsigned port, tls_port;
    } ok[] = {
        {"spice://127.0.0.1:5930", "127.0.0.1", NULL, NULL, 5930, 0},
        {"spice://localhost?tls-port=5931&ca=/x/ca.pem", "localhost", NULL, "/x/ca.pem", 0, 5931},
        {"spice://h:1?tls-port=2", "h", NULL, NULL, 1, 2},
        {"spice://[::1]:5900", "::1", NULL, NULL, 5900, 0},
        {"spice+unix:///run/spice.sock", NULL, "/run/spice.sock", NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        vds_spice_endpoint ep;
        vds_err err = {0};
        assert_int_equal(vds_spice_endpoint_parse(ok[i].uri, &ep, &err), 0);
        if (ok[i].host)
            assert_string_equal(ep.host, ok[i].host);
        else
            assert_null(ep.host);
        if (ok[i].unix_path)
            assert_string_equal(ep.unix_path, ok[i].unix_path);
        if (ok[i].ca)
            assert_string_equal(ep.ca_file, ok[i].ca);
        assert_int_equal(ep.port, ok[i].port);
        assert_int_equal(ep.tls_port, ok[i].tls_port);
        vds_spice_endpoint_clear(&ep);
    }
}

static void rejects(void **state)
{
    static const struct {
        const char *uri, *msg;
    } bad[] = {
        {"spice://h:99999", "bad port '99999' (1..65535)"},
        {"spice://h:0", "bad port '0' (1..65535)"},
        {"spice://h", "no port (spice://HOST:PORT or ?tls-port=N)"},
        {"spice://:5930", "no host"},
        {"spice://h:1?tls=1", "unknown parameter 'tls' (have: tls-port, port, ca)"},
        {"spice+unix://", "no socket path after spice+unix://"},
        {"vnc://h:1", "not a SPICE URI (spice://HOST:PORT or spice+unix://PATH)"},
        {"spice://[::1:5900", "bad IPv6 address '[::1'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vds_spice_endpoint ep;
        vds_err err = {0};
        assert_int_equal(vds_spice_endpoint_parse(bad[i].uri, &ep, &err), -1);
        assert_string_equal(err.loc, bad[i].uri);
        assert_string_equal(err.msg, bad[i].msg);
        assert_null(ep.host);
    }
}

static void names_the_address(void **state)
{
    vds_spice_endpoint ep;
    assert_int_equal(vds_spice_endpoint_parse("spice://[::1]:5900?tls-port=5901", &ep, NULL), 0);
    char *a = vds_spice_endpoint_text(&ep, false), *b = vds_spice_endpoint_text(&ep, true);
    assert_string_equal(a, "[::1]:5900");
    assert_string_equal(b, "[::1]:5901 (tls)");
    g_free(a);
    g_free(b);
    vds_spice_endpoint_clear(&ep);
}

/* A unix socket that is not there: the error names it. */
static void connect_fails_located(void **state)
{
    vds_spice_endpoint ep;
    assert_int_equal(vds_spice_endpoint_parse("spice+unix:///nonexistent/vdsim.sock", &ep, NULL),
                     0);
    vds_spice_client_opts o = {.ep = &ep};
    static const vds_spice_client_events ev = {0};
    vds_spice_client *c = vds_spice_client_new(g_main_context_default(), &o, &ev, NULL);
    vds_err err = {0};
    assert_int_equal(vds_spice_client_connect(c, vds_clock_now_ns() + 1000000000ull, &err), -1);
    assert_string_equal(err.loc, "unix:/nonexistent/vdsim.sock");
    assert_string_equal(err.msg, "connect: No such file or directory");
    assert_false(vds_spice_client_linked(c));
    vds_spice_client_free(c);
    vds_spice_endpoint_clear(&ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses),
        cmocka_unit_test(rejects),
        cmocka_unit_test(names_the_address),
        cmocka_unit_test(connect_fails_located),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
