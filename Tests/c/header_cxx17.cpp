// The header must compile as C++17 with -Wall -Wextra -Werror -pedantic (make test-c).
#include "plumb.h"

static_assert(PLUMB_VERSION_MAJOR >= 0, "version macro");
static_assert(sizeof(plumb_error_stats) == 7 * 8, "plumb_error_stats layout");

int main() {
  plumb_error_stats stats{};
  (void)stats;
  return plumb_status_string(PLUMB_OK) == nullptr;
}
