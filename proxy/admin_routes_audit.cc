// Admin API: the live audit stream, GET /v1/audit/stream (README "Admin API", issue #5 point 4).
//
// Events as the writer accepts them (the file sink's "seq"/"prev"/"mac" are not part of them),
// filtered like `pgveil audit tail` (?person=, ?grant=, ?refused=1, ?type=a,b), as JSON lines
// (application/x-ndjson, chunked) or server-sent events with `Accept: text/event-stream`. Who sees
// what follows GET /v1/sessions: the admin token everything; a person their own events and those
// of the roles they approve. A subscriber that reads too slowly is dropped (audit/live_feed.h):
// its stream ends with a {"type":"stream_dropped"} note, and sessions never wait for it.
#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "audit/event_fields.h"
#include "audit/tail_format.h"
#include "proxy/access.h"
#include "proxy/admin_http.h"

namespace proxy::admin {
namespace {

using namespace std::chrono_literals;

// How long the stream may stay silent: then a blank line (an SSE comment) checks the client is
// still there, so a gone client frees its slot.
constexpr auto kHeartbeat = 15s;

std::optional<audit::TailFilter> stream_filter(Call& call) {
  audit::TailFilter filter;
  const auto& req = call.req;
  if (req.has_param("person")) filter.person = req.get_param_value("person");
  if (req.has_param("grant")) {
    const std::string text = req.get_param_value("grant");
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size()) {
      send_error(call.res, 400, "invalid", fmt::format("grant '{}' is not a grant id", text));
      return std::nullopt;
    }
    filter.grant = id;
  }
  if (req.has_param("refused")) {
    const std::string text = req.get_param_value("refused");
    filter.refused = text == "1" || text == "true" || text.empty();
  }
  if (req.has_param("type")) {
    auto types = audit::parse_event_types(req.get_param_value("type"));
    if (!types) {
      send_error(call.res, 400, "invalid", types.error());
      return std::nullopt;
    }
    filter.types = std::move(*types);
  }
  return filter;
}

// The GET /v1/sessions rule, per event: admin, the event's own person, or an approver of its role.
bool may_see_event(const policy::Actor& actor, const Config& config, const nlohmann::json& event) {
  if (actor.admin) return true;
  const std::string person = audit::field_text(event, "person");
  const std::string role = audit::field_text(event, "role");
  if (person.empty() && role.empty()) return false;  // config reloads and the like: admin only
  return may_see_session(actor, config, person, role);
}

void stream_audit(Call& call) {
  if (!call.services.audit) {
    send_error(call.res, 404, "not_found", "the audit log is off: the configuration has no audit: section");
    return;
  }
  auto filter = stream_filter(call);
  if (!filter) return;
  auto subscription = call.services.audit->live().subscribe();
  if (!subscription) {
    send_error(call.res, 503, "busy", "too many audit stream clients are connected",
               "Close another `pgveil audit tail -f` (or stream) first, or read the audit file.");
    return;
  }
  const bool sse = call.req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
  // The provider runs after this handler returns: it owns copies of what it needs.
  auto state = std::make_shared<std::tuple<policy::Actor, std::shared_ptr<const Runtime>, audit::TailFilter>>(
      call.actor, call.services.runtime.load(), std::move(*filter));
  auto last_write = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  call.res.set_header("Cache-Control", "no-store");
  call.res.set_chunked_content_provider(
      sse ? "text/event-stream" : "application/x-ndjson",
      [subscription, state, last_write, sse](std::size_t, httplib::DataSink& sink) {
        const auto& [actor, runtime, tail_filter] = *state;
        auto batch = subscription->next(1s);
        std::string out;
        if (batch.missed > 0) {
          const auto note = nlohmann::json{{"type", "stream_dropped"},
                                           {"missed", batch.missed},
                                           {"message", "this client read too slowly and was dropped; reconnect"}}
                                .dump();
          out = sse ? fmt::format("event: stream_dropped\ndata: {}\n\n", note) : note + "\n";
          sink.write(out.data(), out.size());
          sink.done();
          return true;
        }
        for (const auto& line : batch.lines) {
          const auto event = nlohmann::json::parse(*line, nullptr, false);
          if (!event.is_object() || !audit::tail_matches(event, tail_filter)) continue;
          if (!may_see_event(actor, *runtime->config, event)) continue;
          out += sse ? fmt::format("data: {}\n\n", *line) : *line + "\n";
        }
        const auto now = std::chrono::steady_clock::now();
        if (out.empty() && now - *last_write >= kHeartbeat) out = sse ? ":\n\n" : "\n";
        if (out.empty()) return sink.is_writable();
        *last_write = now;
        return sink.write(out.data(), out.size());
      });
}

}  // namespace

void add_audit_routes(httplib::Server& server, Services& services) {
  handle(server, services, "GET", "/v1/audit/stream", stream_audit);
}

}  // namespace proxy::admin
