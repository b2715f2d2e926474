/* Shared by the C tests: CHECK records a failure (with the library's last error) and goes on, so
 * one run reports every broken case; main returns `failures != 0`. */
#ifndef PLUMB_TEST_CHECK_H
#define PLUMB_TEST_CHECK_H

#include <stdio.h>

#include "plumb.h"

static int failures = 0;

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "FAIL %s:%d: CHECK(%s): ", __FILE__, __LINE__, #cond);    \
      fprintf(stderr, __VA_ARGS__);                                             \
      fprintf(stderr, " [last error: %s]\n", plumb_last_error());               \
      failures++;                                                               \
    }                                                                           \
  } while (0)

#endif
