/* libvirt guests: where a running domain's agent can be reached (from its
 * live XML), guest-side oracles through the QEMU guest agent, and the life of
 * a transient domain for `vdsim vm`. */
#pragma once

#include <signal.h>

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "target/target.h"

/* What a domain's live XML says about the agent's port. */
typedef struct vds_domain_spice {
    char *name;
    char *spice_uri;         /* spice://ADDR:PORT[?tls-port=N] as seen on the domain's host */
    char *listen;            /* the graphics listen address as written, or NULL */
    unsigned port, tls_port; /* 0: none */
    char *password;          /* graphics passwd, or NULL */
    char *chardev;           /* com.redhat.spice.0 as a unix chardev: its socket, or NULL */
    bool spicevmc;           /* com.redhat.spice.0 is a spicevmc channel */
    bool agent_connected;    /* the guest holds com.redhat.spice.0 open (state='connected') */
} vds_domain_spice;

void vds_domain_spice_clear(vds_domain_spice *d);

/* Read a domain XML (as virDomainGetXMLDesc gives it, with
 * VIR_DOMAIN_XML_SECURE for the password). -1 with err (located "xml") when
 * it is not a domain. Pure: the unit tests feed it XML directly. */
int vds_domain_spice_parse(const char *xml, vds_domain_spice *out, vds_err *err);

/* The SPICE URI to reach d from here when libvirt_uri may name another host
 * (qemu+ssh://HOST/system): a wildcard listen address becomes HOST; loopback
 * on a remote host is an error that says so. New string, or NULL with err. */
char *vds_domain_spice_uri_for(const vds_domain_spice *d, const char *libvirt_uri, vds_err *err);

/* "libvirt:DOMAIN[?uri=URI]" -> domain name and connection URI (NULL: the
 * default, qemu:///system for root). New strings. */
int vds_libvirt_target_parse(const char *target, char **domain, char **uri, vds_err *err);

/* Look DOMAIN up on URI and read its live XML. */
int vds_libvirt_domain_spice(const char *domain, const char *uri, vds_domain_spice *out,
                             vds_err *err);

/* Target "libvirt:DOMAIN[?uri=URI]": vdsim's SPICE client to the domain's
 * spice-server (address, port, TLS port and password from the live XML),
 * guest oracles through the QEMU guest agent. */
vds_target *vds_target_libvirt_new(const char *name, GMainContext *ctx, vds_err *err);

/* Target "chardev:PATH[?domain=DOMAIN&uri=URI]": vdsim is the server end of
 * the guest's raw port, a unix socket QEMU listens on; with domain, guest
 * oracles through its QEMU guest agent. */
vds_target *vds_target_chardev_new(const char *name, GMainContext *ctx, vds_err *err);
/* "chardev:PATH[?domain=D][&uri=URI]" -> its parts (new strings; domain and
 * uri NULL when absent). uri= comes last and keeps any query of its own. */
int vds_chardev_target_parse(const char *name, char **path, char **domain, char **uri,
                             vds_err *err);

/* The guest oracle of a domain through its QEMU guest agent (screen,
 * clipboard, guest copy/paste, input, agent control; qga-oracle.c). While it
 * waits on the guest it keeps iterating ctx (borrowed; NULL: the default
 * context). */
vds_oracle *vds_qga_oracle_new(const char *domain, const char *uri, GMainContext *ctx,
                               vds_err *err);

/* Ask the guest what its tools allow (X, xrandr, xclip, pkill, setsid) and
 * take from o the capabilities whose piece is missing, each with its reason
 * (vds_oracle_lack). A guest agent that does not answer takes them all. */
void vds_qga_oracle_probe(vds_oracle *o);

/* Run a shell script in the guest through o (a qga oracle, borrowed): its
 * output (new bytes) and exit status. */
int vds_qga_run(vds_oracle *o, const char *script, uint64_t timeout_ns, GBytes **out, int *status,
                vds_err *err);

/* --- what libvirt.c shares with qga-oracle.c ------------------------------- */

#define AGENT_PORT "com.redhat.spice.0"

typedef struct _virConnect *virConnectPtr;
typedef struct _virDomain *virDomainPtr;

/* libvirt's last error as text (new string). */
char *vds_libvirt_error(void);
/* Connect to uri (NULL: qemu:///system); NULL with err. */
virConnectPtr vds_libvirt_connect(const char *uri, vds_err *err);
/* A running domain by name; NULL with err. */
virDomainPtr vds_libvirt_lookup(virConnectPtr c, const char *domain, vds_err *err);

enum { PORT_UP = 0, PORT_TIMEOUT, PORT_DOMAIN_STOPPED, PORT_INTERRUPTED };
/* Does the guest hold com.redhat.spice.0 open now, by the live XML? */
int vds_libvirt_agent_port_up(virDomainPtr dom, bool *up, vds_err *err);
/* Wait until the guest holds com.redhat.spice.0 open, iterating ctx (NULL:
   the default context) meanwhile: PORT_UP, PORT_TIMEOUT at the deadline,
   PORT_DOMAIN_STOPPED, PORT_INTERRUPTED once *stop is set (stop may be
   NULL), or -1 with err when libvirt fails. */
int vds_libvirt_wait_agent_port(virDomainPtr dom, uint64_t deadline, GMainContext *ctx,
                                const volatile sig_atomic_t *stop, vds_err *err);

/* --- transient domains (vdsim vm) ------------------------------------------ */

typedef struct vds_vm vds_vm;

typedef struct vds_vm_opts {
    const char *template_path; /* vmconfigs/NAME.xml */
    const char *image_dir;     /* tools/build-guest-image's output, or a whole disk */
    bool uefi;                 /* a whole disk boots with OVMF, not SeaBIOS */
    const char *uri;           /* libvirt URI, NULL: qemu:///system */
    const char *name;          /* domain name, NULL: vdsim-<pid> */
    const char *domain_type;   /* qemu (TCG) or kvm; NULL: qemu */
} vds_vm_opts;

/* Make the run's dir (overlay disk, serial log, chardev socket), fill the
 * template, start it as a transient domain that libvirt destroys if vdsim's
 * connection goes away. NULL with err. */
vds_vm *vds_vm_start(const vds_vm_opts *o, vds_err *err);
/* Told about once a second while a boot is waited for: seconds since the
 * wait began and the console's last line (borrowed, may be ""). */
typedef void (*vds_vm_progress_fn)(void *user, double elapsed_s, const char *console_line);

/* Wait until the guest holds the agent's port open: 0; 1 as soon as *stop
 * (a signal handler's flag, may be NULL) is set; -1 with err when libvirt
 * fails, at once when the guest cannot come up (a kernel panic, by pvpanic
 * or on the console; a crash; a shutdown) with the console lines that show
 * it, or at deadline (clock ns) with the cause the guest gives through the
 * QEMU guest agent ("spice-vdagentd is waiting for an active session").
 * -2 (not -1) when the guest answered and named a cause in itself, which
 * another boot would not change. err holds the one-line cause, *detail (new string; detail may be
 * NULL) what shows it: the console's lines, the guest's answers. progress (may be NULL) hears how
 * it goes. */
int vds_vm_wait_agent(vds_vm *vm, uint64_t deadline, const volatile sig_atomic_t *stop,
                      vds_vm_progress_fn progress, void *user, char **detail, vds_err *err);
/* What the guest says about its agent, asked through the QEMU guest agent:
 * the port, the processes, logind's sessions, the agents' last log lines,
 * and one sentence naming the likeliest cause first. New string, or NULL
 * when the guest agent does not answer. */
char *vds_vm_diagnose(vds_vm *vm, bool *again);
/* The cause vds_vm_diagnose names, from the guest's "key: value" answer
 * lines (port, Xorg, spice-vdagent, socket, spice-vdagentd, opened).
 * Borrowed. *again: the cause has been seen to come and go between boots
 * of one image, so booting again is worth it. */
const char *vds_vm_cause(char **lines, bool *again);
/* The target string for vds_target_new: libvirt:NAME or chardev:PATH?domain=. New string. */
char *vds_vm_target(const vds_vm *vm);
/* Copy the guest's agent logs (journal of spice-vdagentd and the X session,
 * through the guest agent) and the serial console into dir. */
void vds_vm_collect_logs(vds_vm *vm, const char *dir);
/* Copy the serial console alone into dir (a guest that never came up has no
 * guest agent to ask). */
void vds_vm_save_serial(const vds_vm *vm, const char *dir);
/* Destroy the domain and remove the run's dir. Accepts NULL. */
void vds_vm_destroy(vds_vm *vm);
