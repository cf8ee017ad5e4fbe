/*
 * One Adam step per element in a single pass (see Kernels.adamStep in Swift for the contract).
 * The arithmetic is that of the composed tensor ops, operation by operation, in the tensor's
 * precision: no contraction into fused multiply-adds (which would change the last bit), and
 * sqrt and division are IEEE (correctly rounded) in every clone.
 */
#include "CKernels.h"
#include "ag_common.h"

#pragma clang fp contract(off)

#if __has_builtin(__builtin_elementwise_sqrt)
#define AG_SQRT(x) __builtin_elementwise_sqrt(x)
#else
#define AG_SQRT(x) __builtin_sqrt(x)
#endif

/* Runs LOOP(T, 1) when the optional pointer P is set, else LOOP(T, 0): the test stays out of the
   loop (see below). */
#define AG_UNSWITCHED(P, LOOP, T) \
    if (P) {                      \
        LOOP(T, 1)                \
    } else {                      \
        LOOP(T, 0)                \
    }

/* The loop body, with the AMSGrad maximum as a compile-time choice: a run-time test inside the
   loop becomes masked loads and stores through vmax, which on AMD cost a microcode assist per
   vector when vmax is NULL (a 10x slower loop). */
#define AG_ADAM_LOOP(T, WITH_MAX)                                                                 \
    for (long i = 0; i < n; i++) {                                                                \
        T gi = g[i], pi = p[i];                                                                   \
        if (coupled) gi = gi + l2 * pi;                                                           \
        if (decoupled) pi = pi * decay;                                                           \
        T mi = b1 * m[i] + b1c * gi;                                                              \
        T vi = b2 * v[i] + b2c * (gi * gi);                                                       \
        m[i] = mi;                                                                                \
        v[i] = vi;                                                                                \
        if (WITH_MAX) {                                                                           \
            T w = vmax[i];                                                                        \
            vi = (w != w || w >= vi) ? w : vi;                                                    \
            vmax[i] = vi;                                                                         \
        }                                                                                         \
        out[i] = pi - size * mi / (AG_SQRT(vi / c2) + eps);                                       \
    }

#define AG_DEFINE_ADAM(SUFFIX, T)                                                                 \
    AG_MULTIVERSION void ag_adam_step_##SUFFIX(const T *restrict p, const T *restrict g,          \
                                               T *restrict m, T *restrict v, T *restrict vmax,    \
                                               T *restrict out, long n, const double *c) {        \
        const T b1 = (T)c[0], b1c = (T)c[1], b2 = (T)c[2], b2c = (T)c[3], eps = (T)c[4];          \
        const T size = (T)c[5], c2 = (T)c[6], l2 = (T)c[7], decay = (T)c[8];                      \
        const int coupled = c[7] != 0, decoupled = c[8] != 1;                                     \
        AG_UNSWITCHED(vmax, AG_ADAM_LOOP, T)                                                      \
    }

AG_DEFINE_ADAM(f32, float)
AG_DEFINE_ADAM(f64, double)

/* One SGD step per element (see Kernels.sgdStep in Swift): c = {lr, μ, 1−τ, λ}, flags bit 0:
   first step (b ← g), bit 1: Nesterov. b is NULL without momentum (its loop is separate, for the
   reason given above for vmax). */
#define AG_SGD_LOOP(T, WITH_MOMENTUM)                                                             \
    for (long i = 0; i < n; i++) {                                                                \
        T gi = g[i];                                                                              \
        if (decay) gi = gi + wd * p[i];                                                           \
        if (WITH_MOMENTUM) {                                                                      \
            T bi = first ? gi : mu * b[i] + damp * gi;                                            \
            b[i] = bi;                                                                            \
            gi = nesterov ? gi + mu * bi : bi;                                                    \
        }                                                                                         \
        out[i] = p[i] - lr * gi;                                                                  \
    }

#define AG_DEFINE_SGD(SUFFIX, T)                                                                  \
    AG_MULTIVERSION void ag_sgd_step_##SUFFIX(const T *restrict p, const T *restrict g,           \
                                              T *restrict b, T *restrict out, long n,             \
                                              const double *c, int flags) {                       \
        const T lr = (T)c[0], mu = (T)c[1], damp = (T)c[2], wd = (T)c[3];                         \
        const int decay = c[3] != 0, first = flags & 1, nesterov = (flags >> 1) & 1;              \
        AG_UNSWITCHED(b, AG_SGD_LOOP, T)                                                          \
    }

AG_DEFINE_SGD(f32, float)
AG_DEFINE_SGD(f64, double)
