// SavableEnvironment for MuJoCo without model files: MujocoEnv over the rail model (with and
// without a task hook) continues bit for bit after save and load into a freshly made
// environment, holds the same mjData right after the load, and refuses what it cannot load
// without changing. The locomotion environments: savable_locomotion_test.cpp.
#include <theta/core/rng.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/mujoco.hpp>

#include "savable_checks.hpp"
#include "support/env_checkpoint.hpp"
#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace tmj = theta::mujoco;
using theta::test::check_resume;
using theta::test::check_truncation;
using theta::test::load_env;
using theta::test::RailTask;
using theta::test::run;
using theta::test::save_env;

namespace {

// The rail task plus a reward accumulator that the reward depends on: only its save/load hook
// carries it across a checkpoint.
struct AccumulatingRailTask : RailTask {
  static constexpr std::string_view id = "AccumulatingRail";
  double total = 0;
  double reward(const mjModel& m, const mjData& d, const tmj::Action& a, double dt) {
    const double r = RailTask::reward(m, d, a, dt) - 1e-3 * total;
    total += r;
    return r;
  }
  void save(theta::io::CheckpointSectionWriter& out) const { out.f64(total); }
  void load(theta::io::CheckpointSectionReader& in) {
    const double saved = in.f64();
    theta::require<theta::CheckpointError>(std::isfinite(saved), "AccumulatingRail: total is not finite");
    total = saved;
  }
};

using RailEnv = tmj::MujocoEnv<RailTask>;
using AccumulatingRailEnv = tmj::MujocoEnv<AccumulatingRailTask>;

static_assert(theta::SavableEnvironment<RailEnv>);
static_assert(theta::SavableEnvironment<AccumulatingRailEnv>);
static_assert(theta::SavableEnvironment<theta::TimeLimit<RailEnv>>);

}  // namespace

TEST_CASE("MujocoEnv continues its episode exactly after save and load, task state included", "[unit][mujoco]") {
  const std::function<RailEnv()> rail = [] {
    return RailEnv(tmj::model_from_xml(theta::test::rail_xml()), RailTask{}, {.frame_skip = 3});
  };
  check_resume<RailEnv>(rail, 500, 0);
  check_resume<RailEnv>(rail, 500, 37);
  check_resume<RailEnv>(rail, 20, 45);
  const std::function<AccumulatingRailEnv()> accumulating = [] {
    return AccumulatingRailEnv(tmj::model_from_xml(theta::test::rail_xml()), AccumulatingRailTask{},
                               {.frame_skip = 2});
  };
  check_resume<AccumulatingRailEnv>(accumulating, 500, 37);
}

TEST_CASE("MujocoEnv: an environment saved before its first reset loads and still needs a reset", "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  const RailEnv fresh(model, RailTask{}, {.frame_skip = 2});
  RailEnv target(model, RailTask{}, {.frame_skip = 2});
  target.reset(1);
  load_env(target, save_env(fresh));
  REQUIRE(save_env(target) == save_env(fresh));
  REQUIRE_THROWS_WITH(target.step(tmj::Action::Zero(1)), Catch::Contains("before reset()"));
}

TEST_CASE("MujocoEnv refuses another task's, frame skip's or model's state and stays unchanged", "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  RailEnv source(model, RailTask{}, {.frame_skip = 2});
  source.reset(4);
  source.step(tmj::Action::Constant(1, 0.5f));
  const auto bytes = save_env(source);

  const auto refuses = [&](auto& target, const std::vector<std::uint8_t>& what, const std::string& message) {
    target.reset(8);
    const auto before = save_env(target);
    REQUIRE_THROWS_WITH(load_env(target, what), Catch::Contains(message));
    REQUIRE(save_env(target) == before);
  };
  AccumulatingRailEnv accumulating(model, AccumulatingRailTask{}, {.frame_skip = 2});
  refuses(accumulating, bytes, "the state of Rail, this environment is AccumulatingRail");
  RailEnv other_skip(model, RailTask{}, {.frame_skip = 3});
  refuses(other_skip, bytes, "Rail was saved with frame_skip = 2, this one has 3");
  RailEnv other_model(tmj::model_from_xml(theta::test::rail_xml(1.0, R"(<size nuserdata="2"/>)")), RailTask{},
                      {.frame_skip = 2});
  refuses(other_model, bytes, "Rail was saved with nuserdata = 0, this one has 2");
  mjModel* slower = mj_copyModel(nullptr, model.get());
  slower->opt.timestep = 0.02;
  RailEnv other_timestep(tmj::detail::adopt(slower), RailTask{}, {.frame_skip = 2});
  refuses(other_timestep, bytes, "Rail was saved with timestep = 0.01, this one has 0.02");

  // Non-finite numbers, written through data() (MuJoCo's own API), are named on load.
  RailEnv broken(model, RailTask{}, {.frame_skip = 2});
  broken.reset(5);
  broken.data().qvel[0] = std::numeric_limits<double>::quiet_NaN();
  RailEnv target(model, RailTask{}, {.frame_skip = 2});
  refuses(target, save_env(broken), "Rail qvel[0] is not finite");
  broken.data().qvel[0] = 0;
  broken.data().xfrc_applied[7] = std::numeric_limits<double>::infinity();
  refuses(target, save_env(broken), "Rail xfrc_applied[7] is not finite");

  // An evaluation code that save never writes: the byte before the evaluated state (time,
  // qpos, qvel, act, qacc_warmstart: 4 doubles for the rail; RailTask saves nothing after).
  theta::io::CheckpointWriter writer("env-test", "float64", "none");
  auto& section = writer.section("env");
  source.save(section);
  auto patched = section.payload();
  const std::size_t at = patched.size() - 4 * 8 - 1;
  REQUIRE(patched[at] == 2);  // mj_step computed the derived quantities
  patched[at] = 3;
  theta::io::CheckpointSectionReader reader("test", "env", patched);
  target.reset(8);
  const auto before = save_env(target);
  REQUIRE_THROWS_WITH(target.load(reader), Catch::Contains("Rail evaluation is 3, expected 0 (none)"));
  REQUIRE(save_env(target) == before);
}

TEST_CASE("MujocoEnv: a truncated section raises CheckpointError at every length and changes nothing",
          "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  const std::function<AccumulatingRailEnv()> make = [&] {
    return AccumulatingRailEnv(model, AccumulatingRailTask{}, {.frame_skip = 2});
  };
  AccumulatingRailEnv source = make();
  source.reset(5);
  theta::Rng rng(1);
  run(source, rng, 4);
  check_truncation(source, make);
}

