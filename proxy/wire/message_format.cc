#include "proxy/wire/message_format.h"

#include <fmt/format.h>

#include "proxy/wire/framing.h"

namespace pgwire {
namespace {

constexpr MessageFormat entry(char type, std::string_view name, std::string_view spec, Format format) {
  return MessageFormat{type, name, spec, format};
}
// The spec is written once: the macro keeps the text shown to people and the compiled steps equal.
#define PGWIRE_FORMAT(type, name, spec) entry(type, name, spec, compile_format(spec))

// PG docs "Message Formats", frontend messages.
constexpr MessageFormat kFrontend[] = {
    PGWIRE_FORMAT(fe::kBind, "Bind", "String String Array16<Int16> Array16<VarByteN> Array16<Int16>"),
    PGWIRE_FORMAT(fe::kClose, "Close", "Byte1 String"),
    PGWIRE_FORMAT(fe::kCopyData, "CopyData", "ByteN"),
    PGWIRE_FORMAT(fe::kCopyDone, "CopyDone", ""),
    PGWIRE_FORMAT(fe::kCopyFail, "CopyFail", "String"),
    PGWIRE_FORMAT(fe::kDescribe, "Describe", "Byte1 String"),
    PGWIRE_FORMAT(fe::kExecute, "Execute", "String Int32"),
    PGWIRE_FORMAT(fe::kFlush, "Flush", ""),
    PGWIRE_FORMAT(fe::kFunctionCall, "FunctionCall", "Int32 Array16<Int16> Array16<VarByteN> Int16"),
    PGWIRE_FORMAT(fe::kParse, "Parse", "String String Array16<Int32>"),
    // PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share 'p': only the
    // authentication phase says which (PROTOCOL.md 11), so the table cannot look inside.
    PGWIRE_FORMAT(fe::kPassword, "PasswordMessage", "ByteN"),
    PGWIRE_FORMAT(fe::kQuery, "Query", "String"),
    PGWIRE_FORMAT(fe::kSync, "Sync", ""),
    PGWIRE_FORMAT(fe::kTerminate, "Terminate", ""),
};

// PG docs "Message Formats", backend messages.
constexpr MessageFormat kBackend[] = {
    // The Int32 code decides the rest (parse_authentication checks it).
    PGWIRE_FORMAT(be::kAuthentication, "Authentication", "Int32 ByteN"),
    PGWIRE_FORMAT(be::kBackendKeyData, "BackendKeyData", "Int32 ByteN"),
    PGWIRE_FORMAT(be::kBindComplete, "BindComplete", ""),
    PGWIRE_FORMAT(be::kCloseComplete, "CloseComplete", ""),
    PGWIRE_FORMAT(be::kCommandComplete, "CommandComplete", "String"),
    PGWIRE_FORMAT(be::kCopyData, "CopyData", "ByteN"),
    PGWIRE_FORMAT(be::kCopyDone, "CopyDone", ""),
    PGWIRE_FORMAT(be::kCopyInResponse, "CopyInResponse", "Int8 Array16<Int16>"),
    PGWIRE_FORMAT(be::kCopyOutResponse, "CopyOutResponse", "Int8 Array16<Int16>"),
    PGWIRE_FORMAT(be::kCopyBothResponse, "CopyBothResponse", "Int8 Array16<Int16>"),
    PGWIRE_FORMAT(be::kDataRow, "DataRow", "Array16<VarByteN>"),
    PGWIRE_FORMAT(be::kEmptyQueryResponse, "EmptyQueryResponse", ""),
    PGWIRE_FORMAT(be::kErrorResponse, "ErrorResponse", "Fields"),
    PGWIRE_FORMAT(be::kFunctionCallResponse, "FunctionCallResponse", "VarByteN"),
    PGWIRE_FORMAT(be::kNegotiateProtocolVersion, "NegotiateProtocolVersion", "Int32 Array32<String>"),
    PGWIRE_FORMAT(be::kNoData, "NoData", ""),
    PGWIRE_FORMAT(be::kNoticeResponse, "NoticeResponse", "Fields"),
    PGWIRE_FORMAT(be::kNotificationResponse, "NotificationResponse", "Int32 String String"),
    PGWIRE_FORMAT(be::kParameterDescription, "ParameterDescription", "Array16<Int32>"),
    PGWIRE_FORMAT(be::kParameterStatus, "ParameterStatus", "String String"),
    PGWIRE_FORMAT(be::kParseComplete, "ParseComplete", ""),
    PGWIRE_FORMAT(be::kPortalSuspended, "PortalSuspended", ""),
    PGWIRE_FORMAT(be::kReadyForQuery, "ReadyForQuery", "Byte1"),
    // Field name, table OID, column attnum, type OID, type size, type modifier, format code.
    PGWIRE_FORMAT(be::kRowDescription, "RowDescription", "Array16<String Int32 Int16 Int32 Int16 Int32 Int16>"),
};
#undef PGWIRE_FORMAT

// The fewest bytes one instance of a scalar takes, to reject an impossible count up front.
std::size_t min_size(FormatItem item) {
  switch (item) {
    case FormatItem::kInt16: return 2;
    case FormatItem::kInt32:
    case FormatItem::kVarByteN: return 4;
    default: return 1;
  }
}

std::expected<void, WireError> check_scalar(Reader& r, FormatItem item) {
  switch (item) {
    case FormatItem::kByte1:
      if (auto v = r.u8(); !v) return std::unexpected(v.error());
      return {};
    case FormatItem::kInt16:
      if (auto v = r.u16(); !v) return std::unexpected(v.error());
      return {};
    case FormatItem::kInt32:
      if (auto v = r.u32(); !v) return std::unexpected(v.error());
      return {};
    case FormatItem::kString:
      if (auto v = r.cstr(); !v) return std::unexpected(v.error());
      return {};
    case FormatItem::kByteN: r.rest(); return {};
    case FormatItem::kVarByteN: {
      auto length = r.i32();
      if (!length) return std::unexpected(length.error());
      if (*length == -1) return {};
      if (*length < 0) return wire_error(fmt::format("negative length {} (only -1, NULL, is allowed)", *length));
      if (auto v = r.bytes(static_cast<std::size_t>(*length)); !v) return std::unexpected(v.error());
      return {};
    }
    case FormatItem::kFields:
      while (true) {
        auto code = r.u8();
        if (!code) return wire_error("field list without its terminator");
        if (*code == 0) return {};
        if (auto v = r.cstr(); !v) return std::unexpected(v.error());
      }
    case FormatItem::kArray16:
    case FormatItem::kArray32: break;
  }
  return wire_error("array nested in an array");  // excluded by compile_format
}

}  // namespace

std::span<const MessageFormat> message_formats(Side side) {
  if (side == Side::kFrontend) return kFrontend;
  return kBackend;
}

const MessageFormat* find_message_format(Side side, char type) {
  for (const auto& f : message_formats(side)) {
    if (f.type == type) return &f;
  }
  return nullptr;
}

std::string_view message_name(Side side, char type) {
  const auto* f = find_message_format(side, type);
  return f != nullptr ? f->name : std::string_view("unknown message");
}

std::expected<void, WireError> validate_body(const MessageFormat& format, Bytes body) {
  Reader r(body);
  auto fail = [&format](const WireError& e) {
    return wire_error(fmt::format("invalid {} message: {}", format.name, e.message));
  };
  const Format& f = format.format;
  for (std::size_t i = 0; i < f.size;) {
    const Format::Step step = f.steps[i];
    if (step.item != FormatItem::kArray16 && step.item != FormatItem::kArray32) {
      if (auto ok = check_scalar(r, step.item); !ok) return fail(ok.error());
      ++i;
      continue;
    }
    std::size_t count = 0;
    if (step.item == FormatItem::kArray16) {
      auto n = r.u16();
      if (!n) return fail(n.error());
      count = *n;
    } else {
      auto n = r.i32();
      if (!n) return fail(n.error());
      if (*n < 0) return fail(WireError{fmt::format("negative count {}", *n)});
      count = static_cast<std::size_t>(*n);
    }
    std::size_t element_min = 0;
    for (std::size_t k = 1; k <= step.arity; ++k) element_min += min_size(f.steps[i + k].item);
    if (count > r.remaining() / element_min) {
      return fail(WireError{fmt::format("count {} cannot fit in the {} bytes left", count, r.remaining())});
    }
    for (std::size_t n = 0; n < count; ++n) {
      for (std::size_t k = 1; k <= step.arity; ++k) {
        if (auto ok = check_scalar(r, f.steps[i + k].item); !ok) return fail(ok.error());
      }
    }
    i += 1 + step.arity;
  }
  if (!r.at_end()) return fail(WireError{fmt::format("{} unexpected bytes at the end", r.remaining())});
  return {};
}

std::expected<void, WireError> validate_message(Side side, char type, Bytes body) {
  const auto* format = find_message_format(side, type);
  if (format == nullptr) {
    return wire_error(fmt::format("unknown {} message type {}", side == Side::kFrontend ? "frontend" : "backend",
                                  printable_type(type)));
  }
  return validate_body(*format, body);
}

}  // namespace pgwire
