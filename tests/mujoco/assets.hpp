#pragma once
// Gymnasium's MuJoCo model files for the tests that need them: the folder THETA_MUJOCO_ASSETS
// names, or nullopt after a THETA_TEST_SKIPPED warning (CTest then reports "Skipped").

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>

namespace theta::test {

// `purpose` ends the skip message: "... to run <purpose>".
inline std::optional<std::filesystem::path> gymnasium_assets(const char* purpose) {
  const char* dir = std::getenv("THETA_MUJOCO_ASSETS");
  if (dir == nullptr || !std::filesystem::is_directory(dir)) {
    WARN("THETA_TEST_SKIPPED: set THETA_MUJOCO_ASSETS to Gymnasium's MuJoCo assets folder "
         "(../shared/reference/mujoco-assets) to run "
         << purpose);
    return std::nullopt;
  }
  return std::filesystem::path(dir);
}

}  // namespace theta::test
