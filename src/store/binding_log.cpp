#include "store/binding_log.hpp"

#include <bit>
#include <cmath>

#include "base/error.hpp"

namespace warden::store {

namespace {

constexpr std::string_view kMagic = "WBL1";
constexpr std::size_t kHeader = kMagic.size() + 4;
// The smallest change: kind + one empty string (remove all).
constexpr std::size_t kSmallestChange = 1 + 4;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

bool fits(std::string_view s) { return s.size() <= kMaxFieldBytes; }

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u8(std::uint8_t& v) {
    if (in_.size() < 1) return false;
    v = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::uint64_t w = 0;
    if (!bytes_le(4, w)) return false;
    v = static_cast<std::uint32_t>(w);
    return true;
  }
  bool u64(std::uint64_t& v) { return bytes_le(8, v); }
  bool str(std::string& s) {
    std::uint32_t n = 0;
    if (!u32(n) || n > kMaxFieldBytes || n > in_.size()) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  std::size_t left() const noexcept { return in_.size(); }

 private:
  bool bytes_le(std::size_t n, std::uint64_t& v) {
    if (in_.size() < n) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

}  // namespace

BindingRecordWriter::BindingRecordWriter() { clear(); }

void BindingRecordWriter::clear() {
  out_.assign(kMagic);
  put_u32(out_, 0);
  count_ = 0;
}

std::string_view BindingRecordWriter::bytes() {
  for (int i = 0; i < 4; ++i) out_[kMagic.size() + i] = static_cast<char>((count_ >> (8 * i)) & 0xff);
  return out_;
}

base::Result<void> BindingRecordWriter::put(const Binding& b) {
  if (!fits(b.aor) || !fits(b.contact) || !fits(b.call_id) || !fits(b.path) || !fits(b.received) ||
      !fits(b.instance))
    return base::Errc::InvalidArgument;
  out_.push_back(static_cast<char>(BindingChange::Kind::Put));
  for (std::string_view s : {std::string_view(b.aor), std::string_view(b.contact), std::string_view(b.call_id),
                             std::string_view(b.path), std::string_view(b.received), std::string_view(b.instance)})
    put_str(out_, s);
  put_u32(out_, b.cseq);
  put_u64(out_, static_cast<std::uint64_t>(b.expires_at));
  put_u64(out_, std::bit_cast<std::uint64_t>(b.q));
  ++count_;
  return {};
}

base::Result<void> BindingRecordWriter::remove(std::string_view aor, std::string_view contact) {
  if (!fits(aor) || !fits(contact)) return base::Errc::InvalidArgument;
  out_.push_back(static_cast<char>(BindingChange::Kind::Remove));
  put_str(out_, aor);
  put_str(out_, contact);
  ++count_;
  return {};
}

base::Result<void> BindingRecordWriter::remove_all(std::string_view aor) {
  if (!fits(aor)) return base::Errc::InvalidArgument;
  out_.push_back(static_cast<char>(BindingChange::Kind::RemoveAll));
  put_str(out_, aor);
  ++count_;
  return {};
}

base::Result<std::vector<BindingChange>> decode_record(std::string_view record) {
  if (record.size() < kHeader || record.substr(0, kMagic.size()) != kMagic) return base::Errc::InvalidArgument;
  Reader r(record.substr(kMagic.size()));
  std::uint32_t count = 0;
  r.u32(count);
  // Each change takes at least kSmallestChange bytes: a count the record cannot hold is
  // refused before anything is reserved for it.
  if (count > r.left() / kSmallestChange) return base::Errc::InvalidArgument;
  std::vector<BindingChange> out;
  out.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint8_t kind = 0;
    if (!r.u8(kind)) return base::Errc::InvalidArgument;
    BindingChange c;
    Binding& b = c.binding;
    switch (static_cast<BindingChange::Kind>(kind)) {
      case BindingChange::Kind::Put: {
        std::uint64_t expires = 0, q = 0;
        if (!r.str(b.aor) || !r.str(b.contact) || !r.str(b.call_id) || !r.str(b.path) || !r.str(b.received) ||
            !r.str(b.instance) || !r.u32(b.cseq) || !r.u64(expires) || !r.u64(q))
          return base::Errc::InvalidArgument;
        b.expires_at = static_cast<std::int64_t>(expires);
        b.q = std::bit_cast<double>(q);
        if (!std::isfinite(b.q)) return base::Errc::InvalidArgument;  // the proxy sorts by q
        c.kind = BindingChange::Kind::Put;
        break;
      }
      case BindingChange::Kind::Remove:
        if (!r.str(b.aor) || !r.str(b.contact)) return base::Errc::InvalidArgument;
        c.kind = BindingChange::Kind::Remove;
        break;
      case BindingChange::Kind::RemoveAll:
        if (!r.str(b.aor)) return base::Errc::InvalidArgument;
        c.kind = BindingChange::Kind::RemoveAll;
        break;
      default:
        return base::Errc::InvalidArgument;
    }
    out.push_back(std::move(c));
  }
  if (r.left() != 0) return base::Errc::InvalidArgument;
  return out;
}

}  // namespace warden::store
