// SavableEnvironment for the five locomotion environments (inside TimeLimit): bit-for-bit
// continuation after save and load into an environment built anew from the model file, after a
// reset, mid-episode, across truncations and with each constraint solver; refusals and
// truncation. Needs Gymnasium's model files (THETA_MUJOCO_ASSETS); without them it prints
// THETA_TEST_SKIPPED and CTest reports "Skipped" (the rail checks in savable_test.cpp run
// everywhere).
#include <theta/core/rng.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/mujoco.hpp>

#include "assets.hpp"
#include "savable_checks.hpp"
#include "support/env_checkpoint.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace tmj = theta::mujoco;
using theta::test::check_resume;
using theta::test::check_truncation;
using theta::test::load_env;
using theta::test::run;
using theta::test::save_env;

namespace {

static_assert(theta::SavableEnvironment<tmj::HalfCheetah>);
static_assert(theta::SavableEnvironment<tmj::Hopper>);
static_assert(theta::SavableEnvironment<tmj::Walker2d>);
static_assert(theta::SavableEnvironment<tmj::Ant>);
static_assert(theta::SavableEnvironment<tmj::Humanoid>);
static_assert(theta::SavableEnvironment<theta::TimeLimit<tmj::HalfCheetah>>);
static_assert(theta::SavableEnvironment<theta::TimeLimit<tmj::Humanoid>>);

std::optional<std::filesystem::path> savable_assets() {
  return theta::test::gymnasium_assets("the locomotion checkpoint tests");
}

template <class Env>
void check_locomotion(const std::filesystem::path& dir) {
  INFO(Env::id);
  const std::function<Env()> make = [&] { return Env(dir); };  // a new model each time
  check_resume<Env>(make, Env::max_episode_steps, 0);
  check_resume<Env>(make, Env::max_episode_steps, 37);
  check_resume<Env>(make, 25, 61);  // across time-limit truncations
}

// Cuts the section that `source` saved at every length; each cut raises CheckpointError and

}  // namespace

TEST_CASE("Locomotion environments continue exactly after save and load into a new environment", "[unit][mujoco]") {
  const auto dir = savable_assets();
  if (!dir) return;
  check_locomotion<tmj::HalfCheetah>(*dir);
  check_locomotion<tmj::Hopper>(*dir);
  check_locomotion<tmj::Walker2d>(*dir);
  check_locomotion<tmj::Ant>(*dir);
  check_locomotion<tmj::Humanoid>(*dir);
}

TEST_CASE("Locomotion environments refuse other environments and options, and truncation", "[unit][mujoco]") {
  const auto dir = savable_assets();
  if (!dir) return;
  tmj::Hopper hopper(*dir);
  hopper.reset(2);
  hopper.step(tmj::Action::Constant(3, 0.3f));
  const auto bytes = save_env(hopper);
  const auto refuses = [&](auto target, const std::string& message) {
    target.reset(8);
    const auto before = save_env(target);
    REQUIRE_THROWS_WITH(load_env(target, bytes), Catch::Contains(message));
    REQUIRE(save_env(target) == before);
  };
  refuses(tmj::Walker2d(*dir), "the state of Hopper-v5, this environment is Walker2d-v5");
  refuses(tmj::Hopper(*dir, {.frame_skip = 2}), "Hopper-v5 was saved with frame_skip = 4, this one has 2");
  refuses(tmj::Hopper(*dir, {.healthy_z_min = 0.5}), "Hopper-v5 was saved with healthy_z_min = 0.7, this one has 0.5");
  refuses(tmj::Hopper(*dir, {.terminate_when_unhealthy = false}),
          "Hopper-v5 was saved with terminate_when_unhealthy = 1, this one has 0");
  // Hopper's task on Walker2d's model: same task id, another model.
  refuses(tmj::Hopper(*dir / tmj::Walker2d::model_file), "Hopper-v5 was saved with nq = 6, this one has 9");

  // Ant: two positions before the step and eight info terms in the task's part.
  const auto model = tmj::load_model(*dir / tmj::Ant::model_file);
  const std::function<tmj::Ant()> make = [&] { return tmj::Ant(model); };
  tmj::Ant ant(model);
  ant.reset(3);
  theta::Rng rng(2);
  run(ant, rng, 5);
  check_truncation(ant, make);
}

TEST_CASE("Continuation is exact with each constraint solver (PGS, CG, Newton)", "[unit][mujoco]") {
  const auto dir = savable_assets();
  if (!dir) return;
  const auto base = tmj::load_model(*dir / tmj::Ant::model_file);
  for (const int solver : {mjSOL_PGS, mjSOL_CG, mjSOL_NEWTON}) {
    INFO("opt.solver " << solver);
    mjModel* copy = mj_copyModel(nullptr, base.get());
    copy->opt.solver = solver;
    const tmj::ModelPtr model = tmj::detail::adopt(copy);
    const std::function<tmj::Ant()> make = [&] { return tmj::Ant(model); };
    check_resume<tmj::Ant>(make, tmj::Ant::max_episode_steps, 0);
    check_resume<tmj::Ant>(make, tmj::Ant::max_episode_steps, 37);
  }
}

