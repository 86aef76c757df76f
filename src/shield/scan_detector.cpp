#include "shield/scan_detector.hpp"

#include <algorithm>

namespace warden::shield {

namespace {

// ASCII only, without the locale look-up of <cctype>: every new request's User-Agent is compared
// with every signature, so this runs a few hundred times per request.
constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }
constexpr bool is_alnum(char c) noexcept {
  const char l = lower(c);
  return (l >= 'a' && l <= 'z') || (c >= '0' && c <= '9');
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A user made of 1 to 18 decimal digits, as a number.
std::optional<std::uint64_t> numeric(std::string_view user) noexcept {
  if (user.empty() || user.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : user) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

const std::vector<std::string>& default_scanner_user_agents() {
  static const std::vector<std::string> kList = {
      "friendly-scanner", "friendly-request", "sipvicious", "sipcli",   "sip-scan", "VaxSIPUserAgent",
      "VaxIPUserAgent",   "sundayddr",        "iWar",       "SIVuS",    "smap",     "Nmap NSE",
      "pplsip",           "sipptk",           "siparmyknife"};
  return kList;
}

ScanDetector::ScanDetector(const ScanConfig& config, const KeyedHash& hash)
    : config_(config), hash_(hash), sources_(config.max_sources) {
  config_.max_distinct_users = std::min(config_.max_distinct_users, kMaxDistinctUsers);
  config_.max_sequential = std::min(config_.max_sequential, 255u);
  for (const std::string& w : config_.user_agents)
    if (!w.empty()) first_letters_[static_cast<unsigned char>(lower(w[0]))] = true;
}

bool ScanDetector::word_at(std::string_view ua, std::size_t i, std::string_view word) noexcept {
  const std::size_t end = i + word.size();
  if (word.empty() || end > ua.size()) return false;
  if (end < ua.size() && is_alnum(ua[end])) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (lower(ua[i + k]) != lower(word[k])) return false;
  }
  return true;
}

bool ScanDetector::contains_word(std::string_view ua, std::string_view word) noexcept {
  if (word.empty() || word.size() > ua.size()) return false;
  const char first = lower(word[0]);
  for (std::size_t i = 0; i + word.size() <= ua.size(); ++i) {
    if (lower(ua[i]) == first && (i == 0 || !is_alnum(ua[i - 1])) && word_at(ua, i, word)) return true;
  }
  return false;
}

bool ScanDetector::is_sipvicious_tag(std::string_view tag) noexcept {
  if (tag == "3206210844") return true;  // svcrack's first REGISTER
  if (tag.size() < 4 || tag.size() % 2 != 0) return false;
  // hex("<printable text>\x01<5 to 20 digits>")
  bool seen_separator = false;
  std::size_t text = 0, digits = 0;
  for (std::size_t i = 0; i < tag.size(); i += 2) {
    const int hi = hex_value(tag[i]), lo = hex_value(tag[i + 1]);
    if (hi < 0 || lo < 0) return false;
    const int byte = hi * 16 + lo;
    if (!seen_separator) {
      if (byte == 0x01) {
        seen_separator = true;
      } else if (byte >= 0x20 && byte < 0x7f) {
        ++text;
      } else {
        return false;
      }
    } else if (byte >= '0' && byte <= '9') {
      ++digits;
    } else {
      return false;
    }
  }
  return seen_separator && text > 0 && digits >= 5 && digits <= 20;
}

std::string_view ScanDetector::target_user(const RequestFacts& f) noexcept {
  if (f.method == "REGISTER" || f.request_uri_user.empty()) return f.to_user;
  return f.request_uri_user;
}

std::optional<Detection> ScanDetector::check_signature(const RequestFacts& f) const {
  // A signature can only match where a word of the User-Agent begins with its first letter: one
  // pass notes those places (most User-Agents have none), then each signature, in the
  // configured order, is compared at them alone.
  const std::string_view ua = f.user_agent;
  std::array<std::uint16_t, 16> starts{};
  std::size_t n_starts = 0;
  bool overflow = false;
  for (std::size_t i = 0; i < ua.size() && i <= 0xffff; ++i) {
    if (!first_letters_[static_cast<unsigned char>(lower(ua[i]))] || (i > 0 && is_alnum(ua[i - 1]))) continue;
    if (n_starts == starts.size()) {
      overflow = true;
      break;
    }
    starts[n_starts++] = static_cast<std::uint16_t>(i);
  }
  auto found = [](const std::string& word) {
    return Detection{ScanKind::UserAgent, "scanner User-Agent \"" + word + "\""};
  };
  if (overflow || ua.size() > 0xffff) {
    for (const std::string& word : config_.user_agents) {
      if (contains_word(ua, word)) return found(word);
    }
  } else if (n_starts > 0) {
    for (const std::string& word : config_.user_agents) {
      if (word.empty()) continue;
      const char first = lower(word[0]);
      for (std::size_t k = 0; k < n_starts; ++k) {
        if (lower(ua[starts[k]]) == first && word_at(ua, starts[k], word)) return found(word);
      }
    }
  }
  if (config_.from_tag_fingerprints && is_sipvicious_tag(f.from_tag)) {
    return Detection{ScanKind::FromTag, "From tag in the sipvicious format"};
  }
  return std::nullopt;
}

std::optional<Detection> ScanDetector::observe(const Address& source, const RequestFacts& f, base::TimePoint now) {
  const std::string_view user = target_user(f);
  if (user.empty()) return std::nullopt;
  auto [st, created] = sources_.insert(source, hash_(source));
  if (created || now >= st.start + config_.window) st = SourceState{now};

  if (config_.max_sequential > 0) {
    if (const auto n = numeric(user)) {
      if (st.run == 0 || *n == st.last_number + 1) {
        ++st.run;
      } else if (*n != st.last_number) {
        st.run = 1;
      }
      st.last_number = *n;
      if (st.run >= config_.max_sequential) {
        const std::uint64_t last = *n;
        const unsigned run = st.run;
        st = SourceState{now};
        return Detection{ScanKind::SequentialUsers, std::to_string(run) + " sequential extensions up to " +
                                                        std::to_string(last) + " from one source"};
      }
    } else {
      st.run = 0;
    }
  }

  if (config_.max_distinct_users > 0) {
    const auto h = static_cast<std::uint32_t>(hash_(user));
    std::uint32_t* const end = st.users + st.distinct;
    if (std::find(st.users + 0, end, h) == end) {
      st.users[st.distinct++] = h;
      if (st.distinct >= config_.max_distinct_users) {
        const unsigned distinct = st.distinct;
        st = SourceState{now};
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(config_.window).count();
        return Detection{ScanKind::ManyUsers, std::to_string(distinct) + " distinct users within " +
                                                  std::to_string(secs) + " s from one source"};
      }
    }
  }
  return std::nullopt;
}

}  // namespace warden::shield
