#include "logging.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

namespace warden::app {

namespace {

// "2026-11-23T10:00:00.123Z"
std::string utc_timestamp(std::chrono::system_clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buf, n) + millis;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

// Appends `v` quoted, with '"', '\' and control characters escaped.
void append_quoted(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_value(std::string& out, std::string_view v) {
  if (needs_quotes(v)) {
    append_quoted(out, v);
  } else {
    out += v;
  }
}

std::string text_line(base::LogLevel level, std::string_view message, std::initializer_list<base::LogField> fields) {
  std::string line = utc_timestamp(std::chrono::system_clock::now());
  line += ' ';
  line += base::to_string(level);
  line += ' ';
  append_value(line, message);
  for (const auto& f : fields) {
    line += ' ';
    append_value(line, f.key);
    line += '=';
    append_value(line, f.value);
  }
  return line;
}

std::string json_line(base::LogLevel level, std::string_view message, std::initializer_list<base::LogField> fields) {
  nlohmann::ordered_json j;
  j["ts"] = utc_timestamp(std::chrono::system_clock::now());
  j["level"] = std::string(base::to_string(level));
  j["msg"] = std::string(message);
  for (const auto& f : fields) {
    std::string key(f.key);
    if (key == "ts" || key == "level" || key == "msg") key.insert(0, "_");
    j[key] = f.value;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

spdlog::level::level_enum to_spdlog(base::LogLevel l) {
  switch (l) {
    case base::LogLevel::Debug: return spdlog::level::debug;
    case base::LogLevel::Info: return spdlog::level::info;
    case base::LogLevel::Warn: return spdlog::level::warn;
    case base::LogLevel::Error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

base::Logger make_logger_on(base::LogLevel min, bool json, spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>("warden", std::move(sink));
  logger->set_pattern("%v");  // the line is complete; spdlog adds only the newline
  logger->set_level(spdlog::level::trace);  // base::Logger filters by level
  logger->flush_on(spdlog::level::trace);
  auto sink_fn = [logger, json](base::LogLevel level, std::string_view message,
                                std::initializer_list<base::LogField> fields) {
    try {
      const std::string line = json ? json_line(level, message, fields) : text_line(level, message, fields);
      logger->log(to_spdlog(level), spdlog::string_view_t(line.data(), line.size()));
    } catch (...) {
      // A sink must not throw (base/log.hpp): an event that cannot be written is lost.
    }
  };
  return base::Logger(std::move(sink_fn), min);
}

}  // namespace

base::Logger make_logger(base::LogLevel min, bool json) {
  return make_logger_on(min, json, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

base::Logger make_logger(base::LogLevel min, bool json, std::ostream& out) {
  return make_logger_on(min, json, std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true));
}

}  // namespace warden::app
