/* The thin main: everything else lives in the libraries. */
#include <signal.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/secret.h"

int main(int argc, char **argv)
{
    /* a closed stdout (vdsim run ... | head) or a peer gone is an error to
       report and a report to finish, not a reason to die without one */
    signal(SIGPIPE, SIG_IGN);
    /* before anything starts a child that would inherit it */
    vds_secrets_take();
    exit(vds_cli_main(argc, argv));
}
