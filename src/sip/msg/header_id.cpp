#include "sip/msg/header_id.hpp"

#include <array>
#include <bit>
#include <cstring>

#include "sip/msg/charset.hpp"

namespace warden::sip::msg {

namespace {

struct Entry {
  std::string_view name;
  HeaderId id;
};

// Long names, most frequent first: classify_header_at() tries the names of one first letter in
// this order.
constexpr std::array kNames = {
    Entry{"Via", HeaderId::Via},
    Entry{"From", HeaderId::From},
    Entry{"To", HeaderId::To},
    Entry{"Call-ID", HeaderId::CallId},
    Entry{"CSeq", HeaderId::CSeq},
    Entry{"Contact", HeaderId::Contact},
    Entry{"Content-Length", HeaderId::ContentLength},
    Entry{"Content-Type", HeaderId::ContentType},
    Entry{"Max-Forwards", HeaderId::MaxForwards},
    Entry{"Record-Route", HeaderId::RecordRoute},
    Entry{"Route", HeaderId::Route},
    Entry{"Allow", HeaderId::Allow},
    Entry{"Supported", HeaderId::Supported},
    Entry{"User-Agent", HeaderId::UserAgent},
    Entry{"Server", HeaderId::Server},
    Entry{"Expires", HeaderId::Expires},
    Entry{"Authorization", HeaderId::Authorization},
    Entry{"Proxy-Authorization", HeaderId::ProxyAuthorization},
    Entry{"WWW-Authenticate", HeaderId::WwwAuthenticate},
    Entry{"Proxy-Authenticate", HeaderId::ProxyAuthenticate},
    Entry{"Require", HeaderId::Require},
    Entry{"Proxy-Require", HeaderId::ProxyRequire},
    Entry{"Path", HeaderId::Path},
    Entry{"Accept", HeaderId::Accept},
    Entry{"Accept-Contact", HeaderId::AcceptContact},
    Entry{"Allow-Events", HeaderId::AllowEvents},
    Entry{"Content-Disposition", HeaderId::ContentDisposition},
    Entry{"Content-Encoding", HeaderId::ContentEncoding},
    Entry{"Date", HeaderId::Date},
    Entry{"Event", HeaderId::Event},
    Entry{"Identity", HeaderId::Identity},
    Entry{"Min-Expires", HeaderId::MinExpires},
    Entry{"P-Asserted-Identity", HeaderId::PAssertedIdentity},
    Entry{"P-Preferred-Identity", HeaderId::PPreferredIdentity},
    Entry{"Privacy", HeaderId::Privacy},
    Entry{"Refer-To", HeaderId::ReferTo},
    Entry{"Referred-By", HeaderId::ReferredBy},
    Entry{"Reject-Contact", HeaderId::RejectContact},
    Entry{"Retry-After", HeaderId::RetryAfter},
    Entry{"Session-Expires", HeaderId::SessionExpires},
    Entry{"Subject", HeaderId::Subject},
    Entry{"Unsupported", HeaderId::Unsupported},
    Entry{"Warning", HeaderId::Warning},
};

constexpr HeaderId compact(char c) noexcept {
  switch (cs::lower(c)) {
    case 'a': return HeaderId::AcceptContact;
    case 'b': return HeaderId::ReferredBy;
    case 'c': return HeaderId::ContentType;
    case 'e': return HeaderId::ContentEncoding;
    case 'f': return HeaderId::From;
    case 'i': return HeaderId::CallId;
    case 'j': return HeaderId::RejectContact;
    case 'k': return HeaderId::Supported;
    case 'l': return HeaderId::ContentLength;
    case 'm': return HeaderId::Contact;
    case 'o': return HeaderId::Event;
    case 'r': return HeaderId::ReferTo;
    case 's': return HeaderId::Subject;
    case 't': return HeaderId::To;
    case 'u': return HeaderId::AllowEvents;
    case 'v': return HeaderId::Via;
    case 'x': return HeaderId::SessionExpires;
    case 'y': return HeaderId::Identity;
    default: return HeaderId::Other;
  }
}

// Index by (length, lowercased first letter) into kNames: built once at compile time.
struct Index {
  static constexpr std::size_t kMaxLen = 24;
  // For each length, a 26-bit mask of first letters would not locate the entry; instead keep
  // up to 4 candidate slots per (length, letter) pair.
  std::array<std::array<std::array<std::uint8_t, 4>, 26>, kMaxLen> slots{};
};

constexpr Index make_index() {
  Index ix{};
  for (auto& by_len : ix.slots)
    for (auto& by_letter : by_len) by_letter.fill(0xff);
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    const auto& n = kNames[i].name;
    auto& slot = ix.slots[n.size()][cs::lower(n[0]) - 'a'];
    for (auto& s : slot) {
      if (s == 0xff) {
        s = static_cast<std::uint8_t>(i);
        break;
      }
    }
  }
  return ix;
}

constexpr Index kIndex = make_index();

// Lower-case copies of the long names, so a lookup folds case on one side only.
struct LowerNames {
  std::array<std::array<char, Index::kMaxLen>, kNames.size()> names{};
};

constexpr LowerNames make_lower() {
  LowerNames l{};
  for (std::size_t i = 0; i < kNames.size(); ++i)
    for (std::size_t j = 0; j < kNames[i].name.size(); ++j) l.names[i][j] = cs::lower(kNames[i].name[j]);
  return l;
}

constexpr LowerNames kLower = make_lower();

// For classify_header_at(): per first letter, the long names beginning with it as three masked
// 8-octet words each, so that a candidate is tested with three loads' worth of ALU work.
struct WordName {
  std::uint64_t want[3] = {};
  std::uint64_t fold[3] = {};  // 0x20 on letters: the only octets compared case-insensitively
  std::uint64_t keep[3] = {};  // 0xff on the name's octets
  std::uint8_t len = 0;
  HeaderId id = HeaderId::Other;
};

struct WordIndex {
  static constexpr std::size_t kPerLetter = 8;
  std::array<std::array<WordName, kPerLetter>, 26> by_letter{};
  std::array<std::uint8_t, 26> count{};
};

constexpr WordIndex make_word_index() {
  WordIndex ix{};
  for (const auto& entry : kNames) {
    const std::size_t letter = static_cast<std::size_t>(cs::lower(entry.name[0]) - 'a');
    WordName& w = ix.by_letter[letter][ix.count[letter]++];
    w.len = static_cast<std::uint8_t>(entry.name.size());
    w.id = entry.id;
    for (std::size_t i = 0; i < entry.name.size(); ++i) {
      const char c = cs::lower(entry.name[i]);
      const auto shift = 8 * (i % 8);
      w.want[i / 8] |= std::uint64_t{static_cast<unsigned char>(c)} << shift;
      if (c >= 'a' && c <= 'z') w.fold[i / 8] |= std::uint64_t{0x20} << shift;
      w.keep[i / 8] |= std::uint64_t{0xff} << shift;
    }
  }
  return ix;
}

constexpr WordIndex kWordIndex = make_word_index();

static_assert([] {
  for (auto c : kWordIndex.count)
    if (c > WordIndex::kPerLetter) return false;
  for (const auto& e : kNames)
    if (e.name.size() > 24) return false;
  return true;
}());

constexpr bool ends_name(char c) noexcept { return c == ':' || c == ' ' || c == '\t'; }

}  // namespace

HeaderId classify_header_at(const char* p, std::size_t& len) noexcept {
  len = 0;
  if constexpr (std::endian::native != std::endian::little) {
    return HeaderId::Other;
  } else {
    const char first = static_cast<char>(p[0] | 0x20);
    if (first < 'a' || first > 'z') return HeaderId::Other;
    if (ends_name(p[1])) {
      const HeaderId id = compact(first);
      if (id != HeaderId::Other) len = 1;
      return id;
    }
    std::uint64_t w0, w1, w2;  // separate words, so that they stay in registers
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 8, 8);
    std::memcpy(&w2, p + 16, 8);
    const std::size_t letter = static_cast<std::size_t>(first - 'a');
    const auto& candidates = kWordIndex.by_letter[letter];
    for (std::size_t i = 0; i < kWordIndex.count[letter]; ++i) {
      const WordName& c = candidates[i];
      const std::uint64_t diff = (((w0 | c.fold[0]) & c.keep[0]) ^ c.want[0]) |
                                 (((w1 | c.fold[1]) & c.keep[1]) ^ c.want[1]) |
                                 (((w2 | c.fold[2]) & c.keep[2]) ^ c.want[2]);
      if (diff == 0 && ends_name(p[c.len])) {
        len = c.len;
        return c.id;
      }
    }
    return HeaderId::Other;
  }
}

HeaderId classify_header(std::string_view name) noexcept {
  if (name.size() == 1) return compact(name[0]);
  if (name.empty() || name.size() >= Index::kMaxLen) return HeaderId::Other;
  const char first = static_cast<char>(name[0] | 0x20);
  if (first < 'a' || first > 'z') return HeaderId::Other;
  for (std::uint8_t s : kIndex.slots[name.size()][first - 'a']) {
    if (s == 0xff) break;
    // Canonical names hold only letters and '-': OR-ing 0x20 folds letters and leaves '-'
    // alone, and maps no other token character onto a letter or '-'.
    const char* want = kLower.names[s].data();
    std::size_t i = 1;
    while (i < name.size() && static_cast<char>(name[i] | 0x20) == want[i]) ++i;
    if (i == name.size()) return kNames[s].id;
  }
  return HeaderId::Other;
}

std::string_view canonical_name(HeaderId id) noexcept {
  for (const auto& e : kNames)
    if (e.id == id) return e.name;
  return {};
}

}  // namespace warden::sip::msg
