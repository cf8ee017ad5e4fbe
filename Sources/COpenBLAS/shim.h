#ifndef AUTOGRAD_COPENBLAS_SHIM_H
#define AUTOGRAD_COPENBLAS_SHIM_H
// OpenBLAS's CBLAS header; it also declares openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>
#endif
