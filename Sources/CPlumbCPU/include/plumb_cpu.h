/* CPU feature check for plumb's dispatched kernels (internal; not part of the C API). */
#ifndef PLUMB_CPU_H
#define PLUMB_CPU_H

/* 1 when the CPU and the OS support every instruction-set extension LLVM's "haswell" target may
 * use (AVX, AVX2, FMA, BMI1/2, LZCNT, MOVBE, F16C, POPCNT), else 0. */
int plumbcpu_has_haswell(void);

#endif
