#include "test-util.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "core/file.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/image.h"
#include "core/loop.h"
#include "core/names.h"
#include "core/stats.h"
#include "core/version.h"

static void buf_limit(void **state)
{
    vds_buf b;
    vds_err err = {0};
    vds_buf_init(&b, 10);
    assert_int_equal(vds_buf_append(&b, "0123456789", 10, &err), 0);
    assert_int_equal(vds_buf_append(&b, "x", 1, &err), -1);
    assert_int_equal(err.code, VDS_ERR_LIMIT);
    assert_string_equal(err.msg, "buffer limit exceeded: 10 + 1 bytes > limit 10");
    assert_int_equal(b.len, 10);
    vds_buf_consume(&b, 4);
    assert_memory_equal(b.data, "456789", 6);
    vds_buf_clear(&b);
}

static void buf_extend_le(void **state)
{
    vds_buf b;
    vds_buf_init(&b, 64);
    uint8_t *p = vds_buf_extend(&b, 14, NULL);
    vds_put_u16(p, 0x0102);
    vds_put_u32(p + 2, 0x03040506);
    vds_put_u64(p + 6, 0x0708090a0b0c0d0eull);
    static const uint8_t want[] = {2, 1, 6, 5, 4, 3, 0xe, 0xd, 0xc, 0xb, 0xa, 9, 8, 7};
    assert_memory_equal(b.data, want, sizeof(want));
    assert_int_equal(vds_get_u64(b.data + 6), 0x0708090a0b0c0d0eull);
    vds_buf_clear(&b);
}

static void hex_round_trip(void **state)
{
    vds_buf b;
    vds_err err = {0};
    vds_buf_init(&b, 64);
    assert_int_equal(vds_hex_decode("01 ff|A0", &b, &err), 0);
    g_autofree char *s = vds_hex_encode(b.data, b.len);
    assert_string_equal(s, "01ffa0");
    assert_int_equal(vds_hex_decode("0g", &b, &err), -1);
    assert_string_equal(err.msg, "bad hex digit 'g' at character 1");
    assert_int_equal(vds_hex_decode("abc", &b, &err), -1);
    assert_string_equal(err.msg, "odd number of hex digits");
    vds_buf_clear(&b);
}

static const char *const colours[] = {[0] = "red", [2] = "green", [3] = "light-blue"};
static const vds_names colour_names = VDS_NAMES("colour", colours);

static void names_lookup(void **state)
{
    uint32_t v;
    char buf[16];
    assert_string_equal(vds_names_get(&colour_names, 2), "green");
    assert_null(vds_names_get(&colour_names, 1));
    assert_null(vds_names_get(&colour_names, 99));
    assert_string_equal(vds_names_fmt(&colour_names, 7, buf, sizeof(buf)), "7");
    assert_true(vds_names_find(&colour_names, "light-blue", &v));
    assert_int_equal(v, 3);
    assert_true(vds_names_find(&colour_names, "0x10", &v));
    assert_int_equal(v, 16);
    assert_false(vds_names_find(&colour_names, "purple", &v));
    assert_string_equal(vds_names_suggest(&colour_names, "lihgt-blue"), "light-blue");
    assert_null(vds_names_suggest(&colour_names, "zzzzzzzz"));
}

static void err_located(void **state)
{
    vds_err err = {0};
    char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    assert_int_equal(vds_err_set(&err, VDS_ERR_PARSE, "byte 0x10", "size %u > %u", 3, 2), -1);
    vds_err_prefix_loc(&err, "in.bin");
    assert_string_equal(vds_err_str(&err, buf, sizeof(buf)), "in.bin: byte 0x10: size 3 > 2");
    assert_int_equal(vds_err_set(NULL, VDS_ERR_PARSE, NULL, "ignored"), -1);
}

static uint64_t fake_now(void *user)
{
    return *(uint64_t *)user;
}

static void clock_virtual(void **state)
{
    uint64_t now = 42;
    vds_clock_set(fake_now, &now);
    assert_int_equal(vds_clock_now_ns(), 42);
    now = 1000;
    assert_int_equal(vds_clock_now_ns(), 1000);
    vds_clock_set(NULL, NULL);
    assert_true(vds_clock_now_ns() > 1000);
}

/* A pump that always has bytes (a flooding agent), and an idle beside it. */
typedef struct flood {
    unsigned pumped;
    bool idle_ran;
} flood;

static bool always_pumps(void *user)
{
    ((flood *)user)->pumped++;
    return true;
}

static bool never_pumps(void *user)
{
    ((flood *)user)->pumped++;
    return false;
}

static gboolean mark_idle(gpointer user)
{
    ((flood *)user)->idle_ran = true;
    return G_SOURCE_REMOVE;
}

static bool idle_ran(void *user)
{
    return ((flood *)user)->idle_ran;
}

static bool never(void *user)
{
    return false;
}

static void loop_pump_does_not_starve(void **state)
{
    flood f = {0};
    g_idle_add(mark_idle, &f);
    assert_true(vds_loop_until_pumped(NULL, vds_clock_now_ns() + 2000000000ull, always_pumps, &f,
                                      idle_ran, &f));
    assert_true(f.pumped <= VDS_LOOP_PUMP_BURST);
}

/* A source that counts the loop's iterations: its prepare runs once in each. */
typedef struct counting {
    GSource base;
    unsigned prepared;
} counting;

static gboolean count_prepare(GSource *s, gint *timeout)
{
    ((counting *)s)->prepared++;
    *timeout = -1;
    return FALSE;
}

static GSourceFuncs counting_funcs = {.prepare = count_prepare};

static void loop_does_not_spin(void **state)
{
    counting *c = (counting *)g_source_new(&counting_funcs, sizeof(counting));
    g_source_attach(&c->base, NULL);
    assert_false(vds_loop_until(NULL, vds_clock_now_ns() + 50000000ull, never, NULL));
    /* one blocking iteration until the deadline, maybe a spurious one */
    assert_true(c->prepared <= 4);
    g_source_destroy(&c->base);
    g_source_unref(&c->base);
}

static void loop_deadline(void **state)
{
    flood f = {0};
    uint64_t t0 = vds_clock_now_ns();
    assert_false(vds_loop_until_pumped(NULL, t0 + 30000000ull, never_pumps, &f, never, NULL));
    uint64_t took = vds_clock_now_ns() - t0;
    assert_true(took >= 30000000ull);
    assert_true(took < 2000000000ull); /* its own timer ended the wait */
    assert_true(f.pumped >= 1);
    assert_false(vds_loop_until(NULL, vds_clock_now_ns() - 1, never, NULL));
}

/* Sleeping through the loop serves the peers that other sources stand for
 * (the guest oracle's waits rely on it), and still takes the whole time. */
static void loop_sleep_serves_sources(void **state)
{
    g_autoptr(GMainContext) ctx = g_main_context_new();
    flood f = {0};
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, mark_idle, &f, NULL);
    g_source_attach(idle, ctx);
    g_source_unref(idle);
    uint64_t t0 = vds_clock_now_ns();
    vds_loop_sleep(ctx, 30000000ull);
    uint64_t took = vds_clock_now_ns() - t0;
    assert_true(f.idle_ran);
    assert_true(took >= 30000000ull);
    assert_true(took < 2000000000ull);
}

static const uint8_t png_1024x768[24] = {0x89, 'P', 'N',  'G',  '\r', '\n', 0x1a, '\n',
                                         0,    0,   0,    13,   'I',  'H',  'D',  'R',
                                         0,    0,   0x04, 0x00, 0,    0,    0x03, 0x00};

static void image_sizes(void **state)
{
    uint32_t w, h;
    vds_err err = {0};
    assert_int_equal(vds_image_size(png_1024x768, sizeof(png_1024x768), &w, &h, &err), 0);
    assert_int_equal(w, 1024);
    assert_int_equal(h, 768);
    static const char ppm[] = "P6\n# CREATOR: QEMU\n800 600\n255\n\xff";
    assert_int_equal(vds_image_size((const uint8_t *)ppm, sizeof(ppm) - 1, &w, &h, &err), 0);
    assert_int_equal(w, 800);
    assert_int_equal(h, 600);
}

static void expect_image_error(const void *d, size_t n, const char *want)
{
    uint32_t w = 7, h = 7;
    vds_err err = {0};
    char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    assert_int_equal(vds_image_size(d, n, &w, &h, &err), -1);
    assert_string_equal(vds_err_str(&err, buf, sizeof(buf)), want);
    assert_int_equal(w, 0);
    assert_int_equal(h, 0);
}

static void image_errors(void **state)
{
    expect_image_error(png_1024x768, 20, "byte 20: PNG header cut short before the IHDR size");
    uint8_t bad[24];
    memcpy(bad, png_1024x768, sizeof(bad));
    bad[12] = 'i';
    expect_image_error(bad, sizeof(bad), "byte 8: PNG does not start with a 13-byte IHDR chunk");
    memcpy(bad, png_1024x768, sizeof(bad));
    bad[22] = bad[23] = 0;
    expect_image_error(bad, sizeof(bad), "byte 20: image height 0 is not 1 to 65535");
    expect_image_error("P6 99999 2 255\n", 15, "byte 3: image width 99999 is not 1 to 65535");
    expect_image_error("P6 800 x", 8, "byte 7: PPM height is not a number (0x78)");
    expect_image_error("P6 800 60", 9, "byte 9: PPM header cut short in its height");
    expect_image_error("P6 # only a comment", 19, "byte 19: PPM header cut short before its width");
    expect_image_error("GIF89a", 6, "byte 0: not a PNG or PPM (P6) image: starts with 0x47...");
    expect_image_error("", 0, "byte 0: no image bytes");
}

/* Files from users: bounded while read, regular files only, writes checked
   and whole or not at all, paths that stay under their directory. */
static void files(void **state)
{
    vds_err err = {0};
    assert_null(vds_file_read("/dev/zero", 1024, "scenario", &err));
    assert_string_equal(err.loc, "/dev/zero");
    assert_string_equal(err.msg, "scenario is a character device, not a regular file");
    assert_null(vds_file_read("/", 1024, "payload", &err));
    assert_string_equal(err.msg, "payload is a directory, not a regular file");
    g_autofree char *dir = g_dir_make_tmp("vdsim-test-XXXXXX", NULL);
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(vds_file_check(fifo, 1024, "payload", &err), -1); /* and no hang */
    assert_string_equal(err.msg, "payload is a FIFO, not a regular file");
    g_autofree char *path = g_build_filename(dir, "f", NULL);
    assert_int_equal(vds_file_write(path, "hello", 5, &err), 0);
    g_autoptr(GBytes) b = vds_file_read(path, 5, "x", &err);
    assert_non_null(b);
    assert_int_equal(g_bytes_get_size(b), 5);
    assert_null(vds_file_read(path, 4, "scenario", &err));
    assert_string_equal(err.msg, "scenario of 5 bytes exceeds the limit of 4");
    g_autofree char *missing = g_build_filename(dir, "no", "f", NULL);
    assert_int_equal(vds_file_write(missing, "x", 1, &err), -1);
    assert_string_equal(err.loc, missing);
    assert_string_equal(err.msg, "cannot create: No such file or directory");
    g_autofree char *under = vds_path_under("g", "a/b.jsonl", &err);
    assert_string_equal(under, "g/a/b.jsonl");
    assert_null(vds_path_under("g", "../../escape.jsonl", &err));
    assert_string_equal(err.msg, "the path would leave g (segment '..')");
    assert_null(vds_path_under("g", "/tmp/x", &err));
    assert_null(vds_path_under("g", "a//b", &err));
    g_unlink(path);
    g_unlink(fifo);
    g_rmdir(dir);
}

/* dpkg's own ordering examples (policy 5.6.12) and what the agents' versions need */
static void version_order(void **state)
{
    static const struct {
        const char *a, *b;
        int sign;
    } cases[] = {
        {"0.22.1-3+b2", "0.23.0-1", -1},
        {"0.23.0", "0.23.0-1", -1},
        {"1.0~rc1", "1.0", -1},
        {"1.0", "1.0+b1", -1},
        {"1:0.1", "2.0", 1},
        {"0.9", "0.10", -1},
        {"1.0-1", "1.0-1", 0},
        {"1.0a", "1.0+", -1},
        {"1.0~~", "1.0~", -1},
        {"007", "7", 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int c = vds_version_cmp(cases[i].a, cases[i].b);
        int got = (c > 0) - (c < 0);
        if (got != cases[i].sign)
            fail_msg("%s vs %s: %d, want %d", cases[i].a, cases[i].b, got, cases[i].sign);
        assert_int_equal(-got, (vds_version_cmp(cases[i].b, cases[i].a) > 0) -
                                   (vds_version_cmp(cases[i].b, cases[i].a) < 0));
    }
}

static void version_ranges(void **state)
{
    vds_err err = {0};
    assert_int_equal(vds_version_in("0.22.1-3+b2", "< 0.23.0", &err), 1);
    assert_int_equal(vds_version_in("0.23.0-1", "< 0.23.0", &err), 0);
    /* a bound without a revision is about the upstream version */
    assert_int_equal(vds_version_in("0.22.1-3+b2", "<= 0.22.1", &err), 1);
    assert_int_equal(vds_version_in("0.22.1-3+b2", "= 0.22.1", &err), 1);
    assert_int_equal(vds_version_in("0.22.1-3+b2", "< 0.22.1-4", &err), 1);
    assert_int_equal(vds_version_in("0.23.0-1", ">= 0.22.0, < 0.24", &err), 1);
    assert_int_equal(vds_version_in("0.21.0-1", ">= 0.22.0, < 0.24", &err), 0);
    assert_int_equal(vds_version_in("9", "*", &err), 1);
    assert_int_equal(vds_version_in("0.22.1", "~ 0.23", &err), -1);
    assert_string_equal(err.msg,
                        "agent range '~ 0.23': '~ 0.23' does not start with < <= > >= = or !=");
    assert_int_equal(vds_version_range_check("< 0.23.0, >= zero", &err), -1);
    assert_string_equal(err.msg, "agent range '< 0.23.0, >= zero': 'zero' is not a Debian version");
    assert_int_equal(vds_version_range_check("", &err), -1);
    assert_int_equal(vds_version_range_check(">= 0.22, < 0.23", &err), 0);
}

static void stats(void **state)
{
    double a[10], b[10], c[10];
    for (int i = 0; i < 10; i++)
        a[i] = i + 1, b[i] = i + 11, c[i] = i + 1;
    /* scipy.stats.mannwhitneyu(range(1, 11), range(11, 21), method="asymptotic") */
    assert_float_equal(vds_mann_whitney_p(a, 10, b, 10), 0.000182672, 1e-8);
    assert_float_equal(vds_mann_whitney_p(b, 10, a, 10), 0.000182672, 1e-8);
    assert_float_equal(vds_mann_whitney_p(a, 10, c, 10), 1.0, 1e-12);
    double same[4] = {2, 2, 2, 2};
    assert_float_equal(vds_mann_whitney_p(same, 4, same, 4), 1.0, 1e-12); /* all ties */
    assert_float_equal(vds_mann_whitney_p(a, 0, b, 10), 1.0, 1e-12);
    assert_float_equal(vds_percentile(b, 10, 50), 16, 1e-12);
    assert_float_equal(vds_percentile(b, 10, 95), 20, 1e-12);
    assert_float_equal(vds_percentile(b, 10, 0), 11, 1e-12);
    assert_float_equal(vds_percentile(b, 0, 50), 0, 1e-12);
    /* Wilson's score interval: Newcombe (1998), Stat. Med. 17:857, table I */
    static const struct {
        unsigned k, n;
        double lo, hi;
    } wilson[] = {{81, 263, 0.2553, 0.3662},
                  {15, 148, 0.0624, 0.1605},
                  {0, 20, 0, 0.1611},
                  {1, 29, 0.0061, 0.1718},
                  {10, 10, 0.7225, 1}};
    for (size_t i = 0; i < G_N_ELEMENTS(wilson); i++) {
        double lo, hi;
        vds_wilson95(wilson[i].k, wilson[i].n, &lo, &hi);
        assert_float_equal(lo, wilson[i].lo, 5e-5);
        assert_float_equal(hi, wilson[i].hi, 5e-5);
    }
    double lo, hi;
    vds_wilson95(0, 0, &lo, &hi); /* nothing judged: nothing known */
    assert_true(lo == 0 && hi == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_limit),
        cmocka_unit_test(buf_extend_le),
        cmocka_unit_test(hex_round_trip),
        cmocka_unit_test(names_lookup),
        cmocka_unit_test(err_located),
        cmocka_unit_test(clock_virtual),
        cmocka_unit_test(loop_pump_does_not_starve),
        cmocka_unit_test(loop_deadline),
        cmocka_unit_test(loop_does_not_spin),
        cmocka_unit_test(loop_sleep_serves_sources),
        cmocka_unit_test(image_sizes),
        cmocka_unit_test(image_errors),
        cmocka_unit_test(files),
        cmocka_unit_test(version_order),
        cmocka_unit_test(version_ranges),
        cmocka_unit_test(stats),
    };
    return cmocka_run_group_tests_name("/core", tests, NULL, NULL);
}
