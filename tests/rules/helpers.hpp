// Helpers for the rules tests: a temporary folder for rule files, request builders, and a
// one-call "which rule decides this message" for readable expectations.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/rules/rules.hpp"
#include "sipshunt/sip/message.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::rules::test {

using test_support::TempDir;

inline const std::vector<std::string>& default_pools() {
  static const std::vector<std::string> pools{"core", "registrars", "emergency", "tollfree", "carrier"};
  return pools;
}

// Compiles `text` as `<tmp>/main.rules`.
struct Compiled {
  TempDir dir;
  Result<std::shared_ptr<const RuleSet>> result{Error::plain("not compiled")};
  std::unique_ptr<Scratch> scratch = std::make_unique<Scratch>();
};

inline std::unique_ptr<Compiled> compile_text(std::string_view text,
                                              const std::vector<std::string>& pools = default_pools()) {
  auto c = std::make_unique<Compiled>();
  const std::filesystem::path files[] = {c->dir.write("main.rules", text)};
  c->result = RuleSet::compile(files, pools);
  if (c->result && !c->scratch->prepare(**c->result)) throw std::runtime_error("prepare failed");
  return c;
}

// A well-formed request; `headers` are extra lines ("User-Agent: x") placed before Content-Length.
inline std::string request(std::string_view method, std::string_view ruri,
                           const std::vector<std::string>& headers = {}) {
  std::string m;
  m.append(method).append(" ").append(ruri).append(" SIP/2.0\r\n");
  m.append("Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds\r\n");
  m.append("Max-Forwards: 70\r\n");
  m.append("To: <sip:bob@example.com>\r\n");
  m.append("From: <sip:alice@example.com>;tag=1928301774\r\n");
  m.append("Call-ID: a84b4c76e66710@pc33.example.com\r\n");
  m.append("CSeq: 314159 ").append(method).append("\r\n");
  for (const std::string& h : headers) m.append(h).append("\r\n");
  m.append("Content-Length: 0\r\n\r\n");
  return m;
}

inline Endpoint endpoint(std::string_view text) {
  auto e = Endpoint::parse(text);
  if (!e) throw std::runtime_error("bad endpoint in test");
  return *e;
}

// Name of the deciding rule, "(none)" when no rule matches, "(error)" on a match error, or
// "(unparsed: status)" when the message does not parse.
inline std::string decide(const Compiled& c, std::string_view datagram, std::string_view source = "198.18.0.10:5060") {
  auto msg = std::make_unique<sip::Message>();
  const sip::Status st = sip::parse(datagram.data(), datagram.size(), *msg);
  if (st != sip::Status::kOk) return "(unparsed: " + std::string(sip::to_string(st)) + ")";
  const Match m = (*c.result)->match(*msg, endpoint(source), *c.scratch);
  if (m.error) return "(error)";
  if (m.rule < 0) return "(none)";
  return (*c.result)->rules()[static_cast<std::size_t>(m.rule)].name;
}

}  // namespace sipshunt::rules::test
