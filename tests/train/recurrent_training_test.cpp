// Recurrent actors and critics through the on-policy trainers (issue 15): PPO and A2C replay
// whole sequences from the stored states (the first pass of an update recomputes exactly the
// acting log-probabilities and values), the rollout keeps episode starts and the critic's
// states, a truncated episode is bootstrapped from the critic's slot, and a checkpoint resumes
// a recurrent run bit for bit. Learning: tests/learning/recurrent_learning_test.cpp.
#include <theta/inference.hpp>
#include <theta/io/onnx.hpp>
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"
#include "support/trainer_checks.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>

namespace {

using CueEnv = theta::TimeLimit<theta::test::Cue>;
using RecActor = theta::RecurrentCategoricalPolicy<float, theta::nn::Cell::lstm>;
using RecCritic = theta::RecurrentValueFunction<float, theta::nn::Cell::lstm>;
const theta::RecurrentNetworkConfig rec_small{.hidden = 8, .layers = {8}};

// Cue episodes of 4 steps, cut at 3 by the time limit in every other test: truncations too.
CueEnv cue_env(int limit = 100) { return CueEnv(theta::test::Cue{}, limit); }

template <template <class, class, class> class Rule>
auto make_recurrent_trainer(const theta::OnPolicyConfig& config, const typename Rule<RecActor, RecCritic,
                            theta::Adam<float>>::Config& rule, theta::Index train_batch, int limit = 100) {
  theta::Rng rng(config.seed + 100);
  using Trainer = theta::OnPolicyTrainer<CueEnv, Rule, RecActor, RecCritic, theta::Adam<float>>;
  return Trainer(config, rule,
                 {.actor = RecActor(2, 2, rec_small, config.n_envs, train_batch, rng),
                  .critic = RecCritic(2, rec_small, config.n_envs, train_batch, rng)},
                 cue_env(limit));
}

}  // namespace

TEST_CASE("Recurrent PPO: the first minibatch of sequences recomputes the acting distribution and values exactly",
          "[unit]") {
  // One epoch, one minibatch of 4 sequences of 8 steps: nothing has moved before it is evaluated.
  auto trainer = make_recurrent_trainer<theta::ppo::Ppo>({.n_envs = 2, .n_steps = 16, .seed = 3},
                                                          {.batch_size = 32, .n_epochs = 1, .sequence_length = 8}, 32);
  trainer.learn(32);  // moves the policy away from its start
  trainer.collect();
  const auto& buffer = trainer.buffer();
  REQUIRE(buffer.episode_starts().size() == 32);
  REQUIRE(buffer.critic_contexts().rows() == 16);
  CHECK(buffer.episode_starts().sum() >= 4.0f);  // episodes of 4 steps start inside the sequences
  const auto stats = trainer.algorithm().update(buffer.batch(), 1.0);
  CHECK(std::abs(stats.approx_kl) < 1e-6);
  CHECK(stats.clip_fraction == 0.0);
}

TEST_CASE("Recurrent PPO and A2C: replayed sequences reproduce the stored log-probabilities and values", "[unit]") {
  auto trainer = make_recurrent_trainer<theta::a2c::A2c>({.n_envs = 3, .n_steps = 10, .seed = 4}, {}, 30);
  trainer.learn(60);
  trainer.collect();
  const auto& buffer = trainer.buffer();
  const auto batch = buffer.batch();
  const theta::Index envs = 3, steps = 10, n = envs * steps;
  // The rollout's time-major order is 3 sequences of 10 steps.
  theta::Matrix<float> starts(envs, steps);
  for (theta::Index t = 0; t < steps; ++t) {
    for (theta::Index e = 0; e < envs; ++e) starts(e, t) = batch.episode_starts[t * envs + e];
  }
  RecActor actor = trainer.algorithm().actor();
  RecCritic critic = trainer.algorithm().critic();
  theta::Vector<float> logp(n), ent(n);
  actor.evaluate_sequences(batch.observations, batch.actions, batch.contexts.leftCols(envs), starts, logp, ent);
  CHECK((logp - batch.log_probs).cwiseAbs().maxCoeff() <= 1e-5f);
  const theta::Vector<float> values = critic.forward_sequences(batch.observations, batch.critic_contexts.leftCols(envs), starts);
  CHECK((values - batch.values).cwiseAbs().maxCoeff() <= 1e-5f);
  // Without the episode starts the replay is wrong: they are what makes it right.
  actor.evaluate_sequences(batch.observations, batch.actions, batch.contexts.leftCols(envs),
                           theta::Matrix<float>::Zero(envs, steps), logp, ent);
  CHECK((logp - batch.log_probs).cwiseAbs().maxCoeff() > 1e-3f);

  // A2C's update reads the same sequences: its policy loss is -mean(A log pi_old).
  const double expected = -static_cast<double>(batch.advantages.dot(batch.log_probs)) / static_cast<double>(n);
  const auto stats = trainer.algorithm().update(batch, 1.0);
  CHECK(std::abs(stats.policy_loss - expected) < 1e-5);
}

TEST_CASE("Recurrent critic: a truncated episode is bootstrapped from its copy's state", "[unit]") {
  // Episodes cut after 2 of their 4 steps: every third step of a copy is truncated.
  auto trainer = make_recurrent_trainer<theta::a2c::A2c>({.n_envs = 2, .n_steps = 6, .seed = 8}, {}, 12, 2);
  trainer.learn(12);
  RecCritic before = trainer.algorithm().critic();  // the critic that collects the next rollout
  trainer.collect();
  const auto& buffer = trainer.buffer();
  theta::Index truncations = 0;
  for (theta::Index t = 0; t < 6; ++t) {
    for (theta::Index e = 0; e < 2; ++e) {
      if (!buffer.truncated(t, e)) continue;
      ++truncations;
      // The slot's state after step t, then one step on the final observation (Cue shows
      // (0, 0) after its second step: the blank, not the decision step).
      const theta::Index col = t * 2 + e;
      before.state().col(0) = buffer.critic_contexts().col(col);
      theta::Vector<float> v(1);
      theta::Matrix<float> ctx(before.context_rows(), 1);
      before.step(buffer.observations().col(col), v, ctx);
      CHECK(std::abs(v[0] - buffer.values()[col]) <= 1e-6f);
      before.predict(theta::Matrix<float>::Zero(2, 1), v);
      INFO("step " << t << ", copy " << e);
      CHECK(std::abs(v[0] - buffer.final_values()[col]) <= 1e-6f);
    }
  }
  CHECK(truncations == 6);  // steps 1, 3 and 5 of both copies
}

TEST_CASE("Recurrent PPO: a checkpoint resumes the run bit for bit, acting states included", "[unit]") {
  // Rollouts of 6 steps, episodes of 4: the checkpoint falls mid-episode.
  const theta::OnPolicyConfig config{.n_envs = 2, .n_steps = 6, .seed = 11};
  const theta::ppo::Config rule{.batch_size = 6, .n_epochs = 2, .sequence_length = 3};
  auto a = make_recurrent_trainer<theta::ppo::Ppo>(config, rule, 6);
  a.learn(36);
  const auto saved = a.checkpoint().bytes();
  REQUIRE(a.algorithm().actor().state().norm() > 0.0f);  // mid-episode states
  a.learn(48);
  auto b = make_recurrent_trainer<theta::ppo::Ppo>(config, rule, 6);
  CHECK(b.load(saved).episodes_continued);  // Cue is savable: the episodes go on
  b.learn(48);
  CHECK(a.algorithm().actor().parameters() == b.algorithm().actor().parameters());
  CHECK(a.algorithm().critic().parameters() == b.algorithm().critic().parameters());
  CHECK(a.algorithm().actor().state() == b.algorithm().actor().state());
  CHECK(a.algorithm().critic().state() == b.algorithm().critic().state());
}

TEST_CASE("Recurrent PPO: sequence settings are checked", "[unit]") {
  REQUIRE_THROWS_WITH(make_recurrent_trainer<theta::ppo::Ppo>({.n_envs = 2, .n_steps = 16}, {.batch_size = 32, .sequence_length = 5}, 32),
                      Catch::Contains("ppo::Config::sequence_length: n_steps = 16 must be a multiple of it, got 5"));
  REQUIRE_THROWS_WITH(make_recurrent_trainer<theta::ppo::Ppo>({.n_envs = 2, .n_steps = 16}, {.batch_size = 12, .sequence_length = 8}, 32),
                      Catch::Contains("ppo::Config::batch_size must be a multiple of the sequence length 8"));
  REQUIRE_THROWS_WITH(make_recurrent_trainer<theta::ppo::Ppo>({.n_envs = 2, .n_steps = 16}, {.batch_size = 32, .sequence_length = -1}, 32),
                      Catch::Contains("ppo::Config::sequence_length"));
}

TEST_CASE("Recurrent actor: predict carries a state of its own and leaves the collection state alone", "[unit]") {
  auto trainer = make_recurrent_trainer<theta::a2c::A2c>({.n_envs = 2, .n_steps = 5, .seed = 2}, {}, 10);
  trainer.learn(10);  // 5 steps per copy: mid-episode
  const theta::Matrix<float> collecting = trainer.algorithm().actor().state();
  REQUIRE(collecting.norm() > 0.0f);
  RecActor by_hand = trainer.algorithm().actor();
  by_hand.reset_states();
  theta::Rng rng(1);
  theta::test::Cue env;
  theta::test::Cue::Observation obs = env.reset(3);
  trainer.reset_prediction();
  for (int t = 0; t < 4; ++t) {
    const int action = trainer.predict(obs);
    theta::Matrix<float> act(1, 1);
    theta::Vector<float> lp(1);
    by_hand.act(obs, rng, true, act, lp);
    CHECK(static_cast<float>(action) == act(0, 0));
    CHECK(trainer.prediction_state() == by_hand.state().col(0));
    if (t < 3) obs = env.step(action).observation;
  }
  CHECK(trainer.algorithm().actor().state() == collecting);
  // reset_prediction starts over from zero; evaluate leaves the prediction state as it was.
  const theta::Vector<float> predicting = trainer.prediction_state();
  trainer.evaluate(3);
  CHECK(trainer.prediction_state() == predicting);
  trainer.reset_prediction();
  CHECK(trainer.prediction_state().isZero(0.0f));
}

TEST_CASE("Recurrent actor: the exported policy carries its state and acts as predict, bit for bit", "[unit]") {
  // Observation normalisation on, so that the file's normaliser is in the path too.
  auto trainer = make_recurrent_trainer<theta::ppo::Ppo>(
      {.n_envs = 2, .n_steps = 8, .normalize_observations = true, .seed = 6}, {.batch_size = 16, .n_epochs = 2}, 16);
  trainer.learn(64);
  const auto path = std::filesystem::temp_directory_path() / "theta_recurrent_training_test.policy";
  trainer.export_policy(path);
  auto policy = theta::inference::Policy::load(path);
  std::filesystem::remove(path);
  CHECK(policy.is_recurrent());
  CHECK(policy.observation_size() == 2);
  CHECK(policy.n_actions() == 2);
  CHECK(theta::test::check_recurrent_export_on_cue(trainer, policy, 100, 3) == 12);
  CHECK(policy.state().norm() > 0.0f);
  policy.reset();
  CHECK(policy.state().isZero(0.0f));
  // ONNX has no state inputs: refused, naming why.
  REQUIRE_THROWS_WITH(theta::io::onnx_model(trainer.policy_description()), Catch::Contains("the policy is recurrent"));
}
