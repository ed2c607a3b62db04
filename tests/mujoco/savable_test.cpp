// SavableEnvironment for MuJoCo: MujocoEnv and the five locomotion environments (inside
// TimeLimit) continue bit for bit after save and load into a freshly constructed environment,
// hold the same mjData (derived quantities included) right after the load, and refuse what
// they cannot load without changing. The locomotion part needs Gymnasium's model files
// (THETA_MUJOCO_ASSETS); without them it prints THETA_TEST_SKIPPED and CTest reports "Skipped".
#include <theta/core/rng.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/mujoco.hpp>

#include "support/env_checkpoint.hpp"
#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <vector>

namespace tmj = theta::mujoco;
using theta::test::RailTask;

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
static_assert(theta::SavableEnvironment<tmj::HalfCheetah>);
static_assert(theta::SavableEnvironment<tmj::Hopper>);
static_assert(theta::SavableEnvironment<tmj::Walker2d>);
static_assert(theta::SavableEnvironment<tmj::Ant>);
static_assert(theta::SavableEnvironment<tmj::Humanoid>);
static_assert(theta::SavableEnvironment<theta::TimeLimit<tmj::HalfCheetah>>);
static_assert(theta::SavableEnvironment<theta::TimeLimit<tmj::Humanoid>>);
static_assert(theta::SavableEnvironment<theta::TimeLimit<RailEnv>>);

std::optional<std::filesystem::path> assets() {
  const char* dir = std::getenv("THETA_MUJOCO_ASSETS");
  if (dir == nullptr || !std::filesystem::is_directory(dir)) {
    WARN("THETA_TEST_SKIPPED: set THETA_MUJOCO_ASSETS to Gymnasium's MuJoCo assets folder "
         "(../shared/reference/mujoco-assets) to run the locomotion checkpoint tests");
    return std::nullopt;
  }
  return std::filesystem::path(dir);
}

struct Step {
  Eigen::VectorXd obs;
  double reward;
  bool terminated, truncated;
  bool operator==(const Step&) const = default;  // bit for bit (no NaN in a running episode)
};

// Steps `n` times with uniform actions from `rng` (0.1 of them outside the bounds, which
// MuJoCo clamps), resetting finished episodes with seeds from `rng`.
template <class Env>
std::vector<Step> run(Env& env, theta::Rng& rng, int n) {
  const theta::Box space = env.action_space();
  std::vector<Step> steps;
  for (int i = 0; i < n; ++i) {
    const tmj::Action action = (space.sample<float>(rng).array() * 1.1f).matrix();
    auto r = env.step(action);
    steps.push_back({r.observation, r.reward, r.terminated, r.truncated});
    if (r.terminated || r.truncated) env.reset(rng.next());
  }
  return steps;
}

using theta::test::load_env;
using theta::test::save_env;

std::vector<double> values(const mjtNum* x, int n) { return std::vector<double>(x, x + n); }

// The parts of mjData that the last evaluation computed and tasks read (positions, the mass
// centres' inputs, velocities, forces, the solver's result, sensors), bit for bit.
void require_same_derived(const mjModel& m, const mjData& a, const mjData& b) {
  REQUIRE(a.nefc == b.nefc);
  REQUIRE(a.ncon == b.ncon);
  REQUIRE(values(a.xpos, 3 * m.nbody) == values(b.xpos, 3 * m.nbody));
  REQUIRE(values(a.xipos, 3 * m.nbody) == values(b.xipos, 3 * m.nbody));
  REQUIRE(values(a.cinert, 10 * m.nbody) == values(b.cinert, 10 * m.nbody));
  REQUIRE(values(a.cvel, 6 * m.nbody) == values(b.cvel, 6 * m.nbody));
  REQUIRE(values(a.cfrc_ext, 6 * m.nbody) == values(b.cfrc_ext, 6 * m.nbody));
  REQUIRE(values(a.qfrc_actuator, m.nv) == values(b.qfrc_actuator, m.nv));
  REQUIRE(values(a.qacc, m.nv) == values(b.qacc, m.nv));
  REQUIRE(values(a.efc_force, a.nefc) == values(b.efc_force, b.nefc));
  REQUIRE(values(a.sensordata, m.nsensordata) == values(b.sensordata, m.nsensordata));
}

// Runs `a` for `before` steps from a reset, saves, loads into `b` (freshly made by `make`, in
// another episode), and requires the next 300 steps, mjData and the bytes of a later save to
// match. `before` = 0 saves right after a reset (the derived quantities then come from
// mj_forward, not from a step).
template <class Env>
void check_resume(const std::function<Env()>& make, std::int64_t limit, int before) {
  INFO("limit " << limit << ", saved after " << before << " steps");
  theta::TimeLimit<Env> a(make(), limit);
  theta::Rng rng(7);
  a.reset(11);
  run(a, rng, before);
  const auto bytes = save_env(a);
  theta::Rng rng_b = rng;

  theta::TimeLimit<Env> b(make(), limit);
  b.reset(999);  // another episode, overwritten by the load
  run(b, rng_b, 3);
  rng_b = rng;
  load_env(b, bytes);
  REQUIRE(b.elapsed_steps() == a.elapsed_steps());
  REQUIRE(b.env().steps() == a.env().steps());
  REQUIRE(b.env().observation() == a.env().observation());
  require_same_derived(a.env().model(), a.env().data(), b.env().data());
  REQUIRE(save_env(b) == bytes);

  const std::vector<Step> straight = run(a, rng, 300);
  const std::vector<Step> resumed = run(b, rng_b, 300);
  REQUIRE(resumed.size() == straight.size());
  for (std::size_t i = 0; i < straight.size(); ++i) {
    INFO("step " << i << " after the load");
    REQUIRE(resumed[i] == straight[i]);
  }
  REQUIRE(save_env(a) == save_env(b));  // equal states give equal bytes
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
// leaves a running `make()` unchanged.
template <class Env>
void check_truncation(const Env& source, const std::function<Env()>& make) {
  theta::io::CheckpointWriter writer("env-test", "float64", "none");
  auto& section = writer.section("env");
  source.save(section);
  const std::vector<std::uint8_t> payload = section.payload();
  Env target = make();
  target.reset(6);
  theta::Rng rng(3);
  run(target, rng, 2);
  const auto before = save_env(target);
  for (std::size_t n = 0; n < payload.size(); ++n) {
    INFO("payload cut to " << n << " of " << payload.size() << " bytes");
    theta::io::CheckpointSectionReader cut("test", "env", std::span<const std::uint8_t>(payload.data(), n));
    REQUIRE_THROWS_AS(target.load(cut), theta::CheckpointError);
    REQUIRE(save_env(target) == before);
  }
}

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

TEST_CASE("Locomotion environments continue exactly after save and load into a new environment", "[unit][mujoco]") {
  const auto dir = assets();
  if (!dir) return;
  check_locomotion<tmj::HalfCheetah>(*dir);
  check_locomotion<tmj::Hopper>(*dir);
  check_locomotion<tmj::Walker2d>(*dir);
  check_locomotion<tmj::Ant>(*dir);
  check_locomotion<tmj::Humanoid>(*dir);
}

TEST_CASE("Locomotion environments refuse other environments and options, and truncation", "[unit][mujoco]") {
  const auto dir = assets();
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
