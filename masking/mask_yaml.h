// Internal to rules_yaml: one MASK node -> Mask (grammar in rules_yaml.h).
#pragma once

#include <optional>

#include "masking/masks.h"
#include "masking/yaml_reader.h"

namespace masking::yaml_detail {

std::optional<Mask> read_mask(Problems& p, const Entry& e);

}  // namespace masking::yaml_detail
