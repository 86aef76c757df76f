#pragma once
// Everything of the SDP codec (RFC 8866) in one include: the model, parse(), serialize(), the
// owning types, and the typed attribute helpers. See README.md.

#include "sip/sdp/address.hpp"
#include "sip/sdp/base64.hpp"
#include "sip/sdp/candidate.hpp"
#include "sip/sdp/crypto_attribute.hpp"
#include "sip/sdp/direction.hpp"
#include "sip/sdp/fingerprint.hpp"
#include "sip/sdp/fmtp.hpp"
#include "sip/sdp/ice_attributes.hpp"
#include "sip/sdp/known_attributes.hpp"
#include "sip/sdp/media_attributes.hpp"
#include "sip/sdp/owned_session_description.hpp"
#include "sip/sdp/parser.hpp"
#include "sip/sdp/rtcp_attribute.hpp"
#include "sip/sdp/rtpmap.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/serializer.hpp"
#include "sip/sdp/session_builder.hpp"
#include "sip/sdp/session_description.hpp"
#include "sip/sdp/setup_role.hpp"
