/* Guest-side facts the targets observe and scenarios expect. */
#pragma once

#include <stdint.h>

typedef struct vds_input_event {
    uint16_t type, code;
    int32_t value;
} vds_input_event;

typedef struct vds_rect {
    uint32_t w, h;
    int32_t x, y;
} vds_rect;
