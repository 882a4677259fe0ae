// A small strict JSON parser (RFC 8259) for reading the admin API's answers in tests.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sipshunt::control::test {

struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject } type = Type::kNull;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Json> a;
  std::map<std::string, Json> o;

  const Json& operator[](const std::string& key) const {
    if (type != Type::kObject) throw std::runtime_error("not an object");
    auto it = o.find(key);
    if (it == o.end()) throw std::runtime_error("no key " + key);
    return it->second;
  }
  const Json& operator[](std::size_t i) const {
    if (type != Type::kArray || i >= a.size()) throw std::runtime_error("bad index");
    return a[i];
  }
  bool has(const std::string& key) const { return type == Type::kObject && o.count(key) != 0; }
  bool is_null() const { return type == Type::kNull; }
};

class JsonParser {
 public:
  static Json parse(std::string_view text) {
    JsonParser p(text);
    p.ws();
    Json v = p.value();
    p.ws();
    if (p.i_ != p.t_.size()) throw std::runtime_error("trailing characters");
    return v;
  }

 private:
  explicit JsonParser(std::string_view t) : t_(t) {}
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }
  char peek() const {
    if (i_ >= t_.size()) throw std::runtime_error("unexpected end");
    return t_[i_];
  }
  void expect(std::string_view w) {
    if (t_.substr(i_, w.size()) != w) throw std::runtime_error("expected " + std::string(w));
    i_ += w.size();
  }
  Json value() {
    Json v;
    const char c = peek();
    if (c == '{') {
      v.type = Json::Type::kObject;
      ++i_;
      ws();
      if (peek() == '}') {
        ++i_;
        return v;
      }
      for (;;) {
        ws();
        if (peek() != '"') throw std::runtime_error("expected key");
        std::string k = string();
        ws();
        expect(":");
        ws();
        if (v.o.count(k)) throw std::runtime_error("duplicate key " + k);
        v.o.emplace(std::move(k), value());
        ws();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect("}");
        return v;
      }
    }
    if (c == '[') {
      v.type = Json::Type::kArray;
      ++i_;
      ws();
      if (peek() == ']') {
        ++i_;
        return v;
      }
      for (;;) {
        ws();
        v.a.push_back(value());
        ws();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect("]");
        return v;
      }
    }
    if (c == '"') {
      v.type = Json::Type::kString;
      v.s = string();
      return v;
    }
    if (c == 't') {
      expect("true");
      v.type = Json::Type::kBool;
      v.b = true;
      return v;
    }
    if (c == 'f') {
      expect("false");
      v.type = Json::Type::kBool;
      return v;
    }
    if (c == 'n') {
      expect("null");
      return v;
    }
    const std::size_t start = i_;
    if (peek() == '-') ++i_;
    if (i_ >= t_.size() || t_[i_] < '0' || t_[i_] > '9') throw std::runtime_error("bad number");
    if (t_[i_] == '0' && i_ + 1 < t_.size() && t_[i_ + 1] >= '0' && t_[i_ + 1] <= '9')
      throw std::runtime_error("leading zero");
    while (i_ < t_.size() && std::string_view("0123456789.eE+-").find(t_[i_]) != std::string_view::npos) ++i_;
    const std::string num(t_.substr(start, i_ - start));
    char* end = nullptr;
    v.type = Json::Type::kNumber;
    v.n = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) throw std::runtime_error("bad number " + num);
    return v;
  }
  std::string string() {
    expect("\"");
    std::string out;
    for (;;) {
      const auto c = static_cast<unsigned char>(peek());
      ++i_;
      if (c == '"') return out;
      if (c < 0x20) throw std::runtime_error("raw control character in string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      const char e = peek();
      ++i_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const std::string hex(t_.substr(i_, 4));
          if (hex.size() != 4 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            throw std::runtime_error("bad \\u escape");
          i_ += 4;
          const unsigned long cp = std::strtoul(hex.c_str(), nullptr, 16);
          if (cp >= 0x80) throw std::runtime_error("test parser: only ASCII \\u escapes");
          out += static_cast<char>(cp);
          break;
        }
        default: throw std::runtime_error("bad escape");
      }
    }
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

}  // namespace sipshunt::control::test
