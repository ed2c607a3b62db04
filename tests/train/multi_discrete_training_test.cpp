// Multi-discrete actions through the on-policy trainers (issue 15): PPO, A2C, TRPO and
// REINFORCE build a MultiCategoricalPolicy by default, never send an entry its dimension's mask
// forbids, update under the stored masks (sum(nvec) rows), resume exactly from a checkpoint,
// and predict, evaluate and export per-dimension argmaxes (with masks). A3C:
// tests/async/a3c_masked_test.cpp.
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
#include <type_traits>
#include <utility>
#include <vector>

using theta::test::MultiWalk;
using theta::test::PairChoice;

namespace {

using MultiWalkEnv = theta::TimeLimit<MultiWalk>;
using UnmaskedMultiWalkEnv = theta::TimeLimit<theta::WithoutActionMask<MultiWalk>>;
const theta::NetworkConfig multi_small{.hidden = {16}};
const theta::OnPolicyConfig& multi_two_by_16 = theta::test::masked_rules_two_by_16;
const theta::ppo::Config& multi_ppo = theta::test::masked_rules_ppo;
const theta::a2c::Config& multi_a2c = theta::test::masked_rules_a2c;
const std::array<theta::Index, 2> multi_offsets{0, 3};  // MultiWalk's MultiDiscrete{3, 4}

MultiWalkEnv multi_walk(int dead_end_step = -1, int dead_end_dimension = 1) {
  return MultiWalkEnv(MultiWalk{.dead_end_step = dead_end_step, .dead_end_dimension = dead_end_dimension}, 30);
}

template <class F>
std::string multi_error_of(F&& f) {
  return theta::test::masked_rules_error(std::forward<F>(f));
}

// The multi-discrete walk for the shared checks of masked_rules.hpp.
struct MultiWalkCase {
  using Env = MultiWalkEnv;
  using Unmasked = UnmaskedMultiWalkEnv;
  static constexpr std::array<std::int64_t, 2> nvec{3, 4};
  static constexpr const char* refusal = "MultiWalk: action[";
  static constexpr theta::Index episode_steps = 30;
  static Env make() { return multi_walk(); }
  static Unmasked make_unmasked() { return Unmasked(theta::WithoutActionMask(MultiWalk{}), 30); }
};

}  // namespace

static_assert(std::is_same_v<theta::OnPolicyTrainer<MultiWalkEnv, theta::ppo::Ppo>::Actor,
                             theta::MultiCategoricalPolicy<float>>);

TEST_CASE("PPO, A2C, TRPO and REINFORCE on a masked multi-discrete environment never send a forbidden entry and "
          "update under the stored masks",
          "[unit]") {
  theta::test::masked_rule_sections<MultiWalkCase>();
}

TEST_CASE("Masked multi-discrete training is bit-reproducible and resumes exactly from a checkpoint", "[unit]") {
  const std::vector<std::uint8_t> saved = theta::test::check_masked_resume<MultiWalkCase>();
  // The checkpoint names the space: another nvec is refused.
  theta::OnPolicyConfig config = multi_two_by_16;
  config.total_steps = 160;
  theta::OnPolicyTrainer<theta::TimeLimit<PairChoice>, theta::ppo::Ppo> other(
      config, multi_ppo, {}, theta::TimeLimit<PairChoice>(PairChoice{}, 5));
  CHECK(multi_error_of([&] { other.load(saved); }).find("MultiDiscrete([3, 4])") != std::string::npos);
}

TEST_CASE("A dimension without a valid entry stops masked multi-discrete training and evaluation with an "
          "EnvironmentError naming the step and the dimension",
          "[unit]") {
  theta::OnPolicyTrainer<MultiWalkEnv, theta::ppo::Ppo> trainer(multi_two_by_16, multi_ppo, {}, multi_walk(3, 1));
  const std::string message = multi_error_of([&] { trainer.learn(320); });
  CHECK(message.find("VectorEnv: environment ") == 0);
  CHECK(message.find(" has no valid action in dimension 1 at step 3 of episode ") != std::string::npos);

  theta::OnPolicyTrainer<MultiWalkEnv, theta::ppo::Ppo> evaluator(
      multi_two_by_16, multi_ppo, {}, [](std::size_t i) { return multi_walk(i == 2 ? 2 : -1, 0); });
  CHECK(multi_error_of([&] { evaluator.evaluate(5); })
            .find("evaluate_policy: the environment has no valid action in dimension 0 at step 2 of episode ") == 0);
}

TEST_CASE("Masked multi-discrete predict and the exported policy take each dimension's first largest valid logit, "
          "bit for bit",
          "[unit]") {
  theta::OnPolicyTrainer<MultiWalkEnv, theta::ppo::Ppo> trainer(multi_two_by_16, multi_ppo, {}, multi_walk());
  trainer.learn(160);
  const theta::io::PolicyDescription<float> description = trainer.policy_description();
  CHECK(description.transform == theta::io::ActionTransform::masked_multi_argmax);
  auto exported = theta::inference::Policy::parse(theta::io::policy_writer(description).bytes());
  CHECK(exported.needs_action_mask());
  CHECK(exported.is_discrete());
  CHECK(exported.is_multi_discrete());
  CHECK(exported.nvec() == std::vector<std::int64_t>{3, 4});
  CHECK(exported.n_actions() == 7);
  CHECK(exported.action_size() == 2);

  theta::Rng rng(9);
  int restricted = 0;
  for (int trial = 0; trial < 200; ++trial) {
    MultiWalk::Observation obs;
    obs << static_cast<float>(rng.below(7)), static_cast<float>(rng.below(7)), static_cast<float>(rng.below(20)),
        static_cast<float>(rng.below(2)), static_cast<float>(rng.below(2));
    std::array<bool, 7> valid{};
    for (auto& v : valid) v = rng.below(2) == 1;
    if (!std::any_of(valid.begin(), valid.begin() + 3, [](bool v) { return v; })) valid[rng.below(3)] = true;
    if (!std::any_of(valid.begin() + 3, valid.end(), [](bool v) { return v; })) valid[3 + rng.below(4)] = true;
    const theta::MultiDiscreteAction action = trainer.predict(obs, valid);
    REQUIRE(action.size() == 2);
    const Eigen::VectorXf from_file = exported.predict(obs, valid);
    CHECK(from_file == action.cast<float>());  // bit for bit the trainer's choice
    const theta::Matrix<float> x = obs;
    auto workspace = trainer.actor().network().make_workspace(1);
    const auto logits = trainer.actor().network().forward(x, workspace);
    for (theta::Index d = 0; d < 2; ++d) {
      const theta::Index offset = multi_offsets[static_cast<std::size_t>(d)], n = d == 0 ? 3 : 4;
      REQUIRE(valid[static_cast<std::size_t>(offset + action[d])]);
      theta::Index expected = -1;
      for (theta::Index k = 0; k < n; ++k) {
        if (valid[static_cast<std::size_t>(offset + k)] &&
            (expected < 0 || logits(offset + k, 0) > logits(offset + expected, 0))) {
          expected = k;
        }
      }
      CHECK(action[d] == expected);
      theta::Index unmasked = 0;
      logits.col(0).segment(offset, n).maxCoeff(&unmasked);
      restricted += unmasked != action[d];
    }
  }
  CHECK(restricted > 0);  // the masks changed some decisions

  std::array<bool, 7> empty_dimension{true, true, true, false, false, false, false};
  CHECK(multi_error_of([&] { trainer.predict(MultiWalk::Observation::Zero(), empty_dimension); }) ==
        "OnPolicyTrainer::predict: the action mask has no valid action in dimension 1");
  CHECK(multi_error_of([&] { exported.predict(MultiWalk::Observation::Zero(), empty_dimension); }) ==
        "inference::Policy::predict: the action mask has no valid action in dimension 1");
  const std::array<bool, 4> short_mask{true, true, true, true};
  CHECK(multi_error_of([&] { trainer.predict(MultiWalk::Observation::Zero(), short_mask); }) ==
        "OnPolicyTrainer::predict: the action mask has 4 entries, the action space MultiDiscrete([3, 4]) has 7 "
        "(sum(nvec))");
  CHECK_THROWS_AS(exported.predict(MultiWalk::Observation::Zero(), short_mask), theta::Error);
  const std::array<bool, 7> all_valid{true, true, true, true, true, true, true};
  CHECK_THROWS_WITH(exported.predict_index(MultiWalk::Observation::Zero(), all_valid),
                    Catch::Contains("the policy is multi-discrete (masked_multi_argmax); use predict"));
  CHECK_THROWS_WITH(exported.predict(MultiWalk::Observation::Zero()),
                    Catch::Contains("trained with action masks (masked_multi_argmax)"));
  CHECK_THROWS_WITH(theta::io::onnx_model(description),
                    Catch::Contains("export_onnx: the policy acts under action masks (transform masked_multi_argmax"));
}

TEST_CASE("An unmasked multi-discrete environment with a fixed-size action trains, predicts and exports the "
          "per-dimension argmax",
          "[unit]") {
  using Env = theta::TimeLimit<PairChoice>;
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> trainer(multi_two_by_16, multi_a2c, {}, Env(PairChoice{}, 5));
  trainer.learn(200);
  CHECK(trainer.buffer().actions().rows() == 2);
  CHECK(trainer.buffer().action_masks().rows() == 0);
  const theta::io::PolicyDescription<float> description = trainer.policy_description();
  CHECK(description.transform == theta::io::ActionTransform::multi_argmax);
  CHECK(description.nvec == std::vector<std::int64_t>{2, 3});
  auto exported = theta::inference::Policy::parse(theta::io::policy_writer(description).bytes());
  CHECK_FALSE(exported.needs_action_mask());
  theta::Rng rng(4);
  for (int trial = 0; trial < 100; ++trial) {
    const PairChoice::Observation obs(static_cast<float>(rng.below(6)), static_cast<float>(rng.below(20)));
    const Eigen::Vector2i action = trainer.predict(obs);
    CHECK(exported.predict(obs) == action.cast<float>());
    const theta::Matrix<float> x = obs;
    auto workspace = trainer.actor().network().make_workspace(1);
    const auto logits = trainer.actor().network().forward(x, workspace);
    theta::Index a0 = 0, a1 = 0;
    logits.col(0).head(2).maxCoeff(&a0);
    logits.col(0).tail(3).maxCoeff(&a1);
    CHECK(action == Eigen::Vector2i(static_cast<int>(a0), static_cast<int>(a1)));
  }
  CHECK(trainer.evaluate(2).returns.size() == 2);
  CHECK_FALSE(theta::io::onnx_model(description).empty());  // the per-dimension ArgMax graph

  // An actor over another number of dimensions is refused when the trainer is built.
  theta::Rng init(1);
  theta::OnPolicyTrainer<Env, theta::a2c::A2c>::Components wrong{
      .actor = theta::MultiCategoricalPolicy<float>(2, theta::MultiDiscrete{2, 3, 1}, multi_small, 2, 32, init)};
  CHECK(multi_error_of([&] {
          theta::OnPolicyTrainer<Env, theta::a2c::A2c> t(multi_two_by_16, multi_a2c, std::move(wrong),
                                                         Env(PairChoice{}, 5));
        }) == "OnPolicyTrainer: the actor stores 3 rows per action, the action space MultiDiscrete([2, 3]) needs 2 (one "
              "index per dimension)");
}
