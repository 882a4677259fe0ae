// hot path
// The datagram parser's driver: one pass over the header section classifies it 64 octets at a
// time (SIMD) and walks its line ends; as each field's end is found, parse() splits it into name
// and value, files it in the header table and hands the values it decodes to their grammar's
// decoder (one header per grammar); then it frames the body and checks the message is complete
// (RFC 3261 §8.1.1).
#include <cstddef>
#include <cstring>
#include <limits>

#include "header_names.hpp"
#include "lexical.hpp"
#include "name_addr.hpp"
#include "numeric_fields.hpp"
#include "route.hpp"
#include "scan.hpp"
#include "sipshunt/sip/message.hpp"
#include "start_line.hpp"
#include "via.hpp"

namespace sipshunt::sip {

namespace {

using detail::classify_block;
using detail::Cursor;
using detail::decode_addr;
using detail::decode_content_length;
using detail::decode_cseq;
using detail::decode_max_forwards;
using detail::decode_routes;
using detail::decode_via;
using detail::kNpos;
using detail::lookup_header;
using detail::parse_start_line;
using detail::sv;

SIPSHUNT_ALWAYS_INLINE void note(Status& err, Status s) noexcept {
  if (err == Status::kOk) err = s;
}

// Zeroes [p, p + N) in pieces of at most 64 octets, which GCC writes as 16-octet vector stores
// (a longer memset becomes `rep stos`, whose every turn callgrind counts).
template <std::size_t N>
SIPSHUNT_ALWAYS_INLINE void zero(void* p) noexcept {
  if constexpr (N > 64) {
    std::memset(p, 0, 64);
    zero<N - 64>(static_cast<char*>(p) + 64);
  } else {
    std::memset(p, 0, N);
  }
}

void reset(const char* data, std::size_t size, Message& m) noexcept {
  m.data = data;
  m.size = size;
  // Two runs of adjacent members cleared as blocks, in twelve stores (where one store per member
  // took twenty-three): is_request up to the header table (the start line's fields,
  // header_count), and call_id up to the end of body (max_forwards then set to -1).
  static_assert(offsetof(Message, is_request) < offsetof(Message, header_count) &&
                offsetof(Message, header_count) < offsetof(Message, headers));
  zero<offsetof(Message, headers) - offsetof(Message, is_request)>(&m.is_request);
  std::memset(m.first, 0xff, sizeof m.first);
  m.decoded_vias = 0;
  m.route_count = 0;
  static_assert(offsetof(Message, call_id) < offsetof(Message, max_forwards) &&
                offsetof(Message, max_forwards) < offsetof(Message, body));
  zero<offsetof(Message, body) + sizeof m.body - offsetof(Message, call_id)>(&m.call_id);
  m.max_forwards = -1;
}

// A Via field's values into m.vias, up to the ones a decision reads (the top one of a request,
// the top two of a response: Message::vias), the rest left undecoded. Out of line with five
// arguments, all in registers: decode_via's nine put three on the stack at every call.
__attribute__((noinline)) Status decode_top_vias(const detail::Blocks& b, std::size_t p, std::size_t e, Message& m,
                                                 std::uint16_t hidx) noexcept {
  return decode_via(b, b.d, p, e, m.vias, m.decoded_vias, m.is_request ? 1 : kDecodedVias, hidx, Status::kOk);
}

// The line ends of the header section, found as the driver goes (one pass: each 64-octet block is
// classified once, its line feeds walked while its fields are decoded). A field ends at a '\n'
// after CR that is not followed by SP/HT (folding joined; the start line is never joined); the
// header section at the one followed by CR (the empty line; a lone CR there is caught later). A
// bare LF ends the walk. Each block's delimiter mask is kept (the first 8 KiB) in `sp`, and
// `blocks.count` grows with them, so a field's decoders see every block up to its line end stored.
constexpr std::size_t kMaxBlocks = 128;  // masks kept for the first 8 KiB

class LineEnds {
 public:
  SIPSHUNT_ALWAYS_INLINE LineEnds(const char* data, std::size_t n, std::size_t start, detail::Blocks& b,
                                  std::uint64_t* masks) noexcept
      : d(data), size(n), from(start), off(0), lf(0), spm(0), blocks(b), sp(masks) {
    classify(0);
    while (SIPSHUNT_UNLIKELY(off + 64 <= from)) classify(off += 64);  // many leading CRLFs (§7.5)
    lf &= ~std::uint64_t{0} << (from - off);
  }

  // The offset of the '\n' ending the next line, or kNpos when the datagram ends first. `bare`:
  // it has no CR before it. `joined`: fold continuation lines into it (every line but the start
  // line). `name_end`, what follows the line: kNpos when it is CR (the empty line); for the usual
  // field end (CRLF, then a name), the first delimiter after that name when it is in the same
  // block (the LF's own block mask already holds it); else 0.
  SIPSHUNT_ALWAYS_INLINE std::size_t next(bool joined, bool& bare, std::size_t& name_end) noexcept {
    for (;;) {
      while (SIPSHUNT_UNLIKELY(lf == 0)) {
        off += 64;
        if (off >= size) return kNpos;
        classify(off);
      }
      const auto t = static_cast<unsigned>(__builtin_ctzll(lf));
      const std::size_t q = off + t;
      lf &= lf - 1;
      // The delimiters after the LF in its block: a clear lowest bit is a token character after
      // it, so a name starts there, and the next delimiter ends it (an octet past the datagram
      // is a delimiter in the mask). Told without reading d[q + 1].
      const std::uint64_t rest = (spm >> t) >> 1;
      if (SIPSHUNT_LIKELY((rest & 1) == 0 && rest != 0 && (joined || q != from) && d[q - 1] == '\r')) {
        name_end = q + 1 + static_cast<std::size_t>(__builtin_ctzll(rest));
        bare = false;
        // A line end inside the datagram: the caller's kNpos test folds on this path.
        if (q == kNpos) __builtin_unreachable();
        return q;
      }
      name_end = 0;
      const auto after = static_cast<unsigned char>(q + 1 < size ? d[q + 1] : '\0');
      const bool crlf = (joined || q != from) && d[q - 1] == '\r';  // a field's LF is past the start line's
      if (crlf && after > ' ') {  // the usual field end, the name past this block
        bare = false;
        return q;
      }
      bare = !crlf;
      if (crlf && (after == ' ' || after == '\t') && joined) continue;  // folding
      if (after == '\r') name_end = kNpos;
      return q;
    }
  }

 private:
  const char* d;
  std::size_t size;
  std::size_t from;  // first octet of the start line
  std::size_t off;   // the block whose line feeds are in lf
  std::uint64_t lf;  // its line feeds not yet taken
  std::uint64_t spm;  // its delimiters
  detail::Blocks& blocks;
  std::uint64_t* sp;

  SIPSHUNT_ALWAYS_INLINE void classify(std::size_t at) noexcept {
    std::uint64_t mask;
    classify_block(d + at, size - at, lf, mask);
    spm = mask;
    const std::size_t blk = at >> 6;
    if (blk < kMaxBlocks) {
      sp[blk] = mask;
      blocks.count = blk + 1;
    }
  }
};

}  // namespace

Status parse(const char* data, std::size_t size, Message& m) noexcept {
  static_assert(kNoHeader == 0xffff, "first[] is reset with 0xff octets");
  static_assert(kMaxMessageSize <= std::numeric_limits<decltype(Header::end)>::max(), "offsets fit Header's fields");
  reset(data, size, m);
  const char* d = data;
  std::size_t pos = 0;
  while (pos + 1 < size && d[pos] == '\r' && d[pos + 1] == '\n') pos += 2;  // RFC 3261 §7.5
  if (pos >= size) return Status::kEmpty;

  std::uint64_t sp[kMaxBlocks];  // not zeroed: only sp[0, blocks.count) is read
  detail::Blocks blocks{d, size, sp, 0};
  LineEnds lines(d, size, pos, blocks, sp);
  bool bare = false;
  std::size_t name_end = 0;  // after the line end just found: the next field's, or kNpos (next())
  const std::size_t nl = lines.next(false, bare, name_end);
  if (nl == kNpos) {
    const Status s = parse_start_line(blocks, d, pos, size, m);
    return s == Status::kOk ? Status::kHeadersUnterminated : s;
  }
  if (bare) return Status::kBadStartLine;
  Status err = parse_start_line(blocks, d, pos, nl - 1, m);
  if (err != Status::kOk && err != Status::kBadVersion) return err;
  // A version other than 2.0 is answered with a 505 built from the headers, so they are still
  // parsed; kBadVersion then outranks every later finding except a broken header section: it
  // stays in err, the first finding noted, which the fields' findings do not replace.

  // Each line end after the start line ends one field (folding already joined) with CRLF, up to
  // the one followed by CR; what follows it is checked after the loop: the empty line, or an error.
  std::uint16_t count = 0;  // m.header_count, kept in a register and stored when the loop ends
  pos = nl + 1;
  while (name_end != kNpos) {
    std::size_t ne = name_end;
    const std::size_t le = lines.next(true, bare, name_end);
    if (le == kNpos) break;
    if (SIPSHUNT_UNLIKELY(bare)) {  // a line ending with a LF without CR
      m.header_count = count;
      return Status::kBadHeaderLine;
    }
    const std::size_t cr = le - 1;
    // field-name HCOLON: token, optional SP/HT, ':'. The name ends at the first delimiter,
    // usually inside the block the line starts in.
    if (SIPSHUNT_UNLIKELY(ne == 0)) {
      const std::size_t blk = pos >> 6;
      // Every block up to this line's end is classified, and stored when within kMaxBlocks. d[cr]
      // is CR, a delimiter: the first one found is at cr at the latest.
      const std::uint64_t mk = blk < kMaxBlocks ? sp[blk] >> (pos & 63) : 0;
      if (SIPSHUNT_LIKELY(mk != 0)) {
        ne = pos + static_cast<std::size_t>(__builtin_ctzll(mk));
      } else if (blk + 1 < blocks.count && sp[blk + 1] != 0) {
        // The name runs into the next block (whose mask is stored: it holds the CR at the latest).
        ne = ((blk + 1) << 6) + static_cast<std::size_t>(__builtin_ctzll(sp[blk + 1]));
      } else {
        Cursor c(blocks, pos, cr);
        ne = c.next(pos);
      }
      // No name (e.g. folding right after the start line). A name end from next() is past a
      // token character.
      if (ne == pos) {
        m.header_count = count;
        return Status::kBadHeaderLine;
      }
    }
    // Trim LWS (folding included); usually ": " right after the name (one load: d[cr + 1] is the
    // LF, so two octets are readable at ne <= cr) and no LWS at the end.
    std::size_t vb, ve = cr;
    if (SIPSHUNT_LIKELY(detail::load<2>(d + ne) == (std::uint64_t{' '} << 8 | ':'))) {
      vb = ne + 2;  // <= cr, d[cr] being CR
    } else {
      std::size_t q = ne;
      if (d[q] != ':') {
        while (d[q] == ' ' || d[q] == '\t') ++q;  // stops at the CR at the latest
        if (d[q] != ':') {
          m.header_count = count;
          return Status::kBadHeaderLine;
        }
      }
      vb = q + 1;
      if (d[vb] == ' ') ++vb;  // vb <= cr, and d[cr] is CR
    }
    // LWS octets are all at most SP: one test of each end settles the usual value.
    if (SIPSHUNT_UNLIKELY(static_cast<unsigned char>(d[vb]) <= ' ' || static_cast<unsigned char>(d[ve - 1]) <= ' ')) {
      while (vb < ve && is_lws(d[vb])) ++vb;
      while (ve > vb && is_lws(d[ve - 1])) --ve;
    }

    if (count == kMaxHeaders) {
      m.header_count = count;
      return Status::kTooManyHeaders;
    }
    const std::uint16_t idx = count++;
    // Filed before the name's lookup: after it, GCC stops threading each name's match into its
    // case below and dispatches through a jump table (about ten more instructions per field).
    Header& h = m.headers[idx];
    h.data = d;
    h.begin = static_cast<std::uint32_t>(pos);
    h.name_end = static_cast<std::uint32_t>(ne);
    h.value_begin = static_cast<std::uint32_t>(vb);
    h.value_end = static_cast<std::uint32_t>(ve);
    h.end = static_cast<std::uint32_t>(le + 1);
    const HeaderId id = lookup_header(d + pos, ne - pos);
    h.id = id;
    std::uint16_t& first = m.first[static_cast<std::size_t>(id)];
    const bool dup = first != kNoHeader;
    if (!dup) first = idx;

    Status s = Status::kOk;
    switch (id) {
      case HeaderId::kVia:
        // Only the Via values a decision reads (Message::vias); the rest stay undecoded.
        if (const std::uint8_t via_limit = m.is_request ? 1 : kDecodedVias; m.decoded_vias < via_limit)
          s = decode_top_vias(blocks, vb, ve, m, idx);
        break;
      case HeaderId::kCallId:
        if (dup)
          s = Status::kDuplicateCallId;
        else if (vb == ve)
          s = Status::kBadCallId;
        else
          m.call_id = sv(d, vb, ve);  // not h.value: reading back a fresh 16-octet store stalls
        break;
      case HeaderId::kCSeq:
        s = dup ? Status::kDuplicateCSeq : decode_cseq(blocks, d, vb, ve, m);
        break;
      case HeaderId::kFrom:
        // Indexed, not decoded: only an RFC 2543 branch reads its tag (decode_from_tag()).
        if (dup) s = Status::kDuplicateFrom;
        break;
      case HeaderId::kTo:
        s = dup ? Status::kDuplicateTo : decode_addr(blocks, d, vb, ve, m.to_tag, Status::kBadTo);
        break;
      case HeaderId::kMaxForwards:
        // No duplicate status of its own: two Max-Forwards fields are as bad as an unreadable one.
        s = dup ? Status::kBadMaxForwards : decode_max_forwards(d, vb, ve, m);
        break;
      case HeaderId::kContentLength:
        s = dup ? Status::kDuplicateContentLength : decode_content_length(d, vb, ve, m);
        break;
      case HeaderId::kRoute:
        s = decode_routes(blocks, d, vb, ve, m.routes, m.route_count, kMaxRoutes, idx);
        break;
      default:
        break;
    }
    if (SIPSHUNT_UNLIKELY(s != Status::kOk)) note(err, s);
    pos = le + 1;
  }
  m.header_count = count;
  if (pos + 1 >= size || d[pos] != '\r') return Status::kHeadersUnterminated;
  if (d[pos + 1] != '\n') return Status::kBadHeaderLine;
  m.headers_end = pos;

  // Body framing over a datagram: Content-Length governs; without it the body is the rest.
  const std::size_t body_at = m.headers_end + 2;
  const std::size_t avail = size - body_at;
  if (m.has_content_length && m.content_length <= avail) {
    m.body = sv(d, body_at, body_at + m.content_length);
  } else {
    m.body = sv(d, body_at, size);
  }

  if (err != Status::kOk) return err;
  if (m.first[static_cast<std::size_t>(HeaderId::kVia)] == kNoHeader) return Status::kMissingVia;
  if (m.first[static_cast<std::size_t>(HeaderId::kCallId)] == kNoHeader) return Status::kMissingCallId;
  if (m.first[static_cast<std::size_t>(HeaderId::kFrom)] == kNoHeader) return Status::kMissingFrom;
  if (m.first[static_cast<std::size_t>(HeaderId::kTo)] == kNoHeader) return Status::kMissingTo;
  if (m.first[static_cast<std::size_t>(HeaderId::kCSeq)] == kNoHeader) return Status::kMissingCSeq;
  if (m.is_request && !same_text(m.cseq_method, m.method)) return Status::kCSeqMethodMismatch;
  if (m.has_content_length && m.content_length > avail) return Status::kContentLengthBeyondDatagram;
  return Status::kOk;
}

}  // namespace sipshunt::sip
