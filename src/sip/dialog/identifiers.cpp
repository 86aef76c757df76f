#include "sip/dialog/identifiers.hpp"

#include "sip/msg/message.hpp"

namespace warden::sip::dialog {

std::string new_tag(base::Random& rng) { return base::random_token(rng, 128); }

std::string new_branch(base::Random& rng) {
  return std::string(msg::kBranchCookie) + base::random_token(rng, 128);
}

std::string new_call_id(base::Random& rng) { return base::random_token(rng, 128); }

}  // namespace warden::sip::dialog
