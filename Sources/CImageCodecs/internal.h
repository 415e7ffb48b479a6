// Shared between the codec files; not part of the module's public header.
#ifndef CIMAGECODECS_INTERNAL_H
#define CIMAGECODECS_INTERNAL_H

#include "CImageCodecs.h"

/// Sets out->message from a printf format, frees any pixels, returns status.
hm_status hm_fail(hm_image *out, hm_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/// Refuses zero, over-wide and over-limit dimensions before anything large is allocated.
hm_status hm_check_dimensions(hm_image *out, const hm_decode_options *options, uint32_t width, uint32_t height);

/// EXIF orientation (1..8) from the payload of an APP1 marker, 0 when absent or malformed.
int hm_exif_orientation(const uint8_t *data, size_t size);

hm_status hm_jpeg_probe(const uint8_t *data, size_t size, hm_image *out);
hm_status hm_jpeg_decode(const uint8_t *data, size_t size, const hm_decode_options *options, hm_image *out);
hm_status hm_png_probe(const uint8_t *data, size_t size, hm_image *out);
hm_status hm_png_decode(const uint8_t *data, size_t size, const hm_decode_options *options, hm_image *out);

#endif
