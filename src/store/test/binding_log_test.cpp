#include "store/binding_log.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace warden;
using namespace warden::store;

namespace {

Binding full() {
  return Binding{"sip:alice@example.test", "sip:alice@192.0.2.1:5060;transport=tcp", "call-1@host", 4294967295u,
                 -7, 0.25, "<sip:edge.example.test;lr>", "tcp:192.0.2.1:40000", "<urn:uuid:0001>"};
}

std::string record_of_each_kind() {
  BindingRecordWriter w;
  EXPECT_TRUE(w.put(full()));
  EXPECT_TRUE(w.remove("sip:bob@example.test", "sip:bob@192.0.2.2"));
  EXPECT_TRUE(w.remove_all("sip:carol@example.test"));
  Binding empty;  // every string empty, q 1.0
  EXPECT_TRUE(w.put(empty));
  EXPECT_EQ(w.count(), 4u);
  return std::string(w.bytes());
}

}  // namespace

TEST(BindingRecord, EachKindComesBackAsWritten) {
  auto changes = decode_record(record_of_each_kind());
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 4u);
  const Binding want = full();
  const Binding& got = (*changes)[0].binding;
  EXPECT_EQ((*changes)[0].kind, BindingChange::Kind::Put);
  EXPECT_EQ(got.aor, want.aor);
  EXPECT_EQ(got.contact, want.contact);
  EXPECT_EQ(got.call_id, want.call_id);
  EXPECT_EQ(got.cseq, want.cseq);
  EXPECT_EQ(got.expires_at, want.expires_at);
  EXPECT_EQ(got.q, want.q);
  EXPECT_EQ(got.path, want.path);
  EXPECT_EQ(got.received, want.received);
  EXPECT_EQ(got.instance, want.instance);
  EXPECT_EQ((*changes)[1].kind, BindingChange::Kind::Remove);
  EXPECT_EQ((*changes)[1].binding.aor, "sip:bob@example.test");
  EXPECT_EQ((*changes)[1].binding.contact, "sip:bob@192.0.2.2");
  EXPECT_EQ((*changes)[2].kind, BindingChange::Kind::RemoveAll);
  EXPECT_EQ((*changes)[2].binding.aor, "sip:carol@example.test");
  EXPECT_EQ((*changes)[3].kind, BindingChange::Kind::Put);
  EXPECT_EQ((*changes)[3].binding.q, 1.0);
  EXPECT_TRUE((*changes)[3].binding.aor.empty());
}

TEST(BindingRecord, AnEmptyRecordAndAClearedWriter) {
  BindingRecordWriter w;
  EXPECT_TRUE(w.empty());
  auto none = decode_record(w.bytes());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(w.remove_all("sip:x@example.test"));
  w.clear();
  EXPECT_EQ(w.count(), 0u);
  EXPECT_EQ(w.bytes().size(), 8u);
}

// Every proper prefix of a record is refused, and so is a record with a byte more.
TEST(BindingRecord, TruncatedOrExtendedRecordsAreRefused) {
  const std::string rec = record_of_each_kind();
  for (std::size_t n = 0; n < rec.size(); ++n) {
    EXPECT_FALSE(decode_record(std::string_view(rec).substr(0, n))) << "prefix of " << n << " bytes";
  }
  EXPECT_FALSE(decode_record(rec + '\0'));
}

TEST(BindingRecord, MalformedRecordsAreRefused) {
  std::string rec = record_of_each_kind();
  std::string bad_magic = rec;
  bad_magic[3] = '2';
  EXPECT_FALSE(decode_record(bad_magic));
  std::string bad_kind = rec;
  bad_kind[8] = 9;  // the first change's kind
  EXPECT_FALSE(decode_record(bad_kind));
  // A count far beyond what the bytes can hold is refused before anything is reserved.
  std::string huge_count = rec;
  huge_count[4] = huge_count[5] = huge_count[6] = huge_count[7] = '\xff';
  EXPECT_FALSE(decode_record(huge_count));
  // A string length past the end of the record.
  std::string long_string("WBL1\x01\x00\x00\x00\x03\xff\xff\x00\x00", 13);
  EXPECT_FALSE(decode_record(long_string));
  // A string longer than kMaxFieldBytes, even with the bytes present.
  std::string over("WBL1\x01\x00\x00\x00\x03", 9);
  const auto n = static_cast<std::uint32_t>(kMaxFieldBytes + 1);
  for (int i = 0; i < 4; ++i) over.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  over.append(n, 'a');
  EXPECT_FALSE(decode_record(over));
}

TEST(BindingRecord, NonFiniteQIsRefused) {
  for (double q : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    BindingRecordWriter w;
    Binding b = full();
    b.q = q;
    ASSERT_TRUE(w.put(b));
    EXPECT_FALSE(decode_record(w.bytes()));
  }
}

TEST(BindingRecord, WriterRefusesOversizedFieldsAndKeepsTheRecord) {
  BindingRecordWriter w;
  ASSERT_TRUE(w.remove("sip:a@example.test", "sip:a@192.0.2.1"));
  const std::string before(w.bytes());
  Binding b = full();
  b.path.assign(kMaxFieldBytes + 1, 'p');
  EXPECT_FALSE(w.put(b));
  EXPECT_FALSE(w.remove(std::string(kMaxFieldBytes + 1, 'a'), "c"));
  EXPECT_FALSE(w.remove_all(std::string(kMaxFieldBytes + 1, 'a')));
  EXPECT_EQ(w.count(), 1u);
  EXPECT_EQ(std::string(w.bytes()), before);
}
