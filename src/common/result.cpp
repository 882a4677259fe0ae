#include "sipshunt/common/result.hpp"

namespace sipshunt {

std::string Error::to_string() const {
  if (file.empty()) return message;
  std::string out = file;
  if (line != 0) out.append(":").append(std::to_string(line)).append(":").append(std::to_string(column));
  out.append(": ").append(message);
  return out;
}

}  // namespace sipshunt
