// Every protocol 3.0 message: type bytes, typed views and builders, one header per family so
// each stays small (Odyssey's 3,000-line frontend.c is the warning, STYLE.md). Include this one.
//
//   message_types.h      fe:: / be:: type bytes, Side, format codes
//   message_format.h     the format table in the docs' vocabulary + validate_message()
//   views.h              IntArray, ValueList (non-allocating, validated once)
//   auth_messages.h      Authentication*, PasswordMessage, SASLInitialResponse, SASLResponse
//   frontend_messages.h  Query, Parse, Bind, Describe, Execute, Close, FunctionCall, Sync, Flush, Terminate
//   copy_messages.h      CopyData, CopyDone, CopyFail, CopyIn/Out/BothResponse
//   backend_messages.h   BackendKeyData, ParameterStatus, ReadyForQuery, NegotiateProtocolVersion,
//                        CommandComplete, NotificationResponse, ParameterDescription,
//                        FunctionCallResponse, and the body-less ones
//   row_messages.h       RowDescription, DataRow, DataRowWriter
//   error.h              ErrorResponse, NoticeResponse
#pragma once

#include "proxy/wire/auth_messages.h"
#include "proxy/wire/backend_messages.h"
#include "proxy/wire/copy_messages.h"
#include "proxy/wire/error.h"
#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_format.h"
#include "proxy/wire/message_types.h"
#include "proxy/wire/row_messages.h"
#include "proxy/wire/views.h"
