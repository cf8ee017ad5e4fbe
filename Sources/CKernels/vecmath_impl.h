/*
 * Type-generic bodies of the elementwise functions; vecmath.c includes this file
 * once for float and once for double (see the algorithm notes there).  Before
 * each inclusion it defines:
 *   T, U          the float type and the unsigned integer type of the same width
 *   FN(name)      name##_f32 / name##_f64
 *   MANT, BIAS    mantissa bits and exponent bias
 *   FN(exp_p)[]   expm1(r) = r + r^2 * P(r) coefficients, FN(log_p)[] (fdlibm Lg1..)
 *   FN(tanh_q)(z) tanh(a) = a + a * Q(a^2) for a < 0.625 (double only)
 *   C_COMPENSATED 1: carry rounding errors through exp, tanh, sigmoid (double);
 *                 0: plain evaluation, a few ulp-tenths less accurate and much cheaper
 *   the C_* constants used below.
 * Everything is straight-line code (selects, no branches, no libm calls) so that
 * the loops in AG_DEFINE_MAP vectorise.  Special values fall out of the arithmetic
 * or are patched by a final select.
 */

#define NPOLY(c) ((int)(sizeof(c) / sizeof((c)[0])))

AG_INLINE U FN(bits)(T x) { U u; __builtin_memcpy(&u, &x, sizeof u); return u; }
AG_INLINE T FN(from_bits)(U u) { T x; __builtin_memcpy(&x, &u, sizeof x); return x; }
AG_INLINE T FN(fabs)(T x) { return FN(from_bits)(FN(bits)(x) & ~((U)1 << (8 * sizeof(U) - 1))); }
/* y with its sign flipped where sgn is negative: copysign(y, sgn) for y >= +0. */
AG_INLINE T FN(xorsign)(T y, T sgn) {
    return FN(from_bits)(FN(bits)(y) ^ (FN(bits)(sgn) & ((U)1 << (8 * sizeof(U) - 1))));
}
/* c[0] + c[1] r + ... + c[n-1] r^(n-1) (unrolled by the optimiser: n is a constant). */
AG_INLINE T FN(horner)(T r, const T *c, int n) {
    T p = c[n - 1];
    for (int i = n - 2; i >= 0; i--) p = p * r + c[i];
    return p;
}

/* 2^k for -BIAS < k <= BIAS, k in two's complement. */
AG_INLINE T FN(pow2)(U k) { return FN(from_bits)((k + BIAS) << MANT); }

/* y * 2^k for -2 BIAS < k < 2 BIAS, as two exact power-of-two factors so that only
 * the last multiplication rounds (correct overflow to inf and subnormal results). */
AG_INLINE T FN(scale)(T y, U k) {
    U e = k + 2 * BIAS;                     /* = (k1 + BIAS) + (k2 + BIAS), positive */
    U e1 = e >> 1;
    return y * FN(from_bits)(e1 << MANT) * FN(from_bits)((e - e1) << MANT);
}

/* For x in [C_EXPM1_LO, C_EXP_HI]: x = k ln2 + r + c with |r| <= ln2/2 (+ rounding)
 * and, if C_COMPENSATED, c the rounding error of r (else c = 0); sets *k and returns
 * r, with *tail such that expm1(r + c) = r + *tail.  NaN gives NaN (and any k). */
AG_INLINE T FN(exp_reduce)(T x, U *k, T *tail) {
    T kf = x * C_LOG2E + C_SHIFT;           /* round(x/ln2) lands in the low mantissa bits */
    *k = FN(bits)(kf) - FN(bits)(C_SHIFT);
    kf -= C_SHIFT;
    T hi = x - kf * C_LN2_HI;               /* exact: kf * C_LN2_HI is exact, then Sterbenz */
    if (!C_COMPENSATED) {
        T r = hi - kf * C_LN2_LO;
        *tail = r * r * FN(horner)(r, FN(exp_p), NPOLY(FN(exp_p)));
        return r;
    }
    T lo = kf * C_LN2_LO;
    T r = hi - lo;
    T c = (hi - r) - lo;                    /* Fast2Sum error of r */
    *tail = r * r * FN(horner)(r, FN(exp_p), NPOLY(FN(exp_p))) + (c + c * r);
    return r;
}

/* exp(x) = hi + *lo, the pair accurate far below an ulp of hi (lo, used by tanh and
 * sigmoid, is 0 unless C_COMPENSATED).  full = 0 promises |x| <= 80 or NaN (then
 * no clamping and no subnormal results, so 2^k is one factor). */
AG_INLINE T FN(exp_dd)(T x, T *lo, int full) {
    if (full) {
        x = x > C_EXP_HI ? C_EXP_HI : x;    /* clamps keep k in range; NaN passes */
        x = x < C_EXP_LO ? C_EXP_LO : x;    /* exp(C_EXP_LO) rounds to 0, exp(C_EXP_HI) to inf */
    }
    U k;
    T tail, r = FN(exp_reduce)(x, &k, &tail);
    T v, vlo = 0;
    if (C_COMPENSATED) {
        T a = 1 + r;
        T corr = ((1 - a) + r) + tail;      /* adds back the rounding error of a */
        v = a + corr;
        vlo = (a - v) + corr;
    } else {                                /* plain Horner, ~1 ulp */
        v = 1 + r * (1 + r * FN(horner)(r, FN(exp_p), NPOLY(FN(exp_p))));
    }
    if (!full) {
        T s = FN(pow2)(k);
        *lo = C_COMPENSATED ? vlo * s : 0;
        return v * s;
    }
    *lo = C_COMPENSATED ? FN(scale)(vlo, k) : 0;
    return FN(scale)(v, k);
}

AG_INLINE T FN(exp)(T x) {
    T lo;
    return FN(exp_dd)(x, &lo, 1);
}

AG_INLINE T FN(expm1)(T x) {
    T xc = x > C_EXP_HI ? C_EXP_HI : x;
    xc = xc < C_EXPM1_LO ? C_EXPM1_LO : xc; /* expm1(C_EXPM1_LO) rounds to -1 */
    U k;
    T tail, r = FN(exp_reduce)(xc, &k, &tail);
    /* expm1(x) = 2^k ((1 - 2^-k) + r + tail).  h = 1 - 2^-k is exact for k < MANT (for
     * larger k, -2^-k moves into the small part l); a = h + r is compensated
     * (Fast2Sum: |h| >= |r| or h = 0), so no cancellation error survives. */
    S ks = (S)k;
    T t = FN(pow2)(-(ks < BIAS - 1 ? k : (U)(BIAS - 1)));  /* 2^-k, or a negligible 2^(1-BIAS) */
    T h = ks < MANT ? 1 - t : 1;
    T l = ks < MANT ? 0 : -t;
    T a = h + r;
    T y = FN(scale)(a + (((h - a) + r) + (l + tail)), k);
    return FN(fabs)(x) < C_TINY ? x : y;    /* keeps -0 and is exact for tiny x */
}

/* log(2^k (1 + f)) + c for f in [sqrt(1/2) - 1, sqrt(2) - 1] (fdlibm e_log.c scheme):
 * s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)). */
AG_INLINE T FN(log_kernel)(T k, T f, T c) {
    T s = f / (2 + f);
    T z = s * s;
    T R = z * FN(horner)(z, FN(log_p), NPOLY(FN(log_p)));
    T hfsq = (T)0.5 * f * f;
    return k * C_LN2_HI - ((hfsq - (s * (hfsq + R) + (k * C_LN2_LO + c))) - f);
}

/* x = 2^k m with m in [sqrt(1/2), sqrt(2)), for x > 0 finite (subnormals pre-scaled);
 * returns k (exact, as T) and sets *f = m - 1 (exact). */
AG_INLINE T FN(log_split)(T x, T *f) {
    int sub = x < C_MIN_NORMAL;
    x = sub ? x * C_SUB_SCALE : x;
    U ix = FN(bits)(x) + (FN(bits)(1) - C_SQRTH_BITS);  /* exponent field = k + BIAS */
    *f = FN(from_bits)((ix & (((U)1 << MANT) - 1)) + C_SQRTH_BITS) - 1;
    T kb = FN(from_bits)((ix >> MANT) | FN(bits)(C_2P_MANT)) - C_2P_MANT; /* k + BIAS */
    return kb - (T)BIAS - (sub ? (T)C_SUB_LOG2 : 0);
}

/* y where x is positive and finite, else log's value for x (0, < 0, +inf, NaN). */
AG_INLINE T FN(log_special)(T x, T y) {
    T special = x == 0 ? -(T)INFINITY : (x < 0 ? (T)NAN : x);
    return ((x > 0) & (x < (T)INFINITY)) ? y : special;
}

AG_INLINE T FN(log)(T x) {
    T f, k = FN(log_split)(x, &f);
    return FN(log_special)(x, FN(log_kernel)(k, f, 0));
}

/* log1p: u = 1 + x = 2^k (1 + f).  For k = 0, f = u - 1 + (1 + x - u) = x exactly.
 * Otherwise log1p(x) = log(u) + c/u, c = 1 + x - u exact (TwoSum); |log1p(x)| > 0.34
 * there, so the correction does not cancel. */
AG_INLINE T FN(log1p)(T x) {
    T u = 1 + x;
    T xp = u - 1, one_p = u - xp;
    T c = (1 - one_p) + (x - xp);
    T f, k = FN(log_split)(u, &f);
    T y = k == 0 ? FN(log_kernel)(0, x, 0) : FN(log_kernel)(k, f, c / u);
    y = FN(log_special)(u, y);
    return FN(fabs)(x) < C_TINY ? x : y;    /* keeps -0 and is exact for tiny x */
}

/* tanh(a), a = |x|, with e = exp(-2a) (-2a capped at -40, where tanh rounds to 1):
 * double: a + a Q(a^2) for a < 0.625, else (1 - e)/(1 + e) with e, 1 - e and 1 + e
 *   carried as pairs and the quotient corrected to first order;
 * float: one formula, e = 2^k (1 + m) with m = expm1(r): (1 - e)/(1 + e) =
 *   ((1 - 2^k) - 2^k m) / ((1 + 2^k) + 2^k m), 1 +- 2^k exact, so no cancellation
 *   for small a (k = 0: -m / (2 + m)).
 * The sign of x is put back last, so tanh(-0) = -0. */
AG_INLINE T FN(tanh)(T x) {
    T a = FN(fabs)(x);
    T m2a = -2 * a;
    m2a = m2a < -40 ? -40 : m2a;
    T y;
    if (C_COMPENSATED) {
        T small = a + a * FN(tanh_q)(a * a);
        T elo, e = FN(exp_dd)(m2a, &elo, 0);
        T n = 1 - e, d = 1 + e;
        T large = n / d;
        T nlo = ((1 - n) - e) - elo, dlo = ((1 - d) + e) + elo; /* Fast2Sum: e <= 1 */
        T rd = (T)1.5 - (T)0.5 * d;         /* ~1/d for d in [1, 2] (12%), then one */
        rd = rd * (2 - d * rd);             /* Newton step (1.5%): enough for a correction */
        large += (nlo - large * dlo) * rd;
        y = a < (T)0.625 ? small : large;
    } else {
        U k;
        T tail, r = FN(exp_reduce)(m2a, &k, &tail);
        T m = r + tail, s = FN(pow2)(k);
        y = ((1 - s) - s * m) / ((1 + s) + s * m);
    }
    return FN(xorsign)(y, x);
}

/* sigmoid: with e = exp(-|x|) in [0, 1], 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0
 * (no overflow, no cancellation in either tail).  For double, e + elo and
 * 1 + e = d + dlo are carried as pairs and the quotient is corrected to first order. */
AG_INLINE T FN(sigmoid)(T x) {
    T elo, e = FN(exp_dd)(-FN(fabs)(x), &elo, 1);
    T d = 1 + e;
    T q = (x >= 0 ? 1 : e) / d;
    if (!C_COMPENSATED) return q;
    T dlo = ((1 - d) + e) + elo;            /* Fast2Sum: e <= 1 */
    T rd = (T)1.5 - (T)0.5 * d;             /* ~1/d for d in [1, 2] (12%), then one */
    rd = rd * (2 - d * rd);                 /* Newton step (1.5%): enough for a correction */
    return q + ((x >= 0 ? 0 : elo) - q * dlo) * rd;
}

#undef NPOLY
