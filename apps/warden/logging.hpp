#pragma once
// The sink behind base::Logger in the warden binary: one line per event through spdlog.
//
//   text:  2026-11-23T10:00:00.123Z info register aor=sip:alice@x contact="<sip:alice@192.0.2.1>;q=1"
//   json:  {"ts":"2026-11-23T10:00:00.123Z","level":"info","msg":"register","aor":"sip:alice@x"}
//
// Times are UTC with milliseconds. Text values are written bare when they hold only printable
// characters other than space, '"', '=' and '\'; otherwise quoted, with '"' '\' and control
// characters escaped (\n, \r, \t, \xHH), so a value a peer controls can never start a new line
// or forge a field. JSON lines are escaped by nlohmann_json; invalid UTF-8 becomes U+FFFD.
// A field named "ts", "level" or "msg" is written as "_ts", "_level", "_msg" in JSON.
// Thread-safety: the returned Logger may be used from any thread (spdlog's locking sinks);
// lines never interleave. Errors: none; a failing write is dropped, never thrown.

#include <ostream>

#include "base/log.hpp"

namespace warden::app {

// Writes to standard error.
base::Logger make_logger(base::LogLevel min, bool json);
// Writes to `out` (tests); `out` must outlive the Logger and every copy of it.
base::Logger make_logger(base::LogLevel min, bool json, std::ostream& out);

}  // namespace warden::app
