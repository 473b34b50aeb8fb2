#include "store/mission_counts.h"

#include <string>

#include "store/statement.h"

namespace bitten::store {

Result<std::map<missions::MissionStatus, int>> CountMissionsBySignal(const Database& db,
                                                                     std::string_view signal_id) {
  auto st = Statement::Prepare(
      db.handle(), "SELECT status, COUNT(*) FROM missions WHERE signal_id = ?1 GROUP BY status");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, signal_id);
  std::map<missions::MissionStatus, int> out;
  for (;;) {
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const std::string text = st->Text(0);
    auto status = missions::ParseMissionStatus(text);
    if (!status) {
      return Fail("store_corrupt", "signal " + std::string(signal_id) +
                                       ": a mission has the unknown status \"" + text + "\"");
    }
    out[*status] = static_cast<int>(st->Int(1));
  }
  return out;
}

}  // namespace bitten::store
