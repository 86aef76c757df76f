#include "base/error.hpp"

namespace warden::base {

std::string_view describe(Errc e) noexcept {
  switch (e) {
    case Errc::Ok: return "ok";
    case Errc::InvalidArgument: return "invalid argument";
    case Errc::LimitExceeded: return "limit exceeded";
    case Errc::NotFound: return "not found";
    case Errc::Io: return "input/output error";
    case Errc::Crypto: return "cryptographic operation failed";
    case Errc::Config: return "invalid configuration";
    case Errc::Internal: return "internal error";
  }
  return "unknown error";
}

const std::error_category& errc_category() noexcept {
  return ErrorCategory<Errc>::instance("warden");
}

}  // namespace warden::base
