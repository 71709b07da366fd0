#include "core/secret.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

static char *spice_password;
static gboolean taken;

void vds_secrets_take(void)
{
    if (taken)
        return;
    taken = TRUE;
    char *pw = getenv("VDSIM_SPICE_PASSWORD");
    if (pw) {
        spice_password = g_strdup(pw);
        /* the value's bytes are where /proc/PID/environ reads them: blank
           them there, then drop the variable from what children inherit */
        memset(pw, 0, strlen(pw));
        g_unsetenv("VDSIM_SPICE_PASSWORD");
    }
}

const char *vds_secret_spice_password(void)
{
    vds_secrets_take(); /* a library user that did not call it still gets it taken */
    return spice_password;
}
