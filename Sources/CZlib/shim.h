// zlib, as a Swift module. `inflateInit2` and `deflateInit2` are C macros, which Swift does not
// import, so they are wrapped here in static inline functions.
#include <zlib.h>

static inline int czlib_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

static inline int czlib_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
