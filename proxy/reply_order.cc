#include "proxy/reply_order.h"

namespace proxy {

ReplyOrder::Answer ReplyOrder::on_description() {
  if (pending_.empty()) return {};
  const Entry front = pending_.front();
  if (front.kind != Kind::kSync) last_copy_unsafe_ = front.copy_unsafe;
  switch (front.kind) {
    case Kind::kQuery:
      return {false, front.derived};   // a simple Query's own result
    case Kind::kDescribe:
      pending_.pop_front();
      return {false, front.derived};
    case Kind::kInjected:
      pending_.pop_front();
      return {true, front.derived};
    case Kind::kSync:
      return {};
  }
  return {};
}

bool ReplyOrder::copy_unsafe() const {
  if (!pending_.empty() && pending_.front().kind == Kind::kQuery) return pending_.front().copy_unsafe;
  return last_copy_unsafe_;
}

void ReplyOrder::on_error() {
  // Inside a simple Query the server goes on to ReadyForQuery; in the extended protocol it
  // discards messages up to the next Sync, Describes included.
  while (!pending_.empty() && (pending_.front().kind == Kind::kDescribe || pending_.front().kind == Kind::kInjected)) {
    pending_.pop_front();
  }
}

void ReplyOrder::on_ready() {
  while (!pending_.empty()) {
    const Kind front = pending_.front().kind;
    pending_.pop_front();
    if (front == Kind::kQuery || front == Kind::kSync) return;
  }
}

}  // namespace proxy
