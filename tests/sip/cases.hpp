// The parser's unit tables (llhttp style: an input and what the parser must say about it).
// parser_test.cpp checks each row; robustness_test.cpp parses every row's message at every
// truncation length against a guard page.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/sip/message.hpp"
#include "support.hpp"

namespace sipshunt::sip::testing {

// ---- start line -------------------------------------------------------------------------------
struct StartLineCase {
  std::string_view line;
  Status status;
  std::string_view method;  // request (empty for a response)
  std::string_view uri;
  int code;                 // response
  std::string_view reason;
};

inline const std::vector<StartLineCase>& start_line_cases() {
  static const std::vector<StartLineCase> t = {
      {"INVITE sip:bob@biloxi.example.com SIP/2.0", Status::kOk, "INVITE", "sip:bob@biloxi.example.com", 0, ""},
      {"OPTIONS sip:198.18.0.1:5060;transport=udp SIP/2.0", Status::kOk, "OPTIONS", "sip:198.18.0.1:5060;transport=udp", 0, ""},
      {"NEWMETHOD tel:+1-201-555-0123 SIP/2.0", Status::kOk, "NEWMETHOD", "tel:+1-201-555-0123", 0, ""},
      {"INVITE sip:bob@b.example.com sip/2.0", Status::kOk, "INVITE", "sip:bob@b.example.com", 0, ""},
      {"INVITE sip:a@b?Route=%3Csip:x%3E SIP/2.0", Status::kOk, "INVITE", "sip:a@b?Route=%3Csip:x%3E", 0, ""},
      {"INVITE  sip:bob@b.example.com SIP/2.0", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com  SIP/2.0", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com SIP/2.0 ", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com SIP/2.0\t", Status::kBadStartLine, "", "", 0, ""},
      {" INVITE sip:bob@b.example.com SIP/2.0", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE\tsip:bob@b.example.com SIP/2.0", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE  SIP/2.0", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com HTTP/1.1", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com SIP/2", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com SIP/2.0x", Status::kBadStartLine, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com SIP/7.0", Status::kBadVersion, "INVITE", "sip:bob@b.example.com", 0, ""},
      {"INVITE sip:bob@b.example.com SIP/2.1", Status::kBadVersion, "INVITE", "sip:bob@b.example.com", 0, ""},
      {"INVITE sip:bob@b.example.com SIP/20.0", Status::kBadVersion, "INVITE", "sip:bob@b.example.com", 0, ""},
      {"INV@ITE sip:bob@b.example.com SIP/2.0", Status::kBadMethod, "", "", 0, ""},
      {"INV\"ITE sip:bob@b.example.com SIP/2.0", Status::kBadMethod, "", "", 0, ""},
      {"INVITE <sip:bob@b.example.com> SIP/2.0", Status::kBadRequestUri, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com; lr SIP/2.0", Status::kBadRequestUri, "", "", 0, ""},
      {"INVITE sip:bob@b.example.com;\tlr SIP/2.0", Status::kBadRequestUri, "", "", 0, ""},
      {"INVITE sip:bob\x01@b.example.com SIP/2.0", Status::kBadRequestUri, "", "", 0, ""},
      {"INVITE sip:b\xc3\xa9@b.example.com SIP/2.0", Status::kBadRequestUri, "", "", 0, ""},
      {"INVITE sip:\"bob\"@b.example.com SIP/2.0", Status::kBadRequestUri, "", "", 0, ""},
      // Methods ending around octet 32 of a line under 64 octets (the AVX2 fast path classifies
      // the method's octets in the first 32 only, and reads the octet at 32 as its end).
      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA sip:a@b SIP/2.0", Status::kOk, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sip:a@b", 0, ""},
      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA sip:a@b SIP/2.0", Status::kOk, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sip:a@b", 0, ""},
      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA sip:a@b SIP/2.0", Status::kOk, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sip:a@b", 0, ""},
      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@ sip:a@b SIP/2.0", Status::kBadMethod, "", "", 0, ""},
      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@ sip:a@b SIP/2.0", Status::kBadMethod, "", "", 0, ""},
      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@ sip:a@b SIP/2.0", Status::kBadMethod, "", "", 0, ""},
      // A Status-Line ending like a Request-Line is still a Status-Line (the request line's fast
      // path never takes it).
      {"SIP/2.0 200 SIP/2.0", Status::kOk, "", "", 200, "SIP/2.0"},
      {"sip/2.0 180 ringing SIP/2.0", Status::kOk, "", "", 180, "ringing SIP/2.0"},
      {"SIP/2.0 200 OK", Status::kOk, "", "", 200, "OK"},
      {"SIP/2.0 100 ", Status::kOk, "", "", 100, ""},
      {"SIP/2.0 180 Ringing, really ", Status::kOk, "", "", 180, "Ringing, really "},
      {"SIP/2.0 699 \xd0\xbd\xd0\xb5\xd1\x82", Status::kOk, "", "", 699, "\xd0\xbd\xd0\xb5\xd1\x82"},
      {"sip/2.0 486 Busy Here", Status::kOk, "", "", 486, "Busy Here"},
      {"SIP/2.0 200", Status::kBadStartLine, "", "", 0, ""},
      {"SIP/2.0  200 OK", Status::kBadStartLine, "", "", 0, ""},
      {"SIP/2.0 099 Too low", Status::kBadStatusCode, "", "", 0, ""},
      {"SIP/2.0 700 Too high", Status::kBadStatusCode, "", "", 0, ""},
      {"SIP/2.0 20 Short", Status::kBadStatusCode, "", "", 0, ""},
      {"SIP/2.0 2000 Long", Status::kBadStatusCode, "", "", 0, ""},
      {"SIP/2.0 4294967301 better not break the receiver", Status::kBadStatusCode, "", "", 0, ""},
      {"SIP/2.0 2x0 OK", Status::kBadStatusCode, "", "", 0, ""},
      {"SIP/2.0 -20 OK", Status::kBadStatusCode, "", "", 0, ""},
      {"SIP/3.0 200 OK", Status::kBadVersion, "", "", 200, "OK"},
      {"SIP/2.0", Status::kBadStartLine, "", "", 0, ""},
      {"SIP/ 200 OK", Status::kBadStartLine, "", "", 0, ""},
  };
  return t;
}

// A complete message around a start line: the mandatory fields, CSeq naming the method.
inline std::string start_line_message(const StartLineCase& c) {
  const std::string cseq = "CSeq: 1 " + std::string(c.method.empty() ? "INVITE" : c.method);
  return build(c.line, {kVia, kFrom, kTo, kCallId, cseq});
}

// ---- header names ------------------------------------------------------------------------------
struct NameCase {
  std::string_view line;  // one header line
  HeaderId id;
  std::string_view name;  // as the table must record it
};

inline const std::vector<NameCase>& name_cases() {
  static const std::vector<NameCase> t = {
      {"Subject: hi", HeaderId::kSubject, "Subject"},
      {"s: hi", HeaderId::kSubject, "s"},
      {"S: hi", HeaderId::kSubject, "S"},
      {"Contact: <sip:a@b>", HeaderId::kContact, "Contact"},
      {"m: <sip:a@b>", HeaderId::kContact, "m"},
      {"M: <sip:a@b>", HeaderId::kContact, "M"},
      {"Content-Type: application/sdp", HeaderId::kContentType, "Content-Type"},
      {"c: application/sdp", HeaderId::kContentType, "c"},
      {"Supported: timer", HeaderId::kSupported, "Supported"},
      {"k: timer", HeaderId::kSupported, "k"},
      {"Content-Encoding: gzip", HeaderId::kContentEncoding, "Content-Encoding"},
      {"e: gzip", HeaderId::kContentEncoding, "e"},
      {"Event: presence", HeaderId::kEvent, "Event"},
      {"o: presence", HeaderId::kEvent, "o"},
      {"Refer-To: <sip:c@d>", HeaderId::kReferTo, "Refer-To"},
      {"r: <sip:c@d>", HeaderId::kReferTo, "r"},
      {"Allow-Events: presence", HeaderId::kAllowEvents, "Allow-Events"},
      {"u: presence", HeaderId::kAllowEvents, "u"},
      {"Session-Expires: 1800", HeaderId::kSessionExpires, "Session-Expires"},
      {"x: 1800", HeaderId::kSessionExpires, "x"},
      {"Proxy-Require: foo", HeaderId::kProxyRequire, "Proxy-Require"},
      {"PROXY-REQUIRE: foo", HeaderId::kProxyRequire, "PROXY-REQUIRE"},
      {"Require: 100rel", HeaderId::kRequire, "Require"},
      {"Unsupported: foo", HeaderId::kUnsupported, "Unsupported"},
      {"User-Agent: x/1", HeaderId::kUserAgent, "User-Agent"},
      {"uSER-aGENT: x/1", HeaderId::kUserAgent, "uSER-aGENT"},
      {"Subject : spaced", HeaderId::kSubject, "Subject"},
      {"Subject\t: tabbed", HeaderId::kSubject, "Subject"},
      {"Subject  \t : mixed", HeaderId::kSubject, "Subject"},
      {"X-Custom: 1", HeaderId::kOther, "X-Custom"},
      {"Allow: INVITE, ACK", HeaderId::kOther, "Allow"},
      {"C%6Fntact: <sip:a@b>", HeaderId::kOther, "C%6Fntact"},
      {"Contacts: <sip:a@b>", HeaderId::kOther, "Contacts"},
      {"Via-Extra: 1", HeaderId::kOther, "Via-Extra"},
      {"Cseqs: 1", HeaderId::kOther, "Cseqs"},
      {"q: 1", HeaderId::kOther, "q"},
      {"extensionHeader-!.%*+_`'~: \xef\xbb\xbf", HeaderId::kOther, "extensionHeader-!.%*+_`'~"},
  };
  return t;
}

// ---- header section structure ------------------------------------------------------------------
struct LineCase {
  std::string_view what;
  std::string msg;
  Status status;
  std::string_view value;  // of the last header before the empty line (kOk only)
  std::string_view line;   // its whole line including CRLF (kOk only)
};

inline const std::vector<LineCase>& line_cases() {
  static const std::vector<LineCase> t = {
      {"folded value", invite_with({"Subject: hello\r\n world"}), Status::kOk, "hello\r\n world",
       "Subject: hello\r\n world\r\n"},
      {"folded with tab, three lines", invite_with({"Subject: a\r\n\tb\r\n  c"}), Status::kOk, "a\r\n\tb\r\n  c",
       "Subject: a\r\n\tb\r\n  c\r\n"},
      {"value starts on the next line", invite_with({"Subject:\r\n   late"}), Status::kOk, "late",
       "Subject:\r\n   late\r\n"},
      {"empty value", invite_with({"Subject:"}), Status::kOk, "", "Subject:\r\n"},
      {"only spaces", invite_with({"Subject:    "}), Status::kOk, "", "Subject:    \r\n"},
      {"trailing LWS trimmed", invite_with({"Subject: a b \t"}), Status::kOk, "a b", "Subject: a b \t\r\n"},
      {"trailing folded blank", invite_with({"Subject: a\r\n \t"}), Status::kOk, "a", "Subject: a\r\n \t\r\n"},
      {"no space after colon", invite_with({"Subject:x"}), Status::kOk, "x", "Subject:x\r\n"},
      {"NUL and UTF-8 in a value", invite_with({std::string_view("Subject: a\0b \xe2\x82\xac", 16)}), Status::kOk,
       std::string_view("a\0b \xe2\x82\xac", 7), std::string_view("Subject: a\0b \xe2\x82\xac\r\n", 18)},
      {"leading CRLFs skipped", "\r\n\r\n" + invite_with({"Subject: s"}), Status::kOk, "s", "Subject: s\r\n"},
      {"no colon", invite_with({"Subject hello"}), Status::kBadHeaderLine, "", ""},
      {"space inside the name", invite_with({"Sub ject: x"}), Status::kBadHeaderLine, "", ""},
      {"empty name", invite_with({": x"}), Status::kBadHeaderLine, "", ""},
      {"bad character in the name", invite_with({"Sub<ject: x"}), Status::kBadHeaderLine, "", ""},
      {"folding after the start line", build(kInviteLine, {" Via: SIP/2.0/UDP h;branch=z9hG4bK1"}),
       Status::kBadHeaderLine, "", ""},
      {"bare LF ends a line", invite_with({"Subject: x\nX-A: y"}), Status::kBadHeaderLine, "", ""},
      {"bare LF ends the start line", std::string(kInviteLine) + "\n" + std::string(kVia) + "\r\n\r\n",
       Status::kBadStartLine, "", ""},
      {"CR without LF as the empty line", invite_with({}).substr(0, invite_with({}).size() - 2) + "\rX",
       Status::kBadHeaderLine, "", ""},
      {"no empty line", invite_with({}).substr(0, invite_with({}).size() - 2), Status::kHeadersUnterminated, "", ""},
      {"ends inside a header", std::string(kInviteLine) + "\r\n" + std::string(kVia), Status::kHeadersUnterminated,
       "", ""},
      {"start line only, no CRLF", std::string(kInviteLine), Status::kHeadersUnterminated, "", ""},
      {"empty datagram", "", Status::kEmpty, "", ""},
      {"only CRLFs", "\r\n\r\n\r\n", Status::kEmpty, "", ""},
  };
  return t;
}

// ---- Via ----------------------------------------------------------------------------------------
struct ViaExpect {
  std::string_view protocol, version, transport, host;
  int port;  // -1: absent
  std::string_view branch;    // "-": absent
  std::string_view received;  // "-": absent
  std::string_view rport;     // "-": absent, "": present without value
  std::string_view maddr;     // "-": absent
  std::string_view params;
  std::string_view value;
};
struct ViaCase {
  std::string_view what;
  std::vector<std::string_view> lines;  // Via header lines
  Status status;
  std::vector<ViaExpect> vias;          // kOk: every decoded value, in order
};

inline const std::vector<ViaCase>& via_cases() {
  static const std::vector<ViaCase> t = {
      {"plain", {"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK776asdhds"}, Status::kOk,
       {{"SIP", "2.0", "UDP", "198.18.0.1", 5060, "z9hG4bK776asdhds", "-", "-", "-", ";branch=z9hG4bK776asdhds",
         "SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK776asdhds"}}},
      {"rport without value, no port", {"Via: SIP/2.0/UDP pc33.example.com;rport;branch=z9hG4bKa"}, Status::kOk,
       {{"SIP", "2.0", "UDP", "pc33.example.com", -1, "z9hG4bKa", "-", "", "-", ";rport;branch=z9hG4bKa",
         "SIP/2.0/UDP pc33.example.com;rport;branch=z9hG4bKa"}}},
      {"received, rport value, maddr, ttl, unknown",
       {"Via: SIP/2.0/TCP h.example.com:5070;branch=z9hG4bKb;received=198.18.0.9;rport=5071;maddr=224.2.0.1;ttl=16;"
        "x-ext=\"q;v\""},
       Status::kOk,
       {{"SIP", "2.0", "TCP", "h.example.com", 5070, "z9hG4bKb", "198.18.0.9", "5071", "224.2.0.1",
         ";branch=z9hG4bKb;received=198.18.0.9;rport=5071;maddr=224.2.0.1;ttl=16;x-ext=\"q;v\"",
         "SIP/2.0/TCP h.example.com:5070;branch=z9hG4bKb;received=198.18.0.9;rport=5071;maddr=224.2.0.1;ttl=16;"
         "x-ext=\"q;v\""}}},
      {"parameter names are case-insensitive", {"Via: SIP/2.0/UDP h;BRANCH=z9hG4bKc;RPort;Received=1.2.3.4"},
       Status::kOk, {{"SIP", "2.0", "UDP", "h", -1, "z9hG4bKc", "1.2.3.4", "", "-", ";BRANCH=z9hG4bKc;RPort;Received=1.2.3.4",
                      "SIP/2.0/UDP h;BRANCH=z9hG4bKc;RPort;Received=1.2.3.4"}}},
      {"IPv6 sent-by and received", {"Via: SIP/2.0/UDP [2001:db8::9:1]:5062;branch=z9hG4bKd;received=2001:db8::9:2"},
       Status::kOk, {{"SIP", "2.0", "UDP", "[2001:db8::9:1]", 5062, "z9hG4bKd", "2001:db8::9:2", "-", "-",
                      ";branch=z9hG4bKd;received=2001:db8::9:2",
                      "SIP/2.0/UDP [2001:db8::9:1]:5062;branch=z9hG4bKd;received=2001:db8::9:2"}}},
      {"LWS around slashes, colon, semicolons and equals",
       {"Via: SIP  /  2.0 / UDP   h.example.com : 5060 ; branch = z9hG4bKe ;rport"}, Status::kOk,
       {{"SIP", "2.0", "UDP", "h.example.com", 5060, "z9hG4bKe", "-", "", "-", "; branch = z9hG4bKe ;rport",
         "SIP  /  2.0 / UDP   h.example.com : 5060 ; branch = z9hG4bKe ;rport"}}},
      {"folded over lines (wsinv)",
       {"v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  "
        "192.168.255.111   ; branch=\r\n z9hG4bK30239"},
       Status::kOk,
       {{"SIP", "2.0", "TCP", "spindle.example.com", -1, "z9hG4bK9ikj8", "-", "-", "-", ";\r\n  branch  =   z9hG4bK9ikj8",
         "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8"},
        {"SIP", "2.0", "UDP", "192.168.255.111", -1, "z9hG4bK30239", "-", "-", "-", "; branch=\r\n z9hG4bK30239",
         "SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239"}}},
      {"comma list and several fields keep order",
       {"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2",
        "v: SIP/2.0/SCTP c.example.com;branch=z9hG4bK3"},
       Status::kOk,
       {{"SIP", "2.0", "UDP", "a.example.com", -1, "z9hG4bK1", "-", "-", "-", ";branch=z9hG4bK1",
         "SIP/2.0/UDP a.example.com;branch=z9hG4bK1"},
        {"SIP", "2.0", "TCP", "b.example.com", 5061, "z9hG4bK2", "-", "-", "-", ";branch=z9hG4bK2",
         "SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2"},
        {"SIP", "2.0", "SCTP", "c.example.com", -1, "z9hG4bK3", "-", "-", "-", ";branch=z9hG4bK3",
         "SIP/2.0/SCTP c.example.com;branch=z9hG4bK3"}}},
      {"RFC 2543 Via without branch", {"Via: SIP/2.0/UDP iftgw.example.com"}, Status::kOk,
       {{"SIP", "2.0", "UDP", "iftgw.example.com", -1, "-", "-", "-", "-", "", "SIP/2.0/UDP iftgw.example.com"}}},
      {"unknown transport and version tokens", {"Via: SIP/7.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en"}, Status::kOk,
       {{"SIP", "7.0", "UNKNOWN", "t4.example.com", -1, "z9hG4bKasd0f3en", "-", "-", "-", ";branch=z9hG4bKasd0f3en",
         "SIP/7.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en"}}},
      {"port 0 and 65535", {"Via: SIP/2.0/UDP a:0;branch=z9hG4bK1, SIP/2.0/UDP b:65535;branch=z9hG4bK2"}, Status::kOk,
       {{"SIP", "2.0", "UDP", "a", 0, "z9hG4bK1", "-", "-", "-", ";branch=z9hG4bK1", "SIP/2.0/UDP a:0;branch=z9hG4bK1"},
        {"SIP", "2.0", "UDP", "b", 65535, "z9hG4bK2", "-", "-", "-", ";branch=z9hG4bK2",
         "SIP/2.0/UDP b:65535;branch=z9hG4bK2"}}},
      {"empty parameters (badinv01)", {"Via: SIP/2.0/UDP 192.0.2.15;;,;,,"}, Status::kBadVia, {}},
      {"empty branch value", {"Via: SIP/2.0/UDP h;branch="}, Status::kBadVia, {}},
      {"empty branch value before another", {"Via: SIP/2.0/UDP h;branch=;rport"}, Status::kBadVia, {}},
      {"trailing semicolon", {"Via: SIP/2.0/UDP h;branch=z9hG4bK1;"}, Status::kBadVia, {}},
      {"empty Via", {"Via:"}, Status::kBadVia, {}},
      {"no sent-by", {"Via: SIP/2.0/UDP"}, Status::kBadVia, {}},
      {"no LWS before sent-by", {"Via: SIP/2.0/UDPh"}, Status::kBadVia, {}},
      {"missing transport", {"Via: SIP/2.0 h;branch=z9hG4bK1"}, Status::kBadVia, {}},
      {"missing slash", {"Via: SIP 2.0/UDP h"}, Status::kBadVia, {}},
      {"port too large", {"Via: SIP/2.0/UDP h:65536;branch=z9hG4bK1"}, Status::kBadVia, {}},
      {"port empty", {"Via: SIP/2.0/UDP h:;branch=z9hG4bK1"}, Status::kBadVia, {}},
      {"port not numeric", {"Via: SIP/2.0/UDP h:50x0"}, Status::kBadVia, {}},
      {"trailing comma", {"Via: SIP/2.0/UDP h;branch=z9hG4bK1,"}, Status::kBadVia, {}},
      {"double comma", {"Via: SIP/2.0/UDP a;branch=z9hG4bK1,,SIP/2.0/UDP b;branch=z9hG4bK2"}, Status::kBadVia, {}},
      {"unterminated IPv6 reference", {"Via: SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1"}, Status::kBadVia, {}},
      {"junk after sent-by", {"Via: SIP/2.0/UDP h x;branch=z9hG4bK1"}, Status::kBadVia, {}},
      {"unterminated quoted parameter", {"Via: SIP/2.0/UDP h;x=\"abc"}, Status::kBadVia, {}},
      {"non-ASCII host", {"Via: SIP/2.0/UDP h\xc3\xa9;branch=z9hG4bK1"}, Status::kBadVia, {}},
  };
  return t;
}

inline std::string via_message(const ViaCase& c) {
  std::string s(kInviteLine);
  s.append("\r\n");
  for (std::string_view l : c.lines) s.append(l).append("\r\n");
  for (std::string_view h : {kMaxFwd, kFrom, kTo, kCallId, kCSeq}) s.append(h).append("\r\n");
  return s.append("\r\n");
}

// ---- one-field decoders: CSeq, Call-ID, Max-Forwards, Content-Length, From/To -----------------
struct FieldCase {
  std::string_view what;
  std::string msg;
  Status status;
  std::vector<std::string_view> expect = {};  // "field=value", see field_value() in parser_test.cpp
};

inline const std::vector<FieldCase>& field_cases() {
  static const std::vector<FieldCase> t = {
      // CSeq
      {"cseq plain", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 4711 INVITE"}), Status::kOk, {"cseq=4711", "cseq_method=INVITE"}},
      {"cseq leading zeros, folded", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "cseq: 0009\r\n  INVITE"}),
       Status::kOk, {"cseq=9", "cseq_method=INVITE"}},
      {"cseq maximum", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 2147483647 INVITE"}), Status::kOk, {"cseq=2147483647"}},
      {"cseq zero", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 0 INVITE"}), Status::kOk, {"cseq=0"}},
      {"cseq 2^31", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 2147483648 INVITE"}), Status::kBadCSeq},
      {"cseq overflow 64 bit", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 36893488147419103232 INVITE"}),
       Status::kBadCSeq},
      {"cseq negative", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: -1 INVITE"}), Status::kBadCSeq},
      {"cseq without method", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 1"}), Status::kBadCSeq},
      {"cseq without number", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: INVITE"}), Status::kBadCSeq},
      {"cseq no space", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 1INVITE"}), Status::kBadCSeq},
      {"cseq trailing token", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 1 INVITE x"}), Status::kBadCSeq},
      {"cseq method not a token", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 1 INV<ITE"}), Status::kBadCSeq},
      {"cseq empty", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq:"}), Status::kBadCSeq},
      {"cseq method differs", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 1 OPTIONS"}),
       Status::kCSeqMethodMismatch},
      {"cseq method case differs", build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 1 invite"}),
       Status::kCSeqMethodMismatch},
      // The CSeq method against the request's, compared a word at a time: a difference at each
      // position of methods of 3, 5, 9 and 17 octets.
      {"cseq method of 3 octets", build("BYE sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 BYE"}),
       Status::kOk, {"cseq_method=BYE"}},
      {"cseq method of 3 octets, middle differs",
       build("BYE sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 BXE"}), Status::kCSeqMethodMismatch},
      {"cseq method of 3 octets, last differs",
       build("BYE sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 BYF"}), Status::kCSeqMethodMismatch},
      {"cseq method of 5 octets", build("PRACK sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 PRACK"}),
       Status::kOk, {"cseq_method=PRACK"}},
      {"cseq method of 5 octets, middle differs",
       build("PRACK sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 PRBCK"}), Status::kCSeqMethodMismatch},
      {"cseq method of 9 octets",
       build("SUBSCRIBE sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 SUBSCRIBE"}), Status::kOk,
       {"cseq_method=SUBSCRIBE"}},
      {"cseq method of 9 octets, first differs",
       build("SUBSCRIBE sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 XUBSCRIBE"}),
       Status::kCSeqMethodMismatch},
      {"cseq method of 9 octets, last differs",
       build("SUBSCRIBE sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 SUBSCRIBX"}),
       Status::kCSeqMethodMismatch},
      {"cseq method of 17 octets, ninth differs",
       build("ABCDEFGHIJKLMNOPQ sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 ABCDEFGHXJKLMNOPQ"}),
       Status::kCSeqMethodMismatch},
      {"cseq method of 17 octets",
       build("ABCDEFGHIJKLMNOPQ sip:b@b.example.com SIP/2.0", {kVia, kFrom, kTo, kCallId, "CSeq: 1 ABCDEFGHIJKLMNOPQ"}),
       Status::kOk, {"cseq_method=ABCDEFGHIJKLMNOPQ"}},
      {"response: any CSeq method", build("SIP/2.0 200 OK", {kVia, kFrom, kTo, kCallId, "CSeq: 7 BYE"}), Status::kOk, {"cseq=7", "cseq_method=BYE"}},
      {"cseq twice", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, kCSeq}), Status::kDuplicateCSeq},
      // Call-ID
      {"call-id compact", build(kInviteLine, {kVia, kFrom, kTo, "i: abc@host", kCSeq}), Status::kOk, {"call_id=abc@host"}},
      {"call-id twice", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "i: other@host"}),
       Status::kDuplicateCallId},
      {"call-id twice, same value", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, kCallId}),
       Status::kDuplicateCallId},
      {"call-id empty", build(kInviteLine, {kVia, kFrom, kTo, "Call-ID:   ", kCSeq}), Status::kBadCallId},
      // Max-Forwards
      {"max-forwards 0", invite_with({}).replace(invite_with({}).find("Max-Forwards: 70"), 16, "Max-Forwards: 0"),
       Status::kOk, {"max_forwards=0"}},
      {"max-forwards leading zeros", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "MaX-fOrWaRdS: 0068"}),
       Status::kOk, {"max_forwards=68"}},
      {"max-forwards 255", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 255"}), Status::kOk, {"max_forwards=255"}},
      {"max-forwards many zeros",
       build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 00000000000000000000070"}), Status::kOk, {"max_forwards=70"}},
      {"max-forwards 256", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 256"}),
       Status::kBadMaxForwards},
      {"max-forwards 300", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 300"}),
       Status::kBadMaxForwards},
      {"max-forwards huge", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 99999999999999999999"}),
       Status::kBadMaxForwards},
      {"max-forwards negative", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: -1"}),
       Status::kBadMaxForwards},
      {"max-forwards text", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: seventy"}),
       Status::kBadMaxForwards},
      {"max-forwards empty", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards:"}),
       Status::kBadMaxForwards},
      {"max-forwards twice", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, kMaxFwd, kMaxFwd}),
       Status::kBadMaxForwards},
      // Content-Length and framing
      {"content-length exact", invite_with({"Content-Length: 5"}, "hello"), Status::kOk, {"content_length=5", "body=hello"}},
      {"content-length compact", invite_with({"l: 5"}, "hello"), Status::kOk, {"content_length=5", "body=hello"}},
      {"content-length shorter than datagram", invite_with({"Content-Length: 3"}, "hello"), Status::kOk, {"content_length=3", "body=hel"}},
      {"content-length zero, octets after", invite_with({"Content-Length: 0"}, "INVITE sip:x SIP/2.0\r\n"), Status::kOk, {"content_length=0", "body="}},
      {"no content-length: rest of datagram", invite_with({}, "v=0\r\n"), Status::kOk, {"content_length=-", "body=v=0\r\n", "max_forwards=70"}},
      {"content-length leading zeros", invite_with({"Content-Length: 005"}, "hello"), Status::kOk, {"content_length=5", "body=hello"}},
      {"content-length beyond datagram", invite_with({"Content-Length: 6"}, "hello"),
       Status::kContentLengthBeyondDatagram},
      {"content-length 2^32-1", invite_with({"Content-Length: 4294967295"}, "hello"),
       Status::kContentLengthBeyondDatagram},
      {"content-length overflow", invite_with({"Content-Length: 4294967296"}, "hello"), Status::kBadContentLength},
      {"content-length negative", invite_with({"Content-Length: -999"}, "hello"), Status::kBadContentLength},
      {"content-length text", invite_with({"Content-Length: five"}, "hello"), Status::kBadContentLength},
      {"content-length empty", invite_with({"Content-Length:"}, "hello"), Status::kBadContentLength},
      {"content-length two fields", invite_with({"Content-Length: 5", "l: 5"}, "hello"),
       Status::kDuplicateContentLength},
      {"content-length two values", invite_with({"Content-Length: 5, 5"}, "hello"), Status::kDuplicateContentLength},
      // From / To
      {"from addr-spec with tag", build(kInviteLine, {kVia, "From: sip:a@b.example.com;tag=1", kTo, kCallId, kCSeq}),
       Status::kOk, {"from_tag=1", "to_tag="}},
      {"from quoted display name with comma",
       build(kInviteLine, {kVia, "From: \"Bell, Alexander\" <sip:a@b>;tag=433423", kTo, kCallId, kCSeq}), Status::kOk, {"from_tag=433423"}},
      {"from escaped quote in display name",
       build(kInviteLine, {kVia, "f: \"J \\\"R\\\" \\\\\" <sip:a@b>\r\n  ;\r\n  tag = 98asjd8", kTo, kCallId, kCSeq}),
       Status::kOk, {"from_tag=98asjd8"}},
      {"from unquoted display name with comma",
       build(kInviteLine, {kVia, "From: Bell, Alexander <sip:a@b>;tag=43", kTo, kCallId, kCSeq}), Status::kOk, {"from_tag=43"}},
      {"from quoted parameter before tag",
       build(kInviteLine, {kVia, "From: <sip:a@b>;p=\"x;tag=no\";tag=yes", kTo, kCallId, kCSeq}), Status::kOk, {"from_tag=yes"}},
      {"from no LWS before <", build(kInviteLine, {kVia, "From: caller<sip:caller@example.com>;tag=323", kTo, kCallId, kCSeq}),
       Status::kOk, {"from_tag=323"}},
      {"to non-sip URI", build(kInviteLine, {kVia, kFrom, "To: isbn:2983792873", kCallId, kCSeq}), Status::kOk, {"to_tag=", "from_tag=9fxced76sl"}},
      {"to spaces inside <>", build(kInviteLine, {kVia, kFrom, "To: \"W, T\" < sip:t@example.org >", kCallId, kCSeq}),
       Status::kOk, {"to_tag="}},
      {"from twice", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, kFrom}), Status::kDuplicateFrom},
      {"to twice", build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "t: sip:x@y"}), Status::kDuplicateTo},
      {"to unterminated quote", build(kInviteLine, {kVia, kFrom, "To: \"Mr. J. User <sip:j.user@example.com>", kCallId, kCSeq}),
       Status::kBadTo},
      {"from unterminated <", build(kInviteLine, {kVia, "From: <sip:a@b;tag=1", kTo, kCallId, kCSeq}), Status::kBadFrom},
      {"from empty <>", build(kInviteLine, {kVia, "From: <>;tag=1", kTo, kCallId, kCSeq}), Status::kBadFrom},
      {"from empty parameter", build(kInviteLine, {kVia, "From: <sip:a@b>;;tag=1", kTo, kCallId, kCSeq}), Status::kBadFrom},
      {"from empty", build(kInviteLine, {kVia, "From:", kTo, kCallId, kCSeq}), Status::kBadFrom},
      {"to junk after >", build(kInviteLine, {kVia, kFrom, "To: <sip:a@b> x", kCallId, kCSeq}), Status::kBadTo},
      // Missing fields, requests and responses
      {"missing via", build(kInviteLine, {kFrom, kTo, kCallId, kCSeq}), Status::kMissingVia},
      {"missing call-id", build(kInviteLine, {kVia, kFrom, kTo, kCSeq}), Status::kMissingCallId},
      {"missing from", build(kInviteLine, {kVia, kTo, kCallId, kCSeq}), Status::kMissingFrom},
      {"missing to", build(kInviteLine, {kVia, kFrom, kCallId, kCSeq}), Status::kMissingTo},
      {"missing cseq", build(kInviteLine, {kVia, kFrom, kTo, kCallId}), Status::kMissingCSeq},
      {"response missing via", build("SIP/2.0 200 OK", {kFrom, kTo, kCallId, kCSeq}), Status::kMissingVia},
      {"response missing cseq", build("SIP/2.0 200 OK", {kVia, kFrom, kTo, kCallId}), Status::kMissingCSeq},
      {"no headers at all", build(kInviteLine, {}), Status::kMissingVia},
  };
  return t;
}

// ---- Route / Record-Route ----------------------------------------------------------------------
struct RouteExpect {
  std::string_view value, host;
  int port;  // -1 absent
  bool lr;
  std::string_view user;
};
struct RouteCase {
  std::string_view what;
  std::vector<std::string_view> lines;  // Route and Record-Route lines
  Status status;
  std::vector<RouteExpect> routes, record_routes;
};

inline const std::vector<RouteCase>& route_cases() {
  static const std::vector<RouteCase> t = {
      {"one loose route", {"Route: <sip:p1.example.com;lr>"}, Status::kOk,
       {{"<sip:p1.example.com;lr>", "p1.example.com", -1, true, ""}}, {}},
      {"comma list and two fields",
       {"Route: <sip:p1.example.com;lr>, <sip:198.18.0.2:5070>", "Route: \"Proxy, three\" <sip:u@p3.example.com;lr;x=y>;rp=1"},
       Status::kOk,
       {{"<sip:p1.example.com;lr>", "p1.example.com", -1, true, ""},
        {"<sip:198.18.0.2:5070>", "198.18.0.2", 5070, false, ""},
        {"\"Proxy, three\" <sip:u@p3.example.com;lr;x=y>;rp=1", "p3.example.com", -1, true, "u"}},
       {}},
      {"record-route separate from route",
       {"Record-Route: <sip:p2.example.net;lr>, <sip:p1.example.com;lr>", "Route: <sip:lb.example.net;lr>"}, Status::kOk,
       {{"<sip:lb.example.net;lr>", "lb.example.net", -1, true, ""}},
       {{"<sip:p2.example.net;lr>", "p2.example.net", -1, true, ""}, {"<sip:p1.example.com;lr>", "p1.example.com", -1, true, ""}}},
      {"folded route with odd params (wsinv)",
       {"Route:\r\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>"}, Status::kOk,
       {{"<sip:services.example.com;lr;unknownwith=value;unknown-no-value>", "services.example.com", -1, true, ""}}, {}},
      {"lr is a parameter name, not a substring", {"Route: <sip:p;lrx>, <sip:q;xlr>, <sip:r;LR=on>"}, Status::kOk,
       {{"<sip:p;lrx>", "p", -1, false, ""}, {"<sip:q;xlr>", "q", -1, false, ""}, {"<sip:r;LR=on>", "r", -1, true, ""}}, {}},
      {"IPv6 route", {"Route: <sip:[2001:db8::7]:5080;lr>"}, Status::kOk,
       {{"<sip:[2001:db8::7]:5080;lr>", "[2001:db8::7]", 5080, true, ""}}, {}},
      {"no angle brackets", {"Route: sip:p1.example.com;lr"}, Status::kBadRoute, {}, {}},
      {"unterminated <", {"Route: <sip:p1.example.com;lr"}, Status::kBadRoute, {}, {}},
      {"empty <>", {"Route: <>"}, Status::kBadRoute, {}, {}},
      {"empty value", {"Route:"}, Status::kBadRoute, {}, {}},
      {"trailing comma", {"Route: <sip:p1.example.com;lr>,"}, Status::kBadRoute, {}, {}},
      {"bad URI inside", {"Route: <sip:p1.example.com:99999;lr>"}, Status::kBadRoute, {}, {}},
      {"LWS inside the URI", {"Route: <sip:p1 .example.com;lr>"}, Status::kBadRoute, {}, {}},
      {"junk after >", {"Route: <sip:p1.example.com> junk"}, Status::kBadRoute, {}, {}},
      {"too many routes",
       {"Route: <sip:a>, <sip:b>, <sip:c>, <sip:d>, <sip:e>, <sip:f>, <sip:g>, <sip:h>, <sip:i>",
        "Route: <sip:j>, <sip:k>, <sip:l>, <sip:m>, <sip:n>, <sip:o>, <sip:p>, <sip:q>"},
       Status::kTooManyRoutes, {}, {}},
  };
  return t;
}

inline std::string route_message(const RouteCase& c) {
  std::string s(kInviteLine);
  s.append("\r\n");
  for (std::string_view h : {kVia, kMaxFwd, kFrom, kTo, kCallId, kCSeq}) s.append(h).append("\r\n");
  for (std::string_view l : c.lines) s.append(l).append("\r\n");
  return s.append("\r\n");
}

// ---- URIs ----------------------------------------------------------------------------------------
struct UriCase {
  std::string_view text;
  bool ok;
  bool is_sip;
  std::string_view scheme, user, password, host;
  int port;  // -1 absent
  bool lr;
  std::string_view params, headers;
};

inline const std::vector<UriCase>& uri_cases() {
  static const std::vector<UriCase> t = {
      {"sip:alice@atlanta.example.com", true, true, "sip", "alice", "", "atlanta.example.com", -1, false, "", ""},
      {"sip:atlanta.example.com", true, true, "sip", "", "", "atlanta.example.com", -1, false, "", ""},
      {"SIP:Alice@Atlanta.Example.COM", true, true, "SIP", "Alice", "", "Atlanta.Example.COM", -1, false, "", ""},
      {"sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=x&priority=urgent", true, true, "sips", "alice",
       "secret", "[2001:db8::1]", 5061, true, ";transport=tcp;lr", "subject=x&priority=urgent"},
      {"sip:198.18.0.1:5060;lr", true, true, "sip", "", "", "198.18.0.1", 5060, true, ";lr", ""},
      {"sip:user;par=u%40example.net@example.com", true, true, "sip", "user;par=u%40example.net", "", "example.com", -1,
       false, "", ""},
      {"sip:%61lice%20x@h", true, true, "sip", "%61lice%20x", "", "h", -1, false, "", ""},
      {"sip:null-%00-null@example.com", true, true, "sip", "null-%00-null", "", "example.com", -1, false, "", ""},
      {"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
       true, true, "sip", "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
       "example.com", -1, false, "", ""},
      {"sip:user@example.com?Route=%3Csip:sip.example.com%3E", true, true, "sip", "user", "", "example.com", -1, false,
       "", "Route=%3Csip:sip.example.com%3E"},
      {"sip:h;maddr=[2001:db8::2];x", true, true, "sip", "", "", "h", -1, false, ";maddr=[2001:db8::2];x", ""},
      {"sip:+19725552222@gw1.example.net;user=phone", true, true, "sip", "+19725552222", "", "gw1.example.net", -1, false,
       ";user=phone", ""},
      {"tel:+1-201-555-0123", true, false, "tel", "", "", "", -1, false, "", ""},
      {"soap.beep://192.0.2.103:3002", true, false, "soap.beep", "", "", "", -1, false, "", ""},
      {"nobodyKnowsThisScheme:totallyopaquecontent", true, false, "nobodyKnowsThisScheme", "", "", "", -1, false, "", ""},
      {"", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:@host", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:user@", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:host:99999", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:host:", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:host:5o60", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:ho st", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:host;a b", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:host>", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:a@b@c", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:[2001:db8::1", false, false, "", "", "", "", -1, false, "", ""},
      {"sip:[]", false, false, "", "", "", "", -1, false, "", ""},
      {"nocolon", false, false, "", "", "", "", -1, false, "", ""},
      {"1abc:foo", false, false, "", "", "", "", -1, false, "", ""},
      {"tel:", false, false, "", "", "", "", -1, false, "", ""},
      {"tel:+1 555", false, false, "", "", "", "", -1, false, "", ""},
  };
  return t;
}

// Every message the tables above parse.
inline std::vector<std::string> all_table_messages() {
  std::vector<std::string> out;
  for (const auto& c : start_line_cases()) out.push_back(start_line_message(c));
  for (const auto& c : name_cases()) out.push_back(invite_with({c.line}));
  for (const auto& c : line_cases()) out.push_back(c.msg);
  for (const auto& c : via_cases()) out.push_back(via_message(c));
  for (const auto& c : field_cases()) out.push_back(c.msg);
  for (const auto& c : route_cases()) out.push_back(route_message(c));
  return out;
}

}  // namespace sipshunt::sip::testing
