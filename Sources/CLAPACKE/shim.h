#ifndef AUTOGRAD_CLAPACKE_SHIM_H
#define AUTOGRAD_CLAPACKE_SHIM_H
#include <lapacke.h>
#endif
