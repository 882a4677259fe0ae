// The JSON writer: structure, commas, escaping, numbers.
#include <gtest/gtest.h>

#include <cmath>

#include "json_parser.hpp"
#include "sipshunt/control/json.hpp"

namespace sipshunt::control {
namespace {

TEST(JsonWriter, NestedStructuresGetTheirCommas) {
  JsonWriter j;
  j.begin_object();
  j.key("a").value(std::uint64_t{1});
  j.key("b").begin_array().value(true).value(false).null().begin_object().end_object().begin_array().end_array().end_array();
  j.key("c").begin_object().key("d").value("e").key("f").value(-2.5).end_object();
  j.key("g").value(std::int64_t{-7});
  j.end_object();
  EXPECT_EQ(j.text(), R"({"a":1,"b":[true,false,null,{},[]],"c":{"d":"e","f":-2.5},"g":-7})");
  auto v = test::JsonParser::parse(j.text());
  EXPECT_EQ(v["c"]["d"].s, "e");
}

TEST(JsonWriter, StringsAreEscapedAndStayValidUtf8) {
  std::string out;
  append_json_string(out, std::string("q\"b\\n\nr\rt\tc\x01\x1f\x7f", 14));
  EXPECT_EQ(out, R"("q\"b\\n\nr\rt\tc\u0001\u001f\u007f")");
  out.clear();
  append_json_string(out, "caf\xc3\xa9 \xff \xe2\x82");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\"");
  const std::string round = "file \"x\\y\".rules:3:4: bad\nthing";
  out.clear();
  append_json_string(out, round);
  EXPECT_EQ(test::JsonParser::parse(out).s, round);
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
  JsonWriter j;
  j.begin_array().value(std::nan("")).value(HUGE_VAL).value(0.1).end_array();
  EXPECT_EQ(j.text(), "[null,null,0.1]");
}

}  // namespace
}  // namespace sipshunt::control
