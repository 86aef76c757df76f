#pragma once
// LruTable: a map with a fixed maximum number of entries, the storage of every shield table.
// All memory is allocated by the constructor; after that nothing allocates, not even for a new
// key: when the table is full, inserting a new key evicts the least recently *touched* entry
// (find_touch() and insert() touch; find() does not). That is what bounds the shield under a
// flood from millions of addresses: the tables keep the sources that are active now.
//
// The caller gives the hash of each key (KeyedHash), so one hash per packet serves several
// tables. Open addressing with linear probing over an index at most half full; deletion shifts
// the following entries back (no tombstones), so a look-up never degrades with churn.
// Thread-safety: none; one owner. Errors: none (a full table evicts; it never refuses).

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace warden::shield {

template <class Key, class Value>
class LruTable {
 public:
  explicit LruTable(std::size_t capacity) : slots_(capacity == 0 ? 1 : capacity) {
    std::size_t n = 2;
    while (n < 2 * slots_.size()) n *= 2;
    index_.assign(n, kNil);
    mask_ = n - 1;
    for (std::uint32_t i = 0; i < slots_.size(); ++i) slots_[i].next = i + 1 < slots_.size() ? i + 1 : kNil;
    free_ = 0;
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return slots_.size(); }
  // Entries pushed out by insert() into a full table, since construction.
  std::uint64_t evictions() const noexcept { return evictions_; }

  // The value of `key`, or nullptr. Does not change the eviction order.
  Value* find(const Key& key, std::uint64_t hash) noexcept {
    const std::uint32_t s = lookup(key, hash);
    return s == kNil ? nullptr : &slots_[s].value;
  }
  const Value* find(const Key& key, std::uint64_t hash) const noexcept {
    return const_cast<LruTable*>(this)->find(key, hash);
  }
  // Like find(), and makes the entry the most recently touched.
  Value* find_touch(const Key& key, std::uint64_t hash) noexcept {
    const std::uint32_t s = lookup(key, hash);
    if (s == kNil) return nullptr;
    unlink(s);
    push_front(s);
    return &slots_[s].value;
  }

  struct Inserted {
    Value& value;
    bool created;  // false: the key was there (its value is untouched)
  };
  // The value of `key`, created as Value{} if absent (evicting the least recently touched entry
  // when the table is full); either way the entry becomes the most recently touched.
  Inserted insert(const Key& key, std::uint64_t hash) noexcept {
    if (Value* v = find_touch(key, hash)) return {*v, false};
    if (free_ == kNil) {
      ++evictions_;
      remove_slot(tail_);
    }
    const std::uint32_t s = free_;
    free_ = slots_[s].next;
    Slot& slot = slots_[s];
    slot.key = key;
    slot.hash = hash;
    slot.value = Value{};
    std::size_t i = hash & mask_;
    while (index_[i] != kNil) i = (i + 1) & mask_;
    index_[i] = s;
    push_front(s);
    ++size_;
    return {slot.value, true};
  }

  bool erase(const Key& key, std::uint64_t hash) noexcept {
    const std::uint32_t s = lookup(key, hash);
    if (s == kNil) return false;
    remove_slot(s);
    return true;
  }

  void clear() noexcept {
    while (tail_ != kNil) remove_slot(tail_);
  }

  // Calls f(key, value) for every entry, most recently touched first. f must not modify the table.
  template <class F>
  void for_each(F&& f) const {
    for (std::uint32_t s = head_; s != kNil; s = slots_[s].next) f(slots_[s].key, slots_[s].value);
  }

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;

  struct Slot {
    Key key{};
    Value value{};
    std::uint64_t hash = 0;
    std::uint32_t prev = kNil;
    std::uint32_t next = kNil;  // in the recency list, or in the free list
  };

  std::uint32_t lookup(const Key& key, std::uint64_t hash) const noexcept {
    for (std::size_t i = hash & mask_; index_[i] != kNil; i = (i + 1) & mask_) {
      const Slot& slot = slots_[index_[i]];
      if (slot.hash == hash && slot.key == key) return index_[i];
    }
    return kNil;
  }

  void unlink(std::uint32_t s) noexcept {
    Slot& slot = slots_[s];
    (slot.prev == kNil ? head_ : slots_[slot.prev].next) = slot.next;
    (slot.next == kNil ? tail_ : slots_[slot.next].prev) = slot.prev;
    slot.prev = slot.next = kNil;
  }

  void push_front(std::uint32_t s) noexcept {
    Slot& slot = slots_[s];
    slot.prev = kNil;
    slot.next = head_;
    if (head_ != kNil) slots_[head_].prev = s;
    head_ = s;
    if (tail_ == kNil) tail_ = s;
  }

  void remove_slot(std::uint32_t s) noexcept {
    assert(s != kNil);
    std::size_t i = slots_[s].hash & mask_;
    while (index_[i] != s) i = (i + 1) & mask_;
    // Backward-shift deletion: move up every following entry that may not stay behind the gap.
    for (std::size_t j = (i + 1) & mask_; index_[j] != kNil; j = (j + 1) & mask_) {
      const std::size_t home = slots_[index_[j]].hash & mask_;
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        index_[i] = index_[j];
        i = j;
      }
    }
    index_[i] = kNil;
    unlink(s);
    slots_[s].next = free_;
    free_ = s;
    --size_;
  }

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> index_;
  std::size_t mask_ = 0;
  std::uint32_t head_ = kNil;  // most recently touched
  std::uint32_t tail_ = kNil;  // least recently touched: evicted first
  std::uint32_t free_ = kNil;
  std::size_t size_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace warden::shield
