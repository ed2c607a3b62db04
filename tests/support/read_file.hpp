#pragma once
// A whole file as a string, for tests that compare what a program wrote.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace theta::test {

/// The file's bytes; throws when it cannot be opened (a missing file is not an empty one).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace theta::test
