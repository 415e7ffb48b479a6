// libjpeg-turbo behind a status code: every error_exit longjmps back here, never into Swift.
#include "internal.h"

#include <setjmp.h>
#include <stdio.h>  // before jpeglib.h, which uses FILE

#include <jerror.h>
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    hm_status status;              // the status to report when we jump back
    int strict;
    int warnings;
    char message[JMSG_LENGTH_MAX];
} jpeg_error_context;

typedef struct {
    struct jpeg_progress_mgr manager;
    uint32_t max_scans;
} jpeg_progress_context;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_error_context *context = (jpeg_error_context *)cinfo->err;
    if (context->status == HM_STATUS_OK) context->status = HM_STATUS_CORRUPT;
    (*cinfo->err->format_message)(cinfo, context->message);
    longjmp(context->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    jpeg_error_context *context = (jpeg_error_context *)cinfo->err;
    context->warnings += 1;
    if (context->warnings == 1) (*cinfo->err->format_message)(cinfo, context->message);
    if (context->strict) {
        // libjpeg recovers from damaged data by inventing pixels; in strict mode that is an error.
        context->status = cinfo->err->msg_code == JWRN_JPEG_EOF ? HM_STATUS_TRUNCATED : HM_STATUS_CORRUPT;
        (*cinfo->err->format_message)(cinfo, context->message);
        longjmp(context->jump, 1);
    }
}

static void on_progress(j_common_ptr cinfo) {
    jpeg_progress_context *progress = (jpeg_progress_context *)cinfo->progress;
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (progress->max_scans != 0 && dinfo->input_scan_number > (int)progress->max_scans) {
        jpeg_error_context *context = (jpeg_error_context *)cinfo->err;
        context->status = HM_STATUS_TOO_LARGE;
        snprintf(context->message, sizeof context->message, "progressive JPEG has more than %u scans",
                 progress->max_scans);
        longjmp(context->jump, 1);
    }
}

static void install_errors(struct jpeg_decompress_struct *cinfo, jpeg_error_context *context, int strict) {
    cinfo->err = jpeg_std_error(&context->manager);
    context->manager.error_exit = on_error_exit;
    context->manager.emit_message = on_message;
    context->status = HM_STATUS_OK;
    context->strict = strict;
    context->warnings = 0;
    context->message[0] = 0;
}

/// APP1 segments are read here one at a time into one reusable buffer, not saved by libjpeg: jpeg_save_markers
/// keeps a copy of every APP1 (up to 64 KB each) until the decode ends, so a file of thousands of APP1
/// segments cost as much memory again as its own size. Only the first valid EXIF orientation is kept.
typedef struct {
    int orientation;   // 1..8 once found, else 0
    uint8_t *buffer;   // APP_BUFFER_BYTES from the image pool, allocated at the first APP1
} app1_context;

enum { APP_BUFFER_BYTES = 65535 };

/// The next byte from the source, or -1 at its end (jpeg_mem_src never suspends).
static int next_byte(j_decompress_ptr cinfo) {
    struct jpeg_source_mgr *source = cinfo->src;
    if (source->bytes_in_buffer == 0 && !(*source->fill_input_buffer)(cinfo)) return -1;
    source->bytes_in_buffer -= 1;
    return *source->next_input_byte++;
}

static boolean on_app1(j_decompress_ptr cinfo) {
    app1_context *app1 = (app1_context *)cinfo->client_data;
    int high = next_byte(cinfo), low = next_byte(cinfo);
    if (high < 0 || low < 0) return TRUE;  // the source hands out a fake EOI next; libjpeg reports it
    long length = ((long)high << 8 | low) - 2;
    if (length <= 0) return TRUE;
    if (app1->orientation != 0) {
        (*cinfo->src->skip_input_data)(cinfo, length);
        return TRUE;
    }
    if (app1->buffer == NULL) {
        app1->buffer = (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, APP_BUFFER_BYTES);
    }
    long copied = 0;
    struct jpeg_source_mgr *source = cinfo->src;
    while (copied < length) {
        if (source->bytes_in_buffer == 0 && !(*source->fill_input_buffer)(cinfo)) break;
        size_t take = source->bytes_in_buffer < (size_t)(length - copied) ? source->bytes_in_buffer
                                                                           : (size_t)(length - copied);
        memcpy(app1->buffer + copied, source->next_input_byte, take);
        source->next_input_byte += take;
        source->bytes_in_buffer -= take;
        copied += (long)take;
    }
    app1->orientation = hm_exif_orientation(app1->buffer, (size_t)copied);
    return TRUE;
}

static void read_app1_segments(struct jpeg_decompress_struct *cinfo, app1_context *app1) {
    app1->orientation = 0;
    app1->buffer = NULL;
    cinfo->client_data = app1;
    jpeg_set_marker_processor(cinfo, JPEG_APP0 + 1, on_app1);
}

hm_status hm_jpeg_probe(const uint8_t *data, size_t size, hm_image *out) {
    memset(out, 0, sizeof *out);
    out->format = HM_FORMAT_JPEG;
    struct jpeg_decompress_struct cinfo;
    jpeg_error_context errors;
    app1_context app1;
    install_errors(&cinfo, &errors, 0);
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return hm_fail(out, errors.status, "JPEG header: %s", errors.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    read_app1_segments(&cinfo, &app1);
    jpeg_read_header(&cinfo, TRUE);
    out->source_width = cinfo.image_width;
    out->source_height = cinfo.image_height;
    out->exif_orientation = app1.orientation;
    jpeg_destroy_decompress(&cinfo);
    return HM_STATUS_OK;
}

/// Adobe CMYK (inverted when an Adobe marker is present) to RGB, as Pillow converts it.
static void cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t count, int inverted) {
    for (size_t i = 0; i < count; i++) {
        unsigned c = cmyk[4 * i], m = cmyk[4 * i + 1], y = cmyk[4 * i + 2], k = cmyk[4 * i + 3];
        if (inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        unsigned nk = 255 - k;
        unsigned channel[3] = {c, m, y};
        for (int j = 0; j < 3; j++) {
            unsigned product = channel[j] * nk + 128;
            rgb[3 * i + j] = (uint8_t)(nk - ((product + (product >> 8)) >> 8));
        }
    }
}

hm_status hm_jpeg_decode(const uint8_t *data, size_t size, const hm_decode_options *options, hm_image *out) {
    struct jpeg_decompress_struct cinfo;
    jpeg_error_context errors;
    jpeg_progress_context progress;
    app1_context app1;
    uint8_t *volatile staging = NULL;  // CMYK rows before conversion; freed on every path
    install_errors(&cinfo, &errors, options->strict);
    if (setjmp(errors.jump)) {
        free(staging);
        jpeg_destroy_decompress(&cinfo);
        if (errors.status == HM_STATUS_TRUNCATED) {
            return hm_fail(out, HM_STATUS_TRUNCATED, "JPEG data ends early (%s)", errors.message);
        }
        return hm_fail(out, errors.status, "%s", errors.message);
    }
    jpeg_create_decompress(&cinfo);
    progress.manager.progress_monitor = on_progress;
    progress.max_scans = options->max_jpeg_scans;
    cinfo.progress = &progress.manager;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    read_app1_segments(&cinfo, &app1);
    jpeg_read_header(&cinfo, TRUE);
    out->source_width = cinfo.image_width;
    out->source_height = cinfo.image_height;
    out->exif_orientation = app1.orientation;
    hm_status status = hm_check_dimensions(out, options, cinfo.image_width, cinfo.image_height);
    if (status != HM_STATUS_OK) {
        jpeg_destroy_decompress(&cinfo);
        return status;
    }

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    if (cmyk) {
        cinfo.out_color_space = JCS_CMYK;
    } else if (cinfo.jpeg_color_space == JCS_GRAYSCALE || options->output == HM_PIXELS_GREY) {
        // For YCbCr this is the Y plane itself: no chroma IDCT, upsampling or colour conversion.
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else {
        cinfo.out_color_space = JCS_RGB;
    }
    int denom = options->scale_denom;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (denom == 2 || denom == 4 || denom == 8) ? (unsigned)denom : 1;

    jpeg_start_decompress(&cinfo);
    size_t width = cinfo.output_width, height = cinfo.output_height;
    size_t components = (size_t)cinfo.output_components;
    out->width = (uint32_t)width;
    out->height = (uint32_t)height;
    out->channels = cmyk ? 3 : (int)components;
    out->pixels = malloc(width * height * (size_t)out->channels);
    if (cmyk) staging = malloc(width * components);
    if (out->pixels == NULL || (cmyk && staging == NULL)) {
        errors.status = HM_STATUS_OUT_OF_MEMORY;
        snprintf(errors.message, sizeof errors.message, "cannot allocate %zux%zu pixels", width, height);
        longjmp(errors.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t row = cinfo.output_scanline;
        if (cmyk) {
            JSAMPROW rows[1] = {staging};
            jpeg_read_scanlines(&cinfo, rows, 1);
            cmyk_to_rgb(staging, out->pixels + row * width * 3, width, cinfo.saw_Adobe_marker);
        } else {
            JSAMPROW rows[1] = {out->pixels + row * width * components};
            jpeg_read_scanlines(&cinfo, rows, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    out->warnings = errors.warnings;
    if (errors.warnings > 0) snprintf(out->message, sizeof out->message, "%s", errors.message);
    free(staging);
    jpeg_destroy_decompress(&cinfo);
    return HM_STATUS_OK;
}
