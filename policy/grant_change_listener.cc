#include "policy/grant_change_listener.h"

#include <libpq-fe.h>
#include <poll.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "policy/grant_store_schema.h"
#include "policy/pg_conninfo.h"

namespace policy {
namespace {

constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5'000);
// How often the thread looks up from poll() to notice stop(); also bounds shutdown time.
constexpr int kPollMs = 100;
// A quiet connection is probed this often: a listener whose server vanished without a FIN
// (network cut, VM paused) would otherwise wait for notifications that never come.
constexpr auto kProbeEvery = std::chrono::seconds(2);

}  // namespace

GrantChangeListener::GrantChangeListener(std::string conninfo, std::chrono::seconds timeout,
                                         std::function<void()> changed)
    : conninfo_(std::move(conninfo)), timeout_(timeout), changed_(std::move(changed)) {
  thread_ = std::thread([this] { run(); });
}

GrantChangeListener::~GrantChangeListener() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GrantChangeListener::run() {
  auto backoff = kMinBackoff;
  const std::string listen_sql = fmt::format("LISTEN {}", kGrantChangesChannel);
  while (!stopping_) {
    auto conn = pg::connect(conninfo_, timeout_, "pgveil-listener");
    PGconn* pg = conn ? *conn : nullptr;
    if (pg != nullptr) {
      PGresult* res = PQexec(pg, listen_sql.c_str());
      const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
      if (!ok) spdlog::warn("grant store listener: {}: {}", listen_sql, pg::error_of(pg, res));
      PQclear(res);
      if (!ok) {
        PQfinish(pg);
        pg = nullptr;
      }
    } else {
      spdlog::warn("grant store listener: {}; polling until it is back", conn.error());
    }
    if (pg != nullptr) {
      connected_ = true;
      backoff = kMinBackoff;
      spdlog::info("grant store listener: LISTEN {}", kGrantChangesChannel);
      changed_();  // whatever happened while not listening
      // The server may drop an idle listener unnoticed; tcp_user_timeout and keepalives (from
      // the connection defaults) surface that as a read error here.
      auto last_heard = std::chrono::steady_clock::now();
      while (!stopping_) {
        pollfd fd{PQsocket(pg), POLLIN, 0};
        const int ready = ::poll(&fd, 1, kPollMs);
        if (ready < 0 && errno != EINTR) break;
        if (ready == 0 && std::chrono::steady_clock::now() - last_heard >= kProbeEvery) {
          // Bounded by statement_timeout and tcp_user_timeout; notifications that arrive with
          // the reply are read below.
          PGresult* probe = PQexec(pg, "SELECT 1");
          const bool alive = PQresultStatus(probe) == PGRES_TUPLES_OK;
          PQclear(probe);
          if (!alive) break;
          last_heard = std::chrono::steady_clock::now();
        } else if (ready <= 0) {
          continue;
        } else if (PQconsumeInput(pg) == 0) {
          break;
        } else {
          last_heard = std::chrono::steady_clock::now();
        }
        bool any = false;
        while (PGnotify* n = PQnotifies(pg)) {
          any = true;
          PQfreemem(n);
        }
        if (any) {
          notifications_.fetch_add(1);
          changed_();
        }
      }
      connected_ = false;
      if (!stopping_) spdlog::warn("grant store listener: connection lost ({}); polling until it is back",
                                   pg::error_of(pg, nullptr));
      PQfinish(pg);
    }
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, backoff, [this] { return stopping_.load(); });
    backoff = std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
  }
}

}  // namespace policy
