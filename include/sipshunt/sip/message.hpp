// hot path
// Zero-copy SIP parser over one UDP datagram. Every string_view points into the caller's buffer;
// nothing is allocated; fixed maximum counts with explicit errors when exceeded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipshunt/sip/params.hpp"  // find_param, ListIterator, is_lws: used with every Message

namespace sipshunt::sip {

inline constexpr std::size_t kMaxHeaders = 64;       // header fields (lines) per message
inline constexpr std::size_t kMaxVias = 64;          // Via values, across all Via header fields
                                                     // (RFC 4475 longreq.dat carries 34): decode_vias()
inline constexpr std::size_t kDecodedVias = 2;       // Via values parse() decodes: the top one, and
                                                     // the next one of a response
inline constexpr std::size_t kMaxRoutes = 16;        // Route values, across all Route fields
inline constexpr std::size_t kMaxRecordRoutes = 16;  // Record-Route values
inline constexpr std::uint16_t kNoHeader = 0xffff;   // "this header is absent"
inline constexpr std::size_t kMaxMessageSize = 0xffffffff;  // octets parse() reads: Header's offsets
                                                     // are 32-bit (a UDP datagram is at most 65535)

// Why a message could not be parsed. Ordered roughly by where in the message the fault is.
// The proxy maps these to its action (505 for kBadVersion, 400 where a reply can be built, drop).
enum class Status : std::uint8_t {
  kOk = 0,
  kEmpty,                  // zero-length datagram or only CRLFs
  kBadStartLine,           // neither a Request-Line nor a Status-Line; bad separators; trailing SP
  kBadMethod,              // method is not a token
  kBadRequestUri,          // empty, contains LWS, or wrapped in <>
  kBadVersion,             // well-formed SIP/x.y other than SIP/2.0 (the proxy answers 505)
  kBadStatusCode,          // not exactly three digits 100..699
  kBadHeaderLine,          // header line without a colon, bad name, or bad folding
  kHeadersUnterminated,    // no empty line ending the header section
  kTooManyHeaders,         // more than kMaxHeaders header fields
  kTooManyVias,            // more than kMaxVias Via values (decode_vias() only)
  kTooManyRoutes,          // more than kMaxRoutes Route values (decode_record_routes: kMaxRecordRoutes)
  kMissingVia,
  kMissingCallId,
  kMissingFrom,
  kMissingTo,
  kMissingCSeq,
  kDuplicateCallId,        // more than one Call-ID header field
  kDuplicateFrom,
  kDuplicateTo,
  kDuplicateCSeq,
  kBadVia,                 // a Via value that does not decode (empty params, bad sent-by, ...)
  kBadCallId,              // empty Call-ID
  kBadFrom,                // From/To that cannot be delimited (empty, empty param, unbalanced <>);
                           // From: decode_from_tag() only
  kBadTo,
  kBadCSeq,                // number not 0..2^31-1, or method missing / not a token
  kCSeqMethodMismatch,     // request: CSeq method differs from the Request-Line method
  kBadMaxForwards,         // not 1*DIGIT, above 255, or a second Max-Forwards field
  kBadContentLength,       // not 1*DIGIT (negative, garbage) or overflowing
  kDuplicateContentLength, // more than one Content-Length value (even when equal)
  kContentLengthBeyondDatagram,  // Content-Length larger than the octets after the headers
  kBadRoute,               // Route value (or, from decode_record_routes, Record-Route value) that is
                           // not <uri> or name-addr
  kCount
};

// Stable short token for counters and JSON (e.g. "cseq-method-mismatch").
[[nodiscard]] std::string_view to_string(Status s) noexcept;

// Headers the proxy or the rules care about. Compact forms map to the same id.
enum class HeaderId : std::uint8_t {
  kOther = 0,
  kVia,            // v
  kFrom,           // f
  kTo,             // t
  kCallId,         // i
  kCSeq,
  kMaxForwards,
  kContentLength,  // l
  kContentType,    // c
  kContact,        // m
  kRoute,
  kRecordRoute,
  kProxyRequire,
  kRequire,
  kSupported,      // k
  kUnsupported,
  kUserAgent,
  kSubject,        // s
  kContentEncoding,// e
  kEvent,          // o
  kReferTo,        // r
  kAllowEvents,    // u
  kSessionExpires, // x
  kCount
};

// Maps a header name (long or compact, any case) to its id; kOther when not well known.
[[nodiscard]] HeaderId header_id(std::string_view name) noexcept;
// Canonical long name of a well-known header ("Call-ID"); empty for kOther.
[[nodiscard]] std::string_view header_name(HeaderId id) noexcept;

// One header field as on the wire. `line` spans from the first octet of the name to the end of
// the CRLF that ends its last (possibly folded) line, so a rewriter can copy or skip it whole.
// Kept as offsets into the datagram, each one a position parse() holds when it finds the field's
// line end: filing a field is six plain stores and no arithmetic (three views were seven stores
// and five lengths and addresses to compute), and the record is 32 octets instead of 56.
struct Header {
  const char* data;            // the datagram (Message::data)
  std::uint32_t begin;         // offsets into it (kMaxMessageSize): the first octet of the name,
  std::uint32_t name_end;      // the name's end (without trailing spaces),
  std::uint32_t value_begin;   // the value's, leading and trailing LWS trimmed (it may hold
  std::uint32_t value_end;     // folding, CRLF + WSP),
  std::uint32_t end;           // and the end of the CRLF ending the field
  HeaderId id;

  [[nodiscard]] std::string_view name() const noexcept { return {data + begin, std::size_t{name_end} - begin}; }
  [[nodiscard]] std::string_view value() const noexcept {
    return {data + value_begin, std::size_t{value_end} - value_begin};
  }
  [[nodiscard]] std::string_view line() const noexcept { return {data + begin, std::size_t{end} - begin}; }
};

// A SIP or SIPS URI (RFC 3261 §19.1), or any other absolute URI (scheme and raw text only).
struct Uri {
  std::string_view raw;       // the whole URI
  std::string_view scheme;    // "sip", "sips", "tel", ... (as written)
  std::string_view user;      // may hold % escapes; empty when absent
  std::string_view password;  // empty when absent
  std::string_view host;      // hostname, IPv4, or IPv6 reference with its brackets
  std::uint16_t port = 0;     // 0 when absent
  bool has_port = false;
  bool is_sip = false;        // scheme is sip or sips (case-insensitive); the fields below are set
  bool lr = false;            // has the `lr` parameter
  std::string_view params;    // ";a=b;lr..." up to '?' or end, including the first ';'
  std::string_view headers;   // after '?', without it
};

// Decodes a SIP/SIPS URI. Returns false when the text is not a valid URI of its scheme.
[[nodiscard]] bool parse_uri(std::string_view text, Uri& out) noexcept;

struct Via {
  std::string_view value;        // the whole via-parm, e.g. "SIP/2.0/UDP h:5060;branch=z9hG4bK1"
  std::string_view protocol;     // "SIP"
  std::string_view version;      // "2.0"
  std::string_view transport;    // "UDP" (as written; any token accepted)
  std::string_view host;         // sent-by host; IPv6 references keep their brackets
  std::uint16_t port = 0;        // 0 when absent
  bool has_port = false;
  bool has_branch = false;
  bool has_received = false;
  bool has_rport = false;        // rport present, with or without a value
  bool has_maddr = false;
  std::string_view branch;
  std::string_view received;
  std::string_view rport;        // empty when rport has no value
  std::string_view maddr;
  std::string_view params;       // ";..." all parameters, including the first ';'
  std::uint16_t header;          // index into Message::headers of the field holding it
};

// A Route or Record-Route value: name-addr or <addr-spec>, with its URI decoded.
struct RouteValue {
  std::string_view value;   // the whole value as written (display name, <uri>, params)
  Uri uri;
  std::uint16_t header;     // index into Message::headers
};

struct Message {
  const char* data = nullptr;  // the datagram
  std::size_t size = 0;        // octets in the datagram

  bool is_request = false;
  std::string_view start_line;  // without CRLF
  // Request-Line
  std::string_view method;
  std::string_view request_uri;
  // Status-Line
  std::uint16_t status_code = 0;
  std::string_view reason;      // may be empty

  std::uint16_t header_count = 0;
  Header headers[kMaxHeaders];

  // Index into headers[] of the first field with each well-known id, kNoHeader when absent.
  std::uint16_t first[static_cast<std::size_t>(HeaderId::kCount)];

  // The Via values a decision reads (RFC 3261 §16.3: a proxy validates what it needs): the top
  // one of a request (our branch, received/rport, the reply's destination); the top two of a
  // response (ours, then the next hop). The values after them are indexed with their fields but
  // not decoded, so a malformed lower Via is forwarded as it came; decode_vias() decodes them all
  // on demand.
  std::uint8_t decoded_vias = 0;  // 1 for a request, 1 or 2 for a response, on kOk
  Via vias[kDecodedVias];         // in order: vias[0] is the top Via
  std::uint8_t route_count = 0;
  RouteValue routes[kMaxRoutes];  // in order: routes[0] is the top Route
  // Record-Route fields are indexed like every header but their values are not decoded here: a
  // stateless proxy never reads them (RFC 3261 §16.3: components it does not use are left as
  // they are and forwarded unchanged). decode_record_routes() decodes them on demand.

  std::string_view call_id;       // trimmed value
  std::uint32_t cseq = 0;         // 0 .. 2^31-1
  std::string_view cseq_method;
  int max_forwards = -1;          // -1 when absent
  // From is indexed, checked present and single, not decoded: decode_from_tag() on demand.
  std::string_view to_tag;        // empty when absent
  bool has_content_length = false;
  std::uint32_t content_length = 0;

  std::size_t headers_end = 0;    // offset of the empty line's CRLF (end of the last header CRLF)
  std::string_view body;          // framed per Content-Length (or to the end of the datagram)

  [[nodiscard]] const Header* find(HeaderId id) const noexcept {
    const std::uint16_t i = first[static_cast<std::size_t>(id)];
    return i == kNoHeader ? nullptr : &headers[i];
  }
};

// Parses one datagram into `out`. On kOk every field above is valid. On an error, the fields
// decoded before the fault are valid (start line, and the headers table up to the fault) so the
// proxy can still build a 400/505 when Via, From, To, Call-ID and CSeq were found. In detail:
// - kBadVersion: the whole header section is still parsed and decoded (it outranks every later
//   finding except a broken header section), so a 505 can be built;
// - a field that does not decode (kBadVia, kBadCSeq, duplicates, kBadMaxForwards, Content-Length
//   errors, kTooManyRoutes) and the checks made once the table is complete (kMissing*, then
//   kCSeqMethodMismatch, then kContentLengthBeyondDatagram): the header table is complete, every
//   other field decoded, `body` framed; the first field fault in message order wins;
// - a broken header section (kBadHeaderLine, kHeadersUnterminated, kTooManyHeaders): the table
//   holds the fields before the fault.
// Leading CRLFs (keep-alives) are skipped. Line ends must be CRLF; a bare LF is kBadHeaderLine
// (kBadStartLine on the start line). `size` is at most kMaxMessageSize.
[[nodiscard]] Status parse(const char* data, std::size_t size, Message& out) noexcept;

// The tag of the From field of a message parse() returned kOk for: kOk with `tag` (empty when
// absent), or kBadFrom when the value cannot be delimited (`tag` empty). No allocation.
[[nodiscard]] Status decode_from_tag(const Message& m, std::string_view& tag) noexcept;

// Decodes every Via value of a message parse() returned kOk for (every Via field, in order) into
// out[0, count). kOk; kBadVia for a value that does not decode; kTooManyVias when there are more
// than `max` (count is then max). No allocation; classifies the values again (control plane,
// tests, tools).
[[nodiscard]] Status decode_vias(const Message& m, Via* out, std::size_t max, std::uint8_t& count) noexcept;

// Decodes the Record-Route values of a message parse() returned kOk for (every Record-Route field,
// in order) into out[0, count). kOk; kBadRoute for a value that is not <uri> or name-addr;
// kTooManyRoutes when there are more than `max` (count is then max). No allocation; the first-pass
// masks are gone, so this classifies the values again (control plane, tests, tools).
[[nodiscard]] Status decode_record_routes(const Message& m, RouteValue* out, std::size_t max,
                                          std::uint8_t& count) noexcept;

}  // namespace sipshunt::sip
