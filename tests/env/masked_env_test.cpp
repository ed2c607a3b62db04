// MaskedEnvironment (issue 15): the concept, check_environment's checks of the mask, and
// VectorEnv's masks (read after every reset and step, auto-resets included; a mask without a
// valid action and an invalid action are errors that name the copy and the step).
#include <theta/env/check.hpp>
#include <theta/env/concepts.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/env/without_action_mask.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <array>
#include <span>
#include <string>
#include <vector>

using theta::test::Corridor;
using theta::test::Drift;
using theta::test::MaskedWalk;
using theta::test::UnmaskedWalk;

namespace {

// A mask that depends on how often it was read, not only on the state: the same seed cannot
// replay it (step right is allowed for the first 10 reads only; a jump or a left step is
// always valid where that leaves nothing else).
struct ForgetfulMaskWalk : MaskedWalk {
  void action_mask(std::span<bool> valid) const {
    MaskedWalk::action_mask(valid);
    valid[1] = calls++ < 10;
  }
  mutable int calls = 0;
};

// A member named action_mask with another signature.
struct WrongMaskSignature : Corridor {
  void action_mask(std::vector<bool>& valid) const { valid.assign(2, true); }
};

template <class F>
std::string masked_env_error(F&& f) {
  try {
    f();
  } catch (const theta::EnvironmentError& e) {
    return e.what();
  }
  return "(no EnvironmentError)";
}

// The mask env.action_mask writes for its current state.
std::array<bool, 4> masked_env_mask_of(const MaskedWalk& env) {
  std::array<bool, 4> valid{};
  env.action_mask(valid);
  return valid;
}

}  // namespace

static_assert(theta::MaskedEnvironment<MaskedWalk>);
static_assert(theta::MaskedEnvironment<theta::TimeLimit<MaskedWalk>>);  // TimeLimit forwards the mask
static_assert(theta::diagnose_environment<theta::TimeLimit<MaskedWalk>>());
static_assert(!theta::MaskedEnvironment<UnmaskedWalk>);
static_assert(!theta::MaskedEnvironment<Corridor>);
static_assert(!theta::MaskedEnvironment<theta::TimeLimit<Corridor>>);
static_assert(!theta::MaskedEnvironment<Drift>);
static_assert(!theta::HasActionMask<WrongMaskSignature>);
static_assert(!theta::MaskedEnvironment<theta::WithoutActionMask<MaskedWalk>>);
static_assert(theta::SavableEnvironment<theta::WithoutActionMask<MaskedWalk>>);
static_assert(!theta::SavableEnvironment<theta::WithoutActionMask<Corridor>>);  // diagnose_environment names it (tests/failcompile)

TEST_CASE("MaskedEnvironment: concepts", "[concept]") {
  CHECK(theta::action_mask_size(MaskedWalk{}) == 4);
  CHECK(theta::action_mask_size(theta::TimeLimit<MaskedWalk>(MaskedWalk{}, 10)) == 4);
}

TEST_CASE("check_environment reads the mask after every reset and step and takes valid random actions only",
          "[unit]") {
  // MaskedWalk throws on an invalid action: 2000 random steps pass only among the valid ones.
  theta::TimeLimit<MaskedWalk> env(MaskedWalk{}, 20);
  const theta::EnvironmentCheck report = theta::check_environment(env, 5, 2000);
  CHECK(report.steps == 2000);
  CHECK(report.episodes > 50);

  theta::TimeLimit<MaskedWalk> dead(MaskedWalk{.dead_end_step = 0}, 20);
  CHECK(masked_env_error([&] { theta::check_environment(dead, 5); }) ==
        "check_environment: action_mask() after reset() at step 0 has no valid action (all 4 entries are false)");
  theta::TimeLimit<MaskedWalk> later(MaskedWalk{.dead_end_step = 3}, 20);
  const std::string message = masked_env_error([&] { theta::check_environment(later, 5); });
  CHECK(message.find("check_environment: action_mask() after step() at step ") == 0);
  CHECK(message.find("has no valid action (all 4 entries are false)") != std::string::npos);

  ForgetfulMaskWalk forgetful;
  CHECK(masked_env_error([&] { theta::check_environment(forgetful, 5, 50); })
            .find("check_environment: the same seed did not replay the same action masks: record ") == 0);
}

TEST_CASE("VectorEnv: each copy's mask is the one of its current state, after a reset and after an automatic reset",
          "[unit]") {
  theta::VectorEnv<MaskedWalk> envs(3, 11);
  envs.reset();
  REQUIRE(envs.action_masks().rows() == 4);
  REQUIRE(envs.action_masks().cols() == 3);
  theta::Rng rng(4);
  std::vector<int> actions(3);
  int finished = 0;
  for (int t = 0; t < 200; ++t) {
    for (std::size_t i = 0; i < 3; ++i) {
      const auto column = envs.action_masks().col(static_cast<theta::Index>(i));
      const std::array<bool, 4> expected = masked_env_mask_of(envs.env(i));
      for (theta::Index k = 0; k < 4; ++k) REQUIRE(column(k) == expected[static_cast<std::size_t>(k)]);
      // A random valid action; the first copy prefers jumps, to finish episodes often.
      std::vector<int> valid;
      for (int k = 0; k < 4; ++k)
        if (column(k)) valid.push_back(k);
      actions[i] = (i == 0 && column(3)) ? 3 : valid[static_cast<std::size_t>(rng.below(valid.size()))];
    }
    envs.step(actions);
    for (std::size_t i = 0; i < 3; ++i) {
      if (envs.done(i)) {
        ++finished;
        // The copy was reset: its mask is the new episode's first one (no waiting first).
        CHECK(envs.env(i).steps == 0);
        CHECK_FALSE(envs.action_masks()(2, static_cast<theta::Index>(i)));
      }
    }
  }
  CHECK(finished >= 20);
}

TEST_CASE("VectorEnv: an invalid action and a mask without a valid action raise EnvironmentError naming the copy and "
          "the step",
          "[unit]") {
  {
    theta::VectorEnv<MaskedWalk> envs(2, 3);
    envs.reset();
    // Copy 1 gets an action its mask forbids (waiting as the first move), copy 0 a valid one:
    // nothing steps.
    CHECK(masked_env_error([&] { envs.step(std::vector<int>{1, 2}); }) ==
          "VectorEnv: environment 1 at step 1 of episode 0: action 2 is invalid in this state (its action_mask() "
          "entry is false)");
    CHECK(envs.env(0).steps == 0);  // checked before any copy stepped
    CHECK(envs.env(1).steps == 0);
  }
  {
    theta::VectorEnv<MaskedWalk> envs(2, 3, MaskedWalk{.dead_end_step = 2});
    envs.reset();
    envs.step(std::vector<int>{1, 1});  // step right: always valid, never reaches the goal in two steps
    CHECK(masked_env_error([&] { envs.step(std::vector<int>{1, 1}); }) ==
          "VectorEnv: environment 0 has no valid action at step 2 of episode 0: every entry of its action_mask() "
          "after step is false");
    CHECK(envs.needs_restart());
  }
  {
    theta::VectorEnv<MaskedWalk> envs(2, 3, MaskedWalk{.dead_end_step = 0});
    CHECK(masked_env_error([&] { envs.reset(); }) ==
          "VectorEnv: environment 0 has no valid action at step 0 of episode 0: every entry of its action_mask() "
          "after reset is false");
  }
}

TEST_CASE("WithoutActionMask hides the mask: every action reaches the environment", "[unit]") {
  theta::VectorEnv<theta::WithoutActionMask<MaskedWalk>> envs(1, 3);
  envs.reset();
  // Waiting as the first move is masked; without the mask VectorEnv passes it on, and the walk
  // itself refuses it.
  CHECK(masked_env_error([&] { envs.step(std::vector<int>{2}); }).find("MaskedWalk: action 2 is invalid") == 0);
  theta::WithoutActionMask<MaskedWalk> env;
  env.reset(1);
  CHECK(env.step(1).reward == -1.0);
  CHECK(env.env().steps == 1);
}
