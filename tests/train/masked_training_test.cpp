// Invalid-action masking through the on-policy trainers (issue 15): PPO, A2C, TRPO and
// REINFORCE on a MaskedEnvironment never send an invalid action, the rollout keeps the masks
// the policy acted under (the update recomputes exactly the acting log-probabilities), and
// evaluation, predict and the exported policy apply the mask. A3C: tests/async/a3c_masked_test.cpp.
#include <theta/inference.hpp>
#include <theta/io/onnx.hpp>
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"
#include "train/masked_rules.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

using theta::test::MaskedWalk;
using theta::test::UnmaskedWalk;

namespace {

using MaskedWalkEnv = theta::TimeLimit<MaskedWalk>;
using UnmaskedWalkEnv = theta::TimeLimit<UnmaskedWalk>;
const theta::OnPolicyConfig& masked_two_by_16 = theta::test::masked_rules_two_by_16;
const theta::ppo::Config& masked_ppo = theta::test::masked_rules_ppo;

MaskedWalkEnv masked_walk(int dead_end_step = -1) { return MaskedWalkEnv(MaskedWalk{.dead_end_step = dead_end_step}, 25); }

template <class F>
std::string masked_error_of(F&& f) {
  try {
    f();
  } catch (const theta::EnvironmentError& e) {
    return e.what();
  }
  return "(no EnvironmentError)";
}

// The masked walk for the shared checks of masked_rules.hpp.
struct MaskedWalkCase {
  using Env = MaskedWalkEnv;
  using Unmasked = UnmaskedWalkEnv;
  static constexpr std::array<std::int64_t, 1> nvec{4};
  static constexpr const char* refusal = "MaskedWalk: action ";
  static constexpr theta::Index episode_steps = 25;
  static Env make() { return masked_walk(); }
  static Unmasked make_unmasked() { return Unmasked(UnmaskedWalk{}, 25); }
};

}  // namespace

static_assert(theta::MaskedPolicy<theta::CategoricalPolicy<float>>);
static_assert(theta::MaskedContextPolicy<theta::CategoricalPolicy<double>>);
static_assert(!theta::MaskedPolicy<theta::GaussianPolicy<float>>);

TEST_CASE("PPO, A2C, TRPO and REINFORCE on a masked environment never send an invalid action and update under the "
          "stored masks",
          "[unit]") {
  theta::test::masked_rule_sections<MaskedWalkCase>();
}

TEST_CASE("Masked training is bit-reproducible and resumes exactly from a checkpoint", "[unit]") {
  theta::test::check_masked_resume<MaskedWalkCase>();
}

TEST_CASE("A mask without a valid action stops masked training with an EnvironmentError naming the step", "[unit]") {
  theta::OnPolicyTrainer<MaskedWalkEnv, theta::ppo::Ppo> trainer(masked_two_by_16, masked_ppo, {}, masked_walk(3));
  const std::string message = masked_error_of([&] { trainer.learn(320); });
  CHECK(message.find("VectorEnv: environment ") == 0);
  CHECK(message.find(" has no valid action at step 3 of episode ") != std::string::npos);
  CHECK(message.find("every entry of its action_mask() after step is false") != std::string::npos);

  // Evaluation reads the mask of every state too.
  theta::OnPolicyTrainer<MaskedWalkEnv, theta::ppo::Ppo> evaluator(masked_two_by_16, masked_ppo, {},
                                                                   [](std::size_t i) { return masked_walk(i == 2 ? 2 : -1); });
  const std::string eval_message = masked_error_of([&] { evaluator.evaluate(5); });
  CHECK(eval_message.find("evaluate_policy: the environment has no valid action at step 2 of episode ") == 0);
}

TEST_CASE("predict and the exported policy take the first largest logit among the valid actions", "[unit]") {
  theta::OnPolicyTrainer<MaskedWalkEnv, theta::ppo::Ppo> trainer(masked_two_by_16, masked_ppo, {}, masked_walk());
  trainer.learn(160);
  const theta::io::PolicyDescription<float> description = trainer.policy_description();
  CHECK(description.transform == theta::io::ActionTransform::masked_argmax);
  auto exported = theta::inference::Policy::parse(theta::io::policy_writer(description).bytes());
  CHECK(exported.needs_action_mask());
  CHECK(exported.is_discrete());
  CHECK(exported.n_actions() == 4);

  theta::Rng rng(9);
  int restricted = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const MaskedWalk::Observation obs(static_cast<float>(rng.below(6)), static_cast<float>(rng.below(20)),
                                      static_cast<float>(rng.below(2)));
    std::array<bool, 4> valid{};
    for (auto& v : valid) v = rng.below(2) == 1;
    if (std::find(valid.begin(), valid.end(), true) == valid.end()) valid[rng.below(4)] = true;
    const int action = trainer.predict(obs, valid);
    REQUIRE(valid[static_cast<std::size_t>(action)]);
    CHECK(exported.predict_index(obs, valid) == action);  // bit for bit the trainer's choice
    // The first largest logit among the valid actions, read from the network.
    const theta::Matrix<float> x = obs;
    auto workspace = trainer.actor().network().make_workspace(1);
    const auto logits = trainer.actor().network().forward(x, workspace);
    int expected = -1;
    for (int k = 0; k < 4; ++k) {
      if (valid[static_cast<std::size_t>(k)] && (expected < 0 || logits(k, 0) > logits(expected, 0))) expected = k;
    }
    CHECK(action == expected);
    theta::Index unmasked = 0;
    logits.col(0).maxCoeff(&unmasked);
    restricted += static_cast<int>(unmasked) != action;
  }
  CHECK(restricted > 0);  // the mask changed some decisions

  std::array<bool, 4> none{};
  CHECK(masked_error_of([&] { trainer.predict(MaskedWalk::Observation::Zero(), none); }) ==
        "OnPolicyTrainer::predict: the action mask has no valid action");
  const std::array<bool, 3> short_mask{true, true, true};
  CHECK_THROWS_AS(exported.predict_index(MaskedWalk::Observation::Zero(), short_mask), theta::Error);
  CHECK_THROWS_WITH(exported.predict(MaskedWalk::Observation::Zero()),
                    "inference::Policy::predict: the policy was trained with action masks (masked_argmax); pass the "
                    "state's valid actions: predict(observation, valid)");
  CHECK_THROWS_WITH(theta::io::onnx_model(description),
                    Catch::Contains("export_onnx: the policy acts under action masks"));
}
