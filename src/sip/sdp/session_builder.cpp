#include "sip/sdp/session_builder.hpp"

#include <cassert>

namespace warden::sip::sdp {

SessionBuilder::SessionBuilder() {
  sd_.origin = Origin{"-", "0", "0", "IN", "IP4", "0.0.0.0"};
  sd_.session_name = "-";
  sd_.timings.push_back(Timing{});
}

std::string_view SessionBuilder::keep(std::string_view text) {
  storage_.push_back(std::make_unique<std::string>(text));
  return *storage_.back();
}

SessionBuilder& SessionBuilder::origin(std::string_view username, std::uint64_t session_id,
                                       std::uint64_t session_version, AddrType type,
                                       std::string_view address) {
  sd_.origin.username = keep(username);
  sd_.origin.session_id = keep(std::to_string(session_id));
  sd_.origin.session_version = keep(std::to_string(session_version));
  sd_.origin.net_type = "IN";
  sd_.origin.addr_type = to_string(type);
  sd_.origin.address = keep(address);
  return *this;
}

SessionBuilder& SessionBuilder::session_name(std::string_view name) {
  sd_.session_name = keep(name);
  return *this;
}

SessionBuilder& SessionBuilder::information(std::string_view text) {
  sd_.information = keep(text);
  return *this;
}

SessionBuilder& SessionBuilder::uri(std::string_view uri) {
  sd_.uri = keep(uri);
  return *this;
}

SessionBuilder& SessionBuilder::email(std::string_view email) {
  sd_.emails.push_back(keep(email));
  return *this;
}

SessionBuilder& SessionBuilder::phone(std::string_view phone) {
  sd_.phones.push_back(keep(phone));
  return *this;
}

Connection SessionBuilder::make_connection(AddrType type, std::string_view address) {
  Connection c;
  c.net_type = "IN";
  c.addr_type = to_string(type);
  c.address = keep(address);
  return c;
}

SessionBuilder& SessionBuilder::connection(AddrType type, std::string_view address) {
  sd_.connection = make_connection(type, address);
  return *this;
}

SessionBuilder& SessionBuilder::bandwidth(std::string_view type, std::uint64_t value) {
  sd_.bandwidths.push_back(Bandwidth{keep(type), value});
  return *this;
}

SessionBuilder& SessionBuilder::timing(std::uint64_t start, std::uint64_t stop) {
  if (default_timing_) {
    sd_.timings.clear();
    default_timing_ = false;
  }
  sd_.timings.push_back(Timing{start, stop, {}});
  return *this;
}

SessionBuilder& SessionBuilder::attribute(std::string_view name) {
  sd_.attributes.push_back(Attribute{keep(name), {}, false});
  return *this;
}

SessionBuilder& SessionBuilder::attribute(std::string_view name, std::string_view value) {
  sd_.attributes.push_back(Attribute{keep(name), keep(value), true});
  return *this;
}

SessionBuilder& SessionBuilder::media(std::string_view media, std::uint16_t port,
                                      std::string_view proto,
                                      std::initializer_list<std::string_view> formats) {
  MediaDescription m;
  m.media = keep(media);
  m.port = port;
  m.proto = keep(proto);
  for (std::string_view f : formats) m.formats.push_back(keep(f));
  sd_.media.push_back(std::move(m));
  return *this;
}

SessionBuilder& SessionBuilder::media(std::string_view media, std::uint16_t port,
                                      std::string_view proto,
                                      const std::vector<std::string>& formats) {
  this->media(media, port, proto, std::initializer_list<std::string_view>{});
  for (const std::string& f : formats) last_media().formats.push_back(keep(f));
  return *this;
}

MediaDescription& SessionBuilder::last_media() {
  assert(!sd_.media.empty() && "SessionBuilder: media_*() before media()");
  // Without assertions, an empty m= section makes build() fail with BadMedia.
  if (sd_.media.empty()) sd_.media.emplace_back();
  return sd_.media.back();
}

SessionBuilder& SessionBuilder::media_information(std::string_view text) {
  last_media().information = keep(text);
  return *this;
}

SessionBuilder& SessionBuilder::media_connection(AddrType type, std::string_view address) {
  Connection c = make_connection(type, address);
  last_media().connections.push_back(c);
  return *this;
}

SessionBuilder& SessionBuilder::media_bandwidth(std::string_view type, std::uint64_t value) {
  Bandwidth b{keep(type), value};
  last_media().bandwidths.push_back(b);
  return *this;
}

SessionBuilder& SessionBuilder::media_attribute(std::string_view name) {
  Attribute a{keep(name), {}, false};
  last_media().attributes.push_back(a);
  return *this;
}

SessionBuilder& SessionBuilder::media_attribute(std::string_view name, std::string_view value) {
  Attribute a{keep(name), keep(value), true};
  last_media().attributes.push_back(a);
  return *this;
}

base::Result<OwnedSessionDescription> SessionBuilder::build(const base::Limits::Sdp& limits) const {
  return OwnedSessionDescription::copy_of(sd_, limits);
}

}  // namespace warden::sip::sdp
