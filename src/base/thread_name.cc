#include "base/thread_name.h"

#include <pthread.h>

#include <string>

namespace bitten {

void SetThreadName(std::string_view name) {
  // pthread_setname_np takes at most 16 bytes with the terminating NUL.
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace bitten
