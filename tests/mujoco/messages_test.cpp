// MuJoCo's messages: errors become exceptions (through MuJoCo's own frames), warnings go to the
// handler, and nothing is printed to stdout or written to MUJOCO_LOG.TXT.
#include <theta/mujoco.hpp>

#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace tmj = theta::mujoco;

TEST_CASE("a MuJoCo error inside mj_step raises MujocoError and writes no log", "[unit][mujoco]") {
  const auto log = std::filesystem::current_path() / "MUJOCO_LOG.TXT";
  std::filesystem::remove(log);
  // nstack = 100 is enough for the compiler's forward pass with the box in the air, not for
  // the contacts once it lands: mj_stackAlloc calls mju_error deep inside mj_step.
  const auto model = tmj::model_from_xml(R"(<mujoco><size nstack="100"/><option timestep="0.01"/><worldbody>
      <geom type="plane" size="5 5 .1"/><body pos="0 0 0.5"><freejoint/>
      <geom type="box" size=".1 .1 .1" mass="1"/></body></worldbody></mujoco>)");
  mjData* data = mj_makeData(model.get());
  REQUIRE(data != nullptr);
  bool thrown = false;
  try {
    for (int i = 0; i < 100; ++i) mj_step(model.get(), data);
  } catch (const tmj::MujocoError& e) {
    thrown = true;
    CHECK(std::string(e.what()).find("Stack overflow") != std::string::npos);
  }
  mj_deleteData(data);
  CHECK(thrown);
  CHECK_FALSE(std::filesystem::exists(log));
}

TEST_CASE("MuJoCo's warnings go to the handler, and the handler can be restored", "[unit][mujoco]") {
  std::vector<std::string> seen;
  const auto previous = tmj::set_warning_handler([&](std::string_view m) { seen.emplace_back(m); });
  mju_warning("a test warning");
  CHECK(seen == std::vector<std::string>{"a test warning"});
  CHECK(tmj::set_warning_handler(previous) != nullptr);
  CHECK(mju_user_warning != nullptr);
  CHECK(mju_user_error != nullptr);
}
