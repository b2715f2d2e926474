#ifndef PLUMB_CNUMERICS_SHIM_H
#define PLUMB_CNUMERICS_SHIM_H
#include <gmp.h>
#include <mpfr.h>
#endif
