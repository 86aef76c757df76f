#pragma once
// The dialogs of one user agent, keyed by DialogId (RFC 3261 §12.2). Requests are matched with
// local tag = To tag and remote tag = From tag; responses the other way round. A request whose
// To carries a tag but matches no dialog is answered 481 (§12.2.2). A forked INVITE can leave
// several early dialogs (one per To tag of the 1xx/2xx that arrived, §13.2.2.4).
// Thread-safety: none.

#include <map>
#include <vector>

#include "sip/dialog/dialog.hpp"

namespace warden::sip::dialog {

class DialogTable {
 public:
  Dialog* find_for_request(const msg::Message& request);
  Dialog* find_for_response(const msg::Message& response);
  // A response to a dialog-creating request we sent: updates the dialog of that To tag, or
  // creates it (early for 1xx with a tag, confirmed for 2xx). Returns nullptr when the response
  // cannot create a dialog (no To tag, a failure, ...); a failure terminates every early dialog
  // of the request.
  Dialog* on_uac_response(const msg::Message& request, const msg::Message& response);
  Dialog& insert(Dialog d);
  void erase(const DialogId& id) { dialogs_.erase(id); }
  // Every dialog born of one request of ours (same Call-ID and local tag).
  std::vector<Dialog*> family(std::string_view call_id, std::string_view local_tag);
  std::size_t size() const noexcept { return dialogs_.size(); }

  static constexpr std::uint16_t kUnknownDialogStatus = 481;

 private:
  std::map<DialogId, Dialog> dialogs_;
};

}  // namespace warden::sip::dialog
