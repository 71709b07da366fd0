/* Agent roots: another suite's agents without a VM (agent-root.h). */
#define _GNU_SOURCE /* unshare */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "target/agent-root.h"

#define DPKG_STATUS_MAX (64u << 20)

const char *vds_agent_root(void)
{
    const char *r = g_getenv("VDSIM_AGENT_ROOT");
    return r && *r ? r : NULL;
}

int vds_agent_root_check(const char *root, vds_err *err)
{
    static const char *const need[] = {"usr/sbin/spice-vdagentd", "usr/bin/spice-vdagent"};
    if (!g_file_test(root, G_FILE_TEST_IS_DIR))
        return vds_err_set(
            err, VDS_ERR_USAGE, root,
            "no agent root here (build one with tools/build-agent-root --suite sid)");
    for (size_t i = 0; i < G_N_ELEMENTS(need); i++) {
        g_autofree char *p = g_build_filename(root, need[i], NULL);
        if (!g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
            return vds_err_set(err, VDS_ERR_USAGE, root,
                               "not an agent root: no /%s in it (tools/build-agent-root makes one)",
                               need[i]);
    }
    return 0;
}

/* dpkg's status file: stanzas of "Field: value" lines, blank-line separated. */
char *vds_dpkg_version(const char *root, const char *package)
{
    g_autofree char *path = g_build_filename(root ? root : "/", "var/lib/dpkg/status", NULL);
    g_autofree char *text = vds_file_read_all(path, DPKG_STATUS_MAX, "dpkg status", NULL, NULL);
    if (!text)
        return NULL;
    g_auto(GStrv) stanzas = g_strsplit(text, "\n\n", -1);
    for (char **s = stanzas; *s; s++) {
        g_auto(GStrv) lines = g_strsplit(*s, "\n", -1);
        bool ours = false, installed = false;
        const char *version = NULL;
        for (char **l = lines; *l; l++) {
            if (g_str_has_prefix(*l, "Package: "))
                ours = strcmp(*l + 9, package) == 0;
            else if (g_str_has_prefix(*l, "Status: "))
                installed = g_str_has_suffix(*l, " installed");
            else if (g_str_has_prefix(*l, "Version: "))
                version = *l + 9;
        }
        if (ours && installed && version)
            return g_strdup(version);
    }
    return NULL;
}

char *vds_agent_under_test(char **version)
{
    const char *root = vds_agent_root();
    const char *custom = g_getenv("VDSIM_VDAGENTD");
    char *v = NULL;
    char *line;
    if (custom && *custom && !root) {
        v = g_strdup("unknown");
        line = g_strdup_printf("spice-vdagent build %s (VDSIM_VDAGENTD)", custom);
    } else {
        v = vds_dpkg_version(root, "spice-vdagent");
        if (!v)
            v = g_strdup("unknown");
        line = root ? g_strdup_printf("spice-vdagent %s from the agent root %s", v, root)
                    : g_strdup_printf("spice-vdagent %s from the host", v);
    }
    if (version)
        *version = v;
    else
        g_free(v);
    return line;
}

/* --- in the child, between fork and exec ------------------------------------------------ */

static void die(const char *what, const char *path)
{
    /* stderr is the agent's log: the stack quotes its tail */
    dprintf(2, "vdsim: cannot enter the agent root: %s %s: %s\n", what, path, strerror(errno));
    _exit(127);
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        die("write", path);
    close(fd);
}

static void bind_into(const char *root, const char *inner, const char *from, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", root, inner);
    mkdir(buf, 0755); /* on a tmpfs of ours, or already there */
    if (mount(from, buf, NULL, MS_BIND | MS_REC, NULL) < 0)
        die("bind", buf);
}

static void enter_root(const char *root, const char *run_dir)
{
    char path[4096], map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (uid != 0) {
        /* as root inside a user namespace of our own: mounts and chroot */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
            die("unshare", "(user and mount namespaces)");
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
        write_file("/proc/self/uid_map", map);
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
        write_file("/proc/self/gid_map", map);
    } else if (unshare(CLONE_NEWNS) < 0) {
        die("unshare", "(mount namespace)");
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die("make private", "/");
    bind_into(root, "/dev", "/dev", path, sizeof(path));
    bind_into(root, "/proc", "/proc", path, sizeof(path));
    bind_into(root, "/sys", "/sys", path, sizeof(path)); /* libpciaccess, as in a guest */
    /* tmpfs over the tree's /run and /tmp: what we add leaves no trace in it */
    static const char *const fresh[] = {"/run", "/tmp"};
    for (size_t i = 0; i < G_N_ELEMENTS(fresh); i++) {
        snprintf(path, sizeof(path), "%s%s", root, fresh[i]);
        if (mount("tmpfs", path, "tmpfs", 0, "mode=0755") < 0)
            die("tmpfs on", path);
    }
    bind_into(root, VDS_AGENT_ROOT_RUN, run_dir, path, sizeof(path));
    if (access("/tmp/.X11-unix", F_OK) == 0)
        bind_into(root, "/tmp/.X11-unix", "/tmp/.X11-unix", path, sizeof(path));
    if (chroot(root) < 0)
        die("chroot", root);
    if (chdir("/") < 0)
        die("chdir", "/");
}

void vds_agent_root_enter(gpointer user)
{
    const vds_agent_root_entry *e = user;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* a process group of its own: a terminal's Ctrl-C is for vdsim, which
       then ends the stack in order and still writes its reports */
    setpgid(0, 0);
    if (e && e->root)
        enter_root(e->root, e->run_dir);
}
