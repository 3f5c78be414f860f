// Type bytes of every protocol 3.0 message (PG docs "Message Formats"). The same byte means
// different messages per direction ('D' is Describe from the frontend, DataRow from the backend),
// so they live in two namespaces and a decoder is always told which side it reads.
#pragma once

#include <cstdint>

namespace pgwire {

enum class Side : std::uint8_t { kFrontend, kBackend };

namespace fe {
inline constexpr char kBind = 'B', kClose = 'C', kCopyData = 'd', kCopyDone = 'c', kCopyFail = 'f',
                      kDescribe = 'D', kExecute = 'E', kFlush = 'H', kFunctionCall = 'F', kParse = 'P',
                      kPassword = 'p',  // also SASLInitialResponse, SASLResponse, GSSResponse (PROTOCOL.md 11)
    kQuery = 'Q', kSync = 'S', kTerminate = 'X';
}  // namespace fe

namespace be {
inline constexpr char kAuthentication = 'R', kBackendKeyData = 'K', kBindComplete = '2',
                      kCloseComplete = '3', kCommandComplete = 'C', kCopyData = 'd', kCopyDone = 'c',
                      kCopyInResponse = 'G', kCopyOutResponse = 'H', kCopyBothResponse = 'W',
                      kDataRow = 'D', kEmptyQueryResponse = 'I', kErrorResponse = 'E',
                      kFunctionCallResponse = 'V', kNegotiateProtocolVersion = 'v', kNoData = 'n',
                      kNoticeResponse = 'N', kNotificationResponse = 'A', kParameterDescription = 't',
                      kParameterStatus = 'S', kParseComplete = '1', kPortalSuspended = 's',
                      kReadyForQuery = 'Z', kRowDescription = 'T';
}  // namespace be

// Format codes of Bind, FunctionCall, RowDescription and Copy*Response (PG docs: "0 = text,
// 1 = binary"; PROTOCOL.md 19).
inline constexpr std::int16_t kFormatText = 0;
inline constexpr std::int16_t kFormatBinary = 1;

}  // namespace pgwire
