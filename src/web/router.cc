#include "web/router.h"

#include <algorithm>

#include "web/static_files.h"

namespace bitten::web {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  // "/a/b/" → {"a", "b", ""}; "/" → {""}.
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

struct Segment {
  std::string text;  // literal text, or the parameter name
  bool param = false;
};

std::vector<Segment> ParsePattern(std::string_view pattern) {
  std::vector<Segment> out;
  for (std::string_view seg : SplitPath(pattern)) {
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      out.push_back({std::string(seg.substr(1, seg.size() - 2)), true});
    } else {
      out.push_back({std::string(seg), false});
    }
  }
  return out;
}

struct Route {
  std::string method;
  std::vector<Segment> segments;
  Handler handler;
  SseHandler sse;
};

// Literal mask of a match: higher (lexicographically, literal=1) is more specific.
bool Matches(const Route& route, const std::vector<std::string_view>& parts) {
  if (route.segments.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Segment& s = route.segments[i];
    if (s.param) {
      if (parts[i].empty()) return false;
    } else if (s.text != parts[i]) {
      return false;
    }
  }
  return true;
}

bool MoreSpecific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].param != b.segments[i].param) return !a.segments[i].param;
  }
  return false;
}

}  // namespace

struct Router::Impl {
  std::vector<Route> routes;
  std::vector<StaticDir> statics;  // longest prefix first
};

Router::Router() : impl_(std::make_unique<Impl>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::Get(std::string_view pattern, Handler handler) {
  Add("GET", pattern, std::move(handler));
}
void Router::Post(std::string_view pattern, Handler handler) {
  Add("POST", pattern, std::move(handler));
}
void Router::Put(std::string_view pattern, Handler handler) {
  Add("PUT", pattern, std::move(handler));
}
void Router::Delete(std::string_view pattern, Handler handler) {
  Add("DELETE", pattern, std::move(handler));
}

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  impl_->routes.push_back({std::string(method), ParsePattern(pattern), std::move(handler), {}});
}

void Router::Sse(std::string_view pattern, SseHandler handler) {
  impl_->routes.push_back({"GET", ParsePattern(pattern), {}, std::move(handler)});
}

void Router::ServeStatic(std::string_view url_prefix, std::filesystem::path directory) {
  std::string prefix(url_prefix);
  if (prefix.empty() || prefix.front() != '/') prefix.insert(prefix.begin(), '/');
  if (prefix.back() != '/') prefix.push_back('/');
  impl_->statics.emplace_back(std::move(prefix), std::move(directory));
  std::stable_sort(
      impl_->statics.begin(), impl_->statics.end(),
      [](const StaticDir& a, const StaticDir& b) { return a.prefix().size() > b.prefix().size(); });
}

Router::Resolution Router::Resolve(Request& req) const {
  Resolution out;
  const std::string_view method = req.method == "HEAD" ? std::string_view("GET") : req.method;
  const auto parts = SplitPath(req.path);
  const Route* best = nullptr;
  std::string allow;
  for (const Route& route : impl_->routes) {
    if (!Matches(route, parts)) continue;
    if (route.method != method) {
      if (allow.find(route.method) == std::string::npos) {
        if (!allow.empty()) allow += ", ";
        allow += route.method;
      }
      continue;
    }
    if (best == nullptr || MoreSpecific(route, *best)) best = &route;
  }
  if (best != nullptr) {
    req.params.clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (best->segments[i].param) req.params[best->segments[i].text] = std::string(parts[i]);
    }
    if (best->sse) {
      out.sse = &best->sse;
    } else {
      out.handler = &best->handler;
    }
    return out;
  }
  if (!allow.empty()) {
    Response r =
        JsonError(405, "method_not_allowed",
                  req.method + " is not allowed on " + req.path + " (allowed: " + allow + ").");
    r.headers.emplace_back("Allow", allow);
    out.response = std::move(r);
    return out;
  }
  for (const StaticDir& dir : impl_->statics) {
    if (!dir.Covers(req.path)) continue;
    if (method != "GET") {
      Response r = JsonError(405, "method_not_allowed",
                             req.method + " is not allowed on static files (allowed: GET, HEAD).");
      r.headers.emplace_back("Allow", "GET, HEAD");
      out.response = std::move(r);
    } else {
      out.response = dir.Serve(req);
    }
    return out;
  }
  out.response = JsonError(404, "not_found", "No route for " + req.method + " " + req.path + ".");
  return out;
}

void Router::Handle(Request req, Responder responder) const {
  Resolution r = Resolve(req);
  if (r.response) {
    responder.Send(std::move(*r.response));
  } else if (r.sse) {
    responder.Send(JsonError(400, "sse_required", "This path is an event stream."));
  } else {
    (*r.handler)(req, std::move(responder));
  }
}

}  // namespace bitten::web
