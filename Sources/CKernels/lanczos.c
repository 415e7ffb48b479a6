#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int hm_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

__attribute__((target("avx2")))
void hm_lanczos_rows_avx2(const uint8_t *source, size_t stride, size_t rows, const intptr_t *starts,
                          const int32_t *weights, size_t taps, size_t outputs, int32_t bias, int shift,
                          uint8_t *destination) {
    for (size_t row = 0; row < rows; row++) {
        const uint8_t *line = source + row * stride;
        uint8_t *out = destination + row * outputs;
        for (size_t x = 0; x < outputs; x++) {
            const uint8_t *pixels = line + starts[x];
            const int32_t *kernel = weights + x * taps;
            __m256i low = _mm256_setzero_si256();
            __m256i high = _mm256_setzero_si256();
            for (size_t t = 0; t < taps; t += 16) {
                __m128i bytes = _mm_loadu_si128((const __m128i *)(pixels + t));
                __m256i first = _mm256_cvtepu8_epi32(bytes);
                __m256i second = _mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8));
                low = _mm256_add_epi32(low, _mm256_mullo_epi32(first, _mm256_loadu_si256((const __m256i *)(kernel + t))));
                high = _mm256_add_epi32(high,
                                        _mm256_mullo_epi32(second, _mm256_loadu_si256((const __m256i *)(kernel + t + 8))));
            }
            // Wrapping 32-bit sums, as Pillow's (and the Swift path's) accumulation: the order does not matter.
            __m256i sum = _mm256_add_epi32(low, high);
            __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
            half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(1, 0, 3, 2)));
            half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(2, 3, 0, 1)));
            int32_t total = (int32_t)((uint32_t)_mm_cvtsi128_si32(half) + (uint32_t)bias);
            int32_t value = total >> shift;
            out[x] = (uint8_t)(value < 0 ? 0 : value > 255 ? 255 : value);
        }
    }
}
#else
int hm_cpu_has_avx2(void) { return 0; }
#endif
