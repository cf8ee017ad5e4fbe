#include "CKernels.h"
#include "ag_common.h"

/* Short rows (a convolution's output width: a few dozen bytes) copied in 32-byte
 * blocks, the last one overlapping, so that there is no scalar remainder loop; the
 * AVX2 clone moves each block with one load and one store. */
AG_MULTIVERSION void ag_copy_rows(const void *src, long src_stride, void *dst, long rows, long bytes) {
    const char *s = (const char *)src;
    char *d = (char *)dst;
    if (bytes >= 32) {
        for (long r = 0; r < rows; r++, s += src_stride, d += bytes) {
            long o = 0;
            for (; o + 32 <= bytes; o += 32) __builtin_memcpy(d + o, s + o, 32);
            if (o < bytes) __builtin_memcpy(d + bytes - 32, s + bytes - 32, 32);
        }
    } else if (bytes >= 16) {
        for (long r = 0; r < rows; r++, s += src_stride, d += bytes) {
            __builtin_memcpy(d, s, 16);
            __builtin_memcpy(d + bytes - 16, s + bytes - 16, 16);
        }
    } else {
        for (long r = 0; r < rows; r++, s += src_stride, d += bytes) {
            for (long o = 0; o < bytes; o++) d[o] = s[o];
        }
    }
}

/* dst[r·dst_stride + q] += src[r·src_stride + q] for `rows` rows of `count` elements: one tap's
 * plane of column-matrix cotangents added into the input's cotangent (col2im). The rows are as
 * short as a convolution's output width, so the per-row work stays in this loop. */
#define AG_DEFINE_ADD_ROWS(SUFFIX, T)                                                            \
    AG_MULTIVERSION void ag_add_rows_##SUFFIX(const T *restrict src, long src_stride,           \
                                              T *restrict dst, long dst_stride, long rows,       \
                                              long count) {                                      \
        for (long r = 0; r < rows; r++, src += src_stride, dst += dst_stride)                    \
            for (long q = 0; q < count; q++) dst[q] += src[q];                                   \
    }

AG_DEFINE_ADD_ROWS(f32, float)
AG_DEFINE_ADD_ROWS(f64, double)
