#include "app/ta_cmd.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "market/reader.h"
#include "venom/indicators.h"

namespace bitten::app {
namespace {

constexpr int kMaxPeriod = 100000;  // TA-Lib's upper bound for every period argument

// One indicator instance behind a uniform face: update with a bar's high/low/close, then read
// `outputs` values once ready().
class Study {
 public:
  virtual ~Study() = default;
  virtual void Update(double high, double low, double close) = 0;
  virtual bool ready() const = 0;
  virtual void Values(double* out) const = 0;
};

template <class Ind, class UpdateFn, class ValuesFn>
class StudyOf final : public Study {
 public:
  StudyOf(Ind ind, UpdateFn u, ValuesFn v) : ind_(std::move(ind)), update_(u), values_(v) {}
  void Update(double high, double low, double close) override { update_(ind_, high, low, close); }
  bool ready() const override { return ind_.ready(); }
  void Values(double* out) const override { values_(ind_, out); }

 private:
  Ind ind_;
  UpdateFn update_;
  ValuesFn values_;
};

template <class Ind, class UpdateFn, class ValuesFn>
std::unique_ptr<Study> MakeStudy(Ind ind, UpdateFn u, ValuesFn v) {
  return std::make_unique<StudyOf<Ind, UpdateFn, ValuesFn>>(std::move(ind), u, v);
}

// What an --indicator NAME[:ARGS] names.
struct IndicatorKind {
  std::vector<std::string> columns;
  std::vector<std::string> arg_names;
  std::vector<double> defaults;
  std::vector<double> min;  // per argument; integer arguments are also <= kMaxPeriod
  std::vector<bool> integer;
};

const std::map<std::string, IndicatorKind, std::less<>>& Kinds() {
  static const std::map<std::string, IndicatorKind, std::less<>> kinds = {
      {"sma", {{"sma"}, {"N"}, {30}, {2}, {true}}},
      {"ema", {{"ema"}, {"N"}, {30}, {2}, {true}}},
      {"rsi", {{"rsi"}, {"N"}, {14}, {2}, {true}}},
      {"atr", {{"atr"}, {"N"}, {14}, {1}, {true}}},
      {"adx", {{"adx"}, {"N"}, {14}, {2}, {true}}},
      {"cci", {{"cci"}, {"N"}, {14}, {2}, {true}}},
      {"bbands",
       {{"bb_upper", "bb_middle", "bb_lower"}, {"N", "K"}, {5, 2}, {2, -1e300}, {true, false}}},
      {"macd",
       {{"macd", "macd_signal", "macd_hist"},
        {"F", "S", "SIG"},
        {12, 26, 9},
        {2, 2, 2},
        {true, true, true}}},
      {"stoch",
       {{"stoch_k", "stoch_d"}, {"K", "SK", "D"}, {5, 3, 3}, {1, 1, 1}, {true, true, true}}},
  };
  return kinds;
}

struct IndicatorSpec {
  std::string text;  // as given
  std::string name;
  std::vector<double> args;  // all of them, defaults filled in
};

std::string ArgText(double v) { return fmt::format("{}", v); }

Result<IndicatorSpec> ParseIndicator(std::string_view text) {
  IndicatorSpec spec;
  spec.text = std::string(text);
  const auto colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  const auto kind = Kinds().find(spec.name);
  if (kind == Kinds().end()) {
    return Fail("usage", "--indicator " + spec.text + ": unknown indicator '" + spec.name +
                             "' (known: sma, ema, rsi, atr, bbands, macd, adx, stoch, cci)");
  }
  const IndicatorKind& k = kind->second;
  std::vector<std::string_view> parts;
  if (colon != std::string_view::npos) {
    std::string_view rest = text.substr(colon + 1);
    while (true) {
      const auto comma = rest.find(',');
      parts.push_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  std::string usage = spec.name;
  for (std::size_t i = 0; i < k.arg_names.size(); ++i) {
    usage += (i == 0 ? ":" : ",") + k.arg_names[i];
  }
  if (parts.size() > k.arg_names.size()) {
    return Fail("usage",
                "--indicator " + spec.text + ": too many arguments (expected " + usage + ")");
  }
  spec.args = k.defaults;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view p = parts[i];
    double v = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    const bool whole = ec == std::errc() && end == p.data() + p.size() && !p.empty();
    const std::string what = "--indicator " + spec.text + ": " + k.arg_names[i] + " of " + usage;
    if (!whole || !std::isfinite(v)) {
      return Fail("usage", what + " must be a number, got '" + std::string(p) + "'");
    }
    if (k.integer[i]) {
      if (v != std::floor(v) || v < k.min[i] || v > kMaxPeriod) {
        return Fail("usage", what + " must be a whole number from " + ArgText(k.min[i]) + " to " +
                                 std::to_string(kMaxPeriod) + ", got '" + std::string(p) + "'");
      }
    }
    spec.args[i] = v;
  }
  return spec;
}

std::unique_ptr<Study> MakeStudyFor(const IndicatorSpec& s) {
  const auto n = [&](std::size_t i) { return static_cast<int>(s.args[i]); };
  using venom::Adx, venom::Atr, venom::BBands, venom::Cci, venom::Ema, venom::Macd, venom::Rsi,
      venom::Sma, venom::Stoch;
  const auto close_only = [](auto& ind, double, double, double c) { ind.Update(c); };
  const auto hlc = [](auto& ind, double h, double l, double c) { ind.Update(h, l, c); };
  const auto one = [](const auto& ind, double* out) { out[0] = ind.value(); };
  if (s.name == "sma") return MakeStudy(Sma(n(0)), close_only, one);
  if (s.name == "ema") return MakeStudy(Ema(n(0)), close_only, one);
  if (s.name == "rsi") return MakeStudy(Rsi(n(0)), close_only, one);
  if (s.name == "atr") return MakeStudy(Atr(n(0)), hlc, one);
  if (s.name == "adx") return MakeStudy(Adx(n(0)), hlc, one);
  if (s.name == "cci") return MakeStudy(Cci(n(0)), hlc, one);
  if (s.name == "bbands") {
    return MakeStudy(BBands(n(0), s.args[1]), close_only, [](const BBands& b, double* out) {
      out[0] = b.upper();
      out[1] = b.middle();
      out[2] = b.lower();
    });
  }
  if (s.name == "macd") {
    return MakeStudy(Macd(n(0), n(1), n(2)), close_only, [](const Macd& m, double* out) {
      out[0] = m.macd();
      out[1] = m.signal();
      out[2] = m.hist();
    });
  }
  return MakeStudy(Stoch(n(0), n(1), n(2)), hlc, [](const Stoch& st, double* out) {
    out[0] = st.k();
    out[1] = st.d();
  });
}

struct TaArgs {
  std::string data;
  std::string side;  // "" = default
  std::vector<std::string> indicators;
};

// The header's column names for the parsed specs (see ta_cmd.h for the naming rule).
Result<std::vector<std::string>> ColumnNames(const std::vector<IndicatorSpec>& specs) {
  std::map<std::string, int> per_name;
  std::map<std::string, std::string> seen;  // name + args -> first --indicator text
  for (const auto& s : specs) {
    ++per_name[s.name];
    std::string key = s.name;
    for (double a : s.args) key += "_" + ArgText(a);
    if (auto it = seen.find(key); it != seen.end()) {
      return Fail("usage", "--indicator " + s.text +
                               ": same indicator and arguments as --indicator " + it->second);
    }
    seen.emplace(key, s.text);
  }
  std::vector<std::string> columns;
  for (const auto& s : specs) {
    std::string suffix;
    if (per_name[s.name] > 1) {
      for (double a : s.args) suffix += "_" + ArgText(a);
    }
    for (const auto& c : Kinds().find(s.name)->second.columns) columns.push_back(c + suffix);
  }
  return columns;
}

int RunTa(const TaArgs& a) {
  std::vector<IndicatorSpec> specs;
  for (const auto& text : a.indicators) {
    auto spec = ParseIndicator(text);
    if (!spec) return ReportFailure(spec.error());
    specs.push_back(std::move(*spec));
  }
  auto columns = ColumnNames(specs);
  if (!columns) return ReportFailure(columns.error());

  auto data = market::ReadBarsSpec(a.data);
  if (!data) return ReportFailure(data.error());
  std::string side = a.side;
  if (data->side != market::QuoteSide::kBidAsk) {
    const std::string own = data->side == market::QuoteSide::kBid ? "bid" : "ask";
    if (side.empty()) side = own;
    if (side != own) {
      return ReportFailure(a.data + ": has only " + own + " prices, cannot give --side " + side);
    }
  }
  if (side.empty()) side = "bid";
  const bool ask = side == "ask" && data->side == market::QuoteSide::kBidAsk;
  const bool mid = side == "mid";

  std::vector<std::unique_ptr<Study>> studies;
  std::vector<std::size_t> widths;
  for (const auto& s : specs) {
    studies.push_back(MakeStudyFor(s));
    widths.push_back(Kinds().find(s.name)->second.columns.size());
  }

  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "time");
  for (const auto& c : *columns) fmt::format_to(std::back_inserter(out), ",{}", c);
  out.push_back('\n');
  double values[3];
  for (const auto& bar : data->bars) {
    double high = bar.high, low = bar.low, close = bar.close;
    if (ask) {
      high = bar.ask_high;
      low = bar.ask_low;
      close = bar.ask_close;
    } else if (mid) {
      high = (bar.high + bar.ask_high) / 2;
      low = (bar.low + bar.ask_low) / 2;
      close = (bar.close + bar.ask_close) / 2;
    }
    fmt::format_to(std::back_inserter(out), "{}", bar.time);
    for (std::size_t i = 0; i < studies.size(); ++i) {
      studies[i]->Update(high, low, close);
      if (!studies[i]->ready()) {
        for (std::size_t k = 0; k < widths[i]; ++k) out.push_back(',');
        continue;
      }
      studies[i]->Values(values);
      for (std::size_t k = 0; k < widths[i]; ++k) {
        fmt::format_to(std::back_inserter(out), ",{}", values[k]);
      }
    }
    out.push_back('\n');
    if (out.size() > (1u << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0) return ReportFailure("cannot write to standard output");
  return kExitOk;
}

}  // namespace

void AddTaCommand(CLI::App& root, CliAction* action) {
  auto args = std::make_shared<TaArgs>();
  CLI::App* cmd = root.add_subcommand(
      "ta", "Run indicators over a bar file and print CSV (time,<columns>...) to stdout");
  cmd->add_option("--data", args->data, "Bar file, or BIDFILE,ASKFILE")->required();
  cmd->add_option("--side", args->side,
                  "bid, ask or mid (default: bid, or the side of a one-side file)")
      ->check(CLI::IsMember({"bid", "ask", "mid"}));
  cmd->add_option("--indicator", args->indicators,
                  "NAME[:ARGS], repeatable: sma:N ema:N rsi:N atr:N bbands:N,K macd:F,S,SIG "
                  "adx:N stoch:K,SK,D cci:N (missing arguments take TA-Lib's defaults)")
      ->required();
  cmd->callback([args, action] { *action = [args] { return RunTa(*args); }; });
}

}  // namespace bitten::app
