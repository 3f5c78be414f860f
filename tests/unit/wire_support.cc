#include "tests/unit/wire_support.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "proxy/wire/messages.h"
#include "proxy/wire/startup.h"

namespace pgwire::test {
namespace {

int digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  std::fprintf(stderr, "bad hex digit '%c' in test data\n", c);
  std::abort();
}

template <class F>
std::string build(F&& f) {
  std::string out;
  f(out);
  return out;
}

std::string startup_packet(std::uint16_t major, std::uint16_t minor,
                           std::vector<std::pair<std::string, std::string>> params) {
  StartupMessage m;
  m.major = major;
  m.minor = minor;
  m.params = std::move(params);
  return build([&](std::string& o) { encode_startup_message(o, m); });
}

// A raw untyped packet: Int32 length (counting itself) + the given bytes.
std::string raw_packet(std::string_view after_length) {
  std::string out;
  Writer w(out);
  const auto mark = w.begin_untyped();
  w.bytes(after_length);
  w.end(mark);
  return out;
}

std::string be32(std::uint32_t v) {
  std::string out;
  Writer(out).u32(v);
  return out;
}

std::vector<std::int16_t> to_vector(const Int16Array& a) { return {a.begin(), a.end()}; }
std::vector<std::uint32_t> to_vector(const OidArray& a) { return {a.begin(), a.end()}; }
std::vector<Value> to_vector(const ValueList& v) { return {v.begin(), v.end()}; }

template <class T>
std::expected<std::string, WireError> or_error(const std::expected<T, WireError>& parsed, auto&& encode) {
  if (!parsed) return std::unexpected(parsed.error());
  std::string out;
  encode(out, *parsed);
  return out;
}

std::expected<std::string, WireError> reencode_frontend(char type, Bytes body, PasswordPhase phase) {
  switch (type) {
    case fe::kBind:
      return or_error(parse_bind(body), [](std::string& o, const Bind& b) {
        encode_bind(o, b.portal, b.statement, to_vector(b.parameter_formats), to_vector(b.parameters),
                    to_vector(b.result_formats));
      });
    case fe::kClose:
      return or_error(parse_close(body), [](std::string& o, const Close& c) { encode_close(o, c.target, c.name); });
    case fe::kCopyData: {
      std::string o;
      encode_copy_data(o, body);
      return o;
    }
    case fe::kCopyFail:
      return or_error(parse_copy_fail(body), [](std::string& o, const CopyFail& f) { encode_copy_fail(o, f.message); });
    case fe::kDescribe:
      return or_error(parse_describe(body),
                      [](std::string& o, const Describe& d) { encode_describe(o, d.target, d.name); });
    case fe::kExecute:
      return or_error(parse_execute(body),
                      [](std::string& o, const Execute& e) { encode_execute(o, e.portal, e.max_rows); });
    case fe::kFunctionCall:
      return or_error(parse_function_call(body), [](std::string& o, const FunctionCall& f) {
        encode_function_call(o, f.function_oid, to_vector(f.argument_formats), to_vector(f.arguments), f.result_format);
      });
    case fe::kParse:
      return or_error(parse_parse(body), [](std::string& o, const Parse& p) {
        encode_parse(o, p.statement, p.query, to_vector(p.parameter_types));
      });
    case fe::kPassword:
      switch (phase) {
        case PasswordPhase::kPassword:
          return or_error(parse_password_message(body),
                          [](std::string& o, std::string_view p) { encode_password_message(o, p); });
        case PasswordPhase::kSaslInitial:
          return or_error(parse_sasl_initial_response(body), [](std::string& o, const SaslInitialResponse& s) {
            encode_sasl_initial_response(o, s.mechanism, s.data);
          });
        case PasswordPhase::kSaslResponse: {
          std::string o;
          encode_sasl_response(o, as_chars(body));
          return o;
        }
      }
      break;
    case fe::kQuery:
      return or_error(parse_query(body), [](std::string& o, const Query& q) { encode_query(o, q.sql); });
    case fe::kCopyDone:
    case fe::kFlush:
    case fe::kSync:
    case fe::kTerminate: {
      if (auto ok = parse_empty(body, message_name(Side::kFrontend, type)); !ok) return std::unexpected(ok.error());
      std::string o;
      encode_empty(o, type);
      return o;
    }
    default: break;
  }
  return wire_error("no typed view for this frontend message type");
}

void encode_authentication_like_a_server(std::string& o, const Authentication& a) {
  switch (a.code) {
    case kAuthOk: encode_authentication_ok(o); return;
    case kAuthCleartext: encode_authentication_cleartext(o); return;
    case kAuthMd5: encode_authentication_md5(o, {a.data[0], a.data[1], a.data[2], a.data[3]}); return;
    case kAuthSasl: encode_authentication_sasl(o, a.mechanisms); return;
    case kAuthSaslContinue: encode_authentication_sasl_continue(o, as_chars(a.data)); return;
    case kAuthSaslFinal: encode_authentication_sasl_final(o, as_chars(a.data)); return;
    default: encode_authentication(o, a.code, a.data); return;
  }
}

std::expected<std::string, WireError> reencode_backend(char type, Bytes body) {
  switch (type) {
    case be::kAuthentication: return or_error(parse_authentication(body), encode_authentication_like_a_server);
    case be::kBackendKeyData:
      return or_error(parse_backend_key_data(body),
                      [](std::string& o, const BackendKeyData& k) { encode_backend_key_data(o, k.pid, k.key); });
    case be::kCommandComplete:
      return or_error(parse_command_complete(body),
                      [](std::string& o, const CommandComplete& c) { encode_command_complete(o, c.tag); });
    case be::kCopyData: {
      std::string o;
      encode_copy_data(o, body);
      return o;
    }
    case be::kCopyInResponse:
    case be::kCopyOutResponse:
    case be::kCopyBothResponse:
      return or_error(parse_copy_response(body), [type](std::string& o, const CopyResponse& c) {
        encode_copy_response(o, type, c.format, to_vector(c.column_formats));
      });
    case be::kDataRow:
      // Through the streaming writer, as the masking layer will write rows.
      return or_error(parse_data_row(body), [](std::string& o, const DataRow& row) {
        DataRowWriter w(o, row.size());
        for (const Value& v : row.values) w.value(v);
        w.finish();
      });
    case be::kErrorResponse:
      return or_error(parse_error_fields(body), [](std::string& o, const ErrorFields& f) { encode_error_response(o, f); });
    case be::kNoticeResponse:
      return or_error(parse_error_fields(body), [](std::string& o, const ErrorFields& f) { encode_notice_response(o, f); });
    case be::kFunctionCallResponse:
      return or_error(parse_function_call_response(body),
                      [](std::string& o, const FunctionCallResponse& f) { encode_function_call_response(o, f.result); });
    case be::kNegotiateProtocolVersion:
      return or_error(parse_negotiate_protocol_version(body), [](std::string& o, const NegotiateProtocolVersion& n) {
        const std::vector<std::string> options(n.unsupported_options.begin(), n.unsupported_options.end());
        encode_negotiate_protocol_version(o, n.newest_minor, options);
      });
    case be::kNotificationResponse:
      return or_error(parse_notification_response(body), [](std::string& o, const NotificationResponse& n) {
        encode_notification_response(o, n.pid, n.channel, n.payload);
      });
    case be::kParameterDescription:
      return or_error(parse_parameter_description(body), [](std::string& o, const ParameterDescription& p) {
        encode_parameter_description(o, to_vector(p.types));
      });
    case be::kParameterStatus:
      return or_error(parse_parameter_status(body),
                      [](std::string& o, const ParameterStatus& p) { encode_parameter_status(o, p.name, p.value); });
    case be::kReadyForQuery:
      return or_error(parse_ready_for_query(body), [](std::string& o, char s) { encode_ready_for_query(o, s); });
    case be::kRowDescription:
      return or_error(parse_row_description(body), [](std::string& o, const RowDescription& d) {
        const std::vector<FieldDescription> fields(d.begin(), d.end());
        encode_row_description(o, fields);
      });
    case be::kBindComplete:
    case be::kCloseComplete:
    case be::kCopyDone:
    case be::kEmptyQueryResponse:
    case be::kNoData:
    case be::kParseComplete:
    case be::kPortalSuspended: {
      if (auto ok = parse_empty(body, message_name(Side::kBackend, type)); !ok) return std::unexpected(ok.error());
      std::string o;
      encode_empty(o, type);
      return o;
    }
    default: break;
  }
  return wire_error("no typed view for this backend message type");
}

}  // namespace

std::string unhex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n') continue;
    const int d = digit(c);
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<char>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0) std::abort();
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::expected<std::string, WireError> reencode(Side side, char type, Bytes body, PasswordPhase phase) {
  return side == Side::kFrontend ? reencode_frontend(type, body, phase) : reencode_backend(type, body);
}

const std::vector<StartupSample>& startup_samples() {
  static const std::vector<StartupSample> kSamples = [] {
    std::vector<StartupSample> s = {
        {"SSLRequest", build([](std::string& o) { encode_ssl_request(o); })},
        {"GSSENCRequest", build([](std::string& o) { encode_gssenc_request(o); })},
        {"CancelRequest 3.0", build([](std::string& o) { encode_cancel_request(o, 4242, "\x01\x02\x03\x04"); })},
        {"CancelRequest 3.2 long key",
         build([](std::string& o) { encode_cancel_request(o, 7, std::string(kMaxCancelKey, '\xab')); })},
        {"StartupMessage 3.0", startup_packet(3, 0, {{"user", "alice"}, {"database", "prod"}})},
        {"StartupMessage 3.0 no params", startup_packet(3, 0, {})},
        {"StartupMessage 3.2", startup_packet(3, 2, {{"user", "alice"}, {"_pq_.x", "y"}})},
        {"StartupMessage grease 3.9999", startup_packet(3, 9999, {{"user", "u"}, {"_pq_.test_protocol_negotiation", ""}})},
        {"StartupMessage 3.65535", startup_packet(3, 65535, {{"user", "u"}})},
        {"StartupMessage options", startup_packet(3, 0, {{"user", "u"}, {"options", "-c search_path=x"},
                                                         {"replication", "database"}, {"application_name", ""}})},
        {"StartupMessage at the 10000-byte limit",
         startup_packet(3, 0, {{"user", "u"}, {"application_name", std::string(10000 - 8 - 7 - 17 - 1 - 1, 'a')}})},
    };
    for (const auto& c : captured_startup_packets()) s.push_back({"captured " + c.name, c.packet});
    return s;
  }();
  return kSamples;
}

const std::vector<BadStartup>& bad_startup_samples() {
  static const std::vector<BadStartup> kBad = {
      {"TLS ClientHello", unhex("16030100c4010000c00303"), "TLS handshake"},
      {"HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "invalid length of startup packet: 1195725856"},
      {"length 0", unhex("00000000") + be32(196608), "invalid length of startup packet: 0"},
      {"length 7", unhex("00000007") + be32(196608), "invalid length of startup packet: 7"},
      {"length 10001", be32(10001) + be32(196608) + std::string(9993, 'x'), "invalid length of startup packet: 10001"},
      {"length 2^31", unhex("7fffffff") + be32(196608), "invalid length of startup packet"},
      {"unknown request code", raw_packet(be32(1234u << 16 | 5681)), "unknown startup request code 1234.5681"},
      {"SSLRequest too long", raw_packet(be32(80877103) + "xx"), "invalid SSLRequest: length 10"},
      {"GSSENCRequest too long", raw_packet(be32(80877104) + "x"), "invalid GSSENCRequest: length 9"},
      {"CancelRequest without key", raw_packet(be32(80877102) + be32(1)), "secret key of 0 bytes"},
      {"CancelRequest short key", raw_packet(be32(80877102) + be32(1) + "abc"), "secret key of 3 bytes"},
      {"CancelRequest key of 257", raw_packet(be32(80877102) + be32(1) + std::string(257, 'k')), "secret key of 257 bytes"},
      {"no terminator", raw_packet(be32(196608) + std::string("user\0u\0", 7)), "expected terminator as last byte"},
      {"name without value", raw_packet(be32(196608) + std::string("user\0", 5) + "u"), "has no value"},
      {"bytes after terminator", raw_packet(be32(196608) + std::string("user\0u\0\0x", 9)), "expected terminator"},
      {"empty packet body", raw_packet(be32(196608)), "expected terminator as last byte"},
  };
  return kBad;
}

const std::vector<Sample>& samples() {
  static const std::vector<Sample> kSamples = [] {
    const std::array<std::int16_t, 2> formats = {kFormatBinary, kFormatText};
    const std::array<std::int16_t, 1> one_binary = {kFormatBinary};
    const std::string int4 = unhex("0000002a");
    const std::array<Value, 3> params = {as_bytes(int4), std::nullopt, text_value("")};
    const std::array<std::uint32_t, 2> oids = {23, 25};
    const std::array<std::string, 2> mechanisms = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
    const std::array<std::string, 1> options = {"_pq_.x"};
    const std::array<FieldDescription, 2> fields = {
        FieldDescription{"id", 16384, 1, 23, 4, -1, 0},
        FieldDescription{"email", 16384, 2, 25, -1, -1, 1},
    };
    const std::array<Value, 3> row = {text_value("1"), std::nullopt, text_value("a@example.com")};
    ErrorFields full = make_error("ERROR", "23505", "duplicate key", "try another", "Key (email)=(a@example.com)");
    full.other = {{'S', "FEHLER"}, {'s', "public"}, {'t', "users"}, {'F', "nbtinsert.c"}, {'L', "664"}};
    using S = std::vector<Sample>;
    auto fe_ = [](std::string name, auto f) { return Sample{std::move(name), Side::kFrontend, build(f)}; };
    auto be_ = [](std::string name, auto f) { return Sample{std::move(name), Side::kBackend, build(f)}; };
    return S{
        fe_("Bind plain", [](std::string& o) { encode_bind(o, "", "", {}, {}, {}); }),
        fe_("Bind params", [&](std::string& o) { encode_bind(o, "p1", "s1", formats, params, one_binary); }),
        fe_("Bind per-column results", [&](std::string& o) { encode_bind(o, "", "s", {}, {}, formats); }),
        fe_("Close statement", [](std::string& o) { encode_close(o, kTargetStatement, "s1"); }),
        fe_("Close portal", [](std::string& o) { encode_close(o, kTargetPortal, ""); }),
        fe_("CopyData", [](std::string& o) { encode_copy_data(o, "1\tx\n"); }),
        fe_("CopyDone", [](std::string& o) { encode_copy_done(o); }),
        fe_("CopyFail", [](std::string& o) { encode_copy_fail(o, "aborted by user"); }),
        fe_("Describe statement", [](std::string& o) { encode_describe(o, kTargetStatement, "s1"); }),
        fe_("Describe portal", [](std::string& o) { encode_describe(o, kTargetPortal, ""); }),
        fe_("Execute", [](std::string& o) { encode_execute(o, "", 0); }),
        fe_("Execute max rows", [](std::string& o) { encode_execute(o, "p1", 100); }),
        fe_("Flush", [](std::string& o) { encode_flush(o); }),
        fe_("FunctionCall", [&](std::string& o) { encode_function_call(o, 1397, one_binary, params, kFormatBinary); }),
        fe_("Parse", [](std::string& o) { encode_parse(o, "", "SELECT 1"); }),
        fe_("Parse typed", [&](std::string& o) { encode_parse(o, "s1", "SELECT $1::int, $2", oids); }),
        fe_("PasswordMessage", [](std::string& o) { encode_password_message(o, "md5abcdef"); }),
        fe_("SASLInitialResponse", [](std::string& o) {
          encode_sasl_initial_response(o, "SCRAM-SHA-256", "n,,n=,r=rOprNGfwEbeRWgbNEkqO");
        }),
        fe_("SASLInitialResponse no data",
            [](std::string& o) { encode_sasl_initial_response(o, "SCRAM-SHA-256", std::optional<Bytes>{}); }),
        fe_("SASLResponse", [](std::string& o) { encode_sasl_response(o, "c=biws,r=abc,p=xyz"); }),
        fe_("Query", [](std::string& o) { encode_query(o, "SELECT 1"); }),
        fe_("Query empty", [](std::string& o) { encode_query(o, ""); }),
        fe_("Sync", [](std::string& o) { encode_sync(o); }),
        fe_("Terminate", [](std::string& o) { encode_terminate(o); }),

        be_("AuthenticationOk", [](std::string& o) { encode_authentication_ok(o); }),
        be_("AuthenticationCleartextPassword", [](std::string& o) { encode_authentication_cleartext(o); }),
        be_("AuthenticationMD5Password", [](std::string& o) { encode_authentication_md5(o, {1, 2, 3, 4}); }),
        be_("AuthenticationSASL", [&](std::string& o) { encode_authentication_sasl(o, mechanisms); }),
        be_("AuthenticationSASLContinue", [](std::string& o) { encode_authentication_sasl_continue(o, "r=abc,s=c2FsdA==,i=4096"); }),
        be_("AuthenticationSASLFinal", [](std::string& o) { encode_authentication_sasl_final(o, "v=c2lnbmF0dXJl"); }),
        be_("AuthenticationGSS", [](std::string& o) { encode_authentication(o, kAuthGss); }),
        be_("BackendKeyData", [](std::string& o) { encode_backend_key_data(o, 11520, unhex("28b600d0")); }),
        be_("BackendKeyData 3.2", [](std::string& o) { encode_backend_key_data(o, 1, std::string(32, 'k')); }),
        be_("BindComplete", [](std::string& o) { encode_bind_complete(o); }),
        be_("CloseComplete", [](std::string& o) { encode_close_complete(o); }),
        be_("CommandComplete", [](std::string& o) { encode_command_complete(o, "SELECT 1"); }),
        be_("CopyData", [](std::string& o) { encode_copy_data(o, "1\ta\n"); }),
        be_("CopyDone", [](std::string& o) { encode_copy_done(o); }),
        be_("CopyInResponse", [](std::string& o) { encode_copy_in_response(o, 0, std::array<std::int16_t, 2>{0, 0}); }),
        be_("CopyOutResponse", [&](std::string& o) { encode_copy_out_response(o, 1, formats); }),
        be_("CopyBothResponse", [](std::string& o) { encode_copy_both_response(o, 0, {}); }),
        be_("DataRow", [&](std::string& o) { encode_data_row(o, row); }),
        be_("DataRow no columns", [](std::string& o) { encode_data_row(o, {}); }),
        be_("EmptyQueryResponse", [](std::string& o) { encode_empty_query_response(o); }),
        be_("ErrorResponse", [&](std::string& o) { encode_error_response(o, full); }),
        be_("FunctionCallResponse", [&](std::string& o) { encode_function_call_response(o, as_bytes(int4)); }),
        be_("FunctionCallResponse NULL", [](std::string& o) { encode_function_call_response(o, std::nullopt); }),
        be_("NegotiateProtocolVersion", [&](std::string& o) { encode_negotiate_protocol_version(o, 0, options); }),
        be_("NoData", [](std::string& o) { encode_no_data(o); }),
        be_("NoticeResponse", [](std::string& o) { encode_notice_response(o, make_error("NOTICE", "00000", "hi")); }),
        be_("NotificationResponse", [](std::string& o) { encode_notification_response(o, 42, "chan", "payload"); }),
        be_("ParameterDescription", [&](std::string& o) { encode_parameter_description(o, oids); }),
        be_("ParameterStatus", [](std::string& o) { encode_parameter_status(o, "client_encoding", "UTF8"); }),
        be_("ParseComplete", [](std::string& o) { encode_parse_complete(o); }),
        be_("PortalSuspended", [](std::string& o) { encode_portal_suspended(o); }),
        be_("ReadyForQuery idle", [](std::string& o) { encode_ready_for_query(o, kTxIdle); }),
        be_("ReadyForQuery in block", [](std::string& o) { encode_ready_for_query(o, kTxInBlock); }),
        be_("ReadyForQuery failed", [](std::string& o) { encode_ready_for_query(o, kTxFailed); }),
        be_("RowDescription", [&](std::string& o) { encode_row_description(o, fields); }),
    };
  }();
  return kSamples;
}

}  // namespace pgwire::test
