/*
 * Elementwise exp, expm1, log, log1p, tanh, sigmoid for float32 and float64.
 *
 * One type-generic body (vecmath_impl.h) is instantiated for each type below; the
 * loops are plain branch-free C (no libm calls) that clang auto-vectorises inside
 * every per-CPU clone (AG_MULTIVERSION: AVX-512, AVX2+FMA, SSE2).  float32 is
 * computed in float32; float64 additionally carries rounding errors (C_COMPENSATED).
 *
 * exp / expm1: x = k ln2 + r, |r| <= ln2/2, k = round(x/ln2) by the 1.5*2^p shifter,
 *   ln2 split hi+lo (Cody-Waite, k*hi exact).  expm1(r) = r + r^2 P(r):
 *   f64: P = Taylor series to degree 13 (truncation < 4e-18 relative), with the
 *        reduction error and 1 + r carried as Fast2Sum pairs;
 *   f32: P = degree-6 minimax for exp on [-ln2/2, ln2/2] (Remez exchange, relative
 *        error 2^-28.3), Horner.
 *   exp = 2^k (1 + expm1(r)); 2^k is applied as two exact power-of-two factors, so
 *   overflow gives inf and subnormal results are rounded once (never flushed).
 *   expm1 = 2^k ((1 - 2^-k) + r + tail) with the first sum compensated; tiny |x| -> x.
 * log / log1p: fdlibm e_log.c / e_logf.c: x = 2^k m, m in [sqrt(1/2), sqrt(2)),
 *   f = m - 1, s = f/(2+f), log(1+f) = f - f^2/2 + s (f^2/2 + R(s^2)) with fdlibm's
 *   minimax R (f64 Lg1..Lg7, |error| < 2^-58.45; f32 Lg1..Lg4, < 2^-34.24).
 *   Subnormal inputs are pre-scaled.  log1p: u = 1 + x = 2^k (1 + f); for k = 0 the
 *   kernel runs on f = x exactly, else log(u) + c/u with c = 1 + x - u (TwoSum).
 * tanh: f64: |x| < 0.625: Cephes tanh.c rational x + x z P(z)/Q(z), z = x^2 (degrees
 *   2/3), else (1 - e)/(1 + e), e = exp(-2|x|), numerator and denominator as pairs;
 *   f32: one formula, e = 2^k (1 + m), m = expm1(r): ((1 - 2^k) - 2^k m) /
 *   ((1 + 2^k) + 2^k m), exact 1 +- 2^k, so no cancellation near 0.  Sign last.
 * sigmoid: e = exp(-|x|); 1/(1+e) for x >= 0, e/(1+e) for x < 0 (f64: first-order
 *   correction for the roundings of e and 1 + e).
 *
 * Measured max error, in ulps of the result:
 *   f32, exhaustive over every float input (AVX2+FMA clone; SSE2 clone for exp, expm1,
 *   tanh, sigmoid), vs the correctly rounded value:  exp 0.89 (SSE2: 1.16), expm1 1.05,
 *   log 0.84, log1p 0.84, tanh 1.98, sigmoid 2.40.
 *   f64, 2e6 random points per function (log-uniform over the whole range plus
 *   uniform over the core range), vs a long double reference:  exp 0.73, expm1 0.89,
 *   log 0.82, log1p 0.80, tanh 1.00, sigmoid 1.05; vs glibc at most 1 ulp apart,
 *   except tanh 2 (glibc's own tanh is up to 2.03 ulp off).
 */
#include <math.h> /* INFINITY and NAN only: nothing here calls libm */

#include "ag_common.h"
#include "CKernels.h"

/* ---------------------------------------------------------------- float32 */
#define T float
#define U uint32_t
#define S int32_t
#define FN(name) name##_f32
#define MANT 23
#define BIAS 127
#define C_COMPENSATED 0
#define C_SHIFT 0x1.8p23f
#define C_LOG2E 0x1.715476p+0f
#define C_LN2_HI 0x1.62e4p-1f          /* 15 significant bits: k * C_LN2_HI exact */
#define C_LN2_LO 0x1.7f7d1cp-20f
#define C_EXP_HI 89.0f
#define C_EXP_LO -104.0f
#define C_EXPM1_LO -20.0f
#define C_TINY 0x1p-30f
#define C_MIN_NORMAL 0x1p-126f
#define C_SUB_SCALE 0x1p23f
#define C_SUB_LOG2 23
#define C_2P_MANT 0x1p23f
#define C_SQRTH_BITS 0x3f3504f3u        /* sqrt(1/2) */
/* exp(r) = 1 + r + r^2 P(r) is the degree-6 minimax on [-ln2/2, ln2/2] (relative error
 * 2^-28.3, Remez exchange); log_p: fdlibm e_logf.c Lg1..Lg4. */
static const float exp_p_f32[] = {0x1.fffffcp-2f, 0x1.55549p-3f, 0x1.5558fap-5f, 0x1.123b64p-7f,
                                  0x1.6a21b6p-10f};
static const float log_p_f32[] = {0xaaaaaa.0p-24f, 0xccce13.0p-25f, 0x91e9ee.0p-25f, 0xf89e26.0p-26f};
#define tanh_q_f32(z) 0 /* unused: float tanh has no separate small-|x| path */
#include "vecmath_impl.h"
#undef T
#undef U
#undef S
#undef FN
#undef MANT
#undef BIAS
#undef C_COMPENSATED
#undef C_SHIFT
#undef C_LOG2E
#undef C_LN2_HI
#undef C_LN2_LO
#undef C_EXP_HI
#undef C_EXP_LO
#undef C_EXPM1_LO
#undef C_TINY
#undef C_MIN_NORMAL
#undef C_SUB_SCALE
#undef C_SUB_LOG2
#undef C_2P_MANT
#undef C_SQRTH_BITS

/* ---------------------------------------------------------------- float64 */
#define T double
#define U uint64_t
#define S int64_t
#define FN(name) name##_f64
#define MANT 52
#define BIAS 1023
#define C_COMPENSATED 1
#define C_SHIFT 0x1.8p52
#define C_LOG2E 0x1.71547652b82fep+0
#define C_LN2_HI 0x1.62e42feep-1       /* fdlibm ln2_hi, 32 significant bits */
#define C_LN2_LO 0x1.a39ef35793c76p-33
#define C_EXP_HI 710.0
#define C_EXP_LO -746.0
#define C_EXPM1_LO -40.0
#define C_TINY 0x1p-60
#define C_MIN_NORMAL 0x1p-1022
#define C_SUB_SCALE 0x1p52
#define C_SUB_LOG2 52
#define C_2P_MANT 0x1p52
#define C_SQRTH_BITS 0x3fe6a09e667f3bcdu
/* Taylor coefficients 1/n!, n = 2..13; log_p: fdlibm e_log.c Lg1..Lg7. */
static const double exp_p_f64[] = {
    1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880,
    1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800};
static const double log_p_f64[] = {6.666666666666735130e-01, 3.999999999940941908e-01,
                                   2.857142874366239149e-01, 2.222219843214978396e-01,
                                   1.818357216161805012e-01, 1.531383769920937332e-01,
                                   1.479819860511658591e-01};
AG_INLINE double tanh_q_f64(double z) {
    double p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z
               - 1.61468768441708447952e3;
    double q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z
               + 4.84406305325125486048e3;
    return z * p / q;
}
#include "vecmath_impl.h"

/* ---------------------------------------------------------------- exports */
AG_DEFINE_MAP(ag_exp_f32, float, exp_f32)
AG_DEFINE_MAP(ag_exp_f64, double, exp_f64)
AG_DEFINE_MAP(ag_log_f32, float, log_f32)
AG_DEFINE_MAP(ag_log_f64, double, log_f64)
AG_DEFINE_MAP(ag_tanh_f32, float, tanh_f32)
AG_DEFINE_MAP(ag_tanh_f64, double, tanh_f64)
AG_DEFINE_MAP(ag_sigmoid_f32, float, sigmoid_f32)
AG_DEFINE_MAP(ag_sigmoid_f64, double, sigmoid_f64)
AG_DEFINE_MAP(ag_expm1_f32, float, expm1_f32)
AG_DEFINE_MAP(ag_expm1_f64, double, expm1_f64)
AG_DEFINE_MAP(ag_log1p_f32, float, log1p_f32)
AG_DEFINE_MAP(ag_log1p_f64, double, log1p_f64)

/* sqrt: a plain loop; the compiler turns it into vsqrtps/vsqrtpd in each clone (correctly
   rounded, as IEEE sqrt must be). */
#if __has_builtin(__builtin_elementwise_sqrt)
AG_INLINE float sqrt_f32(float x) { return __builtin_elementwise_sqrt(x); }   /* no errno: vectorises */
AG_INLINE double sqrt_f64(double x) { return __builtin_elementwise_sqrt(x); }
#else
AG_INLINE float sqrt_f32(float x) { return __builtin_sqrtf(x); }
AG_INLINE double sqrt_f64(double x) { return __builtin_sqrt(x); }
#endif
AG_DEFINE_MAP(ag_sqrt_f32, float, sqrt_f32)
AG_DEFINE_MAP(ag_sqrt_f64, double, sqrt_f64)
