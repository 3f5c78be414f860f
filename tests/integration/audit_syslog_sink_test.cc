// The syslog sink over real sockets: a Unix datagram socket the test binds itself (as syslogd
// binds /dev/log) and a UDP socket on loopback; every received message is checked field by
// field against RFC 5424.
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <cstring>
#include <sstream>

#include "audit/event.h"
#include "audit/syslog_sink.h"
#include "support/files.h"

namespace {

class Receiver {
 public:
  explicit Receiver(int fd) : fd_(fd) { REQUIRE(fd_ >= 0); }
  ~Receiver() { ::close(fd_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::optional<std::string> receive(int timeout_ms = 5000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    std::string buf(70000, '\0');
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct Parsed {
  std::string pri, version, timestamp, hostname, app, procid, msgid, sd, msg;
};

// Splits "<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG"
// (RFC 5424 section 6), with SD a single element.
Parsed parse(const std::string& m) {
  Parsed p;
  REQUIRE(m.size() > 2);
  REQUIRE(m[0] == '<');
  const auto gt = m.find('>');
  REQUIRE(gt != std::string::npos);
  p.pri = m.substr(1, gt - 1);
  std::istringstream in(m.substr(gt + 1));
  in >> p.version >> p.timestamp >> p.hostname >> p.app >> p.procid >> p.msgid;
  const std::string rest = m.substr(gt + 1 + static_cast<std::size_t>(in.tellg()) + 1);
  REQUIRE(rest.starts_with("["));
  // The element ends at the first ']' not escaped by a backslash.
  std::size_t end = 1;
  while (end < rest.size() && !(rest[end] == ']' && rest[end - 1] != '\\')) ++end;
  REQUIRE(end < rest.size());
  p.sd = rest.substr(0, end + 1);
  REQUIRE(rest.size() > end + 1);
  CHECK(rest[end + 1] == ' ');
  p.msg = rest.substr(end + 2);
  return p;
}

std::vector<std::string> sample_events() {
  audit::SessionRef alice{7, "alice", 12, "support", "prod"};
  return {
      audit::to_line(audit::Event(audit::SessionStart{alice, "10.0.0.5:5000", "TLSv1.3", "psql"})),
      audit::to_line(audit::Event(audit::Statement{alice, 1, "simple", "", audit::analyze_statement("SELECT * FROM t WHERE a = 'secret'"), {}, 0})),
      audit::to_line(audit::Event(audit::Refusal{alice, "10.0.0.5:5000", "statement", "role support: read-only", "25006", "no", std::nullopt})),
  };
}

void check_messages(Receiver& rx, const std::vector<std::string>& events) {
  const std::string host = [] {
    char h[256] = {};
    ::gethostname(h, sizeof h - 1);
    return std::string(h);
  }();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"133", "session_start"}, {"134", "statement"}, {"132", "refusal"}};  // local0 = 16: 128 + severity
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto got = rx.receive();
    REQUIRE(got);
    INFO(*got);
    const auto p = parse(*got);
    CHECK(p.pri == expected[i].first);
    CHECK(p.version == "1");
    CHECK(p.timestamp == nlohmann::json::parse(events[i])["time"]);
    CHECK(audit::parse_time(p.timestamp));
    CHECK(p.hostname == host);
    CHECK(p.app == "pgveil-test");
    CHECK(p.procid == std::to_string(::getpid()));
    CHECK(p.msgid == expected[i].second);
    CHECK(p.sd.starts_with("[pgveil@32473 "));
    CHECK_THAT(p.sd, Catch::Contains("person=\"alice\""));
    CHECK_THAT(p.sd, Catch::Contains("grant=\"12\""));
    REQUIRE(p.msg.starts_with("\xEF\xBB\xBF"));
    CHECK(p.msg.substr(3) == events[i]);
    CHECK(got->find("secret") == std::string::npos);  // normalized text only
  }
}

}  // namespace

TEST_CASE("audit syslog sink: RFC 5424 over a Unix datagram socket, and a restarted daemon", "[audit][syslog]") {
  testsupport::TempDir dir("pgveil-syslog");
  const std::string path = dir.path() + "/log";
  const auto bind_socket = [&] {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    ::unlink(path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    return fd;
  };
  audit::SyslogSinkOptions options;
  options.socket_path = path;
  options.header.facility = 16;
  options.header.app_name = "pgveil-test";
  auto sink = audit::SyslogSink::open(options);
  REQUIRE(sink);
  CHECK((*sink)->name() == "syslog:" + path);

  const auto events = sample_events();
  {
    Receiver rx(bind_socket());
    REQUIRE((*sink)->write(events));
    check_messages(rx, events);
  }
  // The daemon is gone: the error names the sink and the cause.
  ::unlink(path.c_str());
  const auto down = (*sink)->write(events);
  REQUIRE_FALSE(down);
  CHECK_THAT(down.error().message, Catch::Contains("syslog:" + path));
  CHECK(down.error().code != 0);
  // A new daemon binds the path again: the sink reconnects on its next write.
  Receiver rx(bind_socket());
  REQUIRE((*sink)->write(events));
  check_messages(rx, events);
}

TEST_CASE("audit syslog sink: RFC 5424 over UDP to a loopback collector", "[audit][syslog]") {
  Receiver rx(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(rx.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(rx.fd(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);

  audit::SyslogSinkOptions options;
  options.host = "127.0.0.1";
  options.port = ntohs(addr.sin_port);
  options.header.facility = 16;
  options.header.app_name = "pgveil-test";
  auto sink = audit::SyslogSink::open(options);
  REQUIRE(sink);
  CHECK((*sink)->name() == "syslog:udp://127.0.0.1:" + std::to_string(options.port));
  const auto events = sample_events();
  REQUIRE((*sink)->write(events));
  check_messages(rx, events);
}
