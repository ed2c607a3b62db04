// The five MuJoCo v5 locomotion environments against episodes recorded from Gymnasium 1.3.0's
// own classes on Debian 12's MuJoCo 2.2.2 (../shared/reference/mujoco/README.md): every
// episode replayed open-loop from its recorded initial state, and again one step at a time
// with the recorded qpos/qvel written back before each step (teacher-forced). On that MuJoCo
// build the port is bit-exact, and that is what is checked: observations, rewards, flags, the
// state after each step and Gymnasium's info terms, with no tolerance.
//
// The data and the model files are not part of the repository. The test runs when
// THETA_MUJOCO_REFERENCE and THETA_MUJOCO_ASSETS name existing directories (CI sets them);
// otherwise it prints THETA_TEST_SKIPPED, which CTest reports as "Skipped".
#include <theta/mujoco.hpp>

#include <support/json.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace tmj = theta::mujoco;
using theta::test::Json;

struct Paths {
  std::filesystem::path reference;
  std::filesystem::path assets;
};

// The directories, or nullopt after a visible skip message.
std::optional<Paths> reference_paths() {
  const char* reference = std::getenv("THETA_MUJOCO_REFERENCE");
  const char* assets = std::getenv("THETA_MUJOCO_ASSETS");
  const bool present = reference != nullptr && assets != nullptr && std::filesystem::is_directory(reference) &&
                       std::filesystem::is_directory(assets);
  if (!present) {
    WARN("THETA_TEST_SKIPPED: set THETA_MUJOCO_REFERENCE (../shared/reference/mujoco) and THETA_MUJOCO_ASSETS "
         "(../shared/reference/mujoco-assets) to existing directories to run the MuJoCo conformance tests");
    return std::nullopt;
  }
  if (mj_version() != 222) {
    WARN("THETA_TEST_SKIPPED: the reference was recorded on MuJoCo 2.2.2 and is bit-exact only there; this is "
         "MuJoCo " << mj_versionString());
    return std::nullopt;
  }
  return Paths{reference, assets};
}

// Largest |a - b| and the number of entries that differ in any bit.
struct Deviation {
  double max_abs = 0;
  long mismatches = 0;
  long compared = 0;

  void add(double expected, double actual) {
    ++compared;
    if (std::isnan(expected) && std::isnan(actual)) return;
    if (expected != actual || std::signbit(expected) != std::signbit(actual)) ++mismatches;
    max_abs = std::max(max_abs, std::abs(expected - actual));
  }
  template <class A, class B>
  void add(const A& expected, const B& actual) {
    REQUIRE(expected.size() == actual.size());
    for (Eigen::Index i = 0; i < expected.size(); ++i) add(static_cast<double>(expected[i]), static_cast<double>(actual[i]));
  }
};

struct Report {
  long episodes = 0;
  long steps = 0;
  Deviation obs, reward, state, info;
  long flag_mismatches = 0;
};

template <class Info>
void compare_info(const Json& recorded, const Info& info, Deviation& deviation) {
  const auto term = [&](const char* key, double value) {
    if (recorded.contains(key)) deviation.add(recorded[key].number(), value);
  };
  term("x_position", info.x_position);
  term("x_velocity", info.x_velocity);
  term("reward_forward", info.reward_forward);
  term("reward_ctrl", info.reward_ctrl);
  if constexpr (requires { info.reward_survive; }) term("reward_survive", info.reward_survive);
  if constexpr (requires { info.z_distance_from_origin; }) term("z_distance_from_origin", info.z_distance_from_origin);
  if constexpr (requires { info.reward_contact; }) {
    term("reward_contact", info.reward_contact);
    term("y_position", info.y_position);
    term("y_velocity", info.y_velocity);
  }
}

// Replays one episode; with teacher forcing, the recorded state after step t-1 is written into
// mjData before step t (no mj_forward, so the solver warm start and the derived quantities are
// the environment's own, as they would be in an uninterrupted run).
template <class Env>
void replay_episode(const tmj::ModelPtr& model, const Json& episode, bool teacher_forced, Report& report) {
  theta::TimeLimit<Env> env{Env(model)};
  const std::string where = fmt::format("{} episode {} ({})", Env::id, episode["episode"].integer(),
                                        teacher_forced ? "teacher-forced" : "open-loop");
  INFO(where);
  REQUIRE(episode["env"].string() == std::string(Env::id));
  REQUIRE(episode["model_xml"].string() == std::string(Env::model_file));
  REQUIRE(env.env().frame_skip() == episode["frame_skip"].integer());
  REQUIRE(env.env().dt() == episode["dt"].number());

  env.reset(0);  // the TimeLimit's counter; the state is replaced below
  const auto first = env.env().reset_to_state(episode["initial_qpos"].vector(), episode["initial_qvel"].vector());
  report.obs.add(episode["initial_obs"].vector(), first);

  const Json& steps = episode["steps"];
  mjData& data = env.env().data();
  const mjModel& m = env.env().model();
  for (std::size_t t = 0; t < steps.size(); ++t) {
    const Json& step = steps[t];
    if (teacher_forced && t > 0) {
      const Json& previous = steps[t - 1];
      for (int i = 0; i < m.nq; ++i) data.qpos[i] = previous["qpos"][static_cast<std::size_t>(i)].number();
      for (int i = 0; i < m.nv; ++i) data.qvel[i] = previous["qvel"][static_cast<std::size_t>(i)].number();
    }
    const auto result = env.step(step["action"].vector<float>());
    report.obs.add(step["obs"].vector(), result.observation);
    report.reward.add(step["reward"].number(), result.reward);
    report.state.add(step["qpos"].vector(), Eigen::Map<const Eigen::VectorXd>(data.qpos, m.nq));
    report.state.add(step["qvel"].vector(), Eigen::Map<const Eigen::VectorXd>(data.qvel, m.nv));
    compare_info(step["info"], env.env().info(), report.info);
    const bool flags_match =
        result.terminated == step["terminated"].boolean() && result.truncated == step["truncated"].boolean();
    if (!flags_match) ++report.flag_mismatches;
    ++report.steps;
  }
  ++report.episodes;
}

template <class Env>
void check_environment_replays(const char* file) {
  const auto paths = reference_paths();
  if (!paths) return;
  const auto model = tmj::load_model(paths->assets / Env::model_file);
  for (const bool teacher_forced : {false, true}) {
    std::ifstream in(paths->reference / file);
    REQUIRE(in.good());
    Report report;
    long episodes_in_file = 0;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      ++episodes_in_file;
      replay_episode<Env>(model, Json::parse(line), teacher_forced, report);
    }
    fmt::print("{:<15} {:<14} {} episodes, {:>5} steps | max |dev| obs {:.3g} reward {:.3g} qpos/qvel {:.3g} "
               "info {:.3g} | differing values: obs {}/{} reward {}/{} state {}/{} info {}/{} flags {}\n",
               Env::id, teacher_forced ? "teacher-forced" : "open-loop", report.episodes, report.steps,
               report.obs.max_abs, report.reward.max_abs, report.state.max_abs, report.info.max_abs,
               report.obs.mismatches, report.obs.compared, report.reward.mismatches, report.reward.compared,
               report.state.mismatches, report.state.compared, report.info.mismatches, report.info.compared,
               report.flag_mismatches);
    // Every episode the file holds was replayed, whatever their number (a held-out set has others).
    CHECK(episodes_in_file >= 1);
    CHECK(report.episodes == episodes_in_file);
    CHECK(report.obs.mismatches == 0);
    CHECK(report.reward.mismatches == 0);
    CHECK(report.state.mismatches == 0);
    CHECK(report.info.mismatches == 0);
    CHECK(report.flag_mismatches == 0);
  }
}

}  // namespace

TEST_CASE("HalfCheetah-v5 replays Gymnasium bit for bit", "[conformance][mujoco]") {
  check_environment_replays<tmj::HalfCheetah>("HalfCheetah-v5.jsonl");
}

TEST_CASE("Hopper-v5 replays Gymnasium bit for bit", "[conformance][mujoco]") {
  check_environment_replays<tmj::Hopper>("Hopper-v5.jsonl");
}

TEST_CASE("Walker2d-v5 replays Gymnasium bit for bit", "[conformance][mujoco]") {
  check_environment_replays<tmj::Walker2d>("Walker2d-v5.jsonl");
}

TEST_CASE("Ant-v5 replays Gymnasium bit for bit", "[conformance][mujoco]") {
  check_environment_replays<tmj::Ant>("Ant-v5.jsonl");
}

TEST_CASE("Humanoid-v5 replays Gymnasium bit for bit", "[conformance][mujoco]") {
  check_environment_replays<tmj::Humanoid>("Humanoid-v5.jsonl");
}
