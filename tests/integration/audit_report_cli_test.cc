// `pgveil report` end to end: a synthetic month written by the file sink, the report in each
// format, and the HTML rendered by headless Chromium (a screenshot that must not be blank).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "audit/file_sink.h"
#include "support/files.h"
#include "support/png.h"
#include "support/process.h"
#include "unit/audit_report_events.h"

using testsupport::run;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

std::string write_month(const std::string& dir) {
  const std::string path = dir + "/audit.jsonl";
  auto key = audit::ChainKey::from_bytes("0123456789abcdef-report-key");
  REQUIRE(key);
  auto sink = audit::FileSink::open({.path = path, .fsync = audit::FsyncMode::kNone, .rotate_size = 4096}, *key);
  REQUIRE(sink);
  for (const auto& e : audit_test::report_events()) REQUIRE((*sink)->write(std::vector<std::string>{audit::to_line(e)}));
  REQUIRE((*sink)->rotation_count() > 0);
  return path;
}

testsupport::RunResult pgveil(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {PGVEIL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {}, {}, std::chrono::seconds(60));
}

testsupport::RunResult screenshot(const std::string& dir, const std::string& html, const std::string& png) {
  testsupport::TempDir profile("pgveil-chromium");
  return run({kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--user-data-dir=" + profile.path(), "--screenshot=" + png, "--window-size=1200,1600",
              "file://" + html},
             {}, {"HOME=" + dir}, std::chrono::seconds(90));
}

}  // namespace

TEST_CASE("pgveil report: html, md and json from rotated audit files", "[audit][report]") {
  testsupport::TempDir dir("pgveil-report");
  const auto log = write_month(dir.path());
  const std::string html_path = dir.path() + "/report.html";

  auto r = pgveil({"report", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "html", "--out", html_path,
                   "--with-rotated", log});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("3 grants"));
  const auto html = testsupport::read_file(html_path);
  for (const char* part : {"<h2>Summary</h2>", "<h2>Anomalies</h2>", "<h2>Grants</h2>", "Grant #12", "Grant #13",
                           "Grant #14", "INC-4711 refund failing for order 991", "Burst of failed logins",
                           "Connection attempt after the grant ended", "Self-approval attempt", "<svg"}) {
    CHECK_THAT(html, Catch::Contains(part));
  }

  // Without --with-rotated only the newest file is read: fewer grants.
  r = pgveil({"report", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "json", log});
  REQUIRE(r.exit_code == 0);
  const auto partial = nlohmann::json::parse(r.out);
  r = pgveil({"report", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "json", "--with-rotated", log});
  REQUIRE(r.exit_code == 0);
  const auto full = nlohmann::json::parse(r.out);
  CHECK(full["totals"]["grants"] == 3);
  CHECK(full["totals"]["statements"] == 4);
  CHECK(full["anomalies"].size() == 5);
  CHECK(partial["totals"]["events"] < full["totals"]["events"]);

  r = pgveil({"report", "--from", "2026-12-01", "--to", "2026-12-01", "--format", "md", "--with-rotated", log});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("# pgveil access report"));
  CHECK_THAT(r.out, Catch::Contains("### Grant #12: alice as support on prod"));

  // Usage errors exit 2, unreadable files 1.
  CHECK(pgveil({"report", "--from", "yesterday", "--to", "2026-12-31", log}).exit_code == 2);
  CHECK(pgveil({"report", "--from", "2026-12-31", "--to", "2026-12-01", log}).exit_code == 2);
  CHECK(pgveil({"report", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "pdf", log}).exit_code == 2);
  CHECK(pgveil({"report", "--from", "2026-12-01", "--to", "2026-12-31", dir.path() + "/missing.jsonl"}).exit_code == 1);
  CHECK(pgveil({"report", "--help"}).exit_code == 0);
}

TEST_CASE("pgveil report: the HTML renders in headless Chromium", "[audit][report][chromium]") {
  if (::access(kChromium, X_OK) != 0) {
    WARN("SKIPPED: " << kChromium << " is not installed (Debian package chromium; scripts/install-deps.sh installs it)");
    return;
  }
  testsupport::TempDir dir("pgveil-report");
  const auto log = write_month(dir.path());
  const std::string html = dir.path() + "/report.html";
  REQUIRE(pgveil({"report", "--from", "2026-12-01", "--to", "2026-12-31", "--out", html, "--with-rotated", log})
              .exit_code == 0);

  const auto shot = screenshot(dir.path(), html, dir.path() + "/report.png");
  INFO(shot.out << shot.err);
  REQUIRE(shot.exit_code == 0);
  const auto png = testsupport::read_file(dir.path() + "/report.png");
  const auto stats = testsupport::png_stats(png);
  INFO("report.png: " << png.size() << " bytes, " << stats.distinct_colours << " colours, background share "
                      << stats.background_share);
  CHECK(stats.width == 1200);
  CHECK(stats.height == 1600);
  // A blank page is one colour. Text, tables and the charts' bars give many (anti-aliasing) and
  // a good part of the page that is not background.
  CHECK(png.size() > 20'000);
  CHECK(stats.distinct_colours >= 50);
  CHECK(stats.background_share < 0.97);
}
