/* Targets: ways into an agent. The runner drives every target through this
 * interface and never knows which one it has. Only `local` exists so far. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "proto/agent-chunk.h"
#include "target/guest.h"

/* A message the agent wrote, as received. */
typedef struct vds_rx {
    uint64_t t_ns;
    uint32_t port;
    GBytes *bytes; /* the VDAgentMessage */
    uint64_t offset;
    uint32_t n_chunks;
} vds_rx;

void vds_rx_free(vds_rx *rx);

typedef struct vds_target vds_target;

/* What a scenario's `client:` step asks of a target's SPICE client. */
typedef enum vds_client_kind {
    VDS_CLIENT_MOUSE_MODE,    /* mode */
    VDS_CLIENT_POSITION,      /* x, y, display, buttons: inputs MOUSE_POSITION */
    VDS_CLIENT_PRESS,         /* button, buttons (the state after) */
    VDS_CLIENT_RELEASE,       /* button, buttons */
    VDS_CLIENT_DISCONNECT,    /* leave: the server tells the agent CLIENT_DISCONNECTED */
    VDS_CLIENT_RECONNECT,     /* a new session announcing caps */
    VDS_CLIENT_EXCEED_TOKENS, /* count messages past the client's agent tokens */
    VDS_CLIENT_HOLD_TOKENS,   /* hold: keep the server's tokens, or give them back */
    VDS_CLIENT_RAW,           /* channel, type, body: any message */
    VDS_CLIENT_CLOSED,        /* wait until the server has closed the main channel */
} vds_client_kind;

typedef struct vds_client_action {
    vds_client_kind kind;
    uint32_t x, y;
    uint8_t display;
    uint8_t button;   /* SPICE_MOUSE_BUTTON_* */
    uint16_t buttons; /* SPICE_MOUSE_BUTTON_MASK_* */
    uint16_t mode;    /* SPICE_MOUSE_MODE_* */
    uint32_t count;
    bool hold;
    uint8_t channel; /* SPICE_CHANNEL_MAIN or _INPUTS */
    uint16_t type;
    GBytes *body;      /* borrowed */
    uint32_t caps;     /* reconnect: the session's client caps */
    uint64_t deadline; /* reconnect, closed: clock ns */
} vds_client_action;

typedef struct vds_target_ops {
    const char *name;
    /* Bring the agent up until it has announced itself on its port. */
    int (*start)(vds_target *t, vds_err *err);
    void (*stop)(vds_target *t);
    /* A fresh client for the next scenario that announces caps (request=1):
       local plays spice-server's CLIENT_DISCONNECTED and then the client's
       announcement; client targets reconnect. Returns once it is sent. */
    int (*session)(vds_target *t, uint32_t caps, uint64_t deadline, vds_err *err);
    int (*send)(vds_target *t, uint32_t port, const uint8_t *msg, size_t len, uint64_t *t_ns,
                vds_err *err);
    int (*write_raw)(vds_target *t, const uint8_t *data, size_t len, vds_err *err);
    /* Guest-side oracles. */
    int (*screen)(vds_target *t, GArray *rects, vds_err *err); /* vds_rect, sorted */
    /* Has the agent itself taken the X screen's current size (not only X)?
       NULL: the target cannot tell, take it as yes. */
    bool (*screen_taken)(vds_target *t);
    /* The size the guest's display shows, seen from the host (a screenshot):
       0 with *w, *h; 1 when there is no display to look at; -1 and err. */
    int (*display)(vds_target *t, uint32_t *w, uint32_t *h, vds_err *err);
    int (*clipboard)(vds_target *t, uint8_t selection, uint64_t timeout_ns, GBytes **text,
                     vds_err *err);
    /* The guest copies text (borrowed), or when text is NULL the contents of
       the file at path, which the target streams. */
    int (*guest_copy)(vds_target *t, uint8_t selection, GBytes *text, const char *path,
                      vds_err *err);
    /* The guest's owner of a selection goes away (its release follows). */
    void (*guest_release)(vds_target *t, uint8_t selection);
    /* Start a guest paste in the background (it may need the host to answer). */
    int (*paste_start)(vds_target *t, uint8_t selection, vds_err *err);
    /* Wait until deadline for the background paste; *text NULL when nothing came. */
    int (*paste_result)(vds_target *t, uint64_t deadline, GBytes **text, vds_err *err);
    /* Run until done(user) or the deadline (clock ns); NULL: the GLib loop in
       t->ctx. A fake target advances its virtual clock here instead. */
    bool (*wait)(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user);
    /* Stop the agent's daemon (it no longer reads its port, like a hung
       guest agent) or let it go on; NULL: the target cannot. reset continues it. */
    int (*agent_pause)(vds_target *t, bool stop, vds_err *err);
    /* A SPICE-client action (`client:` steps); NULL on targets without a
       client. *t_ns: when it went out. err says what failed. */
    int (*client)(vds_target *t, const vds_client_action *a, uint64_t *t_ns, vds_err *err);
    /* What the target still holds back from the agent, for a failure's
       message (new string), or NULL when nothing; NULL op: it cannot tell. */
    char *(*stall)(vds_target *t);
    /* Bring t->input up to date with the guest, for targets that have to
       fetch input events (a VM's); NULL when they arrive by themselves. */
    void (*input_sync)(vds_target *t);
    /* Forget per-scenario guest state (selection owners, input seen). */
    void (*reset)(vds_target *t);
    void (*free)(vds_target *t);
} vds_target_ops;

/* A guest's input as its capture delivers it, less vdsim's own warm-up move
 * (vds_target_warm_mouse: MOUSE_STATE 1,1), which is no scenario's. The move
 * reaches the capture as one frame of ABS_X 1 and/or ABS_Y 1 and a SYN, or
 * not at all (the tablet not open yet, or the pointer at 1,1 already:
 * vdagentd writes only what changed), and maybe after the scenario has
 * started looking. Once the move has gone out (armed), the next frame is
 * held until its SYN and dropped if it is that one; any other frame is passed
 * on and ends the watch. Nothing else can make that frame then: vdagentd's
 * pointer is at 1,1 after the move. Zeroed is ready. */
typedef struct vds_warm_filter {
    bool armed;
    GArray *held; /* vds_input_event, owned: the frame being looked at */
} vds_warm_filter;

void vds_warm_filter_clear(vds_warm_filter *f);
void vds_warm_filter_arm(vds_warm_filter *f);
/* Pass ev (borrowed) on to out, or hold it while the warm-up frame may be
 * coming. */
void vds_warm_filter_take(vds_warm_filter *f, const vds_input_event *ev, GArray *out);

struct vds_target {
    const vds_target_ops *ops;
    GMainContext *ctx; /* borrowed */
    GQueue *rx;        /* vds_rx*, owned: messages not yet consumed */
    GArray *input;     /* vds_input_event: everything the fake uinput got */
    bool port_open;
    uint64_t tx_offset; /* stream offset of the last message sent (per connection) */
    char *dead;         /* why the agent stack is gone, or NULL */
    char *info;         /* one line: X server, versions */
    char *log_dir;      /* where the agents' logs are, while started */
    /* Wire events the target sees besides agent messages (SPICE messages,
       what the agent's port carried): trace events (kind "spice" or "port",
       "t" in clock ns), borrowed by the callback. NULL: nobody listens. */
    void (*observe)(void *user, JsonNode *ev);
    void *observe_user;
    /* Another target whose guest oracles answer for this one (local-server:
       the local stack; libvirt, chardev: the guest agent); owned, freed with
       it. The vds_oracle_* functions below are the ops that delegate. */
    vds_target *oracle;
    /* Set by a guest oracle whose capture of the agent's tablet is (re)started
       or waits for a tablet of a new size: the next session or screen check
       makes one move of its own (vds_target_warm_mouse), which arms the
       oracle's warm filter so the move never counts as a scenario's input. */
    bool warm_mouse;
    vds_warm_filter warm;
};

/* If t->oracle asks for it, send one MOUSE_STATE{1,1} on the server port
   through t's send op, clear the request and arm the oracle's warm filter. */
int vds_target_warm_mouse(vds_target *t, vds_err *err);

/* The guest-oracle members of a vds_target_ops whose oracles are t->oracle's. */
#define VDS_ORACLE_OPS                                                                \
    .screen = vds_oracle_screen, .screen_taken = vds_oracle_screen_taken,             \
    .clipboard = vds_oracle_clipboard, .guest_copy = vds_oracle_guest_copy,           \
    .guest_release = vds_oracle_guest_release, .agent_pause = vds_oracle_agent_pause, \
    .paste_start = vds_oracle_paste_start, .paste_result = vds_oracle_paste_result,   \
    .input_sync = vds_oracle_input_sync, .display = vds_oracle_display

/* Guest-oracle ops that hand the call to t->oracle. */
int vds_oracle_screen(vds_target *t, GArray *rects, vds_err *err);
bool vds_oracle_screen_taken(vds_target *t);
int vds_oracle_clipboard(vds_target *t, uint8_t sel, uint64_t timeout, GBytes **text, vds_err *err);
int vds_oracle_guest_copy(vds_target *t, uint8_t sel, GBytes *text, const char *path, vds_err *err);
int vds_oracle_agent_pause(vds_target *t, bool stop, vds_err *err);
void vds_oracle_guest_release(vds_target *t, uint8_t sel);
int vds_oracle_paste_start(vds_target *t, uint8_t sel, vds_err *err);
int vds_oracle_paste_result(vds_target *t, uint64_t deadline, GBytes **text, vds_err *err);
void vds_oracle_input_sync(vds_target *t);
int vds_oracle_display(vds_target *t, uint32_t *w, uint32_t *h, vds_err *err);
/* Reset the oracle's guest state, if there is an oracle. */
void vds_oracle_reset(vds_target *t);

/* A new local target: X server + spice-vdagentd + spice-vdagent on this host. */
vds_target *vds_target_local_new(GMainContext *ctx);
/* A new session where vdsim is the port's server end: CLIENT_DISCONNECTED
 * on the server port, then the client's ANNOUNCE_CAPABILITIES{request=1}
 * with caps, through t's send op. */
int vds_target_port_session(vds_target *t, uint32_t caps, vds_err *err);

/* Hand the agent's port connections to fn (fd taken; 0 when it took the
 * port) instead of vdsim's port driver: the local-server target puts the
 * embedded spice-server there. user borrowed. */
typedef int (*vds_local_port_fn)(void *user, int fd);
void vds_target_local_set_port(vds_target *t, vds_local_port_fn fn, void *user);

/* A SPICE client target: "local-server" (the local stack behind the embedded
 * spice-server) or a spice:// URI. NULL with err for a bad URI. */
vds_target *vds_target_client_new(const char *name, GMainContext *ctx, vds_err *err);

/* A SPICE client target to uri (spice://...) whose guest oracles are
 * oracle's (taken), named name: what libvirt:DOMAIN resolves to. password
 * copied, may be NULL. */
vds_target *vds_target_client_new_with(const char *name, const char *uri, const char *password,
                                       vds_target *oracle, GMainContext *ctx, vds_err *err);

/* A SPICE client target to uri (spice://...) whose guest oracles are
 * oracle's (taken), named name: what libvirt:DOMAIN resolves to. password
 * copied, may be NULL. */
vds_target *vds_target_client_new_with(const char *name, const char *uri, const char *password,
                                       vds_target *oracle, GMainContext *ctx, vds_err *err);

/* Look up a target by name ("local"); NULL with err for unknown ones. */
vds_target *vds_target_new(const char *name, GMainContext *ctx, vds_err *err);
void vds_target_free(vds_target *t);

/* Queue a message the agent wrote on its port (from a port driver's
 * callback) as t's next vds_rx. */
void vds_target_queue_rx(vds_target *t, uint64_t t_ns, const vds_chunk_msg *m);

/* Wait until done(user) is true or deadline (clock ns) passes, through the
 * target's wait op or else by iterating t->ctx. Returns done's last answer. */
bool vds_target_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user);

/* Remove dir (borrowed) and everything in it; symlinks are removed, not
 * followed. Quiet: what cannot be removed stays. */
void vds_remove_tree(const char *dir);
