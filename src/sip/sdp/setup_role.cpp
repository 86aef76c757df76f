#include "sip/sdp/setup_role.hpp"

namespace warden::sip::sdp {

base::Result<SetupRole> parse_setup(std::string_view value) noexcept {
  if (value == "active") return SetupRole::Active;
  if (value == "passive") return SetupRole::Passive;
  if (value == "actpass") return SetupRole::ActPass;
  if (value == "holdconn") return SetupRole::HoldConn;
  return SdpErrc::BadSetup;
}

std::string_view to_string(SetupRole r) noexcept {
  switch (r) {
    case SetupRole::Active: return "active";
    case SetupRole::Passive: return "passive";
    case SetupRole::ActPass: return "actpass";
    case SetupRole::HoldConn: return "holdconn";
  }
  return "actpass";
}

std::optional<SetupRole> find_setup(const SessionDescription& sd, const MediaDescription& m) noexcept {
  for (const auto* attrs : {&m.attributes, &sd.attributes}) {
    for (const Attribute& a : *attrs) {
      if (a.name != "setup" || !a.has_value) continue;
      if (auto r = parse_setup(a.value)) return *r;
    }
  }
  return std::nullopt;
}

}  // namespace warden::sip::sdp
