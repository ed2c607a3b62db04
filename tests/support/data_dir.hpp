#pragma once
// Where the reference data of a test lives: the directory named by an environment variable
// when it is set (CI points it at ../shared/reference/...), the copy in tests/data otherwise.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace theta::test {

inline std::filesystem::path data_dir(const char* env_var, const char* subdir) {
  if (const char* dir = std::getenv(env_var); dir != nullptr && *dir != '\0') return dir;
  return std::filesystem::path(THETA_TEST_DATA_DIR) / subdir;
}

}  // namespace theta::test
