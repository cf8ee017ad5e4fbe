/* Internal helpers shared by the CKernels sources (not part of the public API). */
#ifndef AG_COMMON_H
#define AG_COMMON_H

#include <stdint.h> /* also defines __GLIBC__ where the C library is glibc */

/* Per-CPU versions without compiler flags: on x86-64 each exported kernel is
 * compiled three times and a load-time resolver (ifunc) picks the best one.
 * ifuncs need ELF + glibc; elsewhere (macOS, musl, other architectures) there is
 * one baseline version, still auto-vectorised for the baseline vector unit.
 * Everything a kernel calls is AG_INLINE, so it is compiled inside each clone
 * with that clone's instruction set (and vectorised for it).  -DAG_NO_CLONES builds a
 * single version (for testing). */
#if defined(__x86_64__) && defined(__clang__) && defined(__ELF__) && defined(__GLIBC__) && \
    !defined(AG_NO_CLONES)
#define AG_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AG_MULTIVERSION
#endif

#define AG_INLINE static inline __attribute__((always_inline))

/* Defines `void NAME(const T *x, T *y, long n)` computing y[i] = F(x[i]).
 * The in-place case gets its own loop so that the general one can take
 * non-aliasing (restrict) pointers and vectorise without run-time overlap checks. */
#define AG_DEFINE_MAP(NAME, T, F)                                                  \
    AG_INLINE void NAME##_out(const T *restrict x, T *restrict y, long n) {        \
        for (long i = 0; i < n; i++) y[i] = F(x[i]);                               \
    }                                                                              \
    AG_INLINE void NAME##_in(T *p, long n) {                                       \
        for (long i = 0; i < n; i++) p[i] = F(p[i]);                               \
    }                                                                              \
    AG_MULTIVERSION void NAME(const T *x, T *y, long n) {                          \
        if (x == y) NAME##_in(y, n); else NAME##_out(x, y, n);                     \
    }

#endif /* AG_COMMON_H */
