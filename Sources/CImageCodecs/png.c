// libpng behind a status code: png_error longjmps back to this file, never into Swift.
#include "internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_CHUNK_BYTES = 8 * 1024 * 1024 };  // ancillary chunks (iCCP, zTXt…) bigger than this are refused

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    char message[200];
} png_context;

static void on_read(png_structp png, png_bytep destination, png_size_t length) {
    png_context *context = png_get_io_ptr(png);
    if (length > context->size - context->offset) {
        context->truncated = 1;
        png_error(png, "the file ends early");
    }
    memcpy(destination, context->data + context->offset, length);
    context->offset += length;
}

static void on_error(png_structp png, png_const_charp message) {
    png_context *context = png_get_error_ptr(png);
    snprintf(context->message, sizeof context->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static png_structp create_reader(png_context *context, const uint8_t *data, size_t size) {
    memset(context, 0, sizeof *context);
    context->data = data;
    context->size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context, on_error, on_warning);
    if (png == NULL) return NULL;
    png_set_read_fn(png, context, on_read);
    png_set_chunk_malloc_max(png, MAX_CHUNK_BYTES);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    return png;
}

hm_status hm_png_probe(const uint8_t *data, size_t size, hm_image *out) {
    memset(out, 0, sizeof *out);
    out->format = HM_FORMAT_PNG;
    png_context context;
    png_structp png = create_reader(&context, data, size);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return hm_fail(out, HM_STATUS_OUT_OF_MEMORY, "cannot allocate a PNG reader");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return hm_fail(out, context.truncated ? HM_STATUS_TRUNCATED : HM_STATUS_CORRUPT, "PNG header: %s",
                       context.message);
    }
    png_read_info(png, info);
    out->source_width = png_get_image_width(png, info);
    out->source_height = png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return HM_STATUS_OK;
}

/// Drops or composites the alpha channel in place: `channels` (2 or 4) interleaved → channels-1.
static void remove_alpha(uint8_t *pixels, size_t count, int channels, const hm_decode_options *options) {
    int colour = channels - 1;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *source = pixels + i * (size_t)channels;
        uint8_t *target = pixels + i * (size_t)colour;
        unsigned alpha = source[colour];
        for (int c = 0; c < colour; c++) {
            unsigned value = source[c];
            if (options->composite_alpha) {
                unsigned background = colour == 1 ? options->background_rgb[0] : options->background_rgb[c];
                value = (value * alpha + background * (255 - alpha) + 127) / 255;
            }
            target[c] = (uint8_t)value;
        }
    }
}

/// Checks the IHDR dimensions straight from the bytes, before libpng reads (and buffers) the chunks after it.
static hm_status check_declared_size(const uint8_t *data, size_t size, const hm_decode_options *options,
                                     hm_image *out) {
    if (size < 24 || memcmp(data + 12, "IHDR", 4) != 0) return HM_STATUS_OK;  // libpng reports the damage
    uint32_t width = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 | (uint32_t)data[18] << 8 | data[19];
    uint32_t height = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 | (uint32_t)data[22] << 8 | data[23];
    out->source_width = width;
    out->source_height = height;
    return hm_check_dimensions(out, options, width, height);
}

hm_status hm_png_decode(const uint8_t *data, size_t size, const hm_decode_options *options, hm_image *out) {
    hm_status declared = check_declared_size(data, size, options, out);
    if (declared != HM_STATUS_OK) return declared;
    png_context context;
    png_structp png = create_reader(&context, data, size);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *volatile rows = NULL;
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return hm_fail(out, HM_STATUS_OUT_OF_MEMORY, "cannot allocate a PNG reader");
    }
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        if (context.truncated) return hm_fail(out, HM_STATUS_TRUNCATED, "PNG data ends early (%s)", context.message);
        return hm_fail(out, HM_STATUS_CORRUPT, "PNG: %s", context.message);
    }
    if (options->max_dimension != 0) png_set_user_limits(png, options->max_dimension, options->max_dimension);
    png_read_info(png, info);
    uint32_t width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    out->source_width = width;
    out->source_height = height;
    hm_status status = hm_check_dimensions(out, options, width, height);
    if (status != HM_STATUS_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }

    int colour_type = png_get_color_type(png, info);
    if (colour_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (colour_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    png_set_scale_16(png);  // 16-bit samples are scaled to 8 bits (rounded), never clipped
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)width * channels) png_error(png, "unexpected row layout after transforms");
    out->pixels = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (out->pixels == NULL || rows == NULL) {
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return hm_fail(out, HM_STATUS_OUT_OF_MEMORY, "cannot allocate %ux%u pixels", width, height);
    }
    for (uint32_t y = 0; y < height; y++) rows[y] = out->pixels + (size_t)y * row_bytes;
    png_read_image(png, rows);
    if (options->strict) png_read_end(png, NULL);
    free(rows);
    rows = NULL;
    png_destroy_read_struct(&png, &info, NULL);

    if (channels == 2 || channels == 4) {
        remove_alpha(out->pixels, (size_t)width * height, (int)channels, options);
        channels -= 1;
    }
    out->width = width;
    out->height = height;
    out->channels = (int)channels;
    return HM_STATUS_OK;
}
