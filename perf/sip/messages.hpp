// Realistic messages for the parser benchmark: what a load balancer in front of a SIP farm sees
// (an INVITE with SDP that crossed two proxies, its 200 OK, a REGISTER, the ACK and the BYE),
// and IPv6 twins of the softphone INVITE and the BYE (RFC 5118 references).
#pragma once

#include <string_view>

namespace sipshunt::sip::bench {

// 3 Via values, Route, Record-Route, Contact, Allow, Supported, User-Agent, SDP body.
inline constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds.1;rport\r\n"
    "Via: SIP/2.0/UDP 198.18.0.20:5060;branch=z9hG4bKnashds8\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 68\r\n"
    "Route: <sip:lb1.example.net;lr>\r\n"
    "Record-Route: <sip:p2.example.net;lr>, <sip:p1.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@198.18.0.33>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: softphone/4.2.1\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 211\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.18.0.33\r\n"
    "s=-\r\n"
    "c=IN IP4 198.18.0.33\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n";

inline constexpr std::string_view kOk200 =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds.1;rport=5060;received=198.18.0.10\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Record-Route: <sip:p2.example.net;lr>, <sip:p1.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kRegister =
    "REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n"
    "Call-ID: 843817637684230@998sdasdh09\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Expires: 7200\r\n"
    "User-Agent: softphone/4.2.1 (linux)\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kAck =
    "ACK sip:bob@192.0.2.4 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds9;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.net;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 ACK\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kBye =
    "BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:p2.example.net;lr>, <sip:p1.example.com;lr>\r\n"
    "From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 231 BYE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// The shape perf/dataplane/make_invites.py sends (a softphone or SBC INVITE): one Via of 69
// octets (long branch, bare rport), a quoted display name in From, SDP. Its Via and From are
// past the 63 octets of a one-register delimiter mask.
inline constexpr std::string_view kInviteSoftphone =
    "INVITE sip:+13105550055@198.18.0.1:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.50.96:5064;branch=z9hG4bK00003039aa12b4869;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Caller 12345\" <sip:+12125552345@198.18.50.96>;tag=1dcd8a3f\r\n"
    "To: <sip:+13105550055@198.18.0.1;user=phone>\r\n"
    "Call-ID: 0776647f-0012345@198.18.50.96\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:+12125552345@198.18.50.96:5064>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "User-Agent: PhoneOS/4.2.1 (sipshunt bench)\r\n"
    "Session-Expires: 1800\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 241\r\n"
    "\r\n"
    "v=0\r\n"
    "o=+12125552345 112345 212345 IN IP4 198.18.50.96\r\n"
    "s=-\r\n"
    "c=IN IP4 198.18.50.96\r\n"
    "t=0 0\r\n"
    "m=audio 34690 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

// The same INVITE from an IPv6 client as perf/dataplane/make_invites.py writes it for
// SIPSHUNT_BENCH_FAMILY=6 (RFC 5118 references in the Request-URI, Via, From, To, Call-ID and
// Contact): the parser's IPv6 cost against kInviteSoftphone.
inline constexpr std::string_view kInviteSoftphoneIpv6 =
    "INVITE sip:+13105550055@[2001:db8::1]:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8::32:60]:5064;branch=z9hG4bK00003039aa12b4869;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Caller 12345\" <sip:+12125552345@[2001:db8::32:60]>;tag=1dcd8a3f\r\n"
    "To: <sip:+13105550055@[2001:db8::1];user=phone>\r\n"
    "Call-ID: 0776647f-0012345@[2001:db8::32:60]\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:+12125552345@[2001:db8::32:60]:5064>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "User-Agent: PhoneOS/4.2.1 (sipshunt bench)\r\n"
    "Session-Expires: 1800\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 247\r\n"
    "\r\n"
    "v=0\r\n"
    "o=+12125552345 112345 212345 IN IP6 2001:db8::32:60\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8::32:60\r\n"
    "t=0 0\r\n"
    "m=audio 34690 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

// An in-dialog BYE through two IPv6 proxies that record-routed (RFC 5118 references in Route).
inline constexpr std::string_view kByeIpv6 =
    "BYE sip:alice@[2001:db8::33]:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8::4]:5060;branch=z9hG4bKnashds10;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:[2001:db8::2]:5060;lr>, <sip:[2001:db8:1::1]:5060;lr;sipshunt-b=b2>\r\n"
    "From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 231 BYE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

}  // namespace sipshunt::sip::bench
