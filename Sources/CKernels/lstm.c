/*
 * The elementwise part of one LSTM time step for one batch row, forward and backward.
 * Gate pre-activations / activations z are laid out as four blocks of H: i, f, o, g.
 * The pointers are restrict (the caller passes disjoint rows), so the loops vectorise
 * without run-time overlap checks; the Swift versions ran one element at a time
 * (6% of an LSTM training step).
 */
#include "CKernels.h"
#include "ag_common.h"

/* Backward: from the activations z (i, f, o, g after their nonlinearities), tanh(c_t) tc,
 * c_{t-1} cp, the output cotangent g and the carried cotangents dh (read) and dc (read and
 * updated to the cotangent of c_{t-1}), writes the pre-activation cotangents dz (4H). */
#define AG_DEFINE_LSTM_BACKWARD(NAME, T)                                                     \
    AG_MULTIVERSION void NAME(const T *restrict z, const T *restrict tc, const T *restrict cp, \
                              const T *restrict g, const T *restrict dh, T *restrict dc,      \
                              T *restrict dz, long H) {                                       \
        for (long j = 0; j < H; j++) {                                                        \
            T i = z[j], f = z[H + j], o = z[2 * H + j], gg = z[3 * H + j], t = tc[j];         \
            T dhj = dh[j] + g[j];                                                             \
            T dcj = dc[j] + dhj * o * (1 - t * t);                                            \
            dz[j] = dcj * gg * i * (1 - i);                                                   \
            dz[H + j] = dcj * cp[j] * f * (1 - f);                                            \
            dz[2 * H + j] = dhj * t * o * (1 - o);                                            \
            dz[3 * H + j] = dcj * i * (1 - gg * gg);                                          \
            dc[j] = dcj * f;                                                                  \
        }                                                                                     \
    }

AG_DEFINE_LSTM_BACKWARD(ag_lstm_backward_row_f32, float)
AG_DEFINE_LSTM_BACKWARD(ag_lstm_backward_row_f64, double)

/* Forward, after the gate nonlinearities: c = f*c_{t-1} + i*g from z and cp. */
#define AG_DEFINE_LSTM_CELL(NAME, T)                                                          \
    AG_MULTIVERSION void NAME(const T *restrict z, const T *restrict cp, T *restrict c,       \
                              long H) {                                                       \
        for (long j = 0; j < H; j++) c[j] = z[H + j] * cp[j] + z[j] * z[3 * H + j];           \
    }

AG_DEFINE_LSTM_CELL(ag_lstm_cell_row_f32, float)
AG_DEFINE_LSTM_CELL(ag_lstm_cell_row_f64, double)
