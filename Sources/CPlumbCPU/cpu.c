#include "plumb_cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int plumbcpu_has_haswell(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const unsigned leaf1 = (1u << 12) | (1u << 22) | (1u << 23) | (1u << 27) | (1u << 28) | (1u << 29);
  if ((c & leaf1) != leaf1) return 0; /* FMA, MOVBE, POPCNT, OSXSAVE, AVX, F16C */
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 6u) != 6u) return 0; /* the OS saves XMM and YMM state */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned leaf7 = (1u << 3) | (1u << 5) | (1u << 8);
  if ((b & leaf7) != leaf7) return 0; /* BMI1, AVX2, BMI2 */
  if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return 0;
  return (c & (1u << 5)) != 0; /* LZCNT */
}

int plumbcpu_has_avx512(void) {
  if (!plumbcpu_has_haswell()) return 0;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned leaf7 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
  if ((b & leaf7) != leaf7) return 0; /* AVX512F, AVX512DQ, AVX512CD, AVX512BW, AVX512VL */
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & 0xe6u) == 0xe6u; /* the OS saves XMM, YMM, opmask and all ZMM state */
}
#else
int plumbcpu_has_haswell(void) { return 0; }
int plumbcpu_has_avx512(void) { return 0; }
#endif
