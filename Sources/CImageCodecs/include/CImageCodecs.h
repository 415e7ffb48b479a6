// C shims over libjpeg-turbo and libpng: the only place setjmp/longjmp exist in hashmatch.
// Every entry point returns a status and, on failure, a message; nothing here aborts,
// longjmps past its own frame, or allocates more than the caller's pixel limit allows.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    HM_STATUS_OK = 0,
    HM_STATUS_UNKNOWN_FORMAT = 1,   // neither JPEG nor PNG signature
    HM_STATUS_CORRUPT = 2,          // the codec library refused the data
    HM_STATUS_TRUNCATED = 3,        // the data ends before the image does
    HM_STATUS_TOO_LARGE = 4,        // declared dimensions exceed the pixel limit
    HM_STATUS_UNSUPPORTED = 5,      // a valid file of a kind we do not decode
    HM_STATUS_OUT_OF_MEMORY = 6,
} hm_status;

typedef enum {
    HM_FORMAT_UNKNOWN = 0,
    HM_FORMAT_JPEG = 1,
    HM_FORMAT_PNG = 2,
} hm_format;

typedef enum {
    HM_PIXELS_RGB = 0,   // 3 bytes per pixel, interleaved
    HM_PIXELS_GREY = 1,  // 1 byte per pixel; for JPEG the Y plane itself (no colour conversion)
} hm_pixel_format;

typedef struct {
    uint64_t max_pixels;        // refuse images whose declared width*height exceeds this
    uint32_t max_dimension;     // refuse images wider or taller than this
    int scale_denom;            // JPEG only: 1, 2, 4 or 8 (DCT-domain downscale); PNG ignores it
    hm_pixel_format output;     // what the caller wants
    int strict;                 // non-zero: a truncated or damaged JPEG is an error, not a warning
    int composite_alpha;        // non-zero: composite alpha over background_rgb; zero: drop alpha
    uint8_t background_rgb[3];
    uint32_t max_jpeg_scans;    // progressive JPEG CPU-bomb guard; 0 = no limit
} hm_decode_options;

typedef struct {
    hm_format format;
    uint32_t width;             // of the decoded pixels (after any JPEG scaling)
    uint32_t height;
    uint32_t source_width;      // as declared by the file
    uint32_t source_height;
    int channels;               // 1 or 3
    uint8_t *pixels;            // malloc'd, row-major, tightly packed; free with hm_image_free
    int exif_orientation;       // 1..8 when the JPEG carries one, else 0
    int warnings;               // libjpeg warnings seen (corrupt data it recovered from)
    char message[256];          // set on failure (and on warnings in lenient mode)
} hm_image;

/// The format named by the leading bytes, or HM_FORMAT_UNKNOWN.
hm_format hm_sniff(const uint8_t *data, size_t size);

/// Reads only the header: fills format, source_width/height and exif_orientation.
hm_status hm_probe(const uint8_t *data, size_t size, hm_image *out);

/// Decodes the whole image into out->pixels. On failure out->pixels is NULL and out->message says why.
hm_status hm_decode(const uint8_t *data, size_t size, const hm_decode_options *options, hm_image *out);

/// Frees what hm_decode allocated (safe on a zeroed or failed image).
void hm_image_free(hm_image *image);

/// Non-zero when the CPU has the instructions the release build was compiled to use (POPCNT on x86-64).
int hm_cpu_supported(void);

#endif
