#include "sip/dialog/dialog_table.hpp"

namespace warden::sip::dialog {

namespace {
DialogId key(std::string_view call_id, std::string_view local, std::string_view remote) {
  return {std::string(call_id), std::string(local), std::string(remote)};
}
}  // namespace

Dialog* DialogTable::find_for_request(const msg::Message& r) {
  auto it = dialogs_.find(key(r.call_id, r.to.tag, r.from.tag));
  return it == dialogs_.end() ? nullptr : &it->second;
}

Dialog* DialogTable::find_for_response(const msg::Message& r) {
  auto it = dialogs_.find(key(r.call_id, r.from.tag, r.to.tag));
  return it == dialogs_.end() ? nullptr : &it->second;
}

Dialog* DialogTable::on_uac_response(const msg::Message& request, const msg::Message& response) {
  if (response.status >= 300) {
    for (Dialog* d : family(request.call_id, request.from.tag))
      if (d->state() == Dialog::State::Early) d->on_response(request, response);
    return nullptr;
  }
  if (Dialog* d = find_for_response(response)) {
    d->on_response(request, response);
    return d;
  }
  auto created = Dialog::from_uac(request, response);
  if (!created) return nullptr;
  return &insert(std::move(*created));
}

Dialog& DialogTable::insert(Dialog d) {
  DialogId id = d.id();
  return dialogs_.insert_or_assign(std::move(id), std::move(d)).first->second;
}

std::vector<Dialog*> DialogTable::family(std::string_view call_id, std::string_view local_tag) {
  std::vector<Dialog*> out;
  for (auto it = dialogs_.lower_bound(key(call_id, local_tag, {}));
       it != dialogs_.end() && it->first.call_id == call_id && it->first.local_tag == local_tag; ++it)
    out.push_back(&it->second);
  return out;
}

}  // namespace warden::sip::dialog
