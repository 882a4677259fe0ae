// Dispatch rules: the rule-file language, compiled into Hyperscan databases (one per scanned
// field) and a longest-prefix-match table for sources. A RuleSet is immutable, built off the
// workers, and swapped in whole; each worker owns a Scratch grown for it before publication.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::rules {

enum class ActionKind : std::uint8_t { kPool, kReply, kDrop };

struct Action {
  ActionKind kind = ActionKind::kDrop;
  std::uint32_t pool = 0;           // kPool: index into the pool names given to compile()
  std::uint16_t status = 0;         // kReply: status code
  std::string reason_phrase;        // kReply: reason phrase
};

struct Rule {
  std::string name;
  std::string file;                 // where it was defined, for messages
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  Action action;
};

class RuleSet;

// Per-worker matching state (Hyperscan scratch). Not shared between threads.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  // Grows the scratch so it can scan `set` (and every set it was prepared for before). Control
  // plane: call before publishing `set`, never while another thread runs match() with this
  // scratch (a reload prepares a fresh Scratch per worker, which the worker swaps in at its
  // quiescent point). Returns false when Hyperscan cannot allocate.
  [[nodiscard]] bool prepare(const RuleSet& set);
  // Exchanges the Hyperscan state of two scratches (no allocation): how a worker takes the
  // scratch the control plane prepared for a new rule set.
  void swap(Scratch& other) noexcept { impl_.swap(other.impl_); }
  struct Impl;
  Impl* impl() noexcept { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

struct Match {
  std::int32_t rule = -1;           // index into RuleSet::rules(), -1: no rule matched
  bool error = false;               // scratch not prepared for this set (or Hyperscan failed): rule is -1
};

class RuleSet {
 public:
  // Reads the rule files (following includes), resolves pool names against `pools`, compiles
  // every regex into one Hyperscan database per scanned field. Errors name the rule's place
  // (file:line:col).
  [[nodiscard]] static Result<std::shared_ptr<const RuleSet>> compile(std::span<const std::filesystem::path> files,
                                      std::span<const std::string> pools);

  // hot path: the first rule (file order) whose conditions all hold. The message must have
  // parsed (kOk). Each scanned field is scanned at most once.
  [[nodiscard]] Match match(const sip::Message& msg, const Endpoint& source, Scratch& scratch) const noexcept;

  [[nodiscard]] std::span<const Rule> rules() const noexcept;
  struct Summary {
    std::size_t rules = 0, patterns = 0, databases = 0, files = 0;
    std::size_t prefixes = 0;       // distinct source prefixes in the longest-prefix-match table
  };
  [[nodiscard]] Summary summary() const noexcept;

  struct Impl;
  ~RuleSet();
  explicit RuleSet(std::unique_ptr<Impl> impl);
  [[nodiscard]] const Impl& impl() const noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// The Hyperscan library's version string (hs_version()), e.g. "5.4.0 2023-01-12".
[[nodiscard]] std::string_view engine_version() noexcept;

}  // namespace sipshunt::rules
