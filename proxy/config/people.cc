// people: who may request and approve grants, by group. Optional: without it, group checks are
// left to whoever issues grants.
#include <fmt/format.h>

#include "proxy/config/sections.h"

namespace proxy::config_detail {

void read_people(LoadContext& ctx, const Field& section, Config& config) {
  MapFields people(ctx.diag, section);
  for (const Field& f : people.fields()) {
    Person person;
    person.name = f.key.Scalar();
    MapFields m(ctx.diag, f, {"groups"});
    if (const Field* g = m.find("groups"))
      if (auto groups = read_string_list(ctx.diag, *g)) person.groups = std::move(*groups);
    config.people.emplace(person.name, std::move(person));
  }
}

}  // namespace proxy::config_detail
