// Rule-file reader: text (following includes) to a list of rules as written, with the position
// of every part for messages. Control plane. Grammar: dispatch-rules/README.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sipshunt/common/prefix.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::rules::detail {

struct Location {
  std::shared_ptr<const std::string> file;  // shared by everything read from one file
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  [[nodiscard]] Error error(std::string message) const;
  [[nodiscard]] std::string to_string() const;  // "file:line:col"
};

enum class CondKind : std::uint8_t { kAny, kMethod, kRuri, kHeader, kSrc };

// Regex flags as written after the closing '/'.
inline constexpr unsigned kFlagCaseless = 1u;   // i
inline constexpr unsigned kFlagDotall = 2u;     // s
inline constexpr unsigned kFlagMultiline = 4u;  // m

struct CondAst {
  CondKind kind = CondKind::kAny;
  bool negate = false;                 // an odd number of `not`s
  Location at;                         // the condition keyword (after any `not`)
  std::vector<std::string> methods;    // kMethod
  std::string header;                  // kHeader: the name as written
  std::string pattern;                 // kRuri, kHeader: between the slashes, as written
  unsigned flags = 0;                  // kFlag* bits
  Location regex_at;                   // the opening '/'
  std::vector<Prefix> prefixes;        // kSrc
};

struct ActionAst {
  ActionKind kind = ActionKind::kDrop;
  std::string pool;                    // kPool
  Location pool_at;
  std::uint16_t status = 0;            // kReply
  std::string reason;                  // kReply
};

struct RuleAst {
  std::string name;
  Location at;                         // the `rule` keyword
  Location name_at;
  std::vector<CondAst> conditions;     // conjunction, in the order written
  ActionAst action;
};

struct ParsedRules {
  std::vector<RuleAst> rules;          // file order, includes expanded in place
  std::size_t files = 0;               // distinct files read
};

// Reads `files` in order (each with its includes). Stops at the first error.
[[nodiscard]] Result<ParsedRules> parse_files(std::span<const std::filesystem::path> files);

}  // namespace sipshunt::rules::detail
