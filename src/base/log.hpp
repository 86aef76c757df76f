#pragma once
// Logging facade: the engines and roles report events through a Logger; the application
// decides where they go (apps/warden routes them to spdlog, text or JSON lines). A Logger with
// no sink drops everything, so libraries and tests need no set-up.
//
// An event is a short fixed message ("register", "forward", "auth failed") plus key/value
// fields, so a JSON sink can emit one object per line and a text sink "msg k=v k=v".
// Thread-safety: log() may be called from any thread if the sink allows it (the spdlog sink
// does). Errors: none; a sink must not throw.

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace warden::base {

enum class LogLevel : unsigned char { Debug, Info, Warn, Error };
std::string_view to_string(LogLevel l) noexcept;

struct LogField {
  std::string_view key;
  std::string value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename N>
    requires std::is_arithmetic_v<N>
  LogField(std::string_view k, N n) : key(k), value(std::to_string(n)) {}
};

class Logger {
 public:
  using Sink = std::function<void(LogLevel, std::string_view message, std::initializer_list<LogField> fields)>;
  Logger() = default;
  explicit Logger(Sink sink, LogLevel min = LogLevel::Info) : sink_(std::move(sink)), min_(min) {}

  bool enabled(LogLevel l) const noexcept { return sink_ && l >= min_; }
  void log(LogLevel l, std::string_view message, std::initializer_list<LogField> fields = {}) const {
    if (enabled(l)) sink_(l, message, fields);
  }
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) const { log(LogLevel::Debug, m, f); }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) const { log(LogLevel::Info, m, f); }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) const { log(LogLevel::Warn, m, f); }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) const { log(LogLevel::Error, m, f); }

 private:
  Sink sink_;
  LogLevel min_ = LogLevel::Info;
};

inline std::string_view to_string(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}

}  // namespace warden::base
