// pgveil: just-in-time, time-bound, masked and audited access to PostgreSQL.
#include <fmt/core.h>

#include "proxy/cli.h"

int main(int argc, char** argv) {
  CLI::App app{"pgveil: just-in-time, time-bound, audited access to PostgreSQL through a wire-protocol proxy"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "pgveil 0.1.0");
  proxy::cli::Common common;
  app.add_option("-c,--config", common.config_path, "Configuration file")
      ->envname("PGVEIL_CONFIG")
      ->capture_default_str();
  proxy::cli::add_serve(app, common);
  proxy::cli::add_grant(app, common);
  proxy::cli::add_check_config(app, common);
  proxy::cli::add_audit(app, common);
  proxy::cli::add_mask(app, common);
  proxy::cli::add_report(app, common);
  proxy::cli::add_workflow(app);
  proxy::cli::add_inspect(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? proxy::cli::kExitOk : proxy::cli::kExitUsage;
  } catch (const proxy::cli::Exit& e) {
    return e.code;
  }
  return proxy::cli::kExitOk;
}
