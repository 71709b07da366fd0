#include "core/secret.h"

#include <glib.h>
#include <string.h>

static char *spice_password;
static gboolean taken;

void vds_secrets_take(void)
{
    if (taken)
        return;
    taken = TRUE;
    const char *pw = g_getenv("VDSIM_SPICE_PASSWORD");
    if (pw) {
        spice_password = g_strdup(pw);
        /* unsetenv drops the variable from environ; children get environ */
        g_unsetenv("VDSIM_SPICE_PASSWORD");
    }
}

const char *vds_secret_spice_password(void)
{
    vds_secrets_take(); /* a library user that did not call it still gets it taken */
    return spice_password;
}
