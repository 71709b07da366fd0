/* The thin main: everything else lives in the libraries. */
#include <stdlib.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    exit(vds_cli_main(argc, argv));
}
