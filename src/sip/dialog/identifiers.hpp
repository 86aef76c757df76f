#pragma once
// Fresh identifiers for new requests (RFC 3261 §8.1.1.4, §8.1.1.7, §19.3): tags, Via branches
// and Call-IDs, each with 128 bits from a cryptographically secure Random, so a third party
// cannot guess them to forge a CANCEL, BYE or response.
// Thread-safety: as the Random given.

#include <string>

#include "base/random.hpp"

namespace warden::sip::dialog {

std::string new_tag(base::Random& rng);
std::string new_branch(base::Random& rng);  // "z9hG4bK" + 128 random bits
std::string new_call_id(base::Random& rng);

}  // namespace warden::sip::dialog
