#include "web/static_files.h"

#include <fstream>
#include <string_view>
#include <system_error>

#include "web/router.h"

namespace bitten::web {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileBytes = 16u * 1024 * 1024;

Response NotFound() { return JsonError(404, "not_found", "No such page."); }

// True when `inner` is `outer` or lies below it (both canonical).
bool IsWithin(const fs::path& inner, const fs::path& outer) {
  auto o = outer.begin();
  auto i = inner.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace

std::string_view ContentTypeFor(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

StaticDir::StaticDir(std::string url_prefix, fs::path directory)
    : prefix_(std::move(url_prefix)), directory_(std::move(directory)) {}

bool StaticDir::Covers(std::string_view path) const {
  if (path.starts_with(prefix_)) return true;
  return prefix_.size() > 1 && path == std::string_view(prefix_).substr(0, prefix_.size() - 1);
}

Response StaticDir::Serve(const Request& req) const {
  if (req.path.size() + 1 == prefix_.size()) {
    // "/hud" → "/hud/" keeping the query (the browser keeps the #fragment itself).
    Response r;
    r.status = 301;
    const std::size_t q = req.target.find('?');
    r.headers.emplace_back("Location",
                           prefix_ + (q == std::string::npos ? "" : req.target.substr(q)));
    return r;
  }
  std::string_view rel = std::string_view(req.path).substr(prefix_.size());
  // Refuse anything that could climb or that Windows-style tools read as a separator.
  fs::path relative;
  while (!rel.empty()) {
    const std::size_t slash = rel.find('/');
    const std::string_view seg = rel.substr(0, slash);
    rel = slash == std::string_view::npos ? std::string_view{} : rel.substr(slash + 1);
    if (seg.empty()) continue;
    if (seg == "." || seg == ".." || seg.find('\\') != std::string_view::npos ||
        seg.find('\0') != std::string_view::npos) {
      return NotFound();
    }
    relative /= fs::path(std::string(seg));
  }
  std::error_code ec;
  const fs::path root = fs::canonical(directory_, ec);
  if (ec) return NotFound();
  fs::path file = fs::canonical(root / relative, ec);
  if (ec || !IsWithin(file, root)) return NotFound();  // symlinks may not lead outside
  if (fs::is_directory(file, ec)) {
    if (!req.path.ends_with('/')) {
      Response r;
      r.status = 301;
      r.headers.emplace_back("Location", req.path + "/");
      return r;
    }
    file = fs::canonical(file / "index.html", ec);
    if (ec || !IsWithin(file, root)) return NotFound();
  }
  if (!fs::is_regular_file(file, ec)) return NotFound();
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec || size > kMaxFileBytes) return NotFound();
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) return NotFound();
  const auto ticks = mtime.time_since_epoch().count();
  const std::string etag =
      "\"" + std::to_string(size) + "-" + std::to_string(static_cast<long long>(ticks)) + "\"";

  Response r;
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", etag);
  if (req.Header("If-None-Match") == etag) {
    r.status = 304;
    return r;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound();
  r.body.resize(static_cast<std::size_t>(size));
  in.read(r.body.data(), static_cast<std::streamsize>(size));
  r.body.resize(static_cast<std::size_t>(in.gcount()));
  r.status = 200;
  r.content_type = std::string(ContentTypeFor(file));
  return r;
}

}  // namespace bitten::web
