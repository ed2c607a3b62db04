// MultiDiscrete action spaces (issue 15): the space, the MultiDiscreteEnvironment concept,
// check_environment's checks (sizes, random actions in range, per-dimension masks), VectorEnv's
// action validation and per-dimension masks, and the wrappers (TimeLimit, WithoutActionMask).
#include <theta/env/check.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/env/without_action_mask.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

using theta::MultiDiscrete;
using theta::test::MultiWalk;
using theta::test::PairChoice;

namespace {

template <class F>
std::string multi_env_error(F&& f) {
  try {
    f();
  } catch (const theta::Error& e) {
    return e.what();
  }
  return "(no theta::Error)";
}

// A multi-discrete environment whose sampled actions it checks itself: every action handed to
// step must have one entry per dimension, each within its range.
struct RangeChecked : PairChoice {
  using Action = theta::MultiDiscreteAction;
  theta::StepResult<Observation> step(const Action& action) {
    REQUIRE(action.size() == 2);
    REQUIRE(MultiDiscrete{2, 3}.contains(action));
    ++seen[static_cast<std::size_t>(action[0] * 3 + action[1])];
    return PairChoice::step(action.cast<int>());
  }
  std::array<int, 6> seen{};
};

// An action space whose nvec was built without the constructor's checks.
struct ZeroChoices : PairChoice {
  MultiDiscrete action_space() const {
    MultiDiscrete space;
    space.nvec = {2, 0};
    return space;
  }
};

// A fixed-size action with fewer entries than the space has dimensions.
struct ShortAction : PairChoice {
  MultiDiscrete action_space() const { return MultiDiscrete{2, 3, 4}; }
};

}  // namespace

static_assert(theta::MultiDiscreteEnvironment<MultiWalk>);
static_assert(theta::MultiDiscreteEnvironment<PairChoice>);
static_assert(theta::MaskedEnvironment<MultiWalk>);
static_assert(!theta::MaskedEnvironment<PairChoice>);
static_assert(!theta::DiscreteEnvironment<MultiWalk> && !theta::ContinuousEnvironment<MultiWalk>);
static_assert(theta::MaskedEnvironment<theta::TimeLimit<MultiWalk>>);
static_assert(theta::MultiDiscreteEnvironment<theta::WithoutActionMask<MultiWalk>>);
static_assert(!theta::MaskedEnvironment<theta::WithoutActionMask<MultiWalk>>);
static_assert(theta::IntegerColumnVector<theta::MultiDiscreteAction> && theta::IntegerColumnVector<Eigen::Vector2i>);
static_assert(!theta::IntegerColumnVector<Eigen::Vector2f> && !theta::EigenColumnVector<Eigen::Vector2i>);

TEST_CASE("MultiDiscrete: nvec, contains, sample, equality and errors", "[unit]") {
  const MultiDiscrete space{3, 1, 4};
  CHECK(space.size() == 3);
  CHECK(space.total() == 8);
  CHECK(theta::to_string(space) == "MultiDiscrete([3, 1, 4])");
  CHECK(space == MultiDiscrete(std::vector<std::int64_t>{3, 1, 4}));
  CHECK_FALSE(space == MultiDiscrete{3, 4});

  theta::MultiDiscreteAction a(3);
  a << 2, 0, 3;
  CHECK(space.contains(a));
  a[1] = 1;
  CHECK_FALSE(space.contains(a));  // dimension 1 has the index 0 only
  a[1] = 0;
  a[2] = -1;
  CHECK_FALSE(space.contains(a));
  CHECK_FALSE(space.contains(Eigen::Vector2i(0, 0)));  // a size other than the dimensions
  CHECK(MultiDiscrete{2, 3}.contains(Eigen::Vector2i(1, 2)));

  // Samples cover every index of every dimension, and only those.
  theta::Rng rng(5);
  std::array<std::array<int, 4>, 3> counts{};
  for (int i = 0; i < 4000; ++i) {
    const theta::MultiDiscreteAction s = space.sample(rng);
    REQUIRE(space.contains(s));
    for (theta::Index d = 0; d < 3; ++d) ++counts[static_cast<std::size_t>(d)][static_cast<std::size_t>(s[d])];
  }
  for (std::size_t d = 0; d < 3; ++d) {
    for (std::size_t k = 0; k < static_cast<std::size_t>(space.nvec[d]); ++k) CHECK(counts[d][k] > 0);
  }
  const Eigen::VectorXi small = space.sample<int>(rng);
  CHECK(space.contains(small));

  CHECK(multi_env_error([] { (void)MultiDiscrete{3, 0}; }) == "MultiDiscrete: nvec[1] must be >= 1, got 0");
  CHECK(multi_env_error([] { (void)MultiDiscrete(std::vector<std::int64_t>{}); }) ==
        "MultiDiscrete: nvec must have at least one dimension");
}

TEST_CASE("check_environment checks a multi-discrete environment: sizes, sampled actions in range, masks per "
          "dimension",
          "[unit]") {
  RangeChecked checked;
  const theta::EnvironmentCheck report = theta::check_environment(checked, 3, 300);
  CHECK(report.steps == 300);
  for (const int n : checked.seen) CHECK(n > 0);  // every combination was tried

  PairChoice fixed;  // a fixed-size Eigen::Vector2i action
  CHECK(theta::check_environment(fixed, 4, 50).episodes == 10);

  MultiWalk walk;
  CHECK(theta::check_environment(walk, 7, 400).episodes >= 2);  // throws on any action its mask forbids

  ZeroChoices zero;
  CHECK(multi_env_error([&] { theta::check_environment(zero, 1); }) ==
        "check_environment: action_space() is a MultiDiscrete with nvec[1] = 0, needs >= 1");
  ShortAction short_action;
  CHECK(multi_env_error([&] { theta::check_environment(short_action, 1); }) ==
        "check_environment: 'Action' has 2 entries, action_space() has 3 dimensions");
  MultiWalk dead{.dead_end_step = 2, .dead_end_dimension = 1};
  CHECK(multi_env_error([&] { theta::check_environment(dead, 1); }) ==
        "check_environment: action_mask() after step() at step 2 has no valid action in dimension 1 (its 4 entries "
        "are false)");
  MultiWalk dead0{.dead_end_step = 0, .dead_end_dimension = 0};
  CHECK(multi_env_error([&] { theta::check_environment(dead0, 1); }) ==
        "check_environment: action_mask() after reset() at step 0 has no valid action in dimension 0 (its 3 entries "
        "are false)");
}

TEST_CASE("VectorEnv steps a multi-discrete environment and checks every dimension of every action", "[unit]") {
  theta::VectorEnv<PairChoice> envs(2, 1);
  envs.reset();
  std::vector<Eigen::Vector2i> actions{{1, 2}, {0, 0}};
  envs.step(actions);
  CHECK(envs.rewards()[0] == 1.0);
  CHECK(envs.rewards()[1] == 0.0);
  actions[1] = {0, 3};
  CHECK(multi_env_error([&] { envs.step(actions); }) ==
        "VectorEnv: environment 1 at step 2 of episode 0: action[1] must be in {0, ..., 2}, got 3 (action_space() is "
        "MultiDiscrete([2, 3]))");
  envs.restart();
  actions[1] = {-1, 0};
  CHECK(multi_env_error([&] { envs.step(actions); }) ==
        "VectorEnv: environment 1 at step 1 of episode 1: action[0] must be 0 or 1, got -1 (action_space() is "
        "MultiDiscrete([2, 3]))");

  theta::VectorEnv<MultiWalk> walks(2, 1);
  walks.reset();
  std::vector<theta::MultiDiscreteAction> wrong_size(2, theta::MultiDiscreteAction::Zero(3));
  CHECK(multi_env_error([&] { walks.step(wrong_size); }) ==
        "VectorEnv: environment 0 at step 1 of episode 0: the action has 3 entries, action_space() "
        "MultiDiscrete([3, 4]) has 2 dimensions");

  CHECK(multi_env_error([] { theta::VectorEnv<ZeroChoices> zero(1, 0); }) ==
        "VectorEnv: the action space MultiDiscrete([2, 0]) has nvec[1] = 0, needs >= 1");
  CHECK(multi_env_error([] { theta::VectorEnv<ShortAction> short_action(1, 0); }) ==
        "VectorEnv: 'Action' has 2 entries, the action space MultiDiscrete([2, 3, 4]) has 3 dimensions");
}

TEST_CASE("VectorEnv reads multi-discrete masks per dimension: sum(nvec) rows, dimension 0 first; an empty dimension "
          "and a forbidden entry raise EnvironmentError naming the copy, the step and the dimension",
          "[unit]") {
  theta::VectorEnv<theta::TimeLimit<MultiWalk>> envs(3, 2);
  envs.reset();
  REQUIRE(envs.action_masks().rows() == 7);
  REQUIRE(envs.action_masks().cols() == 3);
  // Each copy's column is its own action_mask, through the TimeLimit, after resets and steps.
  theta::Rng rng(8);
  std::vector<theta::MultiDiscreteAction> actions(3, theta::MultiDiscreteAction::Zero(2));
  for (int t = 0; t < 80; ++t) {
    for (std::size_t i = 0; i < 3; ++i) {
      std::array<bool, 7> expected{};
      envs.env(i).action_mask(expected);
      for (theta::Index k = 0; k < 7; ++k) REQUIRE(envs.action_masks()(k, static_cast<theta::Index>(i)) == expected[k]);
      // A random valid entry per dimension.
      for (theta::Index d = 0; d < 2; ++d) {
        const theta::Index offset = d == 0 ? 0 : 3, n = d == 0 ? 3 : 4;
        do {
          actions[i][d] = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n)));
        } while (!expected[static_cast<std::size_t>(offset + actions[i][d])]);
      }
    }
    envs.step(actions);
  }

  // A forbidden entry, checked before any copy steps: walker B cannot wait as its first move.
  theta::VectorEnv<MultiWalk> walks(2, 4);
  walks.reset();
  std::vector<theta::MultiDiscreteAction> go(2, theta::MultiDiscreteAction::Zero(2));
  go[0] << 1, 1;
  go[1] << 1, 2;
  CHECK(multi_env_error([&] { walks.step(go); }) ==
        "VectorEnv: environment 1 at step 1 of episode 0: action[1] = 2 is invalid in this state (its action_mask() "
        "entry 5 is false)");
  CHECK(walks.env(0).steps == 0);  // copy 0 did not step either

  // A dimension without a valid entry after a step.
  theta::VectorEnv<MultiWalk> dead(2, 5, MultiWalk{.dead_end_step = 1, .dead_end_dimension = 0});
  dead.reset();
  go[0] << 1, 1;
  go[1] << 1, 1;
  CHECK(multi_env_error([&] { dead.step(go); }) ==
        "VectorEnv: environment 0 has no valid action in dimension 0 at step 1 of episode 0: its 3 entries of "
        "action_mask() after step are false");
}

TEST_CASE("WithoutActionMask passes every multi-discrete action to the environment", "[unit]") {
  theta::VectorEnv<theta::WithoutActionMask<MultiWalk>> envs(1, 1);
  envs.reset();
  std::vector<theta::MultiDiscreteAction> go(1, theta::MultiDiscreteAction::Zero(2));
  go[0] << 1, 2;  // walker B waits first: VectorEnv lets it through, the walk refuses it
  CHECK(multi_env_error([&] { envs.step(go); }) == "MultiWalk: action[1] = 2 is invalid for walker B at " +
                                                       std::to_string(envs.env(0).env().b) + " (step 0, waited false)");
}
