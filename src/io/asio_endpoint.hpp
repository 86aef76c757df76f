#pragma once
// Conversions between runtime::Endpoint and Asio endpoints (internal to io/).

#include <asio/ip/address.hpp>
#include <cstring>

#include "runtime/endpoint.hpp"

namespace warden::io {

inline asio::ip::address to_asio_address(const runtime::Endpoint& e) {
  const auto b = e.address_bytes();
  if (e.is_v4()) {
    asio::ip::address_v4::bytes_type v4{};
    std::memcpy(v4.data(), b.data(), v4.size());
    return asio::ip::address_v4(v4);
  }
  asio::ip::address_v6::bytes_type v6{};
  std::memcpy(v6.data(), b.data(), v6.size());
  return asio::ip::address_v6(v6);
}

template <class AsioEndpoint>
AsioEndpoint to_asio(const runtime::Endpoint& e) {
  return AsioEndpoint(to_asio_address(e), e.port());
}

template <class AsioEndpoint>
runtime::Endpoint from_asio(const AsioEndpoint& ep) {
  const auto addr = ep.address();
  if (addr.is_v6()) {
    const auto v6 = addr.to_v6();
    if (v6.is_v4_mapped()) {
      const auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
      return runtime::Endpoint::v4({b[0], b[1], b[2], b[3]}, ep.port());
    }
    return runtime::Endpoint::v6(v6.to_bytes(), ep.port());
  }
  const auto b = addr.to_v4().to_bytes();
  return runtime::Endpoint::v4({b[0], b[1], b[2], b[3]}, ep.port());
}

}  // namespace warden::io
