#include "app/backtest/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/format.h"

namespace bitten::app::backtest {
namespace {

std::string Opt(const std::optional<double>& v, int digits, double scale = 1.0) {
  return v ? FormatFixed(*v * scale, digits) : std::string("-");
}

nlohmann::json OptJson(const std::optional<double>& v, int digits) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return RoundTo(*v, digits);
}

std::string Day(TimeMs t) { return t == 0 ? "-" : FormatIsoMs(t).substr(0, 16) + "Z"; }

nlohmann::json GroupJson(const GroupStats& g) {
  return {{"trades", g.trades},
          {"wins", g.wins},
          {"losses", g.losses},
          {"other", g.other},
          {"win_rate", OptJson(g.win_rate, 4)},
          {"gross_profit", g.gross_profit},
          {"gross_loss", g.gross_loss},
          {"profit_factor", OptJson(g.profit_factor, 4)},
          {"net_profit", g.net_profit},
          {"total_r", g.total_r},
          {"expectancy_r", OptJson(g.expectancy_r, 4)},
          {"expectancy_money", OptJson(g.expectancy_money, 2)}};
}

void GroupTable(std::string& out, const char* title, const std::map<std::string, GroupStats>& m,
                const std::string& ccy) {
  out += fmt::format("\nby {}\n", title);
  out += fmt::format("  {:<18} {:>6} {:>5} {:>6} {:>5} {:>6} {:>6} {:>8} {:>11}\n", "", "trades",
                     "wins", "losses", "other", "win%", "PF", "exp R", "net " + ccy);
  for (const auto& [key, g] : m) {
    out +=
        fmt::format("  {:<18} {:>6} {:>5} {:>6} {:>5} {:>6} {:>6} {:>8} {:>11}\n", key, g.trades,
                    g.wins, g.losses, g.other, Opt(g.win_rate, 1, 100.0), Opt(g.profit_factor, 2),
                    Opt(g.expectancy_r, 3), FormatFixed(g.net_profit, 2));
  }
}

std::string SourceLine(const DataSource& s) {
  std::string line =
      fmt::format("  {}: {} {} ({}), {} rows -> {} M1 bars, {} .. {}", s.spec, s.symbol, s.kind,
                  s.format, s.rows, s.bars, Day(s.first_bar), Day(s.last_bar));
  if (s.crossed > 0)
    line += fmt::format(", {} crossed quotes clamped (ask raised to bid)", s.crossed);
  if (s.clamped_bars > 0) line += fmt::format(", {} crossed bars clamped", s.clamped_bars);
  if (s.unmatched_bars > 0) line += fmt::format(", {} one-side bars left out", s.unmatched_bars);
  if (s.assumed_spread_pips > 0) {
    line += fmt::format(", one side only: assumed spread {} pips",
                        FormatFixed(s.assumed_spread_pips, 1));
  }
  return line + "\n";
}

}  // namespace

std::string TextReport(const ReportContext& ctx, const RunResult& run, const Summary& s) {
  const RunOptions& o = *ctx.options;
  const std::string& ccy = o.currency;
  std::string out = "BITTEN backtest\n\ndata\n";
  for (const DataSource& src : ctx.data->sources) out += SourceLine(src);
  out += fmt::format(
      "\naccount {} {}, risk {}% of the start balance per trade ({} {}), slippage {} points\n",
      FormatFixed(o.balance, 2), ccy, FormatFixed(o.risk_percent, 2),
      FormatFixed(o.balance * o.risk_percent / 100.0, 2), ccy, o.slippage_points);
  out +=
      "entry at the signal bar's close (BUY at the ask, SELL at the bid); within a bar the stop "
      "is taken first; a gap through a level fills at the gap price\n";
  out += fmt::format(
      "engine: {} bars, {} ignored, {} setups, {} refused by the spread gate, {} by spacing, {} "
      "signals\n",
      run.engine.bars, run.engine.ignored_bars, run.engine.setups, run.engine.refused_spread,
      run.engine.refused_spacing, run.signals);
  std::string refused;
  for (const auto& [reason, n] : run.refused) {
    refused += fmt::format("{}{} {}", refused.empty() ? "" : ", ", n, reason);
  }
  out += fmt::format("broker refused: {}\n", refused.empty() ? "none" : refused);
  if (run.conversion_errors > 0) {
    out += fmt::format("WARNING: {} closes could not be converted to {} and were booked as 0\n",
                       run.conversion_errors, ccy);
  }

  const GroupStats& a = s.all;
  out += "\nsummary\n";
  out += fmt::format("  trades {} (wins {}, losses {}, other {}), win rate {}%\n", a.trades, a.wins,
                     a.losses, a.other, Opt(a.win_rate, 1, 100.0));
  out += fmt::format("  profit factor {}, net {} {}, total {} R\n", Opt(a.profit_factor, 2),
                     FormatFixed(a.net_profit, 2), ccy, FormatFixed(a.total_r, 2));
  out += fmt::format("  expectancy {} R, {} {} per trade\n", Opt(a.expectancy_r, 3),
                     Opt(a.expectancy_money, 2), ccy);
  out += fmt::format("  max drawdown {} {} ({}% of the peak)\n", FormatFixed(s.max_drawdown, 2),
                     ccy, FormatFixed(s.max_drawdown_pct, 2));
  out += fmt::format("  sharpe per trade (R, not annualised) {}, daily (x sqrt 252) {}\n",
                     Opt(s.sharpe_per_trade, 3), Opt(s.sharpe_daily, 2));
  out += fmt::format("  balance {} -> {} {}\n", FormatFixed(run.start_balance, 2),
                     FormatFixed(run.end_balance, 2), ccy);

  GroupTable(out, "class", s.by_class, ccy);
  GroupTable(out, "setup", s.by_setup, ccy);
  GroupTable(out, "session (UTC hour of the signal bar)", s.by_session, ccy);
  GroupTable(out, "symbol", s.by_symbol, ccy);
  GroupTable(out, "side", s.by_side, ccy);

  out += "\ncalibration: realised win rate per confidence bucket\n";
  out += fmt::format("  {:<10} {:>6} {:>5} {:>6} {:>6} {:>10} {:>8}\n", "confidence", "trades",
                     "wins", "losses", "win%", "breakeven%", "exp R");
  for (const CalibrationRow& c : s.calibration) {
    out += fmt::format("  {:<10} {:>6} {:>5} {:>6} {:>6} {:>10} {:>8}\n",
                       fmt::format("{}-{}", c.from, c.to), c.trades, c.wins, c.losses,
                       Opt(c.win_rate, 1, 100.0), Opt(c.breakeven_win_rate, 1, 100.0),
                       Opt(c.expectancy_r, 3));
  }
  return out;
}

nlohmann::json JsonReport(const ReportContext& ctx, const RunResult& run, const Summary& s) {
  const RunOptions& o = *ctx.options;
  nlohmann::json j;
  nlohmann::json sources = nlohmann::json::array();
  for (const DataSource& src : ctx.data->sources) {
    sources.push_back({{"spec", src.spec},
                       {"symbol", src.symbol},
                       {"kind", src.kind},
                       {"format", src.format},
                       {"rows", src.rows},
                       {"bars", src.bars},
                       {"crossed_quotes", src.crossed},
                       {"crossed_bars_clamped", src.clamped_bars},
                       {"unmatched_bars", src.unmatched_bars},
                       {"assumed_spread_pips", src.assumed_spread_pips},
                       {"first_bar", src.first_bar},
                       {"last_bar", src.last_bar}});
  }
  j["data"] = sources;
  j["account"] = {{"currency", o.currency},
                  {"start_balance", run.start_balance},
                  {"end_balance", run.end_balance},
                  {"risk_percent", o.risk_percent},
                  {"risk_money", RoundTo(o.balance * o.risk_percent / 100.0, 2)},
                  {"slippage_points", o.slippage_points}};
  j["engine"] = {{"bars", run.engine.bars},
                 {"ignored_bars", run.engine.ignored_bars},
                 {"setups", run.engine.setups},
                 {"refused_spread", run.engine.refused_spread},
                 {"refused_spacing", run.engine.refused_spacing},
                 {"signals", run.signals}};
  j["broker_refused"] = run.refused;
  j["conversion_errors"] = run.conversion_errors;
  nlohmann::json summary = GroupJson(s.all);
  summary["max_drawdown"] = s.max_drawdown;
  summary["max_drawdown_pct"] = RoundTo(s.max_drawdown_pct, 4);
  summary["sharpe_per_trade"] = OptJson(s.sharpe_per_trade, 4);
  summary["sharpe_daily_annualised"] = OptJson(s.sharpe_daily, 4);
  j["summary"] = summary;
  auto groups = [](const std::map<std::string, GroupStats>& m) {
    nlohmann::json g = nlohmann::json::object();
    for (const auto& [key, stats] : m) g[key] = GroupJson(stats);
    return g;
  };
  j["by_class"] = groups(s.by_class);
  j["by_setup"] = groups(s.by_setup);
  j["by_session"] = groups(s.by_session);
  j["by_symbol"] = groups(s.by_symbol);
  j["by_side"] = groups(s.by_side);
  nlohmann::json cal = nlohmann::json::array();
  for (const CalibrationRow& c : s.calibration) {
    cal.push_back({{"from", c.from},
                   {"to", c.to},
                   {"trades", c.trades},
                   {"wins", c.wins},
                   {"losses", c.losses},
                   {"win_rate", OptJson(c.win_rate, 4)},
                   {"breakeven_win_rate", OptJson(c.breakeven_win_rate, 4)},
                   {"expectancy_r", OptJson(c.expectancy_r, 4)},
                   {"mean_confidence", RoundTo(c.mean_confidence, 2)}});
  }
  j["calibration"] = cal;
  nlohmann::json equity = nlohmann::json::array();
  for (const Trade& t : run.trades) equity.push_back({t.exit_time, t.balance_after});
  j["equity_curve"] = equity;
  return j;
}

std::string TradesCsv(const RunResult& run) {
  std::string out =
      "number,symbol,side,class,setup,confidence,session,shield_score,shield_band,entry_time,"
      "entry,sl,tp,sl_pips,rr,volume,risk_money,exit_time,exit_price,exit_reason,r,profit,"
      "balance_after,signal_hash\n";
  for (const Trade& t : run.trades) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                       t.number, t.symbol, market::ToString(t.side), t.signal_class, t.setup,
                       t.confidence, t.session, FormatFixed(t.shield_score, 1), t.shield_band,
                       FormatIsoMs(t.entry_time), FormatFixed(t.entry, t.digits),
                       FormatFixed(t.sl, t.digits), FormatFixed(t.tp, t.digits),
                       FormatFixed(t.sl_pips, 1), FormatFixed(t.rr, 4), FormatFixed(t.volume, 2),
                       FormatFixed(t.risk_money, 2), FormatIsoMs(t.exit_time),
                       FormatFixed(t.exit_price, t.digits), t.exit_reason, FormatFixed(t.r, 4),
                       FormatFixed(t.profit, 2), FormatFixed(t.balance_after, 2), t.signal_hash);
  }
  return out;
}

std::string EquitySvg(const RunResult& run, const std::string& title) {
  constexpr double kW = 800, kH = 360, kLeft = 80, kRight = 20, kTop = 40, kBottom = 40;
  std::vector<double> y{run.start_balance};
  for (const Trade& t : run.trades) y.push_back(t.balance_after);
  double lo = *std::min_element(y.begin(), y.end());
  double hi = *std::max_element(y.begin(), y.end());
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const double n = static_cast<double>(std::max<std::size_t>(y.size() - 1, 1));
  auto px = [&](std::size_t i) {
    return kLeft + (kW - kLeft - kRight) * static_cast<double>(i) / n;
  };
  auto py = [&](double v) { return kTop + (kH - kTop - kBottom) * (hi - v) / (hi - lo); };
  auto esc = [](const std::string& s) {
    std::string e;
    for (char c : s) {
      if (c == '&')
        e += "&amp;";
      else if (c == '<')
        e += "&lt;";
      else if (c == '>')
        e += "&gt;";
      else
        e += c;
    }
    return e;
  };
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"sans-serif\" font-size=\"12\">\n",
      kW, kH);
  out += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"white\"/>\n", kW, kH);
  out += fmt::format("<text x=\"{}\" y=\"20\" font-size=\"14\">{}</text>\n", kLeft, esc(title));
  // Axes, the start balance as a reference line, and the labels of the range.
  out += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>\n<line x1=\"{0}\" "
      "y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"black\"/>\n",
      kLeft, kTop, kH - kBottom, kW - kRight);
  out += fmt::format(
      "<line x1=\"{}\" y1=\"{:.2f}\" x2=\"{}\" y2=\"{:.2f}\" stroke=\"#999\" "
      "stroke-dasharray=\"4 4\"/>\n",
      kLeft, py(run.start_balance), kW - kRight, py(run.start_balance));
  out += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6,
                     kTop + 4, FormatFixed(hi, 2));
  out += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6,
                     kH - kBottom + 4, FormatFixed(lo, 2));
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">closed trades ({}), realised "
      "balance</text>\n",
      (kW + kLeft) / 2, kH - 12, run.trades.size());
  out += "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.5\" points=\"";
  for (std::size_t i = 0; i < y.size(); ++i) {
    out += fmt::format("{}{:.2f},{:.2f}", i == 0 ? "" : " ", px(i), py(y[i]));
  }
  out += "\"/>\n</svg>\n";
  return out;
}

}  // namespace bitten::app::backtest
