// Errors as values (STYLE.md habit 2). An Error carries a stable machine code (snake_case, the same
// codes the HTTP API returns: "mission_expired", "bad_request", ...) and a message a person can act
// on. Expected failures return Result<T>; broken invariants abort (see BITTEN_CHECK).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace bitten {

struct Error {
  std::string code;     // stable, snake_case, e.g. "bad_request"
  std::string message;  // human sentence naming the file/line/setting at fault where there is one
};

template <typename T>
using Result = tl::expected<T, Error>;

// Returns tl::unexpected<Error>{...} so that `return Fail("code", "msg");` works for any Result<T>.
inline tl::unexpected<Error> Fail(std::string code, std::string message) {
  return tl::unexpected<Error>(Error{std::move(code), std::move(message)});
}

// Void result: Status is Result<void>.
using Status = Result<void>;
inline Status Ok() { return {}; }

[[noreturn]] inline void CheckFailed(const char* expr, const char* file, int line,
                                     const char* msg) {
  std::fprintf(stderr, "BITTEN_CHECK failed: %s at %s:%d: %s\n", expr, file, line, msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace bitten

// A broken invariant stops the process loudly; the supervisor restarts it and recovery takes over.
#define BITTEN_CHECK(cond, msg) \
  ((cond) ? (void)0 : ::bitten::CheckFailed(#cond, __FILE__, __LINE__, (msg)))
