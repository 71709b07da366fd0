/* vdsim vm: boot a libvirt guest from a template and an image, run
 * scenarios into it, and destroy it on every way out. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/file.h"
#include "target/libvirt.h"

static volatile sig_atomic_t vm_interrupted;

static void on_sigint(int sig)
{
    vm_interrupted = 1;
}

/* --exec: a command of the user's while the guest lives, after the
   scenarios, with VDSIM_TARGET and (where the guest has SPICE graphics)
   VDSIM_SPICE_URI in its environment: a client of one's own, a capture. Its
   exit status (0 when it passed). */
static int exec_hook(const char *cmd, const char *target)
{
    g_autofree char *domain = NULL, *uri = NULL, *path = NULL;
    vds_err err = {0};
    vds_domain_spice d = {0};
    int parsed = g_str_has_prefix(target, "libvirt:")
                     ? vds_libvirt_target_parse(target, &domain, &uri, &err)
                     : vds_chardev_target_parse(target, &path, &domain, &uri, &err);
    bool spice = parsed == 0 && domain && vds_libvirt_domain_spice(domain, uri, &d, &err) == 0;
    g_auto(GStrv) env = g_get_environ();
    env = g_environ_setenv(env, "VDSIM_TARGET", target, TRUE);
    if (spice && d.spice_uri)
        env = g_environ_setenv(env, "VDSIM_SPICE_URI", d.spice_uri, TRUE);
    vds_domain_spice_clear(&d);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    g_autoptr(GError) gerr = NULL;
    gint status = 0;
    printf("vm: --exec %s\n", cmd);
    fflush(stdout);
    if (!g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                      NULL, &status, &gerr)) {
        fprintf(stderr, "vdsim vm: --exec: %s\n", gerr->message);
        return -1;
    }
    if (!g_spawn_check_wait_status(status, &gerr)) {
        fprintf(stderr, "vdsim vm: --exec: %s\n", gerr->message);
        return -1;
    }
    return 0;
}

/* vdsim run's arguments from ours (argv[1..]: its options and scenarios),
   checked before a guest is booted for them; the target (args[2]) is known
   once the guest is up. *report is the run's --report, or a new
   reports/vm-STAMP added to the arguments: the guest's logs go there too.
   New array of borrowed strings, NULL-terminated. */
static GPtrArray *run_args(int argc, char **argv, char **report)
{
    *report = NULL;
    for (int i = 1; i < argc && !*report; i++)
        if (strcmp(argv[i], "--report") == 0 && i + 1 < argc)
            *report = g_strdup(argv[i + 1]);
        else if (g_str_has_prefix(argv[i], "--report="))
            *report = g_strdup(argv[i] + 9);
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, "run");
    g_ptr_array_add(args, "--target");
    g_ptr_array_add(args, "libvirt:");
    if (!*report) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
        *report = g_strdup_printf("reports/vm-%s", stamp);
        g_ptr_array_add(args, "--report");
        g_ptr_array_add(args, *report);
    }
    for (int i = 1; i < argc; i++)
        g_ptr_array_add(args, argv[i]);
    g_ptr_array_add(args, NULL);
    return args;
}

/* While a boot is waited for: one line rewritten in place on a terminal,
   a plain line every 30 s elsewhere (CI logs). */
typedef struct boot_progress {
    bool tty;
    double next_line_s;
    bool drawn;
} boot_progress;

static void on_boot_progress(void *user, double elapsed_s, const char *console_line)
{
    boot_progress *p = user;
    if (p->tty) {
        printf("\r\033[Kvm: booting %3.0f s | %.70s", elapsed_s, console_line);
        p->drawn = true;
    } else if (elapsed_s >= p->next_line_s) {
        printf("vm: still booting after %.0f s; the console's last line: %.100s\n", elapsed_s,
               console_line);
        p->next_line_s += 30;
    }
    fflush(stdout);
}

/* A failed boot: its cause on the terminal, its detail beside its console. */
static void boot_failed(vds_vm *vm, const char *report, int attempt, const char *why,
                        const char *detail)
{
    g_autofree char *dir = g_strdup_printf("%s/guest/boot-%d", report, attempt);
    vds_vm_save_serial(vm, dir);
    g_autofree char *path = g_build_filename(dir, "diagnosis.txt", NULL);
    g_autofree char *text = g_strdup_printf("%s\n%s\n", why, detail ? detail : "");
    vds_file_write(path, text, strlen(text), NULL);
    printf("vm: %s\n  %s\n  (kept in %s)\n", why, detail ? detail : "", dir);
    fflush(stdout);
}

/* Boot until the guest's agent opens its port, a fresh domain for each of
   up to attempts boots, unless the guest names a cause in itself (another
   boot would do the same); a failed boot's console and diagnosis stay in
   REPORT/guest/boot-K/. Returns the domain, with vds_vm_wait_agent's answer
   for it in *w; NULL with err when libvirt refused it. */
static vds_vm *boot(const vds_vm_opts *o, int attempts, int timeout_s, const char *report, int *w,
                    vds_err *err)
{
    vds_vm *vm = NULL;
    for (int attempt = 1; attempt <= attempts; attempt++) {
        if (!(vm = vds_vm_start(o, err)))
            return NULL;
        uint64_t deadline = vds_clock_now_ns() + (uint64_t)timeout_s * 1000000000ull;
        boot_progress p = {.tty = isatty(STDOUT_FILENO), .next_line_s = 30};
        g_autofree char *detail = NULL;
        *w = vds_vm_wait_agent(vm, deadline, &vm_interrupted, on_boot_progress, &p, &detail, err);
        if (p.drawn)
            printf("\n");
        if (*w >= 0)
            break; /* up, or interrupted */
        boot_failed(vm, report, attempt, err->msg, detail);
        if (*w == -2 || attempt == attempts)
            break; /* vm stays: its logs are collected */
        g_clear_pointer(&vm, vds_vm_destroy);
        printf("vm: booting a fresh domain, attempt %d of %d\n", attempt + 1, attempts);
    }
    return vm;
}

/* The image's recipe beside the guest's logs: vdsim compare puts two
   nights' images side by side. A disk that is not ours has none. */
static void keep_recipe(const char *image, const char *guest_dir)
{
    /* an image dir holds it; a whole disk has it beside it, if anywhere */
    g_autofree char *dir =
        g_file_test(image, G_FILE_TEST_IS_DIR) ? g_strdup(image) : g_path_get_dirname(image);
    g_autofree char *from = g_build_filename(dir, "recipe.txt", NULL);
    g_autofree char *to = g_build_filename(guest_dir, "recipe.txt", NULL);
    g_autofree char *text = vds_file_read_all(from, 1 << 16, "recipe", NULL, NULL);
    if (text && g_mkdir_with_parents(guest_dir, 0755) == 0)
        vds_file_write(to, text, strlen(text), NULL);
}

int vds_cli_vm(int argc, char **argv)
{
    g_autofree char *tmpl = NULL, *image = NULL, *uri = NULL, *name = NULL, *target = NULL;
    g_autofree char *exec_cmd = NULL;
    gboolean kvm = FALSE, uefi = FALSE;
    gint boot_timeout = 300, boot_attempts = 2;
    GOptionEntry entries[] = {
        {"template", 0, 0, G_OPTION_ARG_FILENAME, &tmpl, "Domain XML template (vmconfigs/*.xml)",
         "FILE"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image,
         "Guest image: the dir tools/build-guest-image prints (direct kernel boot), or a "
         "whole bootable disk, qcow2 or raw (with vmconfigs/disk-spicevmc.xml)",
         "DIR|DISK"},
        {"uri", 0, 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (default qemu:///system)", "URI"},
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Domain name (default vdsim-PID)", "NAME"},
        {"kvm", 0, 0, G_OPTION_ARG_NONE, &kvm, "Use KVM instead of TCG", NULL},
        {"uefi", 0, 0, G_OPTION_ARG_NONE, &uefi,
         "Boot a whole disk with UEFI (OVMF) instead of BIOS", NULL},
        {"boot-timeout", 0, 0, G_OPTION_ARG_INT, &boot_timeout,
         "Seconds for the guest's agent to open its port (default 300)", "S"},
        {"boot-attempts", 0, 0, G_OPTION_ARG_INT, &boot_attempts,
         "Boots of a fresh domain before a guest that does not come up fails the run "
         "(default 2: a TCG guest now and then livelocks while it boots)",
         "N"},
        {"exec", 0, 0, G_OPTION_ARG_STRING, &exec_cmd,
         "After the scenarios, run CMD (sh -c) while the guest lives, with VDSIM_TARGET and "
         "VDSIM_SPICE_URI set",
         "CMD"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("--template FILE --image DIR [vdsim run options] SCENARIO|DIR...");
    g_autoptr(GError) gerr = NULL;
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_err err = {0};
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_ignore_unknown_options(ctx, TRUE); /* the rest is vdsim run's */
    g_option_context_set_description(
        ctx,
        "Boots a transient domain (an overlay over the image; libvirt destroys it if vdsim\n"
        "dies), waits for the guest's agent, runs the scenarios with --target\n"
        "libvirt:NAME (spicevmc templates) or chardev:SOCKET (unix templates), copies the\n"
        "guest's agent logs into REPORT/guest/ and destroys the domain. Exit status as\n"
        "vdsim run; 2 when the template or image does not fit, 3 when the guest does not boot.");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        fprintf(stderr, "vdsim vm: %s\n", gerr->message);
        return VDS_EXIT_USAGE;
    }
    if (!tmpl || !image || argc < 2 || boot_timeout < 1 || boot_attempts < 1) {
        fprintf(stderr, "vdsim vm: needs --template FILE --image DIR and scenarios (see --help)\n");
        return VDS_EXIT_USAGE;
    }
    g_autofree char *report = NULL;
    g_autoptr(GPtrArray) args = run_args(argc, argv, &report);
    g_autofree char **check = g_memdup2(args->pdata, args->len * sizeof(char *));
    int crc = vds_cli_run_check((int)args->len - 1, check);
    if (crc != VDS_EXIT_OK)
        return crc;

    struct sigaction sa = {.sa_handler = on_sigint}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    vds_vm_opts o = {.template_path = tmpl,
                     .image_dir = image,
                     .uri = uri,
                     .name = name,
                     .domain_type = kvm ? "kvm" : "qemu",
                     .uefi = uefi};
    uint64_t t0 = vds_clock_now_ns();
    printf("vm: booting %s from %s (%s)\n", tmpl, image, kvm ? "KVM" : "TCG");
    fflush(stdout);
    int w = -1;
    vds_vm *vm = boot(&o, boot_attempts, boot_timeout, report, &w, &err);
    int rc = VDS_EXIT_INFRA;
    if (!vm) {
        fprintf(stderr, "vdsim vm: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        if (err.code == VDS_ERR_USAGE) /* a template, an image that does not fit */
            rc = VDS_EXIT_USAGE;
        goto out;
    }
    if (w != 0) {
        if (w > 0)
            fprintf(stderr, "vdsim vm: interrupted while the guest booted\n");
        else
            fprintf(stderr, "vdsim vm: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        goto out;
    }
    target = vds_vm_target(vm);
    printf("vm: the guest's agent opened its port after %.1f s; target %s\n",
           (vds_clock_now_ns() - t0) / 1e9, target);
    fflush(stdout);
    /* vdsim run handles Ctrl-C itself from here (the trace is kept) */
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    args->pdata[2] = target;
    rc = vds_cli_run((int)args->len - 1, (char **)args->pdata);
    if (exec_cmd && rc != VDS_EXIT_INFRA && exec_hook(exec_cmd, target) < 0)
        rc = MAX(rc, VDS_EXIT_FAIL);
out:
    if (vm && report) {
        g_autofree char *logs = g_build_filename(report, "guest", NULL);
        vds_vm_collect_logs(vm, logs);
        keep_recipe(image, logs);
        printf("vm: the guest's agent logs and serial console: %s\n", logs);
    }
    vds_vm_destroy(vm);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}
