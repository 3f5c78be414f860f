// The audit writer `serve` opens from the audit: section (null when audit is off).
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "audit/writer.h"
#include "proxy/config/audit_config.h"

namespace proxy {

// Opens every sink (a file sink finds where its chain stands) and starts the writer. Errors name
// the sink and the cause, so `serve` can refuse to start instead of running unaudited.
std::expected<std::unique_ptr<audit::Writer>, std::string> open_audit_writer(const AuditSettings& settings);

}  // namespace proxy
