/* YAML text -> located tree -> validated scenario (send steps are built). */
#include <stdint.h>

#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vds_err err;
    vds_scenario *s = vds_scenario_parse("fuzz.yaml", (const char *)data, size, &err);
    vds_scenario_free(s);
    return 0;
}
