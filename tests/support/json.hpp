#pragma once
// A small JSON reader for the reference data in tests/data (numbers are parsed with
// std::from_chars, which round-trips the shortest-repr doubles exactly).

#include <Eigen/Core>

#include <charconv>
#include <cstdint>
#include <limits>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace theta::test {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json>;

  Json() = default;
  explicit Json(std::nullptr_t) {}
  explicit Json(bool b) : value_(b) {}
  explicit Json(double d) : value_(d) {}
  explicit Json(std::string s) : value_(std::move(s)) {}
  explicit Json(Array a) : value_(std::make_shared<Array>(std::move(a))) {}
  explicit Json(Object o) : value_(std::make_shared<Object>(std::move(o))) {}

  static Json parse(std::string_view text) {
    std::size_t pos = 0;
    Json j = parse_value(text, pos);
    skip_ws(text, pos);
    if (pos != text.size()) throw std::runtime_error("json: trailing characters");
    return j;
  }
  static Json load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("json: cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str());
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool contains(const std::string& key) const { return object().count(key) != 0; }
  const Json& operator[](const std::string& key) const {
    auto it = object().find(key);
    if (it == object().end()) throw std::runtime_error("json: no key '" + key + "'");
    return it->second;
  }
  const Json& operator[](std::size_t i) const { return array().at(i); }
  std::size_t size() const { return array().size(); }
  const Array& array() const { return *std::get<std::shared_ptr<Array>>(value_); }
  const Object& object() const { return *std::get<std::shared_ptr<Object>>(value_); }
  double number() const { return std::get<double>(value_); }
  long integer() const { return static_cast<long>(number()); }
  bool boolean() const { return std::get<bool>(value_); }
  const std::string& string() const { return std::get<std::string>(value_); }

  /// A flat list of numbers as a vector.
  template <class T = double>
  Eigen::Matrix<T, Eigen::Dynamic, 1> vector() const {
    Eigen::Matrix<T, Eigen::Dynamic, 1> v(static_cast<Eigen::Index>(size()));
    for (std::size_t i = 0; i < size(); ++i) v[static_cast<Eigen::Index>(i)] = static_cast<T>((*this)[i].number());
    return v;
  }
  /// A [R][C] list as an R x C matrix (JSON row r is matrix row r).
  template <class T = double>
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> matrix() const {
    const auto rows = static_cast<Eigen::Index>(size());
    const auto cols = rows == 0 ? 0 : static_cast<Eigen::Index>((*this)[0].size());
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m(rows, cols);
    for (Eigen::Index r = 0; r < rows; ++r)
      for (Eigen::Index c = 0; c < cols; ++c)
        m(r, c) = static_cast<T>((*this)[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)].number());
    return m;
  }
  /// A [B][K] batch as a K x B matrix: one column per sample (theta's layout).
  template <class T = double>
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> batch() const {
    return matrix<T>().transpose();
  }

 private:
  std::variant<std::monostate, bool, double, std::string, std::shared_ptr<Array>, std::shared_ptr<Object>> value_;

  static void skip_ws(std::string_view t, std::size_t& p) {
    while (p < t.size() && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t')) ++p;
  }
  static Json parse_value(std::string_view t, std::size_t& p) {
    skip_ws(t, p);
    if (p >= t.size()) throw std::runtime_error("json: unexpected end");
    const char c = t[p];
    if (c == '{') {
      ++p;
      Object o;
      skip_ws(t, p);
      if (t[p] == '}') { ++p; return Json(std::move(o)); }
      for (;;) {
        skip_ws(t, p);
        std::string key = parse_string(t, p);
        skip_ws(t, p);
        if (t[p++] != ':') throw std::runtime_error("json: expected ':'");
        o.emplace(std::move(key), parse_value(t, p));
        skip_ws(t, p);
        if (t[p] == ',') { ++p; continue; }
        if (t[p] == '}') { ++p; return Json(std::move(o)); }
        throw std::runtime_error("json: expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++p;
      Array a;
      skip_ws(t, p);
      if (t[p] == ']') { ++p; return Json(std::move(a)); }
      for (;;) {
        a.push_back(parse_value(t, p));
        skip_ws(t, p);
        if (t[p] == ',') { ++p; continue; }
        if (t[p] == ']') { ++p; return Json(std::move(a)); }
        throw std::runtime_error("json: expected ',' or ']'");
      }
    }
    if (c == '"') return Json(parse_string(t, p));
    if (t.substr(p, 4) == "true") { p += 4; return Json(true); }
    if (t.substr(p, 5) == "false") { p += 5; return Json(false); }
    if (t.substr(p, 4) == "null") { p += 4; return Json(nullptr); }
    if (t.substr(p, 3) == "NaN") { p += 3; return Json(std::numeric_limits<double>::quiet_NaN()); }
    double d = 0;
    auto [end, ec] = std::from_chars(t.data() + p, t.data() + t.size(), d);
    if (ec != std::errc()) throw std::runtime_error("json: bad number at " + std::to_string(p));
    p = static_cast<std::size_t>(end - t.data());
    return Json(d);
  }
  static std::string parse_string(std::string_view t, std::size_t& p) {
    if (t[p] != '"') throw std::runtime_error("json: expected string");
    ++p;
    std::string s;
    while (t[p] != '"') {
      if (t[p] == '\\') {
        ++p;
        const char e = t[p];
        s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        s += t[p];
      }
      ++p;
    }
    ++p;
    return s;
  }
};

}  // namespace theta::test
