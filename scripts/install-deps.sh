#!/usr/bin/env bash
# Installs every Debian package Warden builds, tests or benchmarks with.
# Idempotent: when everything is present it prints nothing and exits 0.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build clang libclang-rt-14-dev llvm
  # libraries the code links
  libssl-dev libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libsqlite3-dev libasio-dev libc-ares-dev libsrtp2-dev libopus-dev libabsl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libosip2-dev libsofia-sip-ua-dev pkg-config
  # interop tests (tests/interop): SIPp, sipsak, sipvicious
  sip-tester sipsak sipvicious
  # tests/interop/baresip_test.sh: the baresip softphone
  baresip-core
  # media tests (src/media, warden phone): speech to send, audio comparison
  espeak-ng sox python3-numpy
  # capture check of encrypted calls (tests/e2e): no plaintext RTP on the wire
  tshark
  # DNS server for the c-ares and RFC 3263 tests (src/io cares_dns_test): the binary only,
  # without the package that starts a system-wide service on port 53
  dnsmasq-base
  # two-provider tests (tests/interdomain): Kamailio as the other provider, with its TLS module;
  # socat carries SIPp's TCP over TLS (Debian's SIPp has no TLS)
  kamailio kamailio-tls-modules socat
  # SIP Identity certificates over HTTPS (src/io HttpsCertificateSource): libcurl with OpenSSL;
  # the TLS policy check of tests/interop/sslscan_test.sh
  libcurl4-openssl-dev sslscan
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A new machine has empty package lists; a failed install is retried once after an update.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
