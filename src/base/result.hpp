#pragma once
// Result<T>: a value or a std::error_code, for code that must not throw on untrusted input.
// Each component defines its own `enum class ...Errc` with a std::error_category (see error.hpp),
// so an error keeps both its category ("sip.parse", "crypto", ...) and its precise code.
// Thread-safety: a plain value type.

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace warden::base {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : v_(value) {}             // NOLINT(google-explicit-constructor)
  Result(T&& value) : v_(std::move(value)) {}       // NOLINT(google-explicit-constructor)
  Result(std::error_code ec) : v_(ec) { assert(ec); }  // NOLINT(google-explicit-constructor)
  template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
  Result(E e) : Result(std::error_code(make_error_code(e))) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  std::error_code error() const noexcept { return ok() ? std::error_code{} : std::get<1>(v_); }

 private:
  std::variant<T, std::error_code> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(std::error_code ec) : ec_(ec) {}  // NOLINT(google-explicit-constructor)
  template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
  Result(E e) : ec_(make_error_code(e)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return ok(); }
  std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

}  // namespace warden::base
