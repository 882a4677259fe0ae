// The rule-file language (dispatch-rules/README.md) read into rules: one recursive-descent
// parser with its includes, globbing and positions for every message. One responsibility, kept
// whole: its grammar functions call each other and read best side by side.
#include "parser.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string_view>
#include <system_error>

namespace sipshunt::rules::detail {
namespace fs = std::filesystem;

Error Location::error(std::string message) const {
  return Error{file ? *file : std::string{}, line, column, std::move(message)};
}

std::string Location::to_string() const {
  std::string s = file ? *file : std::string{};
  s.append(":").append(std::to_string(line)).append(":").append(std::to_string(column));
  return s;
}

namespace {

constexpr std::size_t kMaxIncludeDepth = 32;

struct ParseFailure {
  Error error;
};

[[noreturn]] void fail(const Location& at, std::string message) { throw ParseFailure{at.error(std::move(message))}; }

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
// RFC 3261 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
bool is_token_char(char c) { return is_word_char(c) || (c != '\0' && std::strchr("-.!%*+`'~", c) != nullptr); }
bool is_header_char(char c) { return is_token_char(c) && c != '~'; }  // `~` follows the name
bool is_name_char(char c) { return is_word_char(c) || c == '-' || c == '.' || c == '+'; }
bool is_prefix_char(char c) {
  return is_word_char(c) || c == '.' || c == ':' || c == '/' || c == '[' || c == ']' || c == '%' || c == '-';
}
bool has_wildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

struct FileEntry {
  fs::path canonical;
  std::string display;
};

struct Reader {
  std::vector<RuleAst> rules;
  std::map<std::string, Location, std::less<>> names;
  std::vector<FileEntry> stack;  // files being read, outermost first (for cycles)
  std::set<fs::path> seen;

  void read_file(const fs::path& path, const Location* from);
  std::vector<fs::path> expand(const fs::path& target, const Location* from);
};

std::string describe_errno(int e) { return std::strerror(e); }

// Reads a whole file; returns errno on failure.
int slurp(const fs::path& path, std::string& out) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return EISDIR;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return errno;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int err = std::ferror(f) ? EIO : 0;
  std::fclose(f);
  return err;
}

class FileParser {
 public:
  FileParser(Reader& reader, std::shared_ptr<const std::string> name, fs::path path, std::string_view text)
      : reader_(reader), name_(std::move(name)), path_(std::move(path)), text_(text) {}

  void parse() {
    for (;;) {
      skip(true);
      if (at_end()) break;
      const Location at = here();
      const std::string_view word = read_while(is_word_char);
      if (word == "rule") {
        parse_rule(at);
      } else if (word == "include") {
        parse_include(at);
      } else {
        fail(at, "expected 'rule' or 'include' at the start of a statement, found " + found(pos_ - word.size()));
      }
      skip(false);
      if (!at_end() && peek() != '\n') fail(here(), "expected end of line after the statement, found " + found(pos_));
    }
  }

 private:
  // --- cursor -------------------------------------------------------------------------------
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  // `token`: the octet belongs to a token (not to blanks or a comment), so a later "expected"
  // message may point just after it.
  void bump(bool token = true) {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
    if (token) last_end_ = here();
  }
  Location here() const { return Location{name_, line_, column_}; }

  // Skips blanks and comments; newlines too when `newlines` (inside a rule, which may span lines).
  void skip(bool newlines) {
    while (!at_end()) {
      const char c = peek();
      if (is_blank(c) || (newlines && c == '\n')) {
        bump(false);
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') bump(false);
      } else {
        break;
      }
    }
  }

  template <typename Pred>
  std::string_view read_while(Pred pred) {
    const std::size_t start = pos_;
    while (!at_end() && pred(peek())) bump();
    return text_.substr(start, pos_ - start);
  }

  // What the text holds at `offset`, for "found ..." in messages.
  std::string found(std::size_t offset) const {
    if (offset >= text_.size()) return "end of file";
    if (text_[offset] == '\n') return "end of line";
    if (text_[offset] == '#') return "a comment";
    std::size_t end = offset;
    while (end < text_.size() && !is_blank(text_[end]) && text_[end] != '\n' && end - offset < 24) ++end;
    if (end == offset) ++end;
    std::string s = "'";
    for (std::size_t i = offset; i < end; ++i) {
      const auto c = static_cast<unsigned char>(text_[i]);
      if (c < 0x20 || c == 0x7f) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        s += hex;
      } else {
        s += static_cast<char>(c);
      }
    }
    s += "'";
    return s;
  }

  bool next_is(std::string_view word) const {
    if (text_.substr(pos_, word.size()) != word) return false;
    const std::size_t after = pos_ + word.size();
    return after >= text_.size() || !is_word_char(text_[after]) || !is_word_char(word.back());
  }

  // "expected WHAT, found ...". Rules may span lines, so when blanks up to the next line were
  // skipped, the message points just after the last token of the rule (usually the rule that
  // lacks something) rather than at the next line.
  [[noreturn]] void expected(const std::string& what, std::size_t offset) const {
    if (line_ > last_end_.line) {
      fail(last_end_, "expected " + what + ", found " + (at_end() ? "end of file" : "end of line"));
    }
    fail(here(), "expected " + what + ", found " + found(offset));
  }
  [[noreturn]] void expected(const std::string& what) const { expected(what, pos_); }

  void expect(char c, const char* what) {
    if (peek() != c) expected(what);
    bump();
  }

  // --- statements ---------------------------------------------------------------------------
  void parse_rule(const Location& at) {
    RuleAst rule;
    rule.at = at;
    skip(true);
    rule.name_at = here();
    rule.name = std::string(read_while(is_name_char));
    if (rule.name.empty()) expected("a rule name after 'rule'");
    if (const auto it = reader_.names.find(rule.name); it != reader_.names.end()) {
      fail(rule.name_at, "duplicate rule name '" + rule.name + "' (first defined at " + it->second.to_string() + ")");
    }
    skip(true);
    expect(':', "':' after the rule name");
    for (;;) {
      rule.conditions.push_back(parse_condition());
      skip(true);
      if (next_is("and")) {
        for (int i = 0; i < 3; ++i) bump();
        continue;
      }
      if (next_is("=>")) {
        bump();
        bump();
        break;
      }
      expected("'and' or '=>' after a condition");
    }
    rule.action = parse_action();
    reader_.names.emplace(rule.name, rule.name_at);
    reader_.rules.push_back(std::move(rule));
  }

  CondAst parse_condition() {
    CondAst cond;
    skip(true);
    Location at = here();
    std::string_view word = read_while(is_word_char);
    while (word == "not") {
      cond.negate = !cond.negate;
      skip(true);
      at = here();
      word = read_while(is_word_char);
    }
    cond.at = at;
    if (word == "any") {
      cond.kind = CondKind::kAny;
    } else if (word == "method") {
      cond.kind = CondKind::kMethod;
      for (;;) {
        skip(true);
        const std::string_view m = read_while(is_token_char);
        if (m.empty()) expected("a method name");
        cond.methods.emplace_back(m);
        skip(true);
        if (peek() != ',') break;
        bump();
      }
    } else if (word == "ruri") {
      cond.kind = CondKind::kRuri;
      skip(true);
      expect('~', "'~' after 'ruri'");
      parse_regex(cond);
    } else if (word == "header") {
      cond.kind = CondKind::kHeader;
      skip(true);
      cond.header = std::string(read_while(is_header_char));
      if (cond.header.empty()) expected("a header name after 'header'");
      skip(true);
      expect('~', "'~' after the header name");
      parse_regex(cond);
    } else if (word == "src") {
      cond.kind = CondKind::kSrc;
      for (;;) {
        skip(true);
        const Location prefix_at = here();
        const std::string_view text = read_while(is_prefix_char);
        if (text.empty()) expected("an address prefix (e.g. 198.18.0.0/15)");
        const auto prefix = parse_prefix(text);
        if (!prefix) fail(prefix_at, prefix.error().message);
        cond.prefixes.push_back(*prefix);
        skip(true);
        if (peek() != ',') break;
        bump();
      }
    } else {
      if (word.empty()) expected("a condition (method, ruri, header, src, any or not)");
      fail(at, "expected a condition (method, ruri, header, src, any or not), found " + found(pos_ - word.size()));
    }
    return cond;
  }

  void parse_regex(CondAst& cond) {
    skip(true);
    cond.regex_at = here();
    if (peek() != '/') expected("'/' to start a regular expression");
    bump();
    std::string& pattern = cond.pattern;
    bool in_class = false;
    std::size_t class_start = 0;
    for (;;) {
      if (at_end() || peek() == '\n') fail(cond.regex_at, "unterminated regular expression (no closing '/')");
      const char c = peek();
      if (c == '\\') {
        pattern += c;
        bump();
        if (at_end() || peek() == '\n') fail(cond.regex_at, "unterminated regular expression (no closing '/')");
        pattern += peek();
        bump();
        continue;
      }
      if (in_class) {
        const bool literal_bracket = pattern.size() == class_start ||
                                     (pattern.size() == class_start + 1 && pattern[class_start] == '^');
        if (c == ']' && !literal_bracket) in_class = false;
      } else if (c == '[') {
        in_class = true;
        class_start = pattern.size() + 1;
      } else if (c == '/') {
        bump();
        break;
      }
      pattern += c;
      bump();
    }
    if (pattern.empty()) fail(cond.regex_at, "empty regular expression (use 'any' to match everything)");
    while (is_alpha(peek())) {
      const Location flag_at = here();
      const char f = peek();
      unsigned bit = 0;
      switch (f) {
        case 'i': bit = kFlagCaseless; break;
        case 's': bit = kFlagDotall; break;
        case 'm': bit = kFlagMultiline; break;
        default:
          fail(flag_at, std::string("unknown regular expression flag '") + f + "' (expected i, s or m)");
      }
      if (cond.flags & bit) fail(flag_at, std::string("regular expression flag '") + f + "' given twice");
      cond.flags |= bit;
      bump();
    }
  }

  ActionAst parse_action() {
    ActionAst action;
    skip(true);
    const Location at = here();
    const std::string_view word = read_while(is_word_char);
    if (word == "pool") {
      action.kind = ActionKind::kPool;
      skip(true);
      action.pool_at = here();
      action.pool = std::string(read_while(is_name_char));
      if (action.pool.empty()) expected("a pool name after 'pool'");
    } else if (word == "reply") {
      action.kind = ActionKind::kReply;
      skip(true);
      const Location code_at = here();
      const std::string_view digits = read_while(is_word_char);
      bool numeric = !digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit);
      if (digits.empty()) expected("a status code (200..699) after 'reply'");
      if (!numeric) {
        fail(code_at, "expected a status code (200..699) after 'reply', found " + found(pos_ - digits.size()));
      }
      if (digits.size() != 3 || digits[0] < '2' || digits[0] > '6') {
        fail(code_at, "reply status " + std::string(digits) + " is out of range (expected 200..699)");
      }
      action.status = static_cast<std::uint16_t>((digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0'));
      skip(true);
      if (peek() != '"') expected("a quoted reason phrase after the status code");
      action.reason = read_string();
    } else if (word == "drop") {
      action.kind = ActionKind::kDrop;
    } else {
      if (word.empty()) expected("an action (pool, reply or drop)");
      fail(at, "expected an action (pool, reply or drop), found " + found(pos_ - word.size()));
    }
    return action;
  }

  std::string read_string() {
    const Location start = here();
    bump();  // opening quote
    std::string s;
    for (;;) {
      if (at_end() || peek() == '\n') fail(start, "unterminated string (no closing '\"')");
      const char c = peek();
      if (c == '"') {
        bump();
        return s;
      }
      if (c == '\\') {
        bump();
        const char e = peek();
        if (e != '"' && e != '\\') fail(here(), "unknown escape in string (only \\\" and \\\\ are allowed)");
        s += e;
        bump();
        continue;
      }
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) fail(here(), "control character in string");
      s += c;
      bump();
    }
  }

  void parse_include(const Location&) {
    skip(false);
    const Location path_at = here();
    if (peek() != '"') expected("a quoted path after 'include'");
    const std::string path = read_string();
    if (path.empty()) fail(path_at, "empty include path");
    fs::path target{path};
    if (target.is_relative()) target = path_.parent_path() / target;
    for (const fs::path& f : reader_.expand(target.lexically_normal(), &path_at)) reader_.read_file(f, &path_at);
  }

  Reader& reader_;
  std::shared_ptr<const std::string> name_;
  fs::path path_;
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
  Location last_end_{name_, 1, 1};  // just after the last octet of the last token read
};

std::vector<fs::path> Reader::expand(const fs::path& target, const Location* from) {
  const auto error_at = [&](std::string message) -> Error {
    if (from != nullptr) return from->error(std::move(message));
    return Error{target.string(), 0, 0, std::move(message)};
  };
  const std::string name = target.filename().string();
  const fs::path dir = target.parent_path();
  std::error_code ec;
  if (has_wildcard(dir.string())) {
    throw ParseFailure{error_at("wildcards are only allowed in the last part of a path: '" + target.string() + "'")};
  }
  const auto list = [&](const fs::path& d, auto&& keep) {
    std::vector<fs::path> out;
    fs::directory_iterator it(d, ec);
    if (ec) throw ParseFailure{error_at("cannot read directory '" + d.string() + "': " + ec.message())};
    for (const auto& entry : it) {
      std::error_code ec2;
      if (entry.is_regular_file(ec2) && keep(entry.path().filename().string())) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  if (has_wildcard(name)) {
    return list(dir.empty() ? fs::path{"."} : dir, [&](const std::string& n) {
      return ::fnmatch(name.c_str(), n.c_str(), FNM_PERIOD) == 0;
    });
  }
  if (fs::is_directory(target, ec)) {
    return list(target, [](const std::string& n) {
      return n.size() > 6 && n.compare(n.size() - 6, 6, ".rules") == 0 && n[0] != '.';
    });
  }
  return {target};
}

void Reader::read_file(const fs::path& path, const Location* from) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  if (ec) canonical = path.lexically_normal();
  const std::string display = path.string();
  for (std::size_t i = 0; i < stack.size(); ++i) {
    if (stack[i].canonical != canonical) continue;
    std::string chain;
    for (std::size_t j = i; j < stack.size(); ++j) chain.append(stack[j].display).append(" -> ");
    chain.append(display);
    throw ParseFailure{from->error("include cycle: " + chain)};
  }
  if (stack.size() >= kMaxIncludeDepth) {
    throw ParseFailure{from->error("includes nested more than " + std::to_string(kMaxIncludeDepth) + " deep")};
  }
  std::string text;
  if (const int err = slurp(path, text); err != 0) {
    if (from != nullptr) {
      throw ParseFailure{from->error("cannot read included file '" + display + "': " + describe_errno(err))};
    }
    throw ParseFailure{Error{display, 0, 0, "cannot read rule file: " + describe_errno(err)}};
  }
  seen.insert(canonical);
  stack.push_back(FileEntry{canonical, display});
  FileParser(*this, std::make_shared<const std::string>(display), path, text).parse();
  stack.pop_back();
}

}  // namespace

Result<ParsedRules> parse_files(std::span<const fs::path> files) {
  ParsedRules result;
  Reader reader;
  try {
    for (const fs::path& f : files) {
      for (const fs::path& each : reader.expand(f.lexically_normal(), nullptr)) reader.read_file(each, nullptr);
    }
  } catch (const ParseFailure& failure) {
    return failure.error;
  }
  result.rules = std::move(reader.rules);
  result.files = reader.seen.size();
  return result;
}

}  // namespace sipshunt::rules::detail
