// Invalid-action masking through the on-policy trainers (issue 15): PPO, A2C, TRPO and
// REINFORCE on a MaskedEnvironment never send an invalid action, the rollout keeps the masks
// the policy acted under (the update recomputes exactly the acting log-probabilities), and
// evaluation, predict and the exported policy apply the mask. A3C: tests/async/a3c_masked_test.cpp.
#include <theta/inference.hpp>
#include <theta/io/onnx.hpp>
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

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
const theta::NetworkConfig masked_small{.hidden = {16}};
const theta::OnPolicyConfig masked_two_by_16{.n_envs = 2, .n_steps = 16};

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

// After training: one more rollout, whose stored actions are all valid under their stored
// masks, and whose log-probabilities the policy recomputes from the stored masks (and context)
// as they were when it acted; without the masks they differ, so the masks are what matters.
template <class Trainer>
void masked_check_rollout(Trainer& trainer) {
  trainer.collect();
  auto& buffer = trainer.buffer();
  const theta::Index n = buffer.size();
  const auto masks = buffer.action_masks().leftCols(n);
  const auto actions = buffer.actions().leftCols(n);
  REQUIRE(masks.rows() == 4);
  REQUIRE(((masks.array() == 0) || (masks.array() == 1)).all());
  REQUIRE(masks.sum() < static_cast<float>(masks.size()));  // some actions were masked
  for (theta::Index j = 0; j < n; ++j) REQUIRE(masks(static_cast<theta::Index>(actions(0, j)), j) == 1.0f);

  theta::Vector<float> logp(n), ent(n), unmasked_logp(n), unmasked_ent(n);
  const auto batch = buffer.batch();
  // In chunks of 8 columns, within every rule's training capacity here (PPO's batch_size).
  for (theta::Index start = 0; start < n; start += 8) {
    const theta::Index m = std::min<theta::Index>(8, n - start);
    theta::evaluate_with_context(trainer.actor(), batch.observations.middleCols(start, m),
                                 batch.actions.middleCols(start, m), batch.action_masks.middleCols(start, m),
                                 batch.contexts.middleCols(start, m), logp.segment(start, m), ent.segment(start, m));
    theta::evaluate_with_context(trainer.actor(), batch.observations.middleCols(start, m),
                                 batch.actions.middleCols(start, m), batch.contexts.middleCols(start, m),
                                 unmasked_logp.segment(start, m), unmasked_ent.segment(start, m));
  }
  // The acting batch (n_envs columns) and these run through other matrix kernels: equal to
  // float rounding, as the dropout tests of on_policy_trainer_test.cpp.
  CHECK((logp - buffer.log_probs().head(n)).cwiseAbs().maxCoeff() < 1e-6f);
  CHECK(logp.maxCoeff() <= 0.0f);
  CHECK(ent.allFinite());
  CHECK((unmasked_logp - buffer.log_probs().head(n)).cwiseAbs().maxCoeff() > 1e-2f);
}

// Trains `steps` on the masked walk (which throws on an invalid action), checks the rollout,
// evaluates (which acts through predict with the masks) and returns the trainer's parameters.
template <template <class...> class Algo, class Config>
theta::Vector<float> masked_train(const theta::OnPolicyConfig& trainer_config, const Config& config,
                                  std::int64_t steps) {
  theta::OnPolicyTrainer<MaskedWalkEnv, Algo> trainer(trainer_config, config, {}, masked_walk());
  const theta::TrainingResult result = trainer.learn(steps);
  REQUIRE(result.steps >= steps);
  REQUIRE(result.updates >= 1);
  REQUIRE(trainer.episodes_finished() >= 1);
  masked_check_rollout(trainer);
  const theta::EvaluationResult eval = trainer.evaluate(3);
  CHECK(eval.returns.size() == 3);
  auto params = trainer.actor().parameters();
  REQUIRE(params.allFinite());
  return params;
}

// The same trainer on the walk without its mask fails: the walk does reject invalid actions.
template <template <class...> class Algo, class Config>
void masked_unmasked_fails(const theta::OnPolicyConfig& trainer_config, const Config& config, std::int64_t steps) {
  theta::OnPolicyTrainer<UnmaskedWalkEnv, Algo> trainer(trainer_config, config, {},
                                                        UnmaskedWalkEnv(UnmaskedWalk{}, 25));
  CHECK(masked_error_of([&] { trainer.learn(steps); }).find("MaskedWalk: action ") != std::string::npos);
}

const theta::ppo::Config masked_ppo{.batch_size = 8, .n_epochs = 2, .actor = masked_small, .critic = masked_small};
const theta::a2c::Config masked_a2c{.actor = masked_small, .critic = masked_small};
const theta::trpo::Config masked_trpo{.batch_size = 8, .n_critic_updates = 2, .actor = masked_small,
                                      .critic = masked_small};
const theta::reinforce::Config masked_reinforce{.use_baseline = true, .actor = masked_small, .critic = masked_small};

}  // namespace

static_assert(theta::MaskedPolicy<theta::CategoricalPolicy<float>>);
static_assert(theta::MaskedContextPolicy<theta::CategoricalPolicy<double>>);
static_assert(!theta::MaskedPolicy<theta::GaussianPolicy<float>>);

TEST_CASE("PPO, A2C, TRPO and REINFORCE on a masked environment never send an invalid action and update under the "
          "stored masks",
          "[unit]") {
  SECTION("PPO") {
    masked_train<theta::ppo::Ppo>(masked_two_by_16, masked_ppo, 320);
    masked_unmasked_fails<theta::ppo::Ppo>(masked_two_by_16, masked_ppo, 320);
  }
  SECTION("A2C") {
    masked_train<theta::a2c::A2c>(masked_two_by_16, masked_a2c, 320);
    masked_unmasked_fails<theta::a2c::A2c>(masked_two_by_16, masked_a2c, 320);
  }
  SECTION("TRPO (KL and Fisher-vector product under the masks)") {
    masked_train<theta::trpo::Trpo>(masked_two_by_16, masked_trpo, 320);
    masked_unmasked_fails<theta::trpo::Trpo>(masked_two_by_16, masked_trpo, 320);
  }
  SECTION("REINFORCE (whole episodes)") {
    masked_train<theta::reinforce::Reinforce>({.n_steps = 25}, masked_reinforce, 200);
    masked_unmasked_fails<theta::reinforce::Reinforce>({.n_steps = 25}, masked_reinforce, 200);
  }
  SECTION("PPO with dropout in the actor: masks and dropout context together") {
    theta::ppo::Config dropout = masked_ppo;
    dropout.actor.dropout = 0.3;
    masked_train<theta::ppo::Ppo>(masked_two_by_16, dropout, 160);
  }
}

TEST_CASE("Masked training is bit-reproducible and resumes exactly from a checkpoint", "[unit]") {
  const auto a = masked_train<theta::ppo::Ppo>(masked_two_by_16, masked_ppo, 160);
  const auto b = masked_train<theta::ppo::Ppo>(masked_two_by_16, masked_ppo, 160);
  CHECK(a == b);

  using Trainer = theta::OnPolicyTrainer<MaskedWalkEnv, theta::ppo::Ppo>;
  theta::OnPolicyConfig config = masked_two_by_16;
  config.total_steps = 160;  // one schedule horizon for the straight and the resumed run
  Trainer straight(config, masked_ppo, {}, masked_walk());
  straight.learn(160);
  Trainer first(config, masked_ppo, {}, masked_walk());
  first.learn(64);
  const std::vector<std::uint8_t> saved = first.checkpoint().bytes();
  Trainer resumed(config, masked_ppo, {}, masked_walk());
  const theta::LoadResult loaded = resumed.load(saved);
  CHECK(loaded.episodes_continued);  // the walk is savable: its masks come back with its states
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK((resumed.envs().action_masks().col(static_cast<theta::Index>(i)) ==
           first.envs().action_masks().col(static_cast<theta::Index>(i)))
              .all());
  }
  resumed.learn(96);
  CHECK(resumed.checkpoint().bytes() == straight.checkpoint().bytes());
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
