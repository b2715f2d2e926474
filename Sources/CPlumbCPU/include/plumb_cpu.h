/* CPU feature checks and memory hints for plumb's kernels (internal; not part of the C API). */
#ifndef PLUMB_CPU_H
#define PLUMB_CPU_H

/* 1 when the CPU and the OS support every instruction-set extension LLVM's "haswell" target may
 * use (AVX, AVX2, FMA, BMI1/2, LZCNT, MOVBE, F16C, POPCNT), else 0. */
int plumbcpu_has_haswell(void);

/* 1 when, besides plumbcpu_has_haswell(), the CPU has AVX-512 F, CD, BW, DQ and VL (the
 * x86-64-v4 set) and the OS saves the opmask and ZMM registers, else 0. */
int plumbcpu_has_avx512(void);

/* Eight floats, as Swift's SIMD8<Float>; eight doubles, as SIMD8<Double>. */
typedef float plumbcpu_float8 __attribute__((vector_size(32)));
typedef double plumbcpu_double8 __attribute__((vector_size(64)));

/* v widened to binary64 (exact), inlined into the caller with the caller's instruction set. Swift's
 * SIMD8<Double>(SIMD8<Float>) is a generic initializer that the optimizer may leave as a call to a
 * specialisation which every module emits under one symbol name, so that the dynamic linker binds
 * the AVX-512 and AVX2 kernels to the baseline (SSE) copy. */
static inline __attribute__((always_inline)) plumbcpu_double8 plumbcpu_widen_float8(plumbcpu_float8 v) {
  return __builtin_convertvector(v, plumbcpu_double8);
}

/* A spin-wait hint: lets the core's other hardware thread run and saves power in busy-wait loops. */
static inline __attribute__((always_inline)) void plumbcpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* A hint to bring the cache line holding p into cache for reading soon (no fault on any address). */
static inline __attribute__((always_inline)) void plumbcpu_prefetch(const void *p) {
  __builtin_prefetch(p, 0, 3);
}

/* As plumbcpu_prefetch, into the second-level cache and not the first: for data wanted after the
 * current working set, which a first-level fill would evict (x86's prefetcht1). */
static inline __attribute__((always_inline)) void plumbcpu_prefetch_l2(const void *p) {
  __builtin_prefetch(p, 0, 2);
}

/* Stores v at p (32-byte aligned) past the caches (a non-temporal store): for outputs far larger
 * than the caches, which would only evict the inputs, and whose lines need not be read first. Such
 * stores are weakly ordered: call plumbcpu_store_fence() before the data is handed on. */
static inline __attribute__((always_inline)) void plumbcpu_stream_float8(float *p, plumbcpu_float8 v) {
  __builtin_nontemporal_store(v, (plumbcpu_float8 *)p);
}

/* Orders every earlier store, non-temporal ones too, before every later one. */
static inline __attribute__((always_inline)) void plumbcpu_store_fence(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_sfence();
#else
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

#endif
