// Internal glue between core.cc and core_telegram.cc (the Core members of issue 6: alert expiry and
// deletion, invite redemption). Not for other modules.
//
// QueueGroupAlertEdit: inside a Writer work, queues the edit of a signal's group alert with the
// current fired/filled counts and, once the signal has expired, "⌛ expired" plus a deleteMessage
// due telegram.alert_delete_after_s after the expiry (dedup keys make both idempotent). Does
// nothing when there is no group or the alert has not been sent yet (no message id in kv
// "alert_msg:<signal_id>").
//
// EnqueueAlertEdit: inside a Writer work, queues one edit of a group alert (`row`, an
// editMessageText whose dedup_key "edit:<signal_id>:..." names its content) and coalesces: when an
// edit of the same alert is still pending, that row's content and key are replaced instead (one
// pending edit per alert, never two); nothing happens when the same content was already queued.
// An edit the sender has in flight while it is replaced is sent with its old content; the
// StoreOutbox then keeps the row pending so the new content goes next (outbox_adapter.h).
//
// AlertCountdownMinutes: the whole minutes left before `expires_at`, rounded up (0 once passed).
#pragma once

#include <string>

#include "app/config.h"
#include "base/clock.h"
#include "base/error.h"
#include "missions/types.h"
#include "store/outbox.h"
#include "store/writer.h"
#include "telegram/messages.h"
#include "venom/signal.h"

namespace bitten::app {

Status QueueGroupAlertEdit(store::Txn& txn, const TelegramConfig& tg, const std::string& signal_id,
                           TimeMs now);
Status EnqueueAlertEdit(store::Txn& txn, const store::OutboxMessage& row,
                        const std::string& signal_id);
int AlertCountdownMinutes(TimeMs expires_at, TimeMs now);
// The group alert's and the mission DM's views of a signal and a mission (first send, edits and the
// console's re-send build the same text from these; defined in core.cc).
telegram::AlertView AlertViewOf(const venom::Signal& s);
telegram::MissionDmView DmViewOf(const missions::Mission& m);
// The outbox row of a Telegram message (store priority kOutboxPriorityBase - `tg_priority`, lower
// first; defined in core.cc).
store::OutboxMessage OutboxRow(const telegram::OutMessage& msg, int tg_priority,
                               std::string dedup_key, TimeMs now);

}  // namespace bitten::app
