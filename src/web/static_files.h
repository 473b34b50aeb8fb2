// Static files for the Router (the HUD and admin pages): maps a URL under a prefix to a file under
// a directory, refusing any path that would leave it. Internal to web/; see Router::ServeStatic for
// the behaviour promised to callers.
//
// Thread-safety: StaticDir is immutable after construction; Serve may run on any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "web/http.h"

namespace bitten::web {

class StaticDir {
 public:
  StaticDir(std::string url_prefix, std::filesystem::path directory);

  const std::string& prefix() const { return prefix_; }
  // True when `path` is the prefix, or the prefix without its trailing slash.
  bool Covers(std::string_view path) const;
  // The answer for a GET/HEAD of `req.path` (which Covers). 404 for anything not a regular file
  // inside the directory.
  Response Serve(const Request& req) const;

 private:
  std::string prefix_;               // "/hud/"
  std::filesystem::path directory_;  // as given
};

}  // namespace bitten::web
