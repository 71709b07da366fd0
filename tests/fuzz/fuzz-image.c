/* Screenshot headers: any bytes give a size within bounds or a located error. */
#include <stdint.h>
#include <stdlib.h>

#include "core/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t w, h;
    vds_err err = {0};
    int rc = vds_image_size(data, size, &w, &h, &err);
    if (rc == 0 && (w == 0 || h == 0 || w > 65535 || h > 65535))
        abort();
    if (rc < 0 && (w || h || !err.loc[0] || !err.msg[0]))
        abort();
    return 0;
}
