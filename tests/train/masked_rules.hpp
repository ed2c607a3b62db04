#pragma once
// Shared by masked_training_test.cpp (Discrete) and multi_discrete_training_test.cpp
// (MultiDiscrete): PPO, A2C, TRPO and REINFORCE on a masked environment that throws on an
// invalid action never send one, keep the masks they acted under in the rollout and update
// under them, are bit-reproducible and resume exactly from a checkpoint.
//
// A `Case` names one masked environment: `Env` (a TimeLimit over a savable MaskedEnvironment
// that throws on an invalid action) and `Unmasked` (the same without its mask), `make()` and
// `make_unmasked()`, `nvec` (its actions per dimension, {n} for Discrete(n)), `refusal` (the
// start of its error for an invalid action) and `episode_steps` (its time limit).

#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace theta::test {

inline const NetworkConfig masked_rules_net{.hidden = {16}};
inline const OnPolicyConfig masked_rules_two_by_16{.n_envs = 2, .n_steps = 16};
inline const ppo::Config masked_rules_ppo{.batch_size = 8, .n_epochs = 2, .actor = masked_rules_net,
                                          .critic = masked_rules_net};
inline const a2c::Config masked_rules_a2c{.actor = masked_rules_net, .critic = masked_rules_net};
inline const trpo::Config masked_rules_trpo{.batch_size = 8, .n_critic_updates = 2, .actor = masked_rules_net,
                                            .critic = masked_rules_net};
inline const reinforce::Config masked_rules_reinforce{.use_baseline = true, .actor = masked_rules_net,
                                                      .critic = masked_rules_net};

/// What `f()` threw (any theta::Error), or "(no theta::Error)".
template <class F>
std::string masked_rules_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no theta::Error)";
}

/// One more rollout after training: each stored action (one row per dimension) is valid under
/// its stored mask in every dimension, and the policy recomputes the acting log-probabilities
/// from the stored masks (and context); without the masks they differ, so the masks matter.
template <class Case, class Trainer>
void check_masked_rollout(Trainer& trainer) {
  trainer.collect();
  auto& buffer = trainer.buffer();
  const Index n = buffer.size();
  const auto masks = buffer.action_masks().leftCols(n);
  const auto actions = buffer.actions().leftCols(n);
  Index total = 0;
  for (const std::int64_t k : Case::nvec) total += static_cast<Index>(k);
  REQUIRE(masks.rows() == total);
  REQUIRE(actions.rows() == static_cast<Index>(Case::nvec.size()));
  REQUIRE(((masks.array() == 0) || (masks.array() == 1)).all());
  REQUIRE(masks.sum() < static_cast<float>(masks.size()));  // some actions were masked
  for (Index j = 0; j < n; ++j) {
    Index offset = 0;
    for (Index d = 0; d < actions.rows(); ++d) {
      REQUIRE(masks(offset + static_cast<Index>(actions(d, j)), j) == 1.0f);
      offset += static_cast<Index>(Case::nvec[static_cast<std::size_t>(d)]);
    }
  }

  Vector<float> logp(n), ent(n), unmasked_logp(n), unmasked_ent(n);
  const auto batch = buffer.batch();
  // In chunks of 8 columns, within every rule's training capacity here (PPO's batch_size).
  for (Index start = 0; start < n; start += 8) {
    const Index m = std::min<Index>(8, n - start);
    evaluate_with_context(trainer.actor(), batch.observations.middleCols(start, m), batch.actions.middleCols(start, m),
                          batch.action_masks.middleCols(start, m), batch.contexts.middleCols(start, m),
                          logp.segment(start, m), ent.segment(start, m));
    evaluate_with_context(trainer.actor(), batch.observations.middleCols(start, m), batch.actions.middleCols(start, m),
                          batch.contexts.middleCols(start, m), unmasked_logp.segment(start, m),
                          unmasked_ent.segment(start, m));
  }
  // The acting batch (n_envs columns) and these run through other matrix kernels: equal to
  // float rounding, as the dropout tests of on_policy_trainer_test.cpp.
  CHECK((logp - buffer.log_probs().head(n)).cwiseAbs().maxCoeff() < 1e-6f);
  CHECK(logp.maxCoeff() <= 0.0f);
  CHECK(ent.allFinite());
  CHECK((unmasked_logp - buffer.log_probs().head(n)).cwiseAbs().maxCoeff() > 1e-2f);
}

/// Trains `steps` on the masked environment (which throws on an invalid action), checks the
/// rollout, evaluates (which acts through predict with the masks) and returns the parameters.
template <template <class...> class Algo, class Case, class Config>
Vector<float> train_masked(const OnPolicyConfig& trainer_config, const Config& config, std::int64_t steps) {
  OnPolicyTrainer<typename Case::Env, Algo> trainer(trainer_config, config, {}, Case::make());
  const TrainingResult result = trainer.learn(steps);
  REQUIRE(result.steps >= steps);
  REQUIRE(result.updates >= 1);
  REQUIRE(trainer.episodes_finished() >= 1);
  check_masked_rollout<Case>(trainer);
  CHECK(trainer.evaluate(3).returns.size() == 3);
  auto params = trainer.actor().parameters();
  REQUIRE(params.allFinite());
  return params;
}

/// The same trainer on the environment without its mask fails: it does reject invalid actions.
template <template <class...> class Algo, class Case, class Config>
void unmasked_fails(const OnPolicyConfig& trainer_config, const Config& config, std::int64_t steps) {
  OnPolicyTrainer<typename Case::Unmasked, Algo> trainer(trainer_config, config, {}, Case::make_unmasked());
  CHECK(masked_rules_error([&] { trainer.learn(steps); }).find(Case::refusal) != std::string::npos);
}

/// PPO, A2C, TRPO and REINFORCE (and PPO with dropout) train on `Case` and fail without its mask.
template <class Case>
void masked_rule_sections() {
  SECTION("PPO") {
    train_masked<ppo::Ppo, Case>(masked_rules_two_by_16, masked_rules_ppo, 320);
    unmasked_fails<ppo::Ppo, Case>(masked_rules_two_by_16, masked_rules_ppo, 320);
  }
  SECTION("A2C") {
    train_masked<a2c::A2c, Case>(masked_rules_two_by_16, masked_rules_a2c, 320);
    unmasked_fails<a2c::A2c, Case>(masked_rules_two_by_16, masked_rules_a2c, 320);
  }
  SECTION("TRPO (KL and Fisher-vector product under the masks)") {
    train_masked<trpo::Trpo, Case>(masked_rules_two_by_16, masked_rules_trpo, 320);
    unmasked_fails<trpo::Trpo, Case>(masked_rules_two_by_16, masked_rules_trpo, 320);
  }
  SECTION("REINFORCE (whole episodes)") {
    const OnPolicyConfig episodes{.n_steps = Case::episode_steps};
    train_masked<reinforce::Reinforce, Case>(episodes, masked_rules_reinforce, 200);
    unmasked_fails<reinforce::Reinforce, Case>(episodes, masked_rules_reinforce, 200);
  }
  SECTION("PPO with dropout in the actor: masks and dropout context together") {
    ppo::Config dropout = masked_rules_ppo;
    dropout.actor.dropout = 0.3;
    train_masked<ppo::Ppo, Case>(masked_rules_two_by_16, dropout, 160);
  }
}

/// Two runs give the same parameters, and a run saved after 64 steps, loaded and continued for
/// 96 ends with the checkpoint of a straight run of 160, its environments' masks restored with
/// their states. Returns the checkpoint saved after 64 steps.
template <class Case>
std::vector<std::uint8_t> check_masked_resume() {
  const auto a = train_masked<ppo::Ppo, Case>(masked_rules_two_by_16, masked_rules_ppo, 160);
  const auto b = train_masked<ppo::Ppo, Case>(masked_rules_two_by_16, masked_rules_ppo, 160);
  CHECK(a == b);

  using Trainer = OnPolicyTrainer<typename Case::Env, ppo::Ppo>;
  OnPolicyConfig config = masked_rules_two_by_16;
  config.total_steps = 160;  // one schedule horizon for the straight and the resumed run
  Trainer straight(config, masked_rules_ppo, {}, Case::make());
  straight.learn(160);
  Trainer first(config, masked_rules_ppo, {}, Case::make());
  first.learn(64);
  std::vector<std::uint8_t> saved = first.checkpoint().bytes();
  Trainer resumed(config, masked_rules_ppo, {}, Case::make());
  CHECK(resumed.load(saved).episodes_continued);  // savable: the masks come back with the states
  CHECK((resumed.envs().action_masks() == first.envs().action_masks()).all());
  resumed.learn(96);
  CHECK(resumed.checkpoint().bytes() == straight.checkpoint().bytes());
  return saved;
}

}  // namespace theta::test
