// The five v5 locomotion environments beyond the replays: spaces, options, the time limit,
// the contract checks and the model-path rules. Needs Gymnasium's model files
// (THETA_MUJOCO_ASSETS); without them the test prints THETA_TEST_SKIPPED and CTest reports
// it as "Skipped".
#include <theta/env/check.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/mujoco.hpp>

#include "assets.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>

namespace tmj = theta::mujoco;

namespace {

std::optional<std::filesystem::path> assets() { return theta::test::gymnasium_assets("the locomotion tests"); }

template <class Env>
void check_spaces(const std::filesystem::path& dir, theta::Index obs_size, theta::Index act_size, double bound) {
  INFO(Env::id);
  Env env(dir);
  CHECK(env.observation_space().size() == obs_size);
  CHECK(env.action_space().size() == act_size);
  CHECK(env.action_space().low == Eigen::VectorXd::Constant(act_size, static_cast<double>(static_cast<float>(-bound))));
  CHECK(env.action_space().high == Eigen::VectorXd::Constant(act_size, static_cast<double>(static_cast<float>(bound))));
  CHECK(env.reset(0).size() == obs_size);
  CHECK(Env::max_episode_steps == 1000);
  theta::TimeLimit<Env> limited(env);
  const auto report = theta::check_environment(limited, 7, 300);
  CHECK(report.steps == 300);
}

}  // namespace

TEST_CASE("locomotion environments: Gymnasium's spaces, limits and the contract", "[unit][mujoco]") {
  const auto dir = assets();
  if (!dir) return;
  check_spaces<tmj::HalfCheetah>(*dir, 17, 6, 1.0);
  check_spaces<tmj::Hopper>(*dir, 11, 3, 1.0);
  check_spaces<tmj::Walker2d>(*dir, 17, 6, 1.0);
  check_spaces<tmj::Ant>(*dir, 105, 8, 1.0);
  check_spaces<tmj::Humanoid>(*dir, 348, 17, 0.4);
}

TEST_CASE("locomotion environments: options change the observation as in Gymnasium", "[unit][mujoco]") {
  const auto dir = assets();
  if (!dir) return;
  CHECK(tmj::HalfCheetah(*dir, {.exclude_current_positions_from_observation = false}).observation_space().size() == 18);
  CHECK(tmj::Ant(*dir, {.include_cfrc_ext_in_observation = false}).observation_space().size() == 27);
  CHECK(tmj::Humanoid(*dir, {.include_cinert_in_observation = false, .include_cvel_in_observation = false,
                            .include_qfrc_actuator_in_observation = false, .include_cfrc_ext_in_observation = false})
            .observation_space()
            .size() == 45);
  tmj::Hopper hopper(*dir, {.frame_skip = 2});
  CHECK(hopper.dt() == 0.002 * 2);
}

TEST_CASE("locomotion environments: HalfCheetah runs to the 1000-step limit, Hopper falls", "[unit][mujoco]") {
  const auto dir = assets();
  if (!dir) return;
  theta::TimeLimit<tmj::HalfCheetah> cheetah{tmj::HalfCheetah(*dir)};
  cheetah.reset(1);
  theta::StepResult<tmj::Observation> last;
  int steps = 0;
  do {
    last = cheetah.step(tmj::Action::Constant(6, 0.5f));
    ++steps;
  } while (!last.terminated && !last.truncated);
  CHECK(steps == 1000);
  CHECK_FALSE(last.terminated);
  // Hopper pushed hard at every joint leaves its healthy range long before the limit; once
  // unhealthy it gets no survive bonus on the terminal step (the v5 fix).
  theta::TimeLimit<tmj::Hopper> hopper{tmj::Hopper(*dir)};
  hopper.reset(1);
  steps = 0;
  do {
    last = hopper.step(tmj::Action::Constant(3, 1.0f));
    ++steps;
  } while (!last.terminated && !last.truncated);
  CHECK(last.terminated);
  CHECK(steps < 1000);
  CHECK(hopper.env().info().reward_survive == 0.0);
}

TEST_CASE("locomotion environments: model paths, a shared model and threads", "[unit][mujoco]") {
  const auto dir = assets();
  if (!dir) return;
  // A folder (Gymnasium's assets) or the model file itself (Gymnasium's xml_file).
  tmj::Walker2d from_folder(*dir);
  tmj::Walker2d from_file(*dir / "walker2d_v5.xml");
  CHECK(from_folder.reset(3) == from_file.reset(3));
  CHECK_THROWS_AS(tmj::Ant(*dir / "missing.xml"), theta::ConfigError);

  const auto model = tmj::load_model(*dir / tmj::Ant::model_file);
  const auto make = [&](std::size_t) { return theta::TimeLimit<tmj::Ant>(tmj::Ant(model)); };
  theta::VectorEnv<theta::TimeLimit<tmj::Ant>> one(4, 5, make, {.threads = 1});
  theta::VectorEnv<theta::TimeLimit<tmj::Ant>> two(4, 5, make, {.threads = 2});
  one.reset();
  two.reset();
  Eigen::MatrixXf actions(8, 4);
  for (int t = 0; t < 100; ++t) {
    for (int i = 0; i < actions.size(); ++i) actions.data()[i] = static_cast<float>(((t * 5 + i * 3) % 7) - 3) / 3.0f;
    one.step(actions);
    two.step(actions);
    REQUIRE(one.observations() == two.observations());
    REQUIRE(one.rewards() == two.rewards());
  }
  CHECK(model.use_count() == 1 + 8);
}
