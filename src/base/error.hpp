#pragma once
// Error categories shared by every component. A component's own error enum plugs into
// std::error_code through `ErrorCategory<Enum>`: give the enum a `describe(Enum)` function
// and a `kCategoryName`, then `WARDEN_ERROR_ENUM(ns::Enum)` at global scope.

#include <string>
#include <string_view>
#include <system_error>

namespace warden::base {

// General errors that are not owned by one protocol.
enum class Errc {
  Ok = 0,
  InvalidArgument,  // a caller passed a value outside the documented range
  LimitExceeded,    // a configured Limits value was reached
  NotFound,
  Io,               // the operating system refused (file, socket)
  Crypto,           // OpenSSL reported a failure
  Config,           // configuration is invalid
  Internal,
};
std::string_view describe(Errc e) noexcept;
inline constexpr std::string_view kErrcCategoryName = "warden";

// One category object per enum; `name()` and `message()` come from the enum's describe().
template <class E>
class ErrorCategory final : public std::error_category {
 public:
  explicit ErrorCategory(const char* name) : name_(name) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int v) const override { return std::string(describe(static_cast<E>(v))); }
  static const ErrorCategory& instance(const char* name) {
    static const ErrorCategory cat(name);
    return cat;
  }

 private:
  const char* name_;
};

const std::error_category& errc_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), errc_category()}; }

}  // namespace warden::base

template <>
struct std::is_error_code_enum<warden::base::Errc> : std::true_type {};
