// Unit tests for the SIP parser: each table in cases.hpp row by row, then the helpers
// (parse_uri, find_param and its positions overload, ListIterator, names) and the "fields
// survive an error" contract.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cases.hpp"
#include "invariants.hpp"
#include "sipshunt/sip/message.hpp"
#include "support.hpp"

namespace sipshunt::sip::testing {
namespace {

// One Message reused by every test, as the data plane reuses one per worker: stale fields from
// the previous parse must never leak into the next.
Message& msg() {
  static Message m;
  return m;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += "\\x" + std::to_string(static_cast<unsigned char>(c));
    else out += c;
  }
  return out;
}

// Parses a copy that lives until the next call, so the views in `m` stay valid after the
// caller's temporary message is gone.
Status parse_checked(const std::string& text, Message& m) {
  static std::string keep;
  keep = text;
  const std::string& s = keep;
  const Status st = parse(s.data(), s.size(), m);
  const char* bad = check_invariants(m, s.data(), s.size(), st);
  EXPECT_EQ(bad, nullptr) << (bad ? bad : "") << " for: " << printable(s);
  return st;
}

// ---- start line ----------------------------------------------------------------------------------
// The From tag, decoded on demand as the proxy does (empty when the From cannot be delimited).
std::string_view from_tag_of(const Message& m) {
  std::string_view tag;
  return decode_from_tag(m, tag) == Status::kOk ? tag : std::string_view();
}

TEST(StartLine, Table) {
  for (const auto& c : start_line_cases()) {
    SCOPED_TRACE(printable(c.line));
    Message& m = msg();
    const Status st = parse_checked(start_line_message(c), m);
    EXPECT_EQ(to_string(st), to_string(c.status));
    if (c.status != Status::kOk && c.status != Status::kBadVersion) continue;
    if (!c.method.empty()) {
      EXPECT_TRUE(m.is_request);
      EXPECT_EQ(m.method, c.method);
      EXPECT_EQ(m.request_uri, c.uri);
    } else {
      EXPECT_FALSE(m.is_request);
      EXPECT_EQ(m.status_code, c.code);
      EXPECT_EQ(m.reason, c.reason);
    }
    EXPECT_EQ(m.start_line, c.line);
  }
}

// ---- header names --------------------------------------------------------------------------------
TEST(HeaderNames, TableThroughParse) {
  for (const auto& c : name_cases()) {
    SCOPED_TRACE(printable(c.line));
    Message& m = msg();
    ASSERT_EQ(parse_checked(invite_with({c.line}), m), Status::kOk);
    const Header& h = m.headers[m.header_count - 1];
    EXPECT_EQ(h.id, c.id);
    EXPECT_EQ(h.name(), c.name);
    EXPECT_EQ(header_id(c.name), c.id);
    if (c.id != HeaderId::kOther) {
      ASSERT_NE(m.find(c.id), nullptr);
      EXPECT_EQ(m.find(c.id), &h);
    }
  }
}

TEST(HeaderNames, EveryCompactForm) {
  const std::pair<char, HeaderId> compact[] = {
      {'i', HeaderId::kCallId},        {'v', HeaderId::kVia},          {'f', HeaderId::kFrom},
      {'t', HeaderId::kTo},            {'m', HeaderId::kContact},      {'l', HeaderId::kContentLength},
      {'c', HeaderId::kContentType},   {'k', HeaderId::kSupported},    {'s', HeaderId::kSubject},
      {'e', HeaderId::kContentEncoding}, {'o', HeaderId::kEvent},      {'r', HeaderId::kReferTo},
      {'u', HeaderId::kAllowEvents},   {'x', HeaderId::kSessionExpires}};
  for (auto [ch, id] : compact) {
    const char lower[2] = {ch, 0};
    const char upper[2] = {static_cast<char>(ch - 32), 0};
    EXPECT_EQ(header_id(lower), id) << lower;
    EXPECT_EQ(header_id(upper), id) << upper;
  }
  for (char ch = 'a'; ch <= 'z'; ++ch) {
    bool known = false;
    for (auto [c2, id] : compact) known |= c2 == ch;
    if (!known) {
      EXPECT_EQ(header_id(std::string(1, ch)), HeaderId::kOther) << ch;
    }
  }
}

TEST(HeaderNames, CanonicalNamesRoundTrip) {
  for (std::size_t i = 1; i < static_cast<std::size_t>(HeaderId::kCount); ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string_view name = header_name(id);
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(header_id(name), id) << name;
    std::string lower(name), upper(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(header_id(lower), id) << lower;
    EXPECT_EQ(header_id(upper), id) << upper;
    // One octet off is another header: '-' must not match CR, letters only their own case.
    std::string off(name);
    for (std::size_t k = 0; k < off.size(); ++k) {
      const char saved = off[k];
      off[k] = saved == '-' ? '\r' : '_';
      EXPECT_EQ(header_id(off), HeaderId::kOther) << printable(off);
      off[k] = saved;
    }
  }
  EXPECT_EQ(header_name(HeaderId::kOther), "");
  EXPECT_EQ(header_id(""), HeaderId::kOther);
}

// ---- header section structure --------------------------------------------------------------------
TEST(HeaderLines, Table) {
  for (const auto& c : line_cases()) {
    SCOPED_TRACE(std::string(c.what));
    Message& m = msg();
    const Status st = parse_checked(c.msg, m);
    EXPECT_EQ(to_string(st), to_string(c.status)) << printable(c.msg);
    if (c.status != Status::kOk) continue;
    const Header& h = m.headers[m.header_count - 1];
    EXPECT_EQ(printable(h.value()), printable(c.value));
    EXPECT_EQ(printable(h.line()), printable(c.line));
    // The table covers the whole header section: lines are contiguous and end at the empty line.
    const char* at = m.headers[0].line().data();
    for (std::size_t i = 0; i < m.header_count; ++i) {
      EXPECT_EQ(m.headers[i].line().data(), at) << i;
      at += m.headers[i].line().size();
    }
    EXPECT_EQ(at, m.data + m.headers_end);
  }
}

TEST(HeaderLines, TooManyHeaders) {
  std::string s = invite_with({});
  s.resize(s.size() - 2);
  while (s.size() < 8000) s += "X-Filler: 1\r\n";
  s += "\r\n";
  Message& m = msg();
  EXPECT_EQ(parse_checked(remember(s), m), Status::kTooManyHeaders);
  EXPECT_EQ(m.header_count, kMaxHeaders);
  std::string ok = invite_with({});
  ok.resize(ok.size() - 2);
  for (std::size_t i = 6; i < kMaxHeaders; ++i) ok += "X-Filler: 1\r\n";
  ok += "\r\n";
  EXPECT_EQ(parse_checked(remember(ok), m), Status::kOk);
  EXPECT_EQ(m.header_count, kMaxHeaders);
}

TEST(HeaderLines, ManyFoldedLines) {
  // Folding joins lines into one field: hundreds of continuation lines are still one header.
  std::string v = "Subject: a";
  for (int i = 0; i < 1000; ++i) v += "\r\n b";
  Message& m = msg();
  ASSERT_EQ(parse_checked(remember(invite_with({v, "X-After: 1"})), m), Status::kOk);
  EXPECT_EQ(m.find(HeaderId::kSubject)->line().size(), v.size() + 2);
  EXPECT_EQ(m.find(HeaderId::kSubject)->value().size(), v.size() - 9);
  EXPECT_EQ(m.headers[m.header_count - 1].value(), "1");
}

TEST(HeaderLines, LongHeaderSection) {
  // Past the 8 KiB of delimiter masks the driver keeps: classified on demand.
  std::string big(9000, 'a');
  Message& m = msg();
  const std::string s = remember(invite_with({"X-Big: " + big, "Route: <sip:p1.example.com;lr>", "Via: SIP/2.0/UDP last.example.com;branch=z9hG4bKz"}));
  ASSERT_EQ(parse_checked(s, m), Status::kOk);
  Via all[kMaxVias];
  std::uint8_t n = 0;
  ASSERT_EQ(decode_vias(m, all, kMaxVias, n), Status::kOk);
  ASSERT_EQ(n, 2);
  EXPECT_EQ(all[1].host, "last.example.com");
  ASSERT_EQ(m.route_count, 1);
  EXPECT_EQ(m.routes[0].uri.host, "p1.example.com");
  EXPECT_EQ(m.find(HeaderId::kOther)->value().size(), big.size());
}

// The line ends are found block by block as the fields are decoded (src/sip/README.md, "How a
// parse runs"): every line end, fold and bare LF at every offset of a 64-octet block, across the
// boundary to the next block, gives the same fields.
TEST(HeaderLines, LineEndsAtEveryBlockOffset) {
  Message& m = msg();
  for (std::size_t pad = 1; pad <= 140; ++pad) {
    SCOPED_TRACE(pad);
    const std::string x(pad, 'x');
    const std::string folded = "Subject: a\r\n b";
    ASSERT_EQ(parse_checked(invite_with({"X-Pad: " + x, folded, "X-After: 1"}), m), Status::kOk);
    EXPECT_EQ(m.header_count, 9);
    EXPECT_EQ(m.find(HeaderId::kSubject)->value(), "a\r\n b");
    EXPECT_EQ(m.headers[6].value(), x);
    EXPECT_EQ(m.headers[8].value(), "1");
    EXPECT_EQ(m.to_tag, "");
    EXPECT_EQ(m.cseq, 1u);
    // The empty line right after a line end at every offset.
    ASSERT_EQ(parse_checked(invite_with({"X-Pad: " + x}), m), Status::kOk);
    EXPECT_EQ(m.headers[m.header_count - 1].value(), x);
    // A bare LF at every offset ends the walk; the fields before it are still filed.
    ASSERT_EQ(parse_checked(invite_with({"X-Pad: " + x + "\nX-B: 2"}), m), Status::kBadHeaderLine);
    EXPECT_EQ(m.header_count, 6);
    EXPECT_EQ(m.cseq, 1u);
    // The datagram ending right after a line end, or inside a line.
    std::string cut = invite_with({"X-Pad: " + x});
    cut.resize(cut.size() - 2);
    EXPECT_EQ(parse_checked(cut, m), Status::kHeadersUnterminated);
    cut.resize(cut.size() - 1);
    EXPECT_EQ(parse_checked(cut, m), Status::kHeadersUnterminated);
  }
}

// A field's name ends at its first delimiter, found from the block mask of the line end before it
// when the name starts in that block (src/sip/message.cpp, LineEnds::next()), else from the stored
// masks: names of every length at every block offset, across the boundary, with and without
// space before the colon, give the same fields.
TEST(HeaderLines, NamesAtEveryBlockOffset) {
  Message& m = msg();
  const std::string long_name = "X-A-Rather-Long-Header-Name-For-Crossing-Blocks";
  for (std::size_t pad = 1; pad <= 140; ++pad) {
    SCOPED_TRACE(pad);
    const std::string x(pad, 'x');
    ASSERT_EQ(parse_checked(invite_with({"X-Pad: " + x, "Subject: s", long_name + ": v", "Supported : timer",
                                         "k:100rel", "X-Pad: " + x, "user-agent:\tua"}),
                            m),
              Status::kOk);
    ASSERT_EQ(m.header_count, 13);
    const struct {
      std::string_view name;
      HeaderId id;
      std::string_view value;
    } want[] = {{"X-Pad", HeaderId::kOther, x},
                {"Subject", HeaderId::kSubject, "s"},
                {long_name, HeaderId::kOther, "v"},
                {"Supported", HeaderId::kSupported, "timer"},
                {"k", HeaderId::kSupported, "100rel"},
                {"X-Pad", HeaderId::kOther, x},
                {"user-agent", HeaderId::kUserAgent, "ua"}};
    for (std::size_t i = 0; i < std::size(want); ++i) {
      SCOPED_TRACE(i);
      const Header& h = m.headers[6 + i];
      EXPECT_EQ(h.name(), want[i].name);
      EXPECT_EQ(h.id, want[i].id);
      EXPECT_EQ(h.value(), want[i].value);
      EXPECT_EQ(h.line().substr(0, h.name().size()), h.name());
      EXPECT_EQ(h.line().substr(h.line().size() - 2), "\r\n");
    }
  }
}

// A name that runs past the block its line starts in ends at the next block's stored mask; one
// longer than a block at the first delimiter found past both: every length around one and two
// blocks at every block offset gives the same fields.
TEST(HeaderLines, NamesIntoLaterBlocksAtEveryOffset) {
  Message& m = msg();
  for (const std::size_t len : {63, 64, 65, 127, 128, 129, 150}) {
    std::string name = "X-";
    while (name.size() < len) name += static_cast<char>('a' + name.size() % 26);
    for (std::size_t pad = 1; pad <= 140; ++pad) {
      SCOPED_TRACE("len " + std::to_string(len) + ", pad " + std::to_string(pad));
      const std::string x(pad, 'x');
      ASSERT_EQ(parse_checked(invite_with({"X-Pad: " + x, name + ": v", "Subject: s", name + " : w"}), m),
                Status::kOk);
      ASSERT_EQ(m.header_count, 10);
      EXPECT_EQ(m.headers[7].name(), name);
      EXPECT_EQ(m.headers[7].value(), "v");
      EXPECT_EQ(m.headers[8].id, HeaderId::kSubject);
      EXPECT_EQ(m.headers[8].value(), "s");
      EXPECT_EQ(m.headers[9].name(), name);
      EXPECT_EQ(m.headers[9].value(), "w");
    }
  }
}

TEST(HeaderLines, LeadingCrlfsOverSeveralBlocks) {
  // RFC 3261 §7.5: CRLFs before the start line are skipped, however many blocks they fill.
  Message& m = msg();
  for (std::size_t n = 0; n <= 80; ++n) {
    SCOPED_TRACE(n);
    std::string lead;
    for (std::size_t i = 0; i < n; ++i) lead += "\r\n";
    ASSERT_EQ(parse_checked(lead + invite_with({"Subject: s"}), m), Status::kOk);
    EXPECT_EQ(m.method, "INVITE");
    EXPECT_EQ(m.find(HeaderId::kSubject)->value(), "s");
    EXPECT_EQ(parse_checked(lead + "INVITE sip:a@b SIP/2.0\n" + std::string(kVia) + "\r\n\r\n", m),
              Status::kBadStartLine);
    EXPECT_EQ(parse_checked(lead + "\nINVITE sip:a@b SIP/2.0\r\n\r\n", m), Status::kBadStartLine);
  }
}

// ---- Via -----------------------------------------------------------------------------------------
TEST(Via, Table) {
  for (const auto& c : via_cases()) {
    SCOPED_TRACE(std::string(c.what));
    Message& m = msg();
    const std::string s = via_message(c);
    // parse() decodes the top Via of a request; the table's expectation covers every value, as
    // decode_vias() decodes them.
    const Status st = parse_checked(s, m);
    Via all[kMaxVias];
    std::uint8_t n = 0;
    const Status full = st == Status::kOk ? decode_vias(m, all, kMaxVias, n) : st;
    EXPECT_EQ(to_string(full), to_string(c.status)) << printable(s);
    if (c.status != Status::kOk) continue;
    ASSERT_EQ(m.decoded_vias, 1);
    EXPECT_EQ(m.vias[0].value, all[0].value);
    EXPECT_EQ(m.vias[0].branch, all[0].branch);
    ASSERT_EQ(n, c.vias.size());
    for (std::size_t i = 0; i < c.vias.size(); ++i) {
      SCOPED_TRACE(i);
      const Via& v = all[i];
      const ViaExpect& x = c.vias[i];
      EXPECT_EQ(v.protocol, x.protocol);
      EXPECT_EQ(v.version, x.version);
      EXPECT_EQ(v.transport, x.transport);
      EXPECT_EQ(v.host, x.host);
      EXPECT_EQ(v.has_port, x.port >= 0);
      EXPECT_EQ(v.port, x.port >= 0 ? x.port : 0);
      EXPECT_EQ(v.has_branch, x.branch != "-");
      if (x.branch != "-") {
        EXPECT_EQ(v.branch, x.branch);
      }
      EXPECT_EQ(v.has_received, x.received != "-");
      if (x.received != "-") {
        EXPECT_EQ(v.received, x.received);
      }
      EXPECT_EQ(v.has_rport, x.rport != "-");
      if (x.rport != "-") {
        EXPECT_EQ(v.rport, x.rport);
      }
      EXPECT_EQ(v.has_maddr, x.maddr != "-");
      if (x.maddr != "-") {
        EXPECT_EQ(v.maddr, x.maddr);
      }
      EXPECT_EQ(printable(v.params), printable(x.params));
      EXPECT_EQ(printable(v.value), printable(x.value));
      EXPECT_EQ(m.headers[v.header].id, HeaderId::kVia);
    }
  }
}

TEST(Via, HeaderIndexPerValue) {
  Message& m = msg();
  const std::string s = remember(build(kInviteLine, {"Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2",
                                                     kFrom, "v: SIP/2.0/UDP c;branch=z9hG4bK3", kTo, kCallId, kCSeq}));
  ASSERT_EQ(parse_checked(s, m), Status::kOk);
  ASSERT_EQ(m.decoded_vias, 1);
  EXPECT_EQ(m.vias[0].header, 0);
  Via all[kMaxVias];
  std::uint8_t n = 0;
  ASSERT_EQ(decode_vias(m, all, kMaxVias, n), Status::kOk);
  ASSERT_EQ(n, 3);
  EXPECT_EQ(all[0].header, 0);
  EXPECT_EQ(all[1].header, 0);
  EXPECT_EQ(all[2].header, 2);
}

// The validation boundary (README.md): parse() decodes the Via values a decision reads, the top
// one of a request and the top two of a response; a malformed value below them is forwarded as
// it came, and decode_vias() still reports it.
TEST(Via, LowerValuesAreNotDecoded) {
  Message& m = msg();
  const std::string req = remember(build(kInviteLine, {"Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;;",
                                                       kFrom, "v: SIP/2.0/UDP", kTo, kCallId, kCSeq}));
  ASSERT_EQ(parse_checked(req, m), Status::kOk);
  ASSERT_EQ(m.decoded_vias, 1);
  EXPECT_EQ(m.vias[0].host, "a");
  Via all[kMaxVias];
  std::uint8_t n = 0;
  EXPECT_EQ(decode_vias(m, all, kMaxVias, n), Status::kBadVia);
  EXPECT_EQ(n, 1);
  // A response reads its second Via (the next hop): malformed there, the parse fails.
  const std::string bad_next = remember(build("SIP/2.0 200 OK", {"Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;;",
                                                                 kFrom, kTo, kCallId, kCSeq}));
  EXPECT_EQ(parse_checked(bad_next, m), Status::kBadVia);
  const std::string bad_third = remember(build("SIP/2.0 200 OK", {"Via: SIP/2.0/UDP a;branch=z9hG4bK1", kFrom,
                                                                  "Via: SIP/2.0/UDP b:5070;received=198.18.0.9, SIP/2.0/UDP c;;",
                                                                  kTo, kCallId, kCSeq}));
  ASSERT_EQ(parse_checked(bad_third, m), Status::kOk);
  ASSERT_EQ(m.decoded_vias, 2);
  EXPECT_EQ(m.vias[1].host, "b");
  EXPECT_EQ(m.vias[1].port, 5070);
  EXPECT_EQ(m.vias[1].received, "198.18.0.9");
  EXPECT_EQ(m.vias[1].header, 2);
  EXPECT_EQ(decode_vias(m, all, kMaxVias, n), Status::kBadVia);
  EXPECT_EQ(n, 2);
  // The top value is always read: a fault there, or in the separator right after it, is a fault.
  const std::string bad_top = remember(build(kInviteLine, {"Via: SIP/2.0/UDP a;;, SIP/2.0/UDP b", kFrom, kTo, kCallId, kCSeq}));
  EXPECT_EQ(parse_checked(bad_top, m), Status::kBadVia);
  const std::string trailing = remember(build(kInviteLine, {"Via: SIP/2.0/UDP a;branch=z9hG4bK1,", kFrom, kTo, kCallId, kCSeq}));
  EXPECT_EQ(parse_checked(trailing, m), Status::kBadVia);
}

// The top value's end must be the field's end or a comma: what follows the value otherwise is
// parse()'s own finding, not only decode_vias()'s.
TEST(Via, JunkAfterTheTopValueIsAFault) {
  Message& m = msg();
  for (const char* via : {"Via: SIP/2.0/UDP h x;branch=z9hG4bK1", "Via: SIP/2.0/UDP h:50x0;branch=z9hG4bK1",
                          "Via: SIP/2.0/UDP h;branch=z9hG4bK1 x", "Via: SIP/2.0/UDP h x, SIP/2.0/UDP b"}) {
    SCOPED_TRACE(via);
    const std::string req = remember(build(kInviteLine, {via, kFrom, kTo, kCallId, kCSeq}));
    EXPECT_EQ(to_string(parse_checked(req, m)), to_string(Status::kBadVia));
  }
}

TEST(Via, TooManyVias) {
  std::string via = "Via: SIP/2.0/UDP h0;branch=z9hG4bK0";
  for (std::size_t i = 1; i <= kMaxVias; ++i) via += ", SIP/2.0/UDP h" + std::to_string(i) + ";branch=z9hG4bK1";
  Message& m = msg();
  const std::string s = remember(build(kInviteLine, {via, kFrom, kTo, kCallId, kCSeq}));
  ASSERT_EQ(parse_checked(s, m), Status::kOk);  // only the top value is decoded
  EXPECT_EQ(m.decoded_vias, 1);
  EXPECT_EQ(m.header_count, 5);
  Via all[kMaxVias];
  std::uint8_t n = 0;
  EXPECT_EQ(decode_vias(m, all, kMaxVias, n), Status::kTooManyVias);
  EXPECT_EQ(n, kMaxVias);
}

// Via, From and Route values are decoded from one delimiter mask when under 64 octets, from two
// when under 128, else by the general decoders. Whatever the length and wherever the value starts
// inside a 64-octet block, the result must be the same.
TEST(FastPaths, LongValuesDecodeTheSameAtEveryLengthAndOffset) {
  Message& m = msg();
  for (std::size_t pad = 0; pad < 64; ++pad) {
    for (std::size_t len = 1; len <= 120; ++len) {
      SCOPED_TRACE("pad " + std::to_string(pad) + ", len " + std::to_string(len));
      std::string fill;
      for (std::size_t i = 0; i < len; ++i) fill += static_cast<char>('a' + (i * 7 + pad) % 26);
      const std::string branch = "z9hG4bK" + fill;
      const std::string via = "SIP/2.0/UDP 198.18.1.1:5062;branch=" + branch + ";rport";
      const std::string from = "\"Caller " + fill + "\" <sip:+12125550000@198.18.1.1>;tag=" + fill;
      const std::string route = "<sip:p1.example.net;lr;x=" + fill + ">";
      const std::string s = build(kInviteLine, {"X-Pad: " + std::string(pad, 'p'), "Via: " + via, "From: " + from, kTo,
                                                "Route: " + route + ", <sip:p2.example.net;lr>", kCallId, kCSeq});
      if (pad % 16 == 0 && len % 30 == 0) remember(s);  // a few also go through every truncation
      ASSERT_EQ(parse_checked(s, m), Status::kOk) << printable(s);
      ASSERT_EQ(m.decoded_vias, 1);
      const Via& v = m.vias[0];
      EXPECT_EQ(v.value, via);
      EXPECT_EQ(v.host, "198.18.1.1");
      EXPECT_EQ(v.port, 5062);
      EXPECT_EQ(v.branch, branch);
      EXPECT_TRUE(v.has_rport);
      EXPECT_EQ(v.rport, "");
      EXPECT_EQ(v.params, ";branch=" + branch + ";rport");
      EXPECT_EQ(from_tag_of(m), fill);
      ASSERT_EQ(m.route_count, 2);
      EXPECT_EQ(m.routes[0].value, route);
      EXPECT_EQ(m.routes[0].uri.host, "p1.example.net");
      EXPECT_TRUE(m.routes[0].uri.lr);
      EXPECT_EQ(m.routes[0].uri.params, ";lr;x=" + fill);
      EXPECT_EQ(m.routes[1].uri.host, "p2.example.net");
    }
  }
}

TEST(FastPaths, QuotedDisplayNamesOfEveryShape) {
  struct Case {
    std::string_view from;
    Status status;
    std::string_view tag;
  };
  const Case cases[] = {
      {"From: \"A\" <sip:a@b>;tag=1", Status::kOk, "1"},
      {"From: \"A;tag=no <x>\" <sip:a@b>;tag=2", Status::kOk, "2"},           // delimiters inside quotes
      {"From: \"A \\\"q\\\"\" <sip:a@b>;tag=3", Status::kOk, "3"},              // quoted-pair: general decoder
      {"From: \"\"<sip:a@b>;tag=4", Status::kOk, "4"},                         // empty display name
      {"From: \"A\" sip:a@b;tag=5", Status::kOk, "5"},                         // quoted text before an addr-spec
      {"From: \"A <sip:a@b>;tag=6", Status::kBadFrom, ""},                      // unterminated
      {"From: \"A\" <sip:a@b;tag=7", Status::kBadFrom, ""},                    // unbalanced <
      {"From: \"Jos\xc3\xa9 M\xc3\xbcller, Ph.D.\" <sip:jm@example.com>;tag=8", Status::kOk, "8"},  // UTF-8
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.from));
    Message& m = msg();
    const std::string s = remember(build(kInviteLine, {kVia, c.from, kTo, kCallId, kCSeq}));
    ASSERT_EQ(parse_checked(s, m), Status::kOk);  // From is indexed, not decoded
    std::string_view tag = "x";
    EXPECT_EQ(to_string(decode_from_tag(m, tag)), to_string(c.status));
    EXPECT_EQ(tag, c.tag);
  }
}

// ---- single fields -------------------------------------------------------------------------------
std::string field_value(const Message& m, std::string_view key) {
  if (key == "cseq") return std::to_string(m.cseq);
  if (key == "cseq_method") return std::string(m.cseq_method);
  if (key == "call_id") return std::string(m.call_id);
  if (key == "max_forwards") return std::to_string(m.max_forwards);
  if (key == "content_length") return m.has_content_length ? std::to_string(m.content_length) : "-";
  if (key == "body") return printable(m.body);
  if (key == "from_tag") return std::string(from_tag_of(m));
  if (key == "to_tag") return std::string(m.to_tag);
  return "<unknown key " + std::string(key) + ">";
}

TEST(Fields, Table) {
  for (const auto& c : field_cases()) {
    SCOPED_TRACE(std::string(c.what));
    Message& m = msg();
    // The table is the grammar's: parse(), then the From decoded on demand (decode_from_tag()).
    Status st = parse_checked(c.msg, m);
    std::string_view tag;
    if (st == Status::kOk && m.find(HeaderId::kFrom) != nullptr) st = decode_from_tag(m, tag);
    EXPECT_EQ(to_string(st), to_string(c.status)) << printable(c.msg);
    for (std::string_view e : c.expect) {
      const auto eq = e.find('=');
      const std::string_view key = e.substr(0, eq), want = e.substr(eq + 1);
      EXPECT_EQ(field_value(m, key), printable(want)) << key;
    }
  }
}

// The validation boundary (README.md): From is found, checked present and single, not decoded; a
// From that cannot be delimited is forwarded as it came.
TEST(Fields, FromIsNotDecoded) {
  Message& m = msg();
  const std::string bad = remember(build(kInviteLine, {kVia, "From: \"A <sip:a@b>;;tag=1", kTo, kCallId, kCSeq}));
  ASSERT_EQ(parse_checked(bad, m), Status::kOk);
  std::string_view tag = "x";
  EXPECT_EQ(decode_from_tag(m, tag), Status::kBadFrom);
  EXPECT_EQ(tag, "");
  const std::string twice = remember(build(kInviteLine, {kVia, "From: <sip:a@b>;tag=1", kTo, "f: <sip:a@b>;tag=2", kCallId, kCSeq}));
  EXPECT_EQ(parse_checked(twice, m), Status::kDuplicateFrom);
  const std::string none = remember(build(kInviteLine, {kVia, kTo, kCallId, kCSeq}));
  EXPECT_EQ(parse_checked(none, m), Status::kMissingFrom);
}

TEST(Fields, MaxForwardsAbsentIsMinusOne) {
  Message& m = msg();
  ASSERT_EQ(parse_checked(remember(build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq})), m), Status::kOk);
  EXPECT_EQ(m.max_forwards, -1);
  EXPECT_EQ(m.find(HeaderId::kMaxForwards), nullptr);
}

TEST(Fields, ProxyRequireTokensThroughListIterator) {
  Message& m = msg();
  const std::string s = remember(invite_with(
      {"Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis", "Proxy-Require: third"}));
  ASSERT_EQ(parse_checked(s, m), Status::kOk);
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < m.header_count; ++i) {
    if (m.headers[i].id != HeaderId::kProxyRequire) continue;
    std::string_view t;
    for (ListIterator it(m.headers[i].value()); it.next(t);) tokens.emplace_back(t);
  }
  EXPECT_EQ(tokens, (std::vector<std::string>{"noProxiesSupportThis", "norDoAnyProxiesSupportThis", "third"}));
}

// ---- Route / Record-Route ------------------------------------------------------------------------
void expect_routes(const RouteValue* got, std::size_t n, const std::vector<RouteExpect>& want, const Message& m,
                   HeaderId id) {
  ASSERT_EQ(n, want.size());
  for (std::size_t i = 0; i < n; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].value, want[i].value);
    EXPECT_TRUE(got[i].uri.is_sip);
    EXPECT_EQ(got[i].uri.host, want[i].host);
    EXPECT_EQ(got[i].uri.has_port, want[i].port >= 0);
    if (want[i].port >= 0) {
      EXPECT_EQ(got[i].uri.port, want[i].port);
    }
    EXPECT_EQ(got[i].uri.lr, want[i].lr);
    EXPECT_EQ(got[i].uri.user, want[i].user);
    EXPECT_EQ(m.headers[got[i].header].id, id);
    // The URI is exactly what sits between < and >.
    const auto lt = got[i].value.find('<');
    EXPECT_EQ(got[i].uri.raw, got[i].value.substr(lt + 1, got[i].value.find('>', lt) - lt - 1));
  }
}

TEST(Route, Table) {
  for (const auto& c : route_cases()) {
    SCOPED_TRACE(std::string(c.what));
    Message& m = msg();
    const std::string s = route_message(c);
    const Status st = parse_checked(s, m);
    EXPECT_EQ(to_string(st), to_string(c.status)) << printable(s);
    if (c.status != Status::kOk) continue;
    expect_routes(m.routes, m.route_count, c.routes, m, HeaderId::kRoute);
    RouteValue rr[kMaxRecordRoutes];
    std::uint8_t n = 0;
    ASSERT_EQ(to_string(decode_record_routes(m, rr, kMaxRecordRoutes, n)), to_string(Status::kOk));
    expect_routes(rr, n, c.record_routes, m, HeaderId::kRecordRoute);
  }
}

// Record-Route values are decoded on demand only: a broken one does not fail the parse (the
// proxy forwards it unchanged), decode_record_routes() reports it.
TEST(Route, RecordRouteIsDecodedOnDemand) {
  struct Case {
    std::vector<std::string_view> lines;
    Status decoded;
    std::size_t count;
  };
  const Case cases[] = {
      {{"Record-Route: <sip:p2.example.net;lr>, <sip:p1.example.com;lr>", "Record-Route: <sip:198.18.0.1:5060;lr>"},
       Status::kOk, 3},
      {{"Record-Route: <sip:p1.example.com:99999;lr>"}, Status::kBadRoute, 0},
      {{"Record-Route: sip:p1.example.com;lr"}, Status::kBadRoute, 0},
      {{"Record-Route: <sip:a;lr>", "Record-Route:"}, Status::kBadRoute, 1},
      {{"Record-Route: <sip:a>, <sip:b>, <sip:c>, <sip:d>, <sip:e>, <sip:f>, <sip:g>, <sip:h>, <sip:i>",
        "Record-Route: <sip:j>, <sip:k>, <sip:l>, <sip:m>, <sip:n>, <sip:o>, <sip:p>, <sip:q>"},
       Status::kTooManyRoutes, kMaxRecordRoutes},
      {{}, Status::kOk, 0},
  };
  for (const Case& c : cases) {
    RouteCase rc{"rr", c.lines, Status::kOk, {}, {}};
    const std::string s = remember(route_message(rc));
    SCOPED_TRACE(printable(s));
    Message& m = msg();
    ASSERT_EQ(to_string(parse_checked(s, m)), to_string(Status::kOk));
    RouteValue rr[kMaxRecordRoutes];
    std::uint8_t n = 0;
    EXPECT_EQ(to_string(decode_record_routes(m, rr, kMaxRecordRoutes, n)), to_string(c.decoded));
    EXPECT_EQ(n, c.count);
    if (c.decoded == Status::kOk && c.count == 3) {
      EXPECT_EQ(rr[0].uri.host, "p2.example.net");
      EXPECT_EQ(rr[1].uri.host, "p1.example.com");
      EXPECT_EQ(rr[2].uri.host, "198.18.0.1");
      EXPECT_EQ(rr[2].uri.port, 5060);
      EXPECT_TRUE(rr[2].uri.lr);
      EXPECT_EQ(m.headers[rr[2].header].id, HeaderId::kRecordRoute);
    }
  }
}

// ---- URIs ----------------------------------------------------------------------------------------
TEST(Uri, Table) {
  for (const auto& c : uri_cases()) {
    SCOPED_TRACE(printable(c.text));
    // A copy of exactly the URI's length, so ASan sees any read past its end.
    const std::unique_ptr<char[]> copy(new char[c.text.size() + 1]);
    std::memcpy(copy.get(), c.text.data(), c.text.size());
    const std::string_view text(copy.get(), c.text.size());
    Uri u;
    ASSERT_EQ(parse_uri(text, u), c.ok);
    if (!c.ok) continue;
    EXPECT_EQ(u.raw, c.text);
    EXPECT_EQ(u.is_sip, c.is_sip);
    EXPECT_EQ(u.scheme, c.scheme);
    if (!c.is_sip) continue;
    EXPECT_EQ(u.user, c.user);
    EXPECT_EQ(u.password, c.password);
    EXPECT_EQ(u.host, c.host);
    EXPECT_EQ(u.has_port, c.port >= 0);
    EXPECT_EQ(u.port, c.port >= 0 ? c.port : 0);
    EXPECT_EQ(u.lr, c.lr);
    EXPECT_EQ(u.params, c.params);
    EXPECT_EQ(u.headers, c.headers);
  }
}

TEST(Uri, FindParam) {
  std::string_view v;
  EXPECT_TRUE(find_param(";transport=tcp;lr", "lr", v));
  EXPECT_EQ(v, "");
  EXPECT_TRUE(find_param(";transport=tcp;lr", "TRANSPORT", v));
  EXPECT_EQ(v, "tcp");
  EXPECT_TRUE(find_param(";a=\"x;y\";b=2", "a", v));
  EXPECT_EQ(v, "\"x;y\"");
  EXPECT_TRUE(find_param(";a=\"x;y\";b=2", "b", v));
  EXPECT_EQ(v, "2");
  EXPECT_TRUE(find_param(" ; tag = 1918181833n", "tag", v));
  EXPECT_EQ(v, "1918181833n");
  EXPECT_FALSE(find_param(";lrx;xlr", "lr", v));
  EXPECT_FALSE(find_param("", "lr", v));
  EXPECT_FALSE(find_param(";", "lr", v));
  EXPECT_FALSE(find_param(";a=\"unterminated;lr", "lr", v));
  EXPECT_TRUE(find_param(";sh=abc;pin=b7", "pin", v));
  EXPECT_EQ(v, "b7");
}

// The positions overload: name and value are views into the searched list (a rewriter takes its
// offsets from them), has_value tells "name" from "name=". Offsets are from the list's start.
struct ParamCase {
  std::string_view what;
  std::string_view list;
  std::string_view name;        // searched for
  bool found;
  std::size_t name_at;          // found: where the name is, as written
  std::string_view written;     // the name as written
  std::size_t value_at;         // where the value view starts (the name's end when bare)
  std::string_view value;
  bool has_value;
};

TEST(Params, Table) {
  const ParamCase cases[] = {
      {"first", ";transport=tcp;lr;maddr=224.2.0.1", "transport", true, 1, "transport", 11, "tcp", true},
      {"last, any case", ";transport=tcp;lr;maddr=224.2.0.1", "MADDR", true, 18, "maddr", 24, "224.2.0.1", true},
      {"bare, an empty view at the name's end", ";transport=tcp;lr;maddr=x", "lr", true, 15, "lr", 17, "", false},
      {"bare, written in another case", ";lr;X-Flag ;rport", "x-flag", true, 4, "X-Flag", 10, "", false},
      {"bare after LWS", ";lr;X-Flag ;rport", "rport", true, 12, "rport", 17, "", false},
      {"name= has an empty value", ";rport=;x", "rport", true, 1, "rport", 7, "", true},
      {"quoted, with ';' and ','", ";a=\"x;y, z\";c=3", "a", true, 1, "a", 3, "\"x;y, z\"", true},
      {"quoted-pair does not end the string", ";b=\"q\\\"w;\";c=3", "b", true, 1, "b", 3, "\"q\\\"w;\"", true},
      {"after a quoted value", ";b=\"q\\\"w;\";c=3", "c", true, 11, "c", 13, "3", true},
      {"unterminated quote runs to the end", ";a=\"open;b=1", "a", true, 1, "a", 3, "\"open;b=1", true},
      {"LWS around ';' and '='", " ; branch = z9hG4bK1 ;rport", "branch", true, 3, "branch", 12, "z9hG4bK1", true},
      {"folding and HT around '='", ";x=1;\r\n rport\t=\t5060", "rport", true, 8, "rport", 16, "5060", true},
      {"folding after '='", "; tag=\r\n\tab", "tag", true, 2, "tag", 9, "ab", true},
      {"value ends at ','", ";a=1,b;c=2", "a", true, 1, "a", 3, "1", true},
      {"value ends at LWS", ";a=[2001:db8::1]:5060 x", "a", true, 1, "a", 3, "[2001:db8::1]:5060", true},
      {"leading text skipped", "sip:h;lr", "lr", true, 6, "lr", 8, "", false},
      {"whole names only", ";lrx;xlr", "lr", false, 0, "", 0, "", false},
      {"empty", "", "lr", false, 0, "", 0, "", false},
      {"inside a quoted value", ";a=\"x;lr\"", "lr", false, 0, "", 0, "", false},
  };
  for (const ParamCase& c : cases) {
    SCOPED_TRACE(std::string(c.what));
    Param p;
    ASSERT_EQ(find_param(c.list, c.name, p), c.found);
    if (!c.found) continue;
    EXPECT_EQ(p.name.data(), c.list.data() + c.name_at);
    EXPECT_EQ(p.name, c.written);
    EXPECT_EQ(p.value.data(), c.list.data() + c.value_at);
    EXPECT_EQ(p.value, c.value);
    EXPECT_EQ(p.has_value, c.has_value);
    std::string_view v;  // the value-only overload reads the same grammar
    ASSERT_TRUE(find_param(c.list, c.name, v));
    EXPECT_EQ(v.data(), p.value.data());
    EXPECT_EQ(v.size(), p.value.size());
  }
}

// The parser and find_param read one grammar: the Via parameters the parser decodes are the
// views find_param gives for the same list.
TEST(Params, AgreeWithTheParsersViaParameters) {
  for (const auto& c : via_cases()) {
    SCOPED_TRACE(std::string(c.what));
    Message& m = msg();
    const std::string s = via_message(c);
    if (parse_checked(s, m) != Status::kOk) continue;
    Via all[kMaxVias];
    std::uint8_t n = 0;
    if (decode_vias(m, all, kMaxVias, n) != Status::kOk) continue;
    for (std::size_t i = 0; i < n; ++i) {
      const Via& v = all[i];
      struct Known {
        std::string_view name;
        bool has;
        std::string_view value;
      };
      for (const Known& k : {Known{"branch", v.has_branch, v.branch}, Known{"received", v.has_received, v.received},
                             Known{"rport", v.has_rport, v.rport}, Known{"maddr", v.has_maddr, v.maddr}}) {
        Param p;
        ASSERT_EQ(find_param(v.params, k.name, p), k.has) << k.name;
        if (!k.has) continue;
        EXPECT_EQ(p.value, k.value) << k.name;
        EXPECT_EQ(p.value.data(), k.value.data()) << k.name;  // the same octets, not an equal copy
      }
    }
  }
}

// ---- lists ---------------------------------------------------------------------------------------
std::vector<std::string> elements(std::string_view value, bool* malformed = nullptr) {
  std::vector<std::string> out;
  std::string_view e;
  ListIterator it(value);
  while (it.next(e)) out.emplace_back(e);
  if (malformed) *malformed = it.malformed();
  return out;
}

TEST(ListIterator, SplitsRespectingQuotesAndAngles) {
  using V = std::vector<std::string>;
  EXPECT_EQ(elements("a, b,c"), (V{"a", "b", "c"}));
  EXPECT_EQ(elements("\"Bell, A.\" <sip:a@b>;q=1, <sip:c,d@e>"), (V{"\"Bell, A.\" <sip:a@b>;q=1", "<sip:c,d@e>"}));
  EXPECT_EQ(elements("\"x\\\",y\" <sip:a>, b"), (V{"\"x\\\",y\" <sip:a>", "b"}));
  EXPECT_EQ(elements("a,,b, ,"), (V{"a", "b"}));
  EXPECT_EQ(elements("application/sdp, application/pkcs7-mime,\r\n        multipart/mixed"),
            (V{"application/sdp", "application/pkcs7-mime", "multipart/mixed"}));
  EXPECT_EQ(elements(""), V{});
  EXPECT_EQ(elements("   "), V{});
  bool bad = false;
  EXPECT_EQ(elements("a, \"open, b", &bad), (V{"a"}));
  EXPECT_TRUE(bad);
  EXPECT_EQ(elements("<sip:a, b", &bad), V{});
  EXPECT_TRUE(bad);
  elements("a, b", &bad);
  EXPECT_FALSE(bad);
}

// ---- statuses ------------------------------------------------------------------------------------
TEST(Status, StableKebabCaseTokens) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Status::kCount); ++i) {
    const std::string_view t = to_string(static_cast<Status>(i));
    ASSERT_FALSE(t.empty()) << i;
    EXPECT_TRUE(seen.insert(t).second) << t;
    for (char c : t) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '-') << t;
  }
  EXPECT_EQ(to_string(Status::kOk), "ok");
  EXPECT_EQ(to_string(Status::kBadVersion), "bad-version");
  EXPECT_EQ(to_string(Status::kCSeqMethodMismatch), "cseq-method-mismatch");
  EXPECT_EQ(to_string(Status::kContentLengthBeyondDatagram), "content-length-beyond-datagram");
  EXPECT_EQ(to_string(Status::kDuplicateCallId), "duplicate-call-id");
  EXPECT_EQ(to_string(Status::kBadMaxForwards), "bad-max-forwards");
  EXPECT_EQ(to_string(Status::kCount), "unknown");
}

// ---- errors keep what was decoded ----------------------------------------------------------------
TEST(Errors, BadVersionStillExposesTheReplyFields) {
  Message& m = msg();
  const std::string s = remember(build("OPTIONS sip:t.watson@example.org SIP/7.0",
                                       {"Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw", "Max-Forwards:     70",
                                        "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe",
                                        "To:      T. Watson <sip:t.watson@example.org>", "Call-ID: badvers.31417@c.example.com",
                                        "CSeq:    1 OPTIONS", "l: 0"}));
  ASSERT_EQ(parse_checked(s, m), Status::kBadVersion);
  EXPECT_EQ(m.method, "OPTIONS");
  ASSERT_EQ(m.decoded_vias, 1);
  EXPECT_EQ(m.vias[0].host, "c.example.com");
  EXPECT_EQ(m.vias[0].branch, "z9hG4bKkdjuw");
  EXPECT_EQ(m.call_id, "badvers.31417@c.example.com");
  EXPECT_EQ(from_tag_of(m), "qweoiqpe");
  EXPECT_EQ(m.cseq, 1u);
  EXPECT_EQ(m.cseq_method, "OPTIONS");
  EXPECT_NE(m.find(HeaderId::kTo), nullptr);
  EXPECT_EQ(m.header_count, 7);
}

TEST(Errors, SemanticErrorsKeepTheWholeTable) {
  struct {
    std::string msg;
    Status status;
  } const cases[] = {
      {build(kInviteLine, {kVia, kFrom, kTo, kCallId, "CSeq: 1 BYE", kMaxFwd, "Subject: after"}),
       Status::kCSeqMethodMismatch},
      {build(kInviteLine, {kVia, kFrom, kCallId, kTo, kCallId, kCSeq, "Subject: after"}), Status::kDuplicateCallId},
      {build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 300", "Subject: after"}),
       Status::kBadMaxForwards},
      {build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "l: 1", "l: 1", "Subject: after"}, "x"),
       Status::kDuplicateContentLength},
      {build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "l: 99", "Subject: after"}, "x"),
       Status::kContentLengthBeyondDatagram},
      {build(kInviteLine, {kVia, kFrom, kTo, kCallId, kCSeq, "l: -1", "Subject: after"}, "x"), Status::kBadContentLength},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(to_string(c.status));
    Message& m = msg();
    EXPECT_EQ(parse_checked(remember(c.msg), m), c.status);
    ASSERT_NE(m.find(HeaderId::kSubject), nullptr);
    EXPECT_EQ(m.find(HeaderId::kSubject)->value(), "after");
    EXPECT_EQ(m.decoded_vias, 1);
    EXPECT_EQ(m.vias[0].branch, "z9hG4bK74bf9");
    EXPECT_EQ(from_tag_of(m), "9fxced76sl");
    EXPECT_FALSE(m.call_id.empty());
    EXPECT_NE(m.headers_end, 0u);
  }
}

TEST(Errors, NothingLeaksFromThePreviousParse) {
  Message& m = msg();
  ASSERT_EQ(parse_checked(remember(invite_with({"Route: <sip:p;lr>", "Record-Route: <sip:q;lr>", "l: 2"}, "ab")), m),
            Status::kOk);
  ASSERT_EQ(parse_checked(remember(build("SIP/2.0 200 OK", {kVia, kFrom, kTo, kCallId, kCSeq})), m), Status::kOk);
  EXPECT_FALSE(m.is_request);
  EXPECT_TRUE(m.method.empty());
  EXPECT_EQ(m.route_count, 0);
  RouteValue rr[kMaxRecordRoutes];
  std::uint8_t n = 9;
  EXPECT_EQ(decode_record_routes(m, rr, kMaxRecordRoutes, n), Status::kOk);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(m.max_forwards, -1);
  EXPECT_FALSE(m.has_content_length);
  EXPECT_EQ(m.to_tag, "");
  EXPECT_EQ(m.find(HeaderId::kRoute), nullptr);
  EXPECT_EQ(parse_checked(std::string(), m), Status::kEmpty);
  EXPECT_EQ(m.header_count, 0);
  EXPECT_EQ(m.decoded_vias, 0);
}

}  // namespace
}  // namespace sipshunt::sip::testing
