/* The local agent stack: a private X server (Xorg with the dummy driver, or
 * Xvfb), spice-vdagentd and spice-vdagent in a temp dir of their own, a fake
 * uinput the daemon writes its events to, and the agent's port as a unix
 * socket. It belongs to a target (its owner) whose state it keeps: dead,
 * port_open, info, log_dir and, when vdsim plays the port itself, the
 * messages the agent wrote. The `local` link and the X11 oracle use it. */
#pragma once

#include <X11/Xlib.h>
#include <gio/gio.h>

#include "target/target.h"

typedef struct vds_local_stack vds_local_stack;

/* A new stopped stack for owner (borrowed; it outlives the stack). */
vds_local_stack *vds_local_stack_new(vds_target *owner);
/* Stop it and free it. Accepts NULL. */
void vds_local_stack_free(vds_local_stack *s);

/* Hand the agent's port connections to fn (fd taken; 0 when it took the
 * port) instead of vdsim's port driver: the local-server target puts the
 * embedded spice-server there. user borrowed. */
typedef int (*vds_local_port_fn)(void *user, int fd);
void vds_local_stack_set_port(vds_local_stack *s, vds_local_port_fn fn, void *user);

/* Start X, the daemon and the session agent; returns once the agent has
 * announced itself on its port (or opened it, when fn takes the port). */
int vds_local_stack_start(vds_local_stack *s, vds_err *err);
void vds_local_stack_stop(vds_local_stack *s);

/* vdsim's own port driver (no port fn): send a message, write raw bytes,
 * take what is readable now (true when it took bytes). */
int vds_local_stack_send(vds_local_stack *s, uint32_t port, const uint8_t *msg, size_t len,
                         uint64_t *t_ns, vds_err *err);
int vds_local_stack_write_raw(vds_local_stack *s, const uint8_t *data, size_t len, vds_err *err);
bool vds_local_stack_pump(vds_local_stack *s);

/* What the X11 oracle looks at, while started: the display's name and
 * vdsim's own connection to it (borrowed), a file of the stack's dir (new
 * string), the fake uinput's events (borrowed; they arrive by themselves). */
const char *vds_local_stack_display(vds_local_stack *s);
Display *vds_local_stack_xdisplay(vds_local_stack *s);
char *vds_local_stack_path(vds_local_stack *s, const char *name);
GArray *vds_local_stack_input(vds_local_stack *s);
/* SIGSTOP / SIGCONT to spice-vdagentd. */
int vds_local_stack_pause(vds_local_stack *s, bool stop, vds_err *err);

/* Processes: a child that dies with vdsim (for g_subprocess_launcher_set_
 * child_setup), and ending one (SIGTERM, then SIGKILL after 2 s; *pp
 * cleared; NULL is fine). */
void vds_local_die_with_parent(gpointer user);
void vds_local_kill(GSubprocess **pp);

/* The X11 oracle over a stack (borrowed; it outlives the oracle): XRandR
 * for the screen, xclip for the selections, the fake uinput for input,
 * SIGSTOP for agent control. */
vds_oracle *vds_x11_oracle_new(vds_local_stack *s, GMainContext *ctx);

/* The stack of a target made by vds_target_local_new (borrowed). */
vds_local_stack *vds_target_local_stack(vds_target *t);
