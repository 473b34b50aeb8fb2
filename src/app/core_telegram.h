// Internal glue between core.cc and core_telegram.cc (the Core members of issue 6: alert expiry and
// deletion, invite redemption). Not for other modules.
//
// QueueGroupAlertEdit: inside a Writer work, queues the edit of a signal's group alert with the
// current fired/filled counts and, once the signal has expired, "⌛ expired" plus a deleteMessage
// due telegram.alert_delete_after_s after the expiry (dedup keys make both idempotent). Does
// nothing when there is no group or the alert has not been sent yet (no message id in kv
// "alert_msg:<signal_id>").
#pragma once

#include <string>

#include "app/config.h"
#include "base/clock.h"
#include "base/error.h"
#include "store/writer.h"

namespace bitten::app {

Status QueueGroupAlertEdit(store::Txn& txn, const TelegramConfig& tg, const std::string& signal_id,
                           TimeMs now);

}  // namespace bitten::app
