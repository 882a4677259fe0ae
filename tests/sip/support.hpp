// Helpers for the sip tests: message builders, a guard-page buffer, the corpus location, and the
// registry of every message the unit tables parse (the robustness test truncates them all).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::testing {

// The fields a request needs, one per line, so a case can replace exactly the one it is about.
inline constexpr std::string_view kVia = "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK74bf9";
inline constexpr std::string_view kFrom = "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl";
inline constexpr std::string_view kTo = "To: Bob <sip:bob@biloxi.example.com>";
inline constexpr std::string_view kCallId = "Call-ID: 3848276298220188511@atlanta.example.com";
inline constexpr std::string_view kCSeq = "CSeq: 1 INVITE";
inline constexpr std::string_view kMaxFwd = "Max-Forwards: 70";
inline constexpr std::string_view kInviteLine = "INVITE sip:bob@biloxi.example.com SIP/2.0";

// start line + header lines + empty line + body, CRLF everywhere.
inline std::string build(std::string_view start, std::initializer_list<std::string_view> headers,
                         std::string_view body = {}) {
  std::string s(start);
  s.append("\r\n");
  for (std::string_view h : headers) s.append(h).append("\r\n");
  s.append("\r\n").append(body);
  return s;
}

// An INVITE with the mandatory fields, plus `extra` lines at the end of the header section.
inline std::string invite_with(std::initializer_list<std::string_view> extra, std::string_view body = {}) {
  std::string s(kInviteLine);
  s.append("\r\n");
  for (std::string_view h : {kVia, kMaxFwd, kFrom, kTo, kCallId, kCSeq}) s.append(h).append("\r\n");
  for (std::string_view h : extra) s.append(h).append("\r\n");
  s.append("\r\n").append(body);
  return s;
}

// Every message a unit table parses, for the truncation test. Tables register through
// `remember` while they run; the robustness test adds the fixed list below as well.
inline std::vector<std::string>& remembered() {
  static std::vector<std::string> all;
  return all;
}
inline const std::string& remember(std::string msg) {
  remembered().push_back(std::move(msg));
  return remembered().back();
}

inline Status parse_string(const std::string& s, Message& m) { return parse(s.data(), s.size(), m); }

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string corpus_dir() {
#ifdef SIPSHUNT_CONFORMANCE_DIR
  return std::string(SIPSHUNT_CONFORMANCE_DIR) + "/rfc4475";
#else
  return "../shared/conformance/rfc4475";
#endif
}

// A buffer whose usable pages sit between two PROT_NONE pages, so a read one octet before the
// start or after the end of a message placed against either guard faults at once.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(std::size_t capacity) {
    page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    usable_ = (capacity + page_ - 1) / page_ * page_;
    if (usable_ == 0) usable_ = page_;
    total_ = usable_ + 2 * page_;
    void* p = ::mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<char*>(p);
    if (::mprotect(base_, page_, PROT_NONE) != 0 || ::mprotect(base_ + page_ + usable_, page_, PROT_NONE) != 0)
      throw std::runtime_error("mprotect failed");
  }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  ~GuardedBuffer() { ::munmap(base_, total_); }

  std::size_t capacity() const { return usable_; }
  // Copies s so that its last octet is the last one before the upper guard page.
  const char* at_end(std::string_view s) {
    char* dst = base_ + page_ + usable_ - s.size();
    if (!s.empty()) std::memcpy(dst, s.data(), s.size());
    return dst;
  }
  // Copies s so that its first octet is the first one after the lower guard page.
  const char* at_start(std::string_view s) {
    char* dst = base_ + page_;
    if (!s.empty()) std::memcpy(dst, s.data(), s.size());
    return dst;
  }

 private:
  char* base_ = nullptr;
  std::size_t page_ = 0, usable_ = 0, total_ = 0;
};

}  // namespace sipshunt::sip::testing
