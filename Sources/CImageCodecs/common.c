// Format sniffing, option checks and the parts of an hm_image both codecs share.
#include "CImageCodecs.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hm_format hm_sniff(const uint8_t *data, size_t size) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return HM_FORMAT_JPEG;
    if (size >= 8 && memcmp(data, png_signature, 8) == 0) return HM_FORMAT_PNG;
    return HM_FORMAT_UNKNOWN;
}

void hm_image_free(hm_image *image) {
    if (image == NULL) return;
    free(image->pixels);
    image->pixels = NULL;
}

hm_status hm_fail(hm_image *out, hm_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(out->message, sizeof out->message, format, args);
    va_end(args);
    free(out->pixels);
    out->pixels = NULL;
    return status;
}

hm_status hm_check_dimensions(hm_image *out, const hm_decode_options *options, uint32_t width, uint32_t height) {
    if (width == 0 || height == 0) {
        return hm_fail(out, HM_STATUS_CORRUPT, "the header declares %ux%u pixels", width, height);
    }
    uint64_t pixels = (uint64_t)width * (uint64_t)height;
    if (options->max_dimension != 0 && (width > options->max_dimension || height > options->max_dimension)) {
        return hm_fail(out, HM_STATUS_TOO_LARGE, "%ux%u pixels: a side exceeds the %u-pixel limit", width, height,
                       options->max_dimension);
    }
    if (options->max_pixels != 0 && pixels > options->max_pixels) {
        return hm_fail(out, HM_STATUS_TOO_LARGE, "%ux%u pixels (%.1f MP) exceeds the %.1f MP limit", width, height,
                       (double)pixels / 1e6, (double)options->max_pixels / 1e6);
    }
    return HM_STATUS_OK;
}

hm_status hm_probe(const uint8_t *data, size_t size, hm_image *out) {
    switch (hm_sniff(data, size)) {
    case HM_FORMAT_JPEG:
        return hm_jpeg_probe(data, size, out);
    case HM_FORMAT_PNG:
        return hm_png_probe(data, size, out);
    default:
        memset(out, 0, sizeof *out);
        return hm_fail(out, HM_STATUS_UNKNOWN_FORMAT, "not a JPEG or PNG file");
    }
}

hm_status hm_decode(const uint8_t *data, size_t size, const hm_decode_options *options, hm_image *out) {
    memset(out, 0, sizeof *out);
    if (size == 0) return hm_fail(out, HM_STATUS_TRUNCATED, "the file is empty");
    switch (hm_sniff(data, size)) {
    case HM_FORMAT_JPEG:
        out->format = HM_FORMAT_JPEG;
        return hm_jpeg_decode(data, size, options, out);
    case HM_FORMAT_PNG:
        out->format = HM_FORMAT_PNG;
        return hm_png_decode(data, size, options, out);
    default:
        return hm_fail(out, HM_STATUS_UNKNOWN_FORMAT, "not a JPEG or PNG file (unrecognised leading bytes)");
    }
}

int hm_cpu_supported(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1")
        && __builtin_cpu_supports("sse4.2");
#else
    return 1;
#endif
}
