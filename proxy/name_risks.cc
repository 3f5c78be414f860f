#include "proxy/name_risks.h"

#include <algorithm>

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
  raise(space, name, risk);
  pending_.push_back({false, space, name, risk});
}

void NameRisks::on_sync() { pending_.push_back({true, Space::kStatement, {}, SqlRisk::safe()}); }

void NameRisks::on_complete(Space space) {
  if (pending_.empty() || pending_.front().sync || pending_.front().space != space) return;   // not ours: keep raised
  Pending done = std::move(pending_.front());
  pending_.pop_front();
  // A later Parse/Bind of the same name may replace it at any moment: until then, keep the merge.
  const bool superseded = std::any_of(pending_.begin(), pending_.end(), [&](const Pending& p) {
    return !p.sync && p.space == done.space && p.name == done.name;
  });
  if (!superseded) map(space)[done.name] = std::move(done.risk);
}

void NameRisks::on_error() {
  // What was sent up to the next Sync is skipped: those names keep their raised risk.
  while (!pending_.empty() && !pending_.front().sync) pending_.pop_front();
}

void NameRisks::on_ready() {
  while (!pending_.empty()) {
    const bool sync = pending_.front().sync;
    pending_.pop_front();
    if (sync) break;
  }
}

}  // namespace proxy
