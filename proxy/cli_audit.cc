// `pgveil audit verify FILE...`: checks the hash chain of audit files (audit/verify.h).
// Exit 0: intact; 1: tampered (the first broken record is printed); 2: usage or I/O error.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <vector>

#include "audit/verify.h"
#include "proxy/cli.h"

namespace proxy::cli {
namespace {

struct AuditVerifyArgs {
  std::vector<std::string> files;
  std::string key_file;
  std::string key_env = "PGVEIL_AUDIT_KEY";
  bool with_rotated = false;
  bool partial = false;
  bool json = false;
};

[[noreturn]] void fail(int code, const std::string& message) {
  fmt::print(stderr, "pgveil audit verify: {}\n", message);
  throw Exit{code};
}

audit::ChainKey load_key(const AuditVerifyArgs& a) {
  auto key = a.key_file.empty() ? audit::ChainKey::from_env(a.key_env) : audit::ChainKey::from_file(a.key_file);
  if (!key) fail(kExitUsage, key.error() + " (give --key-file or set the variable named by --key-env)");
  return std::move(*key);
}

std::vector<std::filesystem::path> chain_order(const AuditVerifyArgs& a) {
  auto files = audit_files(a.files, a.with_rotated);
  if (!files) fail(kExitUsage, files.error());
  return std::move(*files);
}

void print_report(const audit::VerifyReport& r, bool json) {
  if (json) {
    nlohmann::json out = {{"ok", r.ok()},
                          {"files", r.files},
                          {"records", r.records},
                          {"first_seq", r.first_seq ? nlohmann::json(*r.first_seq) : nlohmann::json()},
                          {"last_seq", r.last_seq ? nlohmann::json(*r.last_seq) : nlohmann::json()}};
    if (r.broken) {
      out["broken"] = {{"file", r.broken->file.string()},
                       {"line", r.broken->line},
                       {"seq", r.broken->seq ? nlohmann::json(*r.broken->seq) : nlohmann::json()},
                       {"reason", r.broken->reason}};
    }
    fmt::print("{}\n", out.dump());
    return;
  }
  if (r.ok()) {
    if (r.records == 0) {
      fmt::print("ok: {} file{}, no records\n", r.files, r.files == 1 ? "" : "s");
    } else {
      fmt::print("ok: {} file{}, {} records, seq {}..{} chained\n", r.files, r.files == 1 ? "" : "s", r.records,
                 *r.first_seq, *r.last_seq);
    }
    return;
  }
  const auto& b = *r.broken;
  fmt::print("TAMPERED: {}:{}{}: {}\n", b.file.string(), b.line, b.seq ? fmt::format(" (seq {})", *b.seq) : "", b.reason);
  fmt::print("{} record{} before it verified.\n", r.records, r.records == 1 ? "" : "s");
}

void verify(const AuditVerifyArgs& a) {
  const auto key = load_key(a);
  const auto files = chain_order(a);
  const auto report = audit::verify_files(key, files, {.allow_partial_start = a.partial});
  if (!report) fail(kExitUsage, report.error());
  print_report(*report, a.json);
  if (!report->ok()) throw Exit{kExitFailure};
}

}  // namespace

void add_audit(CLI::App& app, Common& /*common*/) {
  auto args = std::make_shared<AuditVerifyArgs>();
  auto* audit_cmd = app.add_subcommand("audit", "Work with the audit log");
  audit_cmd->require_subcommand(1);

  auto* v = audit_cmd->add_subcommand(
      "verify", "Check the hash chain of audit files; exit 0 intact, 1 tampered, 2 usage or I/O error");
  v->add_option("files", args->files, "Audit files in rotation order, oldest first")->required();
  v->add_option("--key-file", args->key_file, "File holding the audit HMAC key");
  v->add_option("--key-env", args->key_env, "Environment variable holding the key (when no --key-file)")
      ->capture_default_str();
  v->add_flag("--with-rotated", args->with_rotated, "Also check the rotated files of each FILE (FILE.<seq>), in order");
  v->add_flag("--partial", args->partial, "Accept a chain that does not start at seq 1 (older files were purged)");
  v->add_flag("--json", args->json, "Print JSON for scripts");
  v->callback([args] { verify(*args); });
  add_audit_tail(*audit_cmd);
}

}  // namespace proxy::cli
