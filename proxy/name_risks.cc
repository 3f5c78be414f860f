#include "proxy/name_risks.h"

namespace proxy {

SqlRisk NameRisks::find(Space space, std::string_view name) const {
  const auto& names = space == Space::kPortal ? portals_ : statements_;
  auto it = names.find(std::string(name));
  return it == names.end() ? SqlRisk{} : it->second;
}

void NameRisks::raise(Space space, const std::string& name, const SqlRisk& risk) {
  auto& names = map(space);
  if (auto it = names.find(name); it != names.end()) {
    it->second.merge(risk);
  } else {
    names.emplace(name, risk);
  }
}

void NameRisks::on_sent(Space space, const std::string& name, const SqlRisk& risk) {
  pending_.push_back({false, space, name, find(space, name)});
  map(space)[name] = risk;
}

void NameRisks::on_sync() { pending_.push_back({true, Space::kStatement, {}, SqlRisk::safe()}); }

void NameRisks::on_complete(Space space) {
  if (pending_.empty() || pending_.front().sync || pending_.front().space != space) return;   // not ours
  pending_.pop_front();
}

void NameRisks::unconfirmed(const Pending& p) { map(p.space)[p.name].merge(p.previous); }

void NameRisks::on_error() {
  // What was sent up to the next Sync and not confirmed is skipped: the server keeps the old.
  while (!pending_.empty() && !pending_.front().sync) {
    unconfirmed(pending_.front());
    pending_.pop_front();
  }
}

void NameRisks::on_ready() {
  while (!pending_.empty()) {
    const bool sync = pending_.front().sync;
    if (!sync) unconfirmed(pending_.front());
    pending_.pop_front();
    if (sync) break;
  }
}

}  // namespace proxy
