/*
 * Type-generic bodies of the elementwise functions; vecmath.c includes this file
 * once for float and once for double (see the algorithm notes there).  Before
 * each inclusion it defines:
 *   T, U          the float type and the unsigned integer type of the same width
 *   FN(name)      name##_f32 / name##_f64
 *   MANT, BIAS    mantissa bits and exponent bias
 *   FN(exp_p)[]   expm1(r) = r + r^2 * P(r) coefficients, FN(log_p)[] (fdlibm Lg1..)
 *   FN(tanh_q)(z) tanh(a) = a + a * Q(a^2) for a < 0.625
 *   the C_* constants used below.
 * Everything is straight-line code (selects, no branches, no libm calls) so that
 * the loops in AG_DEFINE_MAP vectorise.  Special values fall out of the arithmetic
 * or are patched by a final select.
 */

#define NPOLY(c) ((int)(sizeof(c) / sizeof((c)[0])))

AG_INLINE U FN(bits)(T x) { U u; __builtin_memcpy(&u, &x, sizeof u); return u; }
AG_INLINE T FN(from_bits)(U u) { T x; __builtin_memcpy(&x, &u, sizeof x); return x; }
AG_INLINE T FN(fabs)(T x) { return FN(from_bits)(FN(bits)(x) & ~((U)1 << (8 * sizeof(U) - 1))); }
AG_INLINE T FN(copysign)(T mag, T sgn) {
    const U sign = (U)1 << (8 * sizeof(U) - 1);
    return FN(from_bits)((FN(bits)(mag) & ~sign) | (FN(bits)(sgn) & sign));
}
/* c[0] + c[1] r + ... + c[n-1] r^(n-1) (unrolled by the optimiser: n is a constant). */
AG_INLINE T FN(horner)(T r, const T *c, int n) {
    T p = c[n - 1];
    for (int i = n - 2; i >= 0; i--) p = p * r + c[i];
    return p;
}

/* 2^k for -BIAS < k <= BIAS, k in two's complement. */
AG_INLINE T FN(pow2)(U k) { return FN(from_bits)((k + BIAS) << MANT); }

/* y * 2^k for |k| < 2 * BIAS, as two exact power-of-two factors so that only the
 * last multiplication rounds (correct overflow to inf and subnormal results). */
AG_INLINE T FN(scale)(T y, U k) {
    const U off = 4 * (BIAS + 1);            /* even, > |k|: floor(k/2) without signed shifts */
    U k1 = ((k + off) >> 1) - (off >> 1);
    return y * FN(pow2)(k1) * FN(pow2)(k - k1);
}

/* For x in [C_EXPM1_LO, C_EXP_HI]: x = k ln2 + r, |r| <= ln2/2 (+ rounding);
 * sets *k and returns expm1(r).  NaN gives NaN (and a meaningless k). */
AG_INLINE T FN(expm1_reduced)(T x, U *k) {
    T kf = x * C_LOG2E + C_SHIFT;           /* round(x/ln2) lands in the low mantissa bits */
    *k = FN(bits)(kf) - FN(bits)(C_SHIFT);
    kf -= C_SHIFT;
    T r = (x - kf * C_LN2_HI) - kf * C_LN2_LO;  /* kf * C_LN2_HI is exact */
    return r + r * r * FN(horner)(r, FN(exp_p), NPOLY(FN(exp_p)));
}

AG_INLINE T FN(exp)(T x) {
    x = x > C_EXP_HI ? C_EXP_HI : x;        /* clamps keep k in range; NaN passes */
    x = x < C_EXP_LO ? C_EXP_LO : x;        /* exp(C_EXP_LO) rounds to 0, exp(C_EXP_HI) to inf */
    U k;
    T e = FN(expm1_reduced)(x, &k);
    return FN(scale)(1 + e, k);
}

AG_INLINE T FN(expm1)(T x) {
    T xc = x > C_EXP_HI ? C_EXP_HI : x;
    xc = xc < C_EXPM1_LO ? C_EXPM1_LO : xc; /* expm1(C_EXPM1_LO) rounds to -1 */
    U k;
    T e = FN(expm1_reduced)(xc, &k);
    /* expm1(x) = 2^k (e + 1 - 2^-k).  For k <= 2, 1 - t is exact; for larger k,
     * t = 2^-k is small and e - t + 1 rounds twice at most half an ulp of e each. */
    U kt = (S)k < BIAS - 1 ? k : (U)(BIAS - 1); /* t only matters for small k */
    T t = FN(pow2)(-kt);
    T y = (S)k <= 2 ? (1 - t) + e : (e - t) + 1;
    y = FN(scale)(y, k);
    return FN(fabs)(x) < C_TINY ? x : y;    /* keeps -0 and is exact for tiny x */
}

/* log(x) for x > 0 finite (fdlibm e_log.c scheme, branch-free):
 * x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f / (2 + f),
 * log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)). */
AG_INLINE T FN(log_finite)(T x) {
    int sub = x < C_MIN_NORMAL;
    x = sub ? x * C_SUB_SCALE : x;
    U ix = FN(bits)(x) + (FN(bits)(1) - C_SQRTH_BITS);  /* exponent field = k + BIAS */
    T kb = FN(from_bits)((ix >> MANT) | FN(bits)(C_2P_MANT)) - C_2P_MANT; /* k + BIAS, exact */
    T k = kb - (T)BIAS - (sub ? (T)C_SUB_LOG2 : 0);
    T f = FN(from_bits)((ix & (((U)1 << MANT) - 1)) + C_SQRTH_BITS) - 1;
    T s = f / (2 + f);
    T z = s * s;
    T R = z * FN(horner)(z, FN(log_p), NPOLY(FN(log_p)));
    T hfsq = (T)0.5 * f * f;
    return k * C_LN2_HI - ((hfsq - (s * (hfsq + R) + k * C_LN2_LO)) - f);
}

AG_INLINE T FN(log)(T x) {
    T y = FN(log_finite)(x);
    T special = x == 0 ? -(T)INFINITY : (x < 0 ? (T)NAN : x);  /* +inf, NaN: themselves */
    return ((x > 0) & (x < (T)INFINITY)) ? y : special;
}

/* log1p(x) = log(u) + c/u, where u + c = 1 + x exactly (TwoSum). */
AG_INLINE T FN(log1p)(T x) {
    T u = 1 + x;
    T xp = u - 1, one_p = u - xp;
    T c = (1 - one_p) + (x - xp);
    T y = FN(log)(u);
    y = ((u > 0) & (u < (T)INFINITY)) ? y + c / u : y;
    return FN(fabs)(x) < C_TINY ? x : y;    /* keeps -0 and is exact for tiny x */
}

/* tanh: a + a Q(a^2) for a = |x| < 0.625, else 1 - 2/(exp(2a) + 1) (-> 1 exactly
 * once exp(2a) is large or inf); the sign of x is put back last, so tanh(-0) = -0. */
AG_INLINE T FN(tanh)(T x) {
    T a = FN(fabs)(x);
    T small = a + a * FN(tanh_q)(a * a);
    T large = 1 - 2 / (FN(exp)(2 * a) + 1);
    return FN(copysign)(a < (T)0.625 ? small : large, x);
}

/* sigmoid: with e = exp(-|x|) in [0, 1], 1/(1+e) for x >= 0 and e/(1+e) for x < 0;
 * no overflow and no cancellation in either tail. */
AG_INLINE T FN(sigmoid)(T x) {
    T e = FN(exp)(-FN(fabs)(x));
    return (x >= 0 ? (T)1 : e) / (1 + e);
}

#undef NPOLY
