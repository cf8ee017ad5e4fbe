/*
 * CKernels: vectorised elementwise math for contiguous float32 / float64 arrays.
 *
 * Elementwise maps compute y[i] = f(x[i]) for 0 <= i < n.  y may equal x (in
 * place); otherwise the two ranges must not overlap.  n <= 0 is a no-op, and the
 * pointers are not touched then (they may be NULL).  Results do not depend on n
 * or on alignment.  On x86-64 with glibc every function is built in three versions
 * (x86-64-v4 / AVX-512, x86-64-v3 / AVX2+FMA, baseline SSE2) and the best one for
 * the running CPU is picked once, at load time.  No compiler flags are needed.
 *
 * Accuracy (max error over the test sets, see Sources/CKernels/vecmath.c):
 * float64 within 2 ulp of glibc, float32 within 3 ulp of the correctly rounded
 * result; IEEE special values (+-0, +-inf, NaN, overflow, subnormal results)
 * follow C99 Annex F.
 */
#ifndef CKERNELS_H
#define CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

void ag_exp_f32(const float *x, float *y, long n);
void ag_exp_f64(const double *x, double *y, long n);

/* log(0) = -inf, log(x < 0) = NaN, log(inf) = inf. */
void ag_log_f32(const float *x, float *y, long n);
void ag_log_f64(const double *x, double *y, long n);

void ag_tanh_f32(const float *x, float *y, long n);
void ag_tanh_f64(const double *x, double *y, long n);

/* 1 / (1 + exp(-x)), accurate in both tails (sigmoid(-800) = 0, sigmoid(40) = 1). */
void ag_sigmoid_f32(const float *x, float *y, long n);
void ag_sigmoid_f64(const double *x, double *y, long n);

void ag_expm1_f32(const float *x, float *y, long n);
void ag_expm1_f64(const double *x, double *y, long n);

void ag_log1p_f32(const float *x, float *y, long n);
void ag_log1p_f64(const double *x, double *y, long n);
/* One Adam step over n elements: updates m, v (and vmax when not NULL) in place and writes the
   new parameter to out. c = {β1, 1−β1, β2, 1−β2, ε, lr/(1−β1ᵗ), 1−β2ᵗ, λ (L2), 1−lr·λ (decoupled)}. */
void ag_adam_step_f32(const float *p, const float *g, float *m, float *v, float *vmax, float *out, long n, const double *c);
void ag_adam_step_f64(const double *p, const double *g, double *m, double *v, double *vmax, double *out, long n, const double *c);
/* One SGD step over n elements: updates the momentum buffer b in place (NULL without momentum)
   and writes the new parameter to out. c = {lr, μ, 1−τ, λ}; flags: 1 first step, 2 Nesterov. */
void ag_sgd_step_f32(const float *p, const float *g, float *b, float *out, long n, const double *c, int flags);
void ag_sgd_step_f64(const double *p, const double *g, double *b, double *out, long n, const double *c, int flags);
void ag_sqrt_f32(const float *x, float *y, long n);
void ag_sqrt_f64(const double *x, double *y, long n);

/* Sum of x[0..n), accumulated in double (blocked 32-lane sums, blocks combined
 * pairwise: error <= ~(128 + log2(n)) ulp of sum|x|).  The result is the same on
 * every CPU; it is 0 for n <= 0. */
double ag_sum_f32(const float *x, long n);
double ag_sum_f64(const double *x, long n);

/* One LSTM time step for one batch row (gate blocks i, f, o, g of H each in z; the
 * pointers must not overlap). Backward: from the gate activations z, tanh(c_t) tc,
 * c_{t-1} cp, the output cotangent g and the carried cotangent dh, writes the
 * pre-activation cotangents dz (4H) and replaces dc (the cotangent of c_t) by that of
 * c_{t-1}. Cell: c = f*c_{t-1} + i*g. */
void ag_lstm_backward_row_f32(const float *z, const float *tc, const float *cp, const float *g,
                              const float *dh, float *dc, float *dz, long H);
void ag_lstm_backward_row_f64(const double *z, const double *tc, const double *cp, const double *g,
                              const double *dh, double *dc, double *dz, long H);
void ag_lstm_cell_row_f32(const float *z, const float *cp, float *c, long H);
void ag_lstm_cell_row_f64(const double *z, const double *cp, double *c, long H);

/* A GEMM for a right-hand matrix B (k×n) used many times (the recurrent weights): pack
 * it once into panels of ag_panel_width_*() columns (element (i, j) of B at
 * b[i*rowStride + j*colStride]; p holds panels*width*k values, zero-padded), then
 * C = A·B (accumulate 0) or C += A·B (accumulate 1) for panels [panel0, panel1), i.e.
 * columns [panel0*width, min(n, panel1*width)). A is m×k row-major (lda), C m×n (ldc);
 * A, the panels and C must not overlap. */
long ag_panel_width_f32(void);
long ag_panel_width_f64(void);
void ag_pack_panels_f32(const float *b, long rowStride, long colStride, long k, long n, float *p);
void ag_pack_panels_f64(const double *b, long rowStride, long colStride, long k, long n, double *p);
void ag_gemm_packed_f32(long m, long n, long k, const float *a, long lda, const float *p,
                        float *c, long ldc, long panel0, long panel1, int accumulate);
void ag_gemm_packed_f64(long m, long n, long k, const double *a, long lda, const double *p,
                        double *c, long ldc, long panel0, long panel1, int accumulate);

/* The number of CPUs in this process's affinity mask (`taskset`), or 0 where that
 * is unknown (not Linux, or the call failed). */
int ag_affinity_cpu_count(void);

/* A spin-wait hint to the CPU (x86 `pause`, ARM `yield`): the loop of a thread
 * waiting for work costs its sibling hyper-thread and the memory bus less. */
static inline void ag_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#ifdef __cplusplus
}
#endif

/* Copies `rows` rows of `bytes` bytes each, source rows `src_stride` bytes apart, to
 * consecutive rows at dst (no overlap between source and destination). */
void ag_copy_rows(const void *src, long src_stride, void *dst, long rows, long bytes);
/* dst[r·dst_stride + q] += src[r·src_stride + q] for rows × count elements (strides in elements). */
void ag_add_rows_f32(const float *src, long src_stride, float *dst, long dst_stride, long rows, long count);
void ag_add_rows_f64(const double *src, long src_stride, double *dst, long dst_stride, long rows, long count);

#include "ag_object_cache.h"

#endif /* CKERNELS_H */
