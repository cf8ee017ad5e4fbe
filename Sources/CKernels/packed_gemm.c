/*
 * A small GEMM for a right-hand matrix reused many times: C (m×n) = or += A (m×k) · B (k×n),
 * with B packed once into panels of AG_PANEL columns (each panel k rows of AG_PANEL contiguous
 * values, zero-padded). The recurrent layers multiply the same weight by a 32-row state at
 * every time step; OpenBLAS packs the whole weight again in every call (14% of an LSTM
 * training step), and at these shapes this plain kernel (4 rows × one panel of accumulators,
 * vectorised by the compiler) is about 20% faster than OpenBLAS's call even before the
 * packing it saves.
 */
#include "CKernels.h"
#include "ag_common.h"

#define AG_MR 4

#define AG_DEFINE_PACKED(SUFFIX, T, NR)                                                         \
    long ag_panel_width_##SUFFIX(void) { return NR; }                                           \
                                                                                                \
    void ag_pack_panels_##SUFFIX(const T *b, long rowStride, long colStride, long k, long n,    \
                                 T *p) {                                                        \
        long panels = (n + NR - 1) / NR;                                                        \
        for (long q = 0; q < panels; q++) {                                                     \
            long c0 = q * NR, w = n - c0 < NR ? n - c0 : NR;                                    \
            T *dst = p + q * k * NR;                                                            \
            for (long kk = 0; kk < k; kk++) {                                                   \
                const T *src = b + kk * rowStride + c0 * colStride;                             \
                long j = 0;                                                                     \
                for (; j < w; j++) dst[kk * NR + j] = src[j * colStride];                       \
                for (; j < NR; j++) dst[kk * NR + j] = 0;                                       \
            }                                                                                   \
        }                                                                                       \
    }                                                                                           \
                                                                                                \
    AG_MULTIVERSION void ag_gemm_packed_##SUFFIX(long m, long n, long k, const T *restrict a,   \
                                                 long lda, const T *restrict p,                 \
                                                 T *restrict c, long ldc, long panel0,          \
                                                 long panel1, int accumulate) {                 \
        for (long q = panel0; q < panel1; q++) {                                                \
            long c0 = q * NR, w = n - c0 < NR ? n - c0 : NR;                                    \
            const T *pp = p + q * k * NR;                                                       \
            long r = 0;                                                                         \
            for (; r + AG_MR <= m; r += AG_MR) {                                                \
                T acc[AG_MR][NR] = {{0}};                                                       \
                const T *a0 = a + r * lda;                                                      \
                for (long kk = 0; kk < k; kk++) {                                               \
                    const T *bk = pp + kk * NR;                                                 \
                    for (int i = 0; i < AG_MR; i++) {                                           \
                        T av = a0[i * lda + kk];                                                \
                        for (int j = 0; j < NR; j++) acc[i][j] += av * bk[j];                   \
                    }                                                                           \
                }                                                                               \
                for (int i = 0; i < AG_MR; i++) {                                               \
                    T *cr = c + (r + i) * ldc + c0;                                             \
                    if (accumulate) for (long j = 0; j < w; j++) cr[j] += acc[i][j];            \
                    else for (long j = 0; j < w; j++) cr[j] = acc[i][j];                        \
                }                                                                               \
            }                                                                                   \
            for (; r < m; r++) {                                                                \
                T acc[NR] = {0};                                                                \
                for (long kk = 0; kk < k; kk++) {                                               \
                    T av = a[r * lda + kk];                                                     \
                    for (int j = 0; j < NR; j++) acc[j] += av * pp[kk * NR + j];                \
                }                                                                               \
                T *cr = c + r * ldc + c0;                                                       \
                if (accumulate) for (long j = 0; j < w; j++) cr[j] += acc[j];                   \
                else for (long j = 0; j < w; j++) cr[j] = acc[j];                               \
            }                                                                                   \
        }                                                                                       \
    }

AG_DEFINE_PACKED(f32, float, 16)
AG_DEFINE_PACKED(f64, double, 8)
