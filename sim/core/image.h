/* The size of an image from its header: what a guest's display shows, from
 * a screenshot (libvirt streams QEMU's screendump as PNG, or PPM from older
 * QEMUs). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Enough bytes of any image for vds_image_size: a PNG's IHDR ends at byte
 * 24, a PPM header with a comment or two fits well inside. */
#define VDS_IMAGE_HEAD_MAX 512

/* Width and height of the PNG or binary PPM (P6) whose first n bytes are at
 * d (borrowed). -1 with a "byte N" located error when the header is not
 * one, is cut short, or gives a zero or absurd size (over 65535). */
int vds_image_size(const uint8_t *d, size_t n, uint32_t *w, uint32_t *h, vds_err *err);
