#ifndef HASHMATCH_CKERNELS_H
#define HASHMATCH_CKERNELS_H

// What Swift cannot say: vector kernels that need an instruction set beyond the package's x86-64-v2 baseline,
// compiled for it per function and chosen at run time (`__attribute__((target("avx2")))`), and a prefetch hint.
// Plain C types only; no state, no allocation.

#include <stddef.h>
#include <stdint.h>

/// Asks the CPU to start loading the cache line holding `address` (a hint: no fault, no effect on results).
/// Searches that know their next few hundred random reads issue them all first, so the misses overlap.
static inline void hm_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// 1 when this CPU runs `hm_lanczos_rows_avx2` (x86-64 with AVX2), else 0 (always 0 elsewhere, where that function
/// does not exist).
int hm_cpu_has_avx2(void);

#if defined(__x86_64__)
/// One pass of Pillow's fixed-point Lanczos filter along rows, 16 taps per step.
///
/// For each of `rows` source lines (`stride` bytes apart) and each of `outputs` outputs x, sums
/// `line[starts[x] + t] * weights[x * taps + t]` for t < `taps` (a multiple of 16) in wrapping 32-bit arithmetic,
/// adds `bias`, shifts right arithmetically by `shift` and clamps to 0...255 into `destination[row * outputs + x]`.
/// Every window `starts[x] ..< starts[x] + taps` must lie within a line. Only call it when `hm_cpu_has_avx2()`.
void hm_lanczos_rows_avx2(const uint8_t *source, size_t stride, size_t rows, const intptr_t *starts,
                          const int32_t *weights, size_t taps, size_t outputs, int32_t bias, int shift,
                          uint8_t *destination);
#endif

#endif
