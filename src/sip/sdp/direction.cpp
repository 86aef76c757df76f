#include "sip/sdp/direction.hpp"

namespace warden::sip::sdp {

std::string_view to_string(Direction d) noexcept {
  switch (d) {
    case Direction::SendRecv: return "sendrecv";
    case Direction::SendOnly: return "sendonly";
    case Direction::RecvOnly: return "recvonly";
    case Direction::Inactive: return "inactive";
  }
  return "sendrecv";
}

std::optional<Direction> direction_from_name(std::string_view name) noexcept {
  if (name == "sendrecv") return Direction::SendRecv;
  if (name == "sendonly") return Direction::SendOnly;
  if (name == "recvonly") return Direction::RecvOnly;
  if (name == "inactive") return Direction::Inactive;
  return std::nullopt;
}

Direction reverse(Direction d) noexcept {
  switch (d) {
    case Direction::SendOnly: return Direction::RecvOnly;
    case Direction::RecvOnly: return Direction::SendOnly;
    case Direction::SendRecv:
    case Direction::Inactive: break;
  }
  return d;
}

Attribute direction_attribute(Direction d) noexcept { return Attribute{to_string(d), {}, false}; }

base::Result<std::optional<Direction>> find_direction(std::span<const Attribute> attrs) noexcept {
  std::optional<Direction> found;
  for (const Attribute& a : attrs) {
    const auto d = direction_from_name(a.name);
    if (!d) continue;
    if (a.has_value) return SdpErrc::BadDirection;
    if (found && *found != *d) return SdpErrc::ConflictingDirection;
    found = d;
  }
  return found;
}

base::Result<Direction> effective_direction(const SessionDescription& sd,
                                            const MediaDescription& m) noexcept {
  auto media = find_direction(m.attributes);
  if (!media) return media.error();
  if (*media) return **media;
  auto session = find_direction(sd.attributes);
  if (!session) return session.error();
  return session->value_or(Direction::SendRecv);
}

}  // namespace warden::sip::sdp
