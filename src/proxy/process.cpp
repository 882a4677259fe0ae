// hot path
// process(): parse, validate, decide, and build the output in one pass over the input. Every
// rewrite is an Edit (position in the input, octets deleted, octets inserted); the output is the
// input with the edits applied in order, so every byte the proxy does not own is copied as is.
#include <cstring>

#include "sipshunt/proxy/proxy.hpp"
#include "text.hpp"

namespace sipshunt::proxy {

namespace {

using detail::parse_ip_literal;

constexpr std::string_view kMagicCookie = "z9hG4bK";
constexpr std::size_t kMaxEdits = 8;
constexpr std::size_t kMaxPieces = 3;

struct Edit {
  std::uint32_t pos;    // offset in the input
  std::uint32_t del;    // input octets replaced
  std::uint32_t count;  // pieces inserted at pos, in order
  std::string_view pieces[kMaxPieces];
};

// Up to kMaxEdits edits, applied in position order (equal positions: insertion order). Only the
// one-octet order list is sorted; the edits stay where they were written (no 64-octet swaps).
class Edits {
 public:
  void add(std::size_t pos, std::size_t del, std::string_view a, std::string_view b = {},
           std::string_view c = {}) noexcept {
    if (n_ == kMaxEdits) {
      full_ = true;
      return;
    }
    Edit& e = e_[n_];
    e.pos = static_cast<std::uint32_t>(pos);
    e.del = static_cast<std::uint32_t>(del);
    std::uint32_t k = 0;
    if (!a.empty()) e.pieces[k++] = a;
    if (!b.empty()) e.pieces[k++] = b;
    if (!c.empty()) e.pieces[k++] = c;
    e.count = k;
    std::size_t i = n_;
    while (i > 0 && e_[order_[i - 1]].pos > e.pos) {
      order_[i] = order_[i - 1];
      --i;
    }
    order_[i] = static_cast<std::uint8_t>(n_++);
  }
  [[nodiscard]] bool full() const noexcept { return full_; }

  // Copies input [begin, end) to `w`, applying the edits positioned in that range (and, when
  // `last`, the insertions at `end` itself).
  template <typename Writer>
  void emit(const char* in, std::size_t begin, std::size_t end, Writer& w, bool last) const noexcept {
    std::size_t cursor = begin;
    for (std::size_t i = 0; i < n_; ++i) {
      const Edit& e = e_[order_[i]];
      if (e.pos < begin || e.pos > end || (e.pos == end && !last)) continue;
      if (e.pos < cursor || e.pos + e.del > end) {  // overlapping edits: never built, never sent
        w.overflow = true;
        return;
      }
      w.put(in + cursor, e.pos - cursor);
      for (std::uint32_t k = 0; k < e.count; ++k) w.put(e.pieces[k].data(), e.pieces[k].size());
      cursor = e.pos + e.del;
    }
    if (cursor < end) w.put(in + cursor, end - cursor);
  }

 private:
  Edit e_[kMaxEdits];  // not zeroed: only e_[0..n_) is read
  std::uint8_t order_[kMaxEdits];
  std::size_t n_ = 0;
  bool full_ = false;
};

// Bounded output: a write past the capacity sets `overflow` and writes nothing more.
struct Writer {
  char* begin;
  char* p;
  char* end;
  bool overflow = false;
  void put(const char* s, std::size_t n) noexcept {
    if (overflow || n > static_cast<std::size_t>(end - p)) {
      overflow = true;
      return;
    }
    detail::copy_bytes(p, s, n);
    p += n;
  }
  void put(std::string_view s) noexcept { put(s.data(), s.size()); }
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(p - begin); }
};

// Small formatted texts (digits, IP literals, hashes) that edits point into.
class Text {
 public:
  char* take(std::size_t n) noexcept {
    if (used_ + n > sizeof buf_) return nullptr;
    char* p = buf_ + used_;
    used_ += n;
    return p;
  }
  std::string_view decimal(std::uint32_t v) noexcept {
    char* p = take(10);
    return p == nullptr ? std::string_view{} : std::string_view(p, detail::write_decimal(v, p));
  }
  std::string_view hex(std::uint64_t v) noexcept {
    char* p = take(16);
    if (p == nullptr) return {};
    detail::write_hex16(v, p);
    return {p, 16};
  }
  std::string_view ip(const IpAddress& a) noexcept {
    char* p = take(48);
    return p == nullptr ? std::string_view{} : std::string_view(p, format_ip(a, p));
  }

 private:
  char buf_[256];
  std::size_t used_ = 0;
};

// Position of one ";name[=value]" parameter inside a parameter list.
struct ParamSpan {
  const char* name_end = nullptr;
  const char* value_begin = nullptr;
  const char* value_end = nullptr;
};

[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

[[nodiscard]] bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

[[nodiscard]] bool find_param_span(std::string_view params, std::string_view name, ParamSpan& out) noexcept {
  const char* p = params.data();
  const char* const e = p + params.size();
  while (p < e) {
    if (*p != ';') {
      ++p;
      continue;
    }
    ++p;
    while (p < e && is_lws(*p)) ++p;
    const char* nb = p;
    while (p < e && *p != '=' && *p != ';' && !is_lws(*p)) ++p;
    const char* ne = p;
    while (p < e && is_lws(*p)) ++p;
    const char* vb = ne;
    const char* ve = ne;
    if (p < e && *p == '=') {
      ++p;
      while (p < e && is_lws(*p)) ++p;
      vb = p;
      if (p < e && *p == '"') {
        for (++p; p < e && *p != '"'; ++p)
          if (*p == '\\' && p + 1 < e) ++p;
        if (p < e) ++p;
      } else {
        while (p < e && *p != ';' && !is_lws(*p)) ++p;
      }
      ve = p;
    }
    if (iequals(std::string_view(nb, static_cast<std::size_t>(ne - nb)), name)) {
      out.name_end = ne;
      out.value_begin = vb;
      out.value_end = ve;
      return true;
    }
  }
  return false;
}

// The header parameters of a From/To value: after the last '>' (name-addr), else after the
// first ';' (addr-spec, whose own parameters would be header parameters).
[[nodiscard]] std::string_view header_params(std::string_view value) noexcept {
  const std::size_t gt = value.rfind('>');
  const std::size_t start = gt != std::string_view::npos ? gt + 1 : value.find(';');
  return start == std::string_view::npos || start > value.size() ? std::string_view{} : value.substr(start);
}

[[nodiscard]] std::uint16_t via_port(const sip::Via& v) noexcept { return v.has_port ? v.port : 5060; }

struct Context {
  const Snapshot& s;
  Worker& w;
  const char* data;
  std::size_t size;
  const Endpoint& src;
  char* out;
  std::size_t cap;
  std::uint64_t now;
  const sip::Message& m;
  bool parsed;   // parse() returned kOk: the decoded fields (vias, tags...) can be used
  std::uint64_t call_id_hash = 0;  // balance::call_id_hash(m.call_id) once `hashed`
  bool hashed = false;

  [[nodiscard]] std::size_t offset(const char* p) const noexcept { return static_cast<std::size_t>(p - data); }
  [[nodiscard]] std::size_t offset_end(std::string_view v) const noexcept { return offset(v.data()) + v.size(); }
};

// The Call-ID hash, computed at most once per datagram.
[[nodiscard]] std::uint64_t call_id_hash(Context& c) noexcept {
  if (!c.hashed) {
    c.call_id_hash = balance::call_id_hash(c.m.call_id);
    c.hashed = true;
  }
  return c.call_id_hash;
}

// Starts loading the Maglev slot of an unpinned client request, so the miss overlaps the rules:
// the default pool's, else every pool's when there are few (a wrong guess costs one useless load).
void prefetch_slot(Context& c) noexcept {
  const std::uint64_t h = call_id_hash(c);
  if (c.s.default_pool >= 0) {
    c.s.pools[static_cast<std::size_t>(c.s.default_pool)].table.prefetch(h);
  } else if (c.s.pools.size() <= 4) {
    for (const PoolView& p : c.s.pools) p.table.prefetch(h);
  }
}

// Where the forwarded message ends: after the body framed by Content-Length (extra octets in
// the datagram are not forwarded).
[[nodiscard]] std::size_t framed_end(const Context& c) noexcept {
  const std::string_view body = c.m.body;
  if (body.data() == nullptr) return c.size;
  const std::size_t end = c.offset_end(body);
  return end <= c.size ? end : c.size;
}

// RFC 3261 §18.2.1 and RFC 3581 §4: `received` when the sent-by host is not the source address
// (and always when rport was asked for, as RFC 3581 requires); a bare `rport` gets the source port.
void add_top_via_edits(const Context& c, Edits& edits, Text& text) noexcept {
  const sip::Via& v = c.m.vias[0];
  const bool same_host = detail::host_is(v.host, c.src.ip);
  if (v.has_rport && v.rport.empty()) {
    // The parser's empty value view sits right after the name; check that before trusting it.
    const char* name_end = v.rport.data();
    const char* params = v.params.data();
    if (name_end == nullptr || name_end < params + 6 || name_end > params + v.params.size() ||
        !iequals(std::string_view(name_end - 5, 5), "rport")) {
      ParamSpan span;
      name_end = find_param_span(v.params, "rport", span) ? span.name_end : nullptr;
    }
    if (name_end != nullptr) edits.add(c.offset(name_end), 0, "=", text.decimal(c.src.port));
  }
  if (same_host && !v.has_rport) return;
  if (v.has_received) {
    if (!v.received.empty()) {
      if (detail::host_is(v.received, c.src.ip)) return;
      edits.add(c.offset(v.received.data()), v.received.size(), text.ip(c.src.ip));
      return;
    }
    ParamSpan span;  // a bare ";received": give it a value
    if (find_param_span(v.params, "received", span)) {
      edits.add(c.offset(span.name_end), 0, "=", text.ip(c.src.ip));
      return;
    }
  }
  edits.add(c.offset_end(v.value), 0, ";received=", text.ip(c.src.ip));
}

// Edit removing the first value of a comma list: the whole header field when it is the only
// value there, else the value and the separator up to the next value.
void remove_first_value(const Context& c, Edits& edits, std::string_view first, std::uint16_t header,
                        const std::string_view* next, std::uint16_t next_header) noexcept {
  if (next != nullptr && next_header == header) {
    edits.add(c.offset(first.data()), static_cast<std::size_t>(next->data() - first.data()), {});
    return;
  }
  const std::string_view line = c.m.headers[header].line;
  edits.add(c.offset(line.data()), line.size(), {});
}

// Our branch: a hash of the received branch when it carries the magic cookie (plus sent-by),
// else of the RFC 2543 transaction fields. The To-tag is left out on purpose: a non-2xx ACK
// carries the response's To-tag and must still get its INVITE's branch.
[[nodiscard]] std::uint64_t branch_hash(const sip::Message& m) noexcept {
  const sip::Via& v = m.vias[0];
  std::uint64_t h;
  if (v.has_branch && v.branch.size() > kMagicCookie.size() && v.branch.substr(0, kMagicCookie.size()) == kMagicCookie) {
    h = detail::hash_text(v.branch, 0x3261);
    h = detail::hash_text(v.host, h);
    const std::uint16_t port = via_port(v);
    h = detail::hash_bytes(&port, sizeof port, h);
  } else {
    h = detail::hash_text(m.request_uri, 0x2543);
    h = detail::hash_text(m.from_tag, h);
    h = detail::hash_text(m.call_id, h);
    const std::uint32_t cseq = m.cseq;
    h = detail::hash_bytes(&cseq, sizeof cseq, h);
    h = detail::hash_text(v.value, h);
  }
  return h;
}

[[nodiscard]] bool names_us(const Snapshot& s, const sip::Uri& uri) noexcept {
  if (!uri.is_sip || !detail::host_is(uri.host, s.self.ip)) return false;
  return uri.has_port ? uri.port == s.self.port : s.self.port == 5060;
}

[[nodiscard]] bool is_ack(const sip::Message& m) noexcept { return m.method == "ACK"; }

[[nodiscard]] bool creates_dialog(const sip::Message& m) noexcept {
  return m.to_tag.empty() && (m.method == "INVITE" || m.method == "SUBSCRIBE" || m.method == "REFER");
}

// RFC 3261 §16.4: a strict router (RFC 2543) sends an in-dialog request with one of our
// Record-Route URIs as its Request-URI and the remote target as the last Route value. Ours are
// recognised exactly: no user part, our address and port, our pin parameter (a request for
// sip:bob@<our address> is not one). The Request-URI is then replaced with that last value,
// which is removed from the Route set.
struct StrictRoute {
  bool active = false;
  std::string_view pin;                   // the pin in the Request-URI
  const sip::RouteValue* last = nullptr;  // the value that becomes the Request-URI; null: none
};

[[nodiscard]] StrictRoute strict_route(const Snapshot& s, const sip::Message& m) noexcept {
  StrictRoute sr;
  const std::string_view ruri = m.request_uri;
  // Cheap test first: most Request-URIs have a user part, ours never.
  if (ruri.find('@') != std::string_view::npos) return sr;
  sip::Uri u;
  if (!sip::parse_uri(ruri, u) || !u.user.empty() || !names_us(s, u)) return sr;
  if (!sip::find_param(u.params, kPinParam, sr.pin)) return sr;
  sr.active = true;
  if (m.route_count > 0) sr.last = &m.routes[m.route_count - 1];
  return sr;
}

// The internal steps fill one Result in place (returning it by value through several calls cost
// store-forwarding stalls on its odd-sized fields in the benchmark).
void drop(Result& r, Reason reason) noexcept {
  r.verdict = Verdict::kDrop;
  r.reason = reason;
  r.backend = -1;
  r.length = 0;
}

// The stateless reply budget: a token bucket refilled at reply_rate per second.
[[nodiscard]] bool take_reply_token(const Snapshot& s, ReplyBucket& b, std::uint64_t now) noexcept {
  constexpr std::uint64_t kUnit = 1'000'000'000;
  const std::uint64_t cap = std::uint64_t{s.reply_burst} * kUnit;
  if (!b.primed) {
    b.primed = true;
    b.units = cap;
    b.last_ns = now;
  } else if (now > b.last_ns) {
    std::uint64_t dt = now - b.last_ns;
    if (dt > 10 * kUnit) dt = 10 * kUnit;  // keeps dt * rate far from overflow
    b.units += dt * s.reply_rate;
    if (b.units > cap) b.units = cap;
    b.last_ns = now;
  }
  if (b.units < kUnit) return false;
  b.units -= kUnit;
  return true;
}

enum class Extra : std::uint8_t { kNone, kUnsupported, kRetryAfter };

// A stateless reply (RFC 3261 §16.6 / §8.2.6): Via values, From, To (tag added when absent),
// Call-ID, CSeq copied from the request, then `extra`, then Content-Length: 0.
void reply(Context& c, std::uint16_t status, std::string_view phrase, Reason reason, Extra extra,
           Result& r) noexcept {
  r.reason = reason;
  if (is_ack(c.m)) return drop(r, c.parsed ? Reason::kAckNotAnswered : reason);
  const sip::Header* from = nullptr;
  const sip::Header* to = nullptr;
  const sip::Header* call_id = nullptr;
  const sip::Header* cseq = nullptr;
  const sip::Header* first_via = nullptr;
  for (std::size_t i = 0; i < c.m.header_count; ++i) {
    const sip::Header& h = c.m.headers[i];
    switch (h.id) {
      case sip::HeaderId::kVia: if (first_via == nullptr) first_via = &h; break;
      case sip::HeaderId::kFrom: if (from == nullptr) from = &h; break;
      case sip::HeaderId::kTo: if (to == nullptr) to = &h; break;
      case sip::HeaderId::kCallId: if (call_id == nullptr) call_id = &h; break;
      case sip::HeaderId::kCSeq: if (cseq == nullptr) cseq = &h; break;
      default: break;
    }
  }
  if (first_via == nullptr || from == nullptr || to == nullptr || call_id == nullptr || cseq == nullptr)
    return drop(r, reason);

  // Destination (RFC 3261 §18.2.2, RFC 3581 §4): the source address; the source port when
  // rport was asked for, else the sent-by port. Undecoded Via (parse failure): the source.
  Endpoint dest = c.src;
  if (c.parsed && !c.m.vias[0].has_rport) dest.port = via_port(c.m.vias[0]);
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);
  if (!take_reply_token(c.s, c.w.replies, c.now)) return drop(r, Reason::kReplyRateLimited);

  Edits edits;
  Text text;
  if (c.parsed) add_top_via_edits(c, edits, text);
  // To-tag: deterministic, so a retransmitted request gets the same reply.
  bool has_tag = false;
  if (c.parsed) {
    has_tag = !c.m.to_tag.empty();
  } else {
    std::string_view tag;
    has_tag = sip::find_param(header_params(to->value), "tag", tag);
  }
  if (!has_tag) {
    std::uint64_t h = detail::hash_text(call_id->value, 0x7a6);
    h = detail::hash_text(from->value, h);
    h = detail::hash_text(cseq->value, h);
    h = detail::hash_text(first_via->value, h);
    edits.add(c.offset_end(to->value), 0, ";tag=", text.hex(h));
  }

  Writer w{c.out, c.out, c.out + c.cap};
  w.put("SIP/2.0 ");
  char code[4] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                  static_cast<char>('0' + status % 10), ' '};
  w.put(code, sizeof code);
  w.put(phrase);
  w.put("\r\n");
  for (std::size_t i = 0; i < c.m.header_count; ++i) {
    const sip::Header& h = c.m.headers[i];
    if (h.id == sip::HeaderId::kVia || &h == from || &h == to || &h == call_id || &h == cseq) {
      const std::size_t b = c.offset(h.line.data());
      edits.emit(c.data, b, b + h.line.size(), w, false);
    }
  }
  if (extra == Extra::kUnsupported) {
    w.put("Unsupported: ");
    bool first = true;
    for (std::size_t i = 0; i < c.m.header_count; ++i) {
      if (c.m.headers[i].id != sip::HeaderId::kProxyRequire) continue;
      std::string_view tag;
      for (sip::ListIterator it(c.m.headers[i].value); it.next(tag);) {
        if (tag.empty()) continue;
        if (!first) w.put(", ");
        w.put(tag);
        first = false;
      }
    }
    w.put("\r\n");
  } else if (extra == Extra::kRetryAfter) {
    w.put("Retry-After: ");
    w.put(text.decimal(kRetryAfterSeconds));
    w.put("\r\n");
  }
  w.put("Content-Length: 0\r\n\r\n");
  if (w.overflow || edits.full()) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kReply;
  r.status = status;
  r.next_hop = dest;
  r.length = static_cast<std::uint32_t>(w.size());
}

// Forwards a request to `dest`: our Via on top, the client's top Via completed, Max-Forwards
// decremented or added, our Route popped, our Record-Route added when asked.
void forward_request(Context& c, const Endpoint& dest, bool pop_route, const std::string* record_route,
                     const StrictRoute& strict, Result& r) noexcept {
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);
  const sip::Message& m = c.m;
  Edits edits;
  Text text;

  const std::size_t via_at = c.offset(m.find(sip::HeaderId::kVia)->line.data());
  edits.add(via_at, 0, c.s.via_prefix, text.hex(branch_hash(m)), "\r\n");
  if (record_route != nullptr) {
    const sip::Header* rr = m.find(sip::HeaderId::kRecordRoute);
    edits.add(rr != nullptr ? c.offset(rr->line.data()) : via_at, 0, *record_route);
  }
  if (m.max_forwards < 0) {
    static_assert(kDefaultMaxForwards == 70, "the inserted text below");
    edits.add(via_at, 0, "Max-Forwards: 70\r\n");
  } else {
    const sip::Header* mf = m.find(sip::HeaderId::kMaxForwards);
    edits.add(c.offset(mf->value.data()), mf->value.size(),
              text.decimal(static_cast<std::uint32_t>(m.max_forwards - 1)));
  }
  add_top_via_edits(c, edits, text);
  if (pop_route) {
    const bool has_next = m.route_count > 1;
    remove_first_value(c, edits, m.routes[0].value, m.routes[0].header, has_next ? &m.routes[1].value : nullptr,
                       has_next ? m.routes[1].header : sip::kNoHeader);
  } else if (strict.active && strict.last != nullptr) {
    // The last Route value's URI becomes the Request-URI; the value leaves the Route set (with the
    // separator before it when its field holds more, else the whole field).
    edits.add(c.offset(m.request_uri.data()), m.request_uri.size(), strict.last->uri.raw);
    const std::size_t n = m.route_count;
    if (n > 1 && m.routes[n - 2].header == strict.last->header) {
      const std::size_t from = c.offset_end(m.routes[n - 2].value);
      edits.add(from, c.offset_end(strict.last->value) - from, {});
    } else {
      const std::string_view line = m.headers[strict.last->header].line;
      edits.add(c.offset(line.data()), line.size(), {});
    }
  }

  const std::size_t end = framed_end(c);
  Writer w{c.out, c.out, c.out + c.cap};
  edits.emit(c.data, 0, end, w, true);
  if (w.overflow || edits.full()) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kForward;
  r.next_hop = dest;
  r.length = static_cast<std::uint32_t>(w.size());
}

// A request from a client (DESIGN.md proxy rule 1).
void client_request(Context& c, bool own_route, const StrictRoute& strict, Result& r) noexcept {
  const sip::Message& m = c.m;
  std::int32_t target = -1;
  if (own_route || strict.active) {
    std::string_view pin = strict.pin;
    if (!own_route || sip::find_param(m.routes[0].uri.params, kPinParam, pin)) {
      const std::int32_t b = find_pinned(c.s, pin);
      if (b >= 0 && c.s.backends[static_cast<std::size_t>(b)].accepts_pinned()) {
        target = b;
        r.reason = Reason::kPinned;
        r.pool = static_cast<std::int32_t>(c.s.backends[static_cast<std::size_t>(b)].pool);
      }
    }
  }
  if (target < 0) {
    const Decision d = decide(c.s, c.w, m, c.src);
    r.rule = d.rule;
    switch (d.kind) {
      case rules::ActionKind::kDrop:
        return drop(r, d.reason);
      case rules::ActionKind::kReply:
        return reply(c, d.status, d.phrase, d.reason,
                     d.reason == Reason::kNoBackendUp ? Extra::kRetryAfter : Extra::kNone, r);
      case rules::ActionKind::kPool: {
        r.pool = d.pool;
        const PoolView& pool = c.s.pools[static_cast<std::size_t>(d.pool)];
        const std::int32_t slot = pool.table.lookup(call_id_hash(c));
        if (slot < 0 || static_cast<std::size_t>(slot) >= pool.members.size())
          return reply(c, 503, default_phrase(503), Reason::kNoBackendUp, Extra::kRetryAfter, r);
        target = static_cast<std::int32_t>(pool.members[static_cast<std::size_t>(slot)]);
        r.reason = Reason::kForwarded;
        break;
      }
    }
  }
  r.backend = target;
  const BackendView& b = c.s.backends[static_cast<std::size_t>(target)];
  const std::string* rr = c.s.record_route && creates_dialog(m) ? &b.record_route : nullptr;
  return forward_request(c, b.endpoint, own_route, rr, strict, r);
}

// A request from a backend (DESIGN.md proxy rule 2): next Route, else the Request-URI.
void backend_request(Context& c, bool own_route, const StrictRoute& strict, std::int32_t source_backend,
                     Result& r) noexcept {
  const sip::Message& m = c.m;
  r.reason = Reason::kOutbound;
  const std::size_t next_route = own_route ? 1 : 0;
  sip::Uri request_uri;
  const sip::Uri* uri = nullptr;
  if (strict.active && strict.last != nullptr) {
    // The Route set without its last value, else that value (the new Request-URI).
    uri = m.route_count > 1 ? &m.routes[0].uri : &strict.last->uri;
  } else if (m.route_count > next_route) {
    uri = &m.routes[next_route].uri;
  } else if (sip::parse_uri(m.request_uri, request_uri)) {
    uri = &request_uri;
  }
  Endpoint dest;
  if (uri == nullptr || !uri->is_sip) return drop(r, Reason::kUnresolvableNextHop);
  std::uint16_t port = 5060;
  if (!parse_ip_literal(uri->host, dest.ip)) {
    // A host name: only through the config's [proxy.hosts] (no DNS on the data path).
    const config::HostMapping* h = find_host(c.s, uri->host);
    if (h == nullptr) return drop(r, Reason::kUnresolvableNextHop);
    dest.ip = h->address;
    if (h->port != 0) port = h->port;
  }
  dest.port = uri->has_port ? uri->port : port;
  if (dest == c.s.self) return drop(r, Reason::kNextHopIsSelf);
  // Dialogs a backend starts are record-routed with its own pin, so the far end's in-dialog
  // requests come back through us to the same backend.
  const std::string* rr = c.s.record_route && creates_dialog(m)
                              ? &c.s.backends[static_cast<std::size_t>(source_backend)].record_route
                              : nullptr;
  return forward_request(c, dest, own_route, rr, strict, r);
}

void request(Context& c, Result& r) noexcept {
  const sip::Message& m = c.m;
  r.kind = Kind::kRequest;
  // RFC 3261 §16.3 order: Max-Forwards, then Proxy-Require.
  if (m.max_forwards == 0) return reply(c, 483, default_phrase(483), Reason::kMaxForwardsExhausted, Extra::kNone, r);
  if (m.find(sip::HeaderId::kProxyRequire) != nullptr) {
    for (std::size_t i = 0; i < m.header_count; ++i) {
      if (m.headers[i].id != sip::HeaderId::kProxyRequire) continue;
      std::string_view tag;
      for (sip::ListIterator it(m.headers[i].value); it.next(tag);)
        if (!tag.empty())
          return reply(c, 420, default_phrase(420), Reason::kUnsupportedExtension, Extra::kUnsupported, r);
    }
  }
  const bool own_route = m.route_count > 0 && names_us(c.s, m.routes[0].uri);
  // Loose routing first: with our Route on top the Request-URI is not ours to restore.
  const StrictRoute strict = own_route ? StrictRoute{} : strict_route(c.s, m);
  const std::int32_t backend = find_backend(c.s, c.src);
  if (backend >= 0) return backend_request(c, own_route, strict, backend, r);
  if (!own_route && !strict.active) prefetch_slot(c);  // no pin: the rules and Maglev decide
  return client_request(c, own_route, strict, r);
}

// A response (DESIGN.md proxy rule 3): our Via must be on top; it goes to the next Via.
void response(Context& c, Result& r) noexcept {
  const sip::Message& m = c.m;
  r.kind = Kind::kResponse;
  if (m.call_id.substr(0, kProbeCallIdPrefix.size()) == kProbeCallIdPrefix) {
    r.verdict = Verdict::kProbeReply;
    r.reason = Reason::kProbeReply;
    r.status = m.status_code;
    return;
  }
  const sip::Via& top = m.vias[0];
  if (!detail::host_is(top.host, c.s.self.ip) || via_port(top) != c.s.self.port)
    return drop(r, Reason::kForeignVia);
  if (m.via_count < 2) return drop(r, Reason::kNoNextVia);
  const sip::Via& next = m.vias[1];
  // maddr is not honoured: a stateless proxy over UDP answers where the request came from.
  Endpoint dest;
  if (!(next.has_received && parse_ip_literal(next.received, dest.ip)) && !parse_ip_literal(next.host, dest.ip))
    return drop(r, Reason::kUnresolvableNextHop);
  if (!(next.has_rport && detail::parse_port(next.rport, dest.port))) dest.port = via_port(next);
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);

  Edits edits;
  remove_first_value(c, edits, top.value, top.header, &next.value, next.header);
  const std::size_t end = framed_end(c);
  Writer w{c.out, c.out, c.out + c.cap};
  edits.emit(c.data, 0, end, w, true);
  if (w.overflow) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kForward;
  r.reason = Reason::kResponse;
  r.next_hop = dest;
  r.length = static_cast<std::uint32_t>(w.size());
}

// A datagram the parser rejected: 505 for a request with another SIP version, 400 for other
// malformed requests when Via, From, To, Call-ID and CSeq were found; otherwise dropped.
void invalid(Context& c, sip::Status status, Result& r) noexcept {
  r.kind = Kind::kInvalid;
  r.reason = reason_for(status);
  r.verdict = Verdict::kDrop;
  switch (status) {
    case sip::Status::kEmpty:
    case sip::Status::kBadStartLine:
    case sip::Status::kBadMethod:
    case sip::Status::kBadRequestUri:
    case sip::Status::kBadStatusCode:
      return;  // the start line is not a request line we could answer
    default: break;
  }
  if (!c.m.is_request) return;
  if (status == sip::Status::kBadVersion) return reply(c, 505, default_phrase(505), r.reason, Extra::kNone, r);
  reply(c, 400, default_phrase(400), r.reason, Extra::kNone, r);
}

void count(Counters& k, const Result& r) noexcept {
  ++k.by_reason[static_cast<std::size_t>(r.reason)];
  if (r.verdict == Verdict::kReply && r.status < k.replies_by_status.size()) ++k.replies_by_status[r.status];
  if (r.verdict == Verdict::kForward && r.backend >= 0 && static_cast<std::size_t>(r.backend) < kMaxCountedBackends)
    ++k.by_backend[static_cast<std::size_t>(r.backend)];
  if (r.rule >= 0 && static_cast<std::size_t>(r.rule) < kMaxCountedRules) ++k.by_rule[static_cast<std::size_t>(r.rule)];
}

}  // namespace

Result process(const Snapshot& snapshot, Worker& worker, const char* data, std::size_t size, const Endpoint& source,
               char* out, std::size_t out_capacity, std::uint64_t now_ns) noexcept {
  Result r;
  if (size > kMaxDatagram) {
    drop(r, Reason::kTooLarge);
  } else {
    sip::Message& m = worker.message;
    const sip::Status status = sip::parse(data, size, m);
    Context c{snapshot, worker, data, size, source, out, out_capacity, now_ns, m, status == sip::Status::kOk};
    if (status != sip::Status::kOk) {
      invalid(c, status, r);
    } else if (m.is_request) {
      request(c, r);
    } else {
      response(c, r);
    }
  }
  count(worker.counters, r);
  return r;
}

}  // namespace sipshunt::proxy
