// libFuzzer target: a binding_log record as read back from the store file (which anyone with
// access to the data directory could have altered). Whatever the input, decoding returns, every
// field is within kMaxFieldBytes, and a record that decodes is written back byte for byte by
// BindingRecordWriter.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/binding_log.hpp"

using namespace warden::store;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto changes = decode_record(in);
  if (!changes) return 0;
  BindingRecordWriter w;
  for (const auto& c : *changes) {
    const Binding& b = c.binding;
    for (const std::string* s : {&b.aor, &b.contact, &b.call_id, &b.path, &b.received, &b.instance}) {
      if (s->size() > kMaxFieldBytes) __builtin_trap();
    }
    bool ok = false;
    switch (c.kind) {
      case BindingChange::Kind::Put:
        if (!std::isfinite(b.q)) __builtin_trap();
        ok = w.put(b).ok();
        break;
      case BindingChange::Kind::Remove:
        ok = w.remove(b.aor, b.contact).ok();
        break;
      case BindingChange::Kind::RemoveAll:
        ok = w.remove_all(b.aor).ok();
        break;
    }
    if (!ok) __builtin_trap();
  }
  if (w.bytes() != in) __builtin_trap();
  return 0;
}
