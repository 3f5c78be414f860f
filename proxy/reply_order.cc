#include "proxy/reply_order.h"

namespace proxy {

ReplyOrder::Answer ReplyOrder::on_description() {
  if (pending_.empty()) return {};
  Entry front = pending_.front();
  if (front.kind == Kind::kSync) return {};
  last_ = front.risk;
  answered_ = true;
  const bool ours = front.kind == Kind::kInjected;
  if (front.kind != Kind::kQuery) pending_.pop_front();   // a simple Query's entry lasts to ReadyForQuery
  return {ours, front.risk.derived, std::move(front.risk.refusal)};
}

const SqlRisk& ReplyOrder::current() const {
  if (!pending_.empty() && pending_.front().kind == Kind::kQuery) return pending_.front().risk;
  return last_;
}

bool ReplyOrder::copy_unsafe() const {
  if (!pending_.empty() && pending_.front().kind == Kind::kQuery) return pending_.front().risk.copy_unsafe;
  return !answered_ || last_.copy_unsafe;
}

void ReplyOrder::on_error() {
  // Inside a simple Query the server goes on to ReadyForQuery; in the extended protocol it
  // discards messages up to the next Sync, Describes included.
  while (!pending_.empty() && (pending_.front().kind == Kind::kDescribe || pending_.front().kind == Kind::kInjected)) {
    pending_.pop_front();
  }
}

void ReplyOrder::on_ready() {
  last_ = SqlRisk::safe();
  answered_ = false;
  while (!pending_.empty()) {
    const Kind front = pending_.front().kind;
    pending_.pop_front();
    if (front == Kind::kQuery || front == Kind::kSync) return;
  }
}

}  // namespace proxy
