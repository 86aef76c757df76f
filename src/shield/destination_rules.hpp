#pragma once
// DestinationRules: against toll fraud through dialled destinations. A caller with stolen
// credentials (or a hacked PBX behind a trunk) sells calls to international premium-rate and
// high-cost ranges whose operators share the revenue (International Revenue Share Fraud); the
// bill arrives weeks later. Calls to numbers in those ranges are refused before routing.
//
// A dialled string (a SIP Request-URI user part, or a tel URI, RFC 3966) is first normalised:
//  - an optional "tel:" scheme is dropped, and everything from the first ';' (tel URI and SIP
//    user parameters: phone-context, isub, ...);
//  - %XX escapes are decoded (RFC 3261 §19.1.2 allows them in the user part);
//  - visual separators are removed: '-', '.', '(' and ')' (RFC 3966 §3 visual-separator) and
//    spaces (what people type);
//  - a leading '+', or one of `international_prefixes` (the access code dialled before a
//    country code: "00" in most of the world, "011" in North America), makes the number
//    international; the rest must be digits.
// Anything else (a name such as "alice", '*' or '#' service codes, letters) is not a number
// and is never blocked. Prefixes in the configuration are written the same way and normalised
// the same way: "+979", "+44 9", "00 979" are international; "0900" (no '+', no access code)
// matches numbers dialled in national form only.
//
// A number is blocked when it matches no `allowed` prefix (the allow-list always wins) and
// either matches a `blocked` or `extra_blocked` prefix, or is international while
// `block_international` is set. The reason names the longest blocked prefix that matched.
//
// Note on the defaults: "011" as an access code also reads a British national number of the
// Sheffield area (0114...) as international. Operators whose users dial in national form set
// `international_prefixes` to their own dial plan's access code.
// Memory: the prefixes, copied by the constructor; blocked() allocates only its reason.
// Thread-safety: immutable after construction. Errors: none (an entry that is not a number
// prefix is ignored; settings check entries first with is_valid_prefix()).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::shield {

// International premium-rate and high-cost ranges commonly abused for toll fraud, in
// international form (each entry is explained where the list is defined, in
// destination_rules.cpp).
const std::vector<std::string>& default_blocked_prefixes();

struct DestinationConfig {
  std::vector<std::string> blocked = default_blocked_prefixes();
  std::vector<std::string> extra_blocked;  // the operator's own additions, kept apart from the defaults
  std::vector<std::string> allowed;        // exceptions: a number matching one of these is never blocked
  bool block_international = false;        // refuse every international number not in `allowed`
  std::vector<std::string> international_prefixes = {"00", "011"};
};

// A dialled string after normalisation.
struct DialledNumber {
  static constexpr std::size_t kMaxDigits = 32;  // enough for any access code + E.164 (15 digits)

  bool international = false;
  std::array<char, kMaxDigits> digits{};  // the first kMaxDigits digits, without '+' or access code
  std::uint8_t size = 0;

  std::string_view view() const noexcept { return {digits.data(), size}; }
};

class DestinationRules {
 public:
  explicit DestinationRules(const DestinationConfig& config = {});

  // The reason `dialled` may not be called ("blocked destination prefix +979", "international
  // calls are blocked"), or nothing. Our words and the configured prefix only.
  std::optional<std::string> blocked(std::string_view dialled) const;

  // The number in `dialled`, or nothing when it is not a number (see above).
  // `international_prefixes` are the access codes to recognise.
  static std::optional<DialledNumber> normalise(std::string_view dialled,
                                                const std::vector<std::string>& international_prefixes);
  // Whether `prefix` is a usable configuration entry (it normalises to at least one digit).
  static bool is_valid_prefix(std::string_view prefix, const std::vector<std::string>& international_prefixes);

 private:
  struct Prefix {
    bool international = false;
    std::string digits;
  };
  static bool matches(const Prefix& p, const DialledNumber& n) noexcept;
  void add(std::vector<Prefix>& to, const std::vector<std::string>& from) const;

  DestinationConfig config_;
  std::vector<Prefix> blocked_;
  std::vector<Prefix> allowed_;
};

}  // namespace warden::shield
