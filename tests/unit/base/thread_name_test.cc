// SetThreadName: the name the operator's tools show (top -H, ps -L, /proc/<pid>/task/<tid>/comm).
#include "base/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace bitten {
namespace {

std::string NameOfThisThread() {
  char buf[32] = {};
  EXPECT_EQ(pthread_getname_np(pthread_self(), buf, sizeof buf), 0);
  return buf;
}

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const std::string before = NameOfThisThread();
  std::string inside;
  std::thread t([&] {
    SetThreadName("bitten-writer");
    inside = NameOfThisThread();
  });
  t.join();
  EXPECT_EQ(inside, "bitten-writer");
  EXPECT_EQ(NameOfThisThread(), before);
}

TEST(ThreadName, ALongNameIsCutToTheKernelsFifteenBytes) {
  std::string inside;
  std::thread t([&] {
    SetThreadName("bitten-a-very-long-thread-name");
    inside = NameOfThisThread();
  });
  t.join();
  EXPECT_EQ(inside, "bitten-a-very-l");
}

}  // namespace
}  // namespace bitten
