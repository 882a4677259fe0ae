// Control plane. The one error shape of every fallible control-plane call (config and rule
// loading, reload, port and runtime bring-up, the admin API): an Error with a position when the
// fault is in a file, and Result<T>, which holds either the value or that Error.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace sipshunt {

struct Error {
  std::string file;        // empty when the fault is not in a file
  std::uint32_t line = 0;  // 1-based; 0 when unknown
  std::uint32_t column = 0;
  std::string message;

  // A fault with no position (a device, a socket, an option).
  [[nodiscard]] static Error plain(std::string message) { return Error{{}, 0, 0, std::move(message)}; }
  // "file:line:col: message", "file: message" without a line, "message" without a file.
  [[nodiscard]] std::string to_string() const;
};

// Either a T or an error (an Error, or a type derived from it that adds a classification, such
// as a reload's). Test it with `if (r)`, then `*r` / `r->`; `r.error()` otherwise.
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const E& error() const& { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// A call that returns nothing but may fail.
template <>
class [[nodiscard]] Result<void, Error> {
 public:
  Result() = default;  // success
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit on purpose
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  [[nodiscard]] const Error& error() const& { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace sipshunt
