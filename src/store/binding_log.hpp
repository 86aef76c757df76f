#pragma once
// The binding log's record: what one group commit changed in the registrations (RFC 3261 §10.3
// bindings), as SqliteStore appends it to its `binding_log` table. Registrations are kept as
// this log rather than one row per binding: a commit of many REGISTERs then writes one record
// at the end of the table (a page or two) instead of one b-tree page per binding scattered
// over the file. load_bindings() replays the records in order; the proxy rewrites the live
// bindings now and then so that older records can be deleted (Store::drop_binding_log_before).
//
// A record, integers little-endian:
//   "WBL1"  u32 count  then `count` changes, and nothing after them
//   change: u8 kind, then
//     1 put:        aor contact call_id path received instance (strings), u32 cseq,
//                   i64 expires_at, u64 q (the IEEE 754 bits of the double)
//     2 remove:     aor contact
//     3 remove all: aor
//   string: u32 length, then that many bytes; at most kMaxFieldBytes.
// decode_record() refuses anything else whole (a short record, a count that the bytes do not
// hold, an unknown kind, trailing bytes): a record is written in one transaction, so a bad one
// is damage, not a torn write.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace warden::store {

inline constexpr std::size_t kMaxFieldBytes = 64 * 1024;

struct BindingChange {
  enum class Kind : std::uint8_t { Put = 1, Remove = 2, RemoveAll = 3 };
  Kind kind = Kind::Put;
  Binding binding;  // Put: all of it; Remove: aor and contact; RemoveAll: aor
};

// Builds one record, change by change. Fields longer than kMaxFieldBytes are refused
// (InvalidArgument) and leave the record as it was.
class BindingRecordWriter {
 public:
  BindingRecordWriter();
  base::Result<void> put(const Binding& b);
  base::Result<void> remove(std::string_view aor, std::string_view contact);
  base::Result<void> remove_all(std::string_view aor);

  std::uint32_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // The record so far, its count filled in.
  std::string_view bytes();
  void clear();

 private:
  std::string out_;
  std::uint32_t count_ = 0;
};

// Every change in `record`, in order; base::Errc::InvalidArgument if it is not one whole record.
base::Result<std::vector<BindingChange>> decode_record(std::string_view record);

}  // namespace warden::store
