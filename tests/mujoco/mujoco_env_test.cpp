// MujocoEnv, the generic adapter: the contract, Gymnasium's step mechanics, copies sharing a
// model, VectorEnv on threads, and the divergence MuJoCo would hide.
#include <theta/env/check.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/mujoco.hpp>

#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace tmj = theta::mujoco;
using theta::test::RailTask;
using RailEnv = tmj::MujocoEnv<RailTask>;

// A task missing its reward is not a task.
struct NoReward {
  theta::Index observation_size(const mjModel&) const { return 1; }
  void observe(const mjModel&, const mjData&, Eigen::Ref<Eigen::VectorXd>) const {}
  bool terminated(const mjModel&, const mjData&) const { return false; }
};

static_assert(tmj::Task<RailTask>);
static_assert(!tmj::Task<NoReward>);
static_assert(theta::ContinuousEnvironment<RailEnv>);
static_assert(theta::ContinuousEnvironment<tmj::HalfCheetah> && theta::ContinuousEnvironment<tmj::Hopper> &&
              theta::ContinuousEnvironment<tmj::Walker2d> && theta::ContinuousEnvironment<tmj::Ant> &&
              theta::ContinuousEnvironment<tmj::Humanoid>);

TEST_CASE("MujocoEnv states its spaces from the model and the task", "[unit][mujoco]") {
  RailEnv env(tmj::model_from_xml(theta::test::rail_xml()), RailTask{}, {.frame_skip = 3});
  CHECK(env.observation_space().size() == 2);
  CHECK(env.action_space() == theta::Box({-1.0}, {2.0}));
  CHECK(env.dt() == 0.01 * 3);
  CHECK(env.frame_skip() == 3);
}

TEST_CASE("MujocoEnv steps frame_skip physics steps and leaves ctrl unclipped", "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  RailEnv env(model, RailTask{}, {.frame_skip = 4});
  RailEnv reference(model, RailTask{}, {.frame_skip = 1});
  env.reset(5);
  reference.reset(5);
  REQUIRE(env.data().qpos[0] == reference.data().qpos[0]);
  const RailEnv::Action push = RailEnv::Action::Constant(1, 3.0f);  // above ctrlrange [-1, 2]
  const auto result = env.step(push);
  for (int k = 0; k < 4; ++k) reference.step(push);
  CHECK(result.observation[0] == reference.data().qpos[0]);
  CHECK(env.data().ctrl[0] == 3.0);   // MuJoCo clamps when computing the force, not in ctrl
  CHECK(env.data().time == 0.04);
  CHECK(result.reward == Approx(-result.observation[0] * result.observation[0] - 0.01 * 9.0).epsilon(1e-12));
  // The force was clamped to 2: x = x0 + 2 * t^2 / 2 up to the integrator's discretisation.
  CHECK(env.data().actuator_force[0] == 2.0);
}

TEST_CASE("MujocoEnv: same seed same trajectory, check_environment passes", "[unit][mujoco]") {
  RailEnv env(tmj::model_from_xml(theta::test::rail_xml()), RailTask{}, {.frame_skip = 2});
  const auto report = theta::check_environment(env, 3, 500);
  CHECK(report.steps == 500);
  CHECK(report.episodes >= 1);
}

TEST_CASE("MujocoEnv copies share the model and own their data", "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  RailEnv a(model, RailTask{});
  a.reset(1);
  a.step(RailEnv::Action::Constant(1, 1.0f));
  RailEnv b = a;
  CHECK(&b.model() == &a.model());
  CHECK(&b.data() != &a.data());
  CHECK(b.data().qpos[0] == a.data().qpos[0]);  // a copy continues from the same state
  const auto ra = a.step(RailEnv::Action::Constant(1, -1.0f));
  const auto rb = b.step(RailEnv::Action::Constant(1, -1.0f));
  CHECK(ra.observation == rb.observation);
  b.step(RailEnv::Action::Constant(1, 2.0f));
  CHECK(b.data().qpos[0] != a.data().qpos[0]);
  CHECK(model.use_count() == 3);
}

TEST_CASE("VectorEnv steps MujocoEnv copies on two threads with the sequential result", "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  const auto make = [&](std::size_t) { return RailEnv(model, RailTask{}, {.frame_skip = 2}); };
  theta::VectorEnv<RailEnv> sequential(6, 11, make, {.threads = 1});
  theta::VectorEnv<RailEnv> threaded(6, 11, make, {.threads = 2});
  sequential.reset();
  threaded.reset();
  Eigen::MatrixXf actions(1, 6);
  for (int t = 0; t < 300; ++t) {
    for (int i = 0; i < 6; ++i) actions(0, i) = static_cast<float>(((t * 7 + i * 3) % 5) - 2) * 0.9f;
    sequential.step(actions);
    threaded.step(actions);
    REQUIRE(sequential.observations() == threaded.observations());
    REQUIRE(sequential.rewards() == threaded.rewards());
  }
}

TEST_CASE("MujocoEnv rejects bad actions, a missing reset and unbounded actuators", "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  RailEnv env(model, RailTask{});
  CHECK_THROWS_WITH(env.step(RailEnv::Action::Zero(1)), Catch::Contains("before reset()"));
  env.reset(0);
  CHECK_THROWS_WITH(env.step(RailEnv::Action::Zero(2)), Catch::Contains("the action has 2 entries, the model has 1"));
  RailEnv::Action nan = RailEnv::Action::Constant(1, std::numeric_limits<float>::quiet_NaN());
  CHECK_THROWS_WITH(env.step(nan), Catch::Contains("action[0] must be finite"));
  CHECK_THROWS_AS(RailEnv(model, RailTask{}, {.frame_skip = 0}), theta::ConfigError);
  CHECK_THROWS_AS(RailEnv(nullptr, RailTask{}), theta::ConfigError);
  const auto unlimited = tmj::model_from_xml(R"(<mujoco><worldbody><body><joint name="j" type="hinge"/>
      <geom type="sphere" size="0.1"/></body></worldbody><actuator><motor name="free_motor" joint="j"/></actuator></mujoco>)");
  CHECK_THROWS_WITH(RailEnv(unlimited, RailTask{}), Catch::Contains("actuator 0 ('free_motor') is not ctrllimited"));
}

TEST_CASE("MujocoEnv raises DivergenceError where MuJoCo would silently reset", "[unit][mujoco]") {
  std::vector<std::string> warnings;
  const auto previous = tmj::set_warning_handler([&](std::string_view m) { warnings.emplace_back(m); });
  SECTION("MuJoCo's own check inside a substep (it resets the data and warns)") {
    // gear 1e13 on a 1 kg block: an acceleration of 1e13 > 1e10.
    RailEnv env(tmj::model_from_xml(theta::test::rail_xml(1e13)), RailTask{}, {.frame_skip = 2});
    env.reset(0);
    CHECK_THROWS_WITH(env.step(RailEnv::Action::Constant(1, 1.0f)), Catch::Contains("qacc at degree of freedom 0"));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("QACC") != std::string::npos);
    CHECK(env.data().qpos[0] == 0.0);  // what MuJoCo did: back to qpos0, silently
    CHECK_THROWS_WITH(env.step(RailEnv::Action::Zero(1)), Catch::Contains("after a divergence"));
    env.reset(0);
    CHECK_NOTHROW(env.step(RailEnv::Action::Zero(1)));
  }
  SECTION("the state left by the last substep, which MuJoCo checks only on the next step") {
    // Acceleration 2e9 (fine) from 9.995e9 m/s (fine) ends the 10 ms step above 1e10 m/s.
    RailEnv env(tmj::model_from_xml(theta::test::rail_xml(1e9)), RailTask{}, {.frame_skip = 1});
    env.reset(0);
    env.set_state(Eigen::VectorXd::Zero(1), Eigen::VectorXd::Constant(1, 9.995e9));
    CHECK_THROWS_WITH(env.step(RailEnv::Action::Constant(1, 2.0f)), Catch::Contains("qvel[0] = 10015000000 is NaN or larger than 1e10"));
    CHECK(warnings.empty());
  }
  SECTION("a state set from outside") {
    RailEnv env(tmj::model_from_xml(theta::test::rail_xml()), RailTask{});
    env.reset(0);
    env.set_state(Eigen::VectorXd::Zero(1), Eigen::VectorXd::Constant(1, 2e10));
    CHECK_THROWS_WITH(env.step(RailEnv::Action::Zero(1)), Catch::Contains("qvel at degree of freedom 0"));
  }
  tmj::set_warning_handler(previous);
}

TEST_CASE("reset_to_state reproduces a reset from a recorded state; set_state after mj_forward may not",
          "[unit][mujoco]") {
  // A box landing on a plane: the Newton solver's warm start matters once there are contacts.
  const auto model = tmj::model_from_xml(R"(<mujoco><option timestep="0.01"/><worldbody>
      <geom type="plane" size="5 5 .1"/><body pos="0 0 0.12"><joint name="x" type="slide" axis="1 0 0"/>
      <joint name="z" type="slide" axis="0 0 1"/><joint name="r" type="hinge" axis="0 1 0"/>
      <geom type="box" size=".1 .1 .1" mass="1"/></body></worldbody>
      <actuator><motor joint="x" ctrllimited="true" ctrlrange="-1 1"/></actuator></mujoco>)");
  struct Free {
    theta::Index observation_size(const mjModel& m) const { return m.nq + m.nv; }
    void observe(const mjModel& m, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const {
      for (int i = 0; i < m.nq; ++i) obs[i] = d.qpos[i];
      for (int i = 0; i < m.nv; ++i) obs[m.nq + i] = d.qvel[i];
    }
    double reward(const mjModel&, const mjData&, const tmj::Action&, double) { return 0; }
    bool terminated(const mjModel&, const mjData&) const { return false; }
  };
  tmj::MujocoEnv<Free> a(model, Free{}, {.frame_skip = 5});
  tmj::MujocoEnv<Free> b(model, Free{}, {.frame_skip = 5});
  const Eigen::Vector3d qpos(0.01, -0.005, 0.02), qvel(0.1, -0.2, 0.3);
  a.reset_to_state(qpos, qvel);
  b.reset(0);
  for (int t = 0; t < 5; ++t) b.step(tmj::Action::Constant(1, 0.7f));  // leaves a warm start behind
  const auto first_b = b.reset_to_state(qpos, qvel);
  CHECK(first_b == a.observation());
  for (int t = 0; t < 50; ++t) {
    const tmj::Action push = tmj::Action::Constant(1, static_cast<float>((t % 3) - 1));
    REQUIRE(a.step(push).observation == b.step(push).observation);
  }
}
