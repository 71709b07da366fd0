/* Targets: ways into an agent. A target is a link (how bytes reach the
 * agent: vds_link_ops) and, where the guest side can be seen, an oracle
 * (vds_oracle_ops), with the capabilities of both. Kinds of target are rows
 * of one registry (vds_target_kinds). The runner drives every target through
 * these and never knows which one it has. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/names.h"
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

/* What a target can do, as scenarios need it: a scenario's needs are
 * derived from its steps (scenario.h) and checked against these before it
 * runs; a missing one is a skip that names it. */
typedef enum vds_cap {
    VDS_CAP_RAW_PORT = 1u << 0,      /* vdsim is the port's server end: any bytes, any port */
    VDS_CAP_SPICE_CLIENT = 1u << 1,  /* vdsim's SPICE client before a real spice-server */
    VDS_CAP_SCREEN = 1u << 2,        /* the guest's X screen layout */
    VDS_CAP_CLIPBOARD = 1u << 3,     /* the guest's selections: copy, paste, read */
    VDS_CAP_INPUT = 1u << 4,         /* the events the agent injects */
    VDS_CAP_INPUT_FRAMES = 1u << 5,  /* every frame it writes, empty ones too (a fake uinput) */
    VDS_CAP_MULTI_HEAD = 1u << 6,    /* an X screen with more than one output */
    VDS_CAP_AGENT_CONTROL = 1u << 7, /* stop and continue the agent's daemon */
} vds_cap;
#define VDS_CAP_ALL ((1u << 8) - 1)

/* The capabilities' names as scenarios write them ("raw-port"). */
extern const vds_names vds_cap_names;
/* "raw-port, screen" (new string); "" for none. */
char *vds_caps_text(unsigned caps);
/* What each capability means, for a skip's reason ("sees the guest's X
 * screen"); borrowed. */
const char *vds_cap_doc(vds_cap cap);

/* The link: how bytes reach the agent. */
typedef struct vds_link_ops {
    /* Bring the agent up until it has announced itself on its port. */
    int (*start)(vds_target *t, vds_err *err);
    void (*stop)(vds_target *t);
    /* A fresh client for the next scenario that announces caps (request=1):
       a port link plays spice-server's CLIENT_DISCONNECTED and then the
       client's announcement; client links reconnect. Returns once it is sent. */
    int (*session)(vds_target *t, uint32_t caps, uint64_t deadline, vds_err *err);
    int (*send)(vds_target *t, uint32_t port, const uint8_t *msg, size_t len, uint64_t *t_ns,
                vds_err *err);
    /* Bytes to the port as they are: links with VDS_CAP_RAW_PORT. */
    int (*write_raw)(vds_target *t, const uint8_t *data, size_t len, vds_err *err);
    /* Run until done(user) or the deadline (clock ns); NULL: the GLib loop in
       t->ctx. A fake target advances its virtual clock here instead. */
    bool (*wait)(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user);
    /* A SPICE-client action (`client:` steps): links with
       VDS_CAP_SPICE_CLIENT. *t_ns: when it went out. */
    int (*client)(vds_target *t, const vds_client_action *a, uint64_t *t_ns, vds_err *err);
    /* What the link still holds back from the agent, for a failure's
       message (new string), or NULL when nothing; NULL op: it cannot tell. */
    char *(*stall)(vds_target *t);
    void (*free)(vds_target *t);
} vds_link_ops;

typedef struct vds_oracle vds_oracle;

/* The oracle: how the guest side is observed and acted on. Each op belongs
 * to a capability of the oracle's (vds_oracle.caps); the runner calls an op
 * only when the scenario's needs say the target has it. */
typedef struct vds_oracle_ops {
    const char *name; /* "x11", "qemu-guest-agent" */
    /* Called when the target starts: a guest's oracle restarts the guest's
       agent when this is a restart. NULL: nothing to do. */
    int (*start)(vds_oracle *o, vds_err *err);
    /* screen */
    int (*screen)(vds_oracle *o, GArray *rects, vds_err *err); /* vds_rect, sorted */
    /* Has the agent itself taken the X screen's current size (not only X)?
       NULL: the oracle cannot tell, take it as yes. */
    bool (*screen_taken)(vds_oracle *o);
    /* The size the guest's display shows, seen from the host (a screenshot):
       0 with *w, *h; 1 when there is no display to look at; -1 and err.
       NULL: no display. */
    int (*display)(vds_oracle *o, uint32_t *w, uint32_t *h, vds_err *err);
    /* clipboard */
    int (*clipboard)(vds_oracle *o, uint8_t selection, uint64_t timeout_ns, GBytes **text,
                     vds_err *err);
    /* The guest copies text (borrowed), or when text is NULL the contents of
       the file at path, which the oracle streams. */
    int (*guest_copy)(vds_oracle *o, uint8_t selection, GBytes *text, const char *path,
                      vds_err *err);
    /* The guest's owner of a selection goes away (its release follows). */
    void (*guest_release)(vds_oracle *o, uint8_t selection);
    /* Start a guest paste in the background (it may need the host to answer). */
    int (*paste_start)(vds_oracle *o, uint8_t selection, vds_err *err);
    /* Wait until deadline for the background paste; *text NULL when nothing came. */
    int (*paste_result)(vds_oracle *o, uint64_t deadline, GBytes **text, vds_err *err);
    /* input: bring o->input up to date with the guest; NULL when events
       arrive by themselves. */
    void (*input_sync)(vds_oracle *o);
    /* agent control: stop the agent's daemon (it no longer reads its port,
       like a hung guest agent) or let it go on. reset continues it. */
    int (*agent_pause)(vds_oracle *o, bool stop, vds_err *err);
    /* Forget per-scenario guest state (selection owners, a paste, a pause). */
    void (*reset)(vds_oracle *o);
    /* The agent under test, once started: one line naming it and where it
       is from (new string), *version its Debian version alone (new string,
       "unknown" when the guest does not say). NULL: the oracle cannot tell. */
    char *(*agent)(vds_oracle *o, char **version);
    void (*free)(vds_oracle *o);
} vds_oracle_ops;

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

/* An oracle's common state; an implementation embeds it first. */
struct vds_oracle {
    const vds_oracle_ops *ops;
    unsigned caps;     /* VDS_CAP_SCREEN ...: what this oracle observes */
    GMainContext *ctx; /* borrowed: waits iterate it */
    GArray *input;     /* vds_input_event: what the agent's input device got */
    /* Set by an oracle whose capture of the agent's tablet is (re)started or
       waits for a tablet of a new size: the next session or screen check
       makes one move of its own (vds_target_warm_mouse), which arms the warm
       filter so the move never counts as a scenario's input. */
    bool warm_mouse;
    vds_warm_filter warm;
    /* What the guest lacks for a capability the oracle would otherwise have,
       by cap bit ("the guest has no xclip"); owned, NULL where nothing is. */
    char *missing[32];
};

/* The guest lacks what cap needs: o loses cap, and a scenario that needs it
   is skipped with why (copied). Call before vds_target_set_oracle. */
void vds_oracle_lack(vds_oracle *o, unsigned cap, const char *why);

/* Initialise o's common part (input allocated here). */
void vds_oracle_init(vds_oracle *o, const vds_oracle_ops *ops, unsigned caps, GMainContext *ctx);
/* Free an oracle (its ops' free after the common part). Accepts NULL. */
void vds_oracle_free(vds_oracle *o);

typedef struct vds_target_kind vds_target_kind;

struct vds_target {
    const vds_link_ops *ops;
    const vds_target_kind *kind; /* the registry's row it was made from */
    vds_oracle *oracle;          /* owned, or NULL: nothing of the guest is observed */
    unsigned caps;               /* the link's and the oracle's */
    GMainContext *ctx;           /* borrowed */
    GQueue *rx;                  /* vds_rx*, owned: messages not yet consumed */
    bool port_open;
    bool started;        /* vds_target_start succeeded, no vds_target_stop since */
    uint64_t tx_offset;  /* stream offset of the last message sent (per connection) */
    char *dead;          /* why the agent stack is gone, or NULL */
    char *info;          /* one line: X server, versions */
    char *log_dir;       /* where the agents' logs are, while started */
    char *agent;         /* the agent under test, once known (oracle's agent op) */
    char *agent_version; /* its version alone, once known */
    /* Wire events the target sees besides agent messages (SPICE messages,
       what the agent's port carried): trace events (kind "spice" or "port",
       "t" in clock ns), borrowed by the callback. NULL: nobody listens. */
    void (*observe)(void *user, JsonNode *ev);
    void *observe_user;
};

/* Initialise t's common part for a link of kind (looked up by name). */
void vds_target_init(vds_target *t, const vds_link_ops *ops, const char *kind, GMainContext *ctx);
/* Give t an oracle (taken); t's caps gain the oracle's. */
void vds_target_set_oracle(vds_target *t, vds_oracle *oracle);

/* Start the target: its oracle's start, then its link's. */
int vds_target_start(vds_target *t, vds_err *err);
/* Stop what start started (the link's stop). */
void vds_target_stop(vds_target *t);
/* Forget per-scenario guest state: the oracle's reset, if there is one. */
void vds_target_reset(vds_target *t);
/* The oracle's screen_taken; when it says no and wants a move to make a
   tablet, the move is made here (vds_target_warm_mouse). */
bool vds_target_screen_taken(vds_target *t);

/* If t's oracle asks for it, send one MOUSE_STATE{1,1} on the server port
   through t's send op, clear the request and arm the oracle's warm filter. */
int vds_target_warm_mouse(vds_target *t, vds_err *err);

/* --- the registry of target kinds --------------------------------------- */

struct vds_target_kind {
    const char *name;   /* what scenarios' targets: and the trace header say: "local" */
    const char *prefix; /* how --target names it: "local" whole, "spice://" as a prefix */
    bool whole;         /* prefix is the whole name */
    unsigned caps;      /* the link's capabilities (an oracle adds its own) */
    /* who writes to the agent's port: "vdsim" or "spice-server" */
    const char *port_writer;
    /* vdsim sees what reached the agent's port (its own writes, or the
       embedded server's): what a differential run compares */
    bool port_view;
    /* how it reaches the agent, for a skip's reason */
    const char *how;
    vds_target *(*make)(const char *name, GMainContext *ctx, vds_err *err);
};

/* Every kind, NULL-ended. */
extern const vds_target_kind *const vds_target_kinds[];
/* The kind a --target string names (NULL when none). */
const vds_target_kind *vds_target_kind_for(const char *target);
/* The kind called name ("libvirt"), NULL when none. */
const vds_target_kind *vds_target_kind_named(const char *name);
/* The kinds' names as a names table, for scenario files. */
extern const vds_names vds_target_kind_names;

/* Why t cannot run something that needs caps (new string), or NULL when it
 * can: "needs raw-port; libvirt: reaches the agent through a SPICE server". */
char *vds_target_lacks(const vds_target *t, unsigned needs);

/* A new local target: X server + spice-vdagentd + spice-vdagent on this host. */
vds_target *vds_target_local_new(GMainContext *ctx);
/* A new session where vdsim is the port's server end: CLIENT_DISCONNECTED
 * on the server port, then the client's ANNOUNCE_CAPABILITIES{request=1}
 * with caps, through t's send op. */
int vds_target_port_session(vds_target *t, uint32_t caps, vds_err *err);

/* A SPICE client target: "local-server" (the local stack behind the embedded
 * spice-server) or a spice:// URI. NULL with err for a bad URI. */
vds_target *vds_target_client_new(const char *name, GMainContext *ctx, vds_err *err);

/* A SPICE client target to uri (spice://...) whose guest oracle is
 * oracle (taken), named name: what libvirt:DOMAIN resolves to. password
 * copied, may be NULL. */
vds_target *vds_target_client_new_with(const char *name, const char *uri, const char *password,
                                       vds_oracle *oracle, GMainContext *ctx, vds_err *err);

/* Look up a target by name ("local"); NULL with err for unknown ones. */
vds_target *vds_target_new(const char *name, GMainContext *ctx, vds_err *err);
void vds_target_free(vds_target *t);

/* Queue a message the agent wrote on its port (from a port driver's
 * callback) as t's next vds_rx. */
void vds_target_queue_rx(vds_target *t, uint64_t t_ns, const vds_chunk_msg *m);

/* Wait until done(user) is true or deadline (clock ns) passes, through the
 * target's wait op or else by iterating t->ctx. Returns done's last answer. */
bool vds_target_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user);

/* A new temp dir PREFIX-XXXXXX that says which process owns it (an "owner"
 * file with vdsim's pid), after removing the ones whose owner is dead (a
 * vdsim killed by SIGKILL leaves them). New string, or NULL with err. */
char *vds_tmp_dir_new(const char *prefix, vds_err *err);
/* Remove PREFIX-* temp dirs whose owner is dead, and the X socket and lock
 * of a dead X server they name in a "display" file. */
void vds_tmp_clean_stale(const char *prefix);

/* Remove dir (borrowed) and everything in it; symlinks are removed, not
 * followed. Quiet: what cannot be removed stays. */
void vds_remove_tree(const char *dir);
