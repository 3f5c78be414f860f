// Process logs (spdlog): text for people, JSON lines for machines. Log lines carry session ids
// and decisions, never secrets, message bodies or row data (STYLE.md).
#pragma once

#include <expected>
#include <string>

#include "proxy/config/config.h"

namespace proxy {

std::expected<void, std::string> setup_logging(const Logging& logging);

}  // namespace proxy
