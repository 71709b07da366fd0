/* Secrets vdsim takes from its environment: read once, then removed, so no
 * child (X server, agents, QEMU tools) inherits them and no trace or
 * /proc/PID/environ shows them. */
#pragma once

/* Take VDSIM_SPICE_PASSWORD out of the environment (call before any child
 * starts; main does). Idempotent. */
void vds_secrets_take(void);

/* The SPICE password taken, or NULL. Borrowed, lives until exit. */
const char *vds_secret_spice_password(void);
