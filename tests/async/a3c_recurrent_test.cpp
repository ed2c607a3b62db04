// A3C with a recurrent actor and critic (issue 15): one worker taking turns trains exactly as
// recurrent A2C with one environment; evaluate starts every episode from a zero state and
// leaves predict's state alone; predict carries a state of its own; the exported policy acts
// and carries its state as predict, bit for bit; worker threads train it too.
#include <theta/inference.hpp>
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"
#include "support/trainer_checks.hpp"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace {

using theta::test::actor_critic_parameters;
using CueEnv = theta::TimeLimit<theta::test::Cue>;
using RecActor = theta::RecurrentCategoricalPolicy<float, theta::nn::Cell::gru>;
using RecCritic = theta::RecurrentValueFunction<float, theta::nn::Cell::gru>;
using Opt = theta::RmsProp<float>;
using A3cTrainer = theta::AsyncTrainer<CueEnv, theta::a3c::A3c, RecActor, RecCritic, Opt>;
using A2cTrainer = theta::OnPolicyTrainer<CueEnv, theta::a2c::A2c, RecActor, RecCritic, Opt>;
const theta::RecurrentNetworkConfig rec_small{.hidden = 8, .layers = {8}};
constexpr std::uint64_t seed = 9;
constexpr theta::Index n_steps = 5;

// The same components for both trainers: one slot to act on, one rollout of n_steps to train on.
template <class Components>
Components components(std::uint64_t init_seed) {
  theta::Rng rng(init_seed);
  RecActor actor(2, 2, rec_small, 1, n_steps, rng);
  RecCritic critic(2, rec_small, 1, n_steps, rng);
  return Components{.actor = std::move(actor), .critic = std::move(critic)};
}

const theta::a3c::Config a3c_config{.learning_rate = 3e-3, .rms_prop_alpha = 0.95, .rms_prop_eps = 1e-3,
                                    .rms_prop_tf_like = false, .ent_coef = 0.01, .max_grad_norm = 0.5};
const theta::a2c::Config a2c_config{.learning_rate = 3e-3, .rms_prop_alpha = 0.95, .rms_prop_eps = 1e-3,
                                    .ent_coef = 0.01, .max_grad_norm = 0.5};

A3cTrainer make_a3c(bool deterministic, std::size_t workers = 1) {
  // Episodes of 4 steps cut at 3 by the time limit on every other reset: truncations too.
  return A3cTrainer({.workers = workers, .deterministic = deterministic, .n_steps = n_steps, .gamma = 0.9,
                     .seed = seed},
                    a3c_config, components<A3cTrainer::Components>(11), CueEnv(theta::test::Cue{}, 100));
}

}  // namespace

TEST_CASE("Recurrent A3C: one worker taking turns trains exactly as recurrent A2C with one environment", "[unit]") {
  A3cTrainer a3c = make_a3c(true);
  // The worker's streams are those of an on-policy trainer seeded with stream 16 of the seed.
  A2cTrainer a2c({.n_envs = 1, .n_steps = n_steps, .gamma = 0.9, .seed = theta::derive_seed(seed, 16)}, a2c_config,
                 components<A2cTrainer::Components>(11), CueEnv(theta::test::Cue{}, 100));
  REQUIRE(actor_critic_parameters(a3c) == actor_critic_parameters(a2c));
  const auto r3 = a3c.learn(1500);
  const auto r2 = a2c.learn(1500);
  CHECK(r3.updates == r2.updates);
  const theta::Vector<float> p3 = actor_critic_parameters(a3c), p2 = actor_critic_parameters(a2c);
  CHECK((p3 - actor_critic_parameters(a3c.worker(0))).norm() > 0);  // the worker's copy is behind by one update
  for (theta::Index i = 0; i < p3.size(); ++i) REQUIRE(p3[i] == p2[i]);
  // The worker's acting states are the A2C trainer's (the recurrent state carried through rollouts).
  CHECK(a3c.worker(0).algorithm().actor().state() == a2c.algorithm().actor().state());
  CHECK(a3c.worker(0).algorithm().critic().state() == a2c.algorithm().critic().state());

  // The same parameters evaluate the same: every episode from a zero state.
  const std::vector<std::uint64_t> seeds{21, 22, 23, 24, 25, 26, 27, 28};
  const theta::EvaluationResult e3 = a3c.evaluate(seeds);
  const theta::EvaluationResult e2 = a2c.evaluate(seeds);
  CHECK(e3.returns == e2.returns);
  CHECK(e3.lengths == e2.lengths);
  CHECK(a3c.evaluate(8, 5).returns == a2c.evaluate(8, 5).returns);
}

TEST_CASE("Recurrent A3C: predict carries its own state, evaluate leaves it, export acts as predict", "[unit]") {
  A3cTrainer trainer = make_a3c(true);
  trainer.learn(400);
  const theta::Matrix<float> acting = trainer.worker(0).algorithm().actor().state();
  CHECK(trainer.prediction_state().isZero(0.0f));

  // predict against a hand-driven copy of the shared actor, stepped on one slot.
  RecActor by_hand = trainer.actor();
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
  CHECK(trainer.prediction_state().norm() > 0.0f);
  CHECK(trainer.worker(0).algorithm().actor().state() == acting);  // the workers' states are untouched
  const theta::Vector<float> predicting = trainer.prediction_state();
  trainer.evaluate(3);
  CHECK(trainer.prediction_state() == predicting);
  trainer.reset_prediction();
  CHECK(trainer.prediction_state().isZero(0.0f));

  const auto path = std::filesystem::temp_directory_path() / "theta_a3c_recurrent_test.policy";
  trainer.export_policy(path);
  auto policy = theta::inference::Policy::load(path);
  std::filesystem::remove(path);
  CHECK(policy.is_recurrent());
  CHECK(theta::test::check_recurrent_export_on_cue(trainer, policy, 100, 3) == 12);
  // evaluate_stateful_policy with the exported policy, reset before every episode: the
  // trainer's evaluation, episode for episode.
  const std::vector<std::uint64_t> seeds{31, 32, 33, 34, 35, 36};
  int starts = 0;
  const theta::EvaluationResult exported = theta::evaluate_stateful_policy(
      CueEnv(theta::test::Cue{}, 100), seeds,
      [&] {
        policy.reset();
        ++starts;
      },
      [&](const theta::test::Cue::Observation& o) { return static_cast<int>(policy.predict_index(o)); });
  CHECK(starts == 6);
  CHECK(exported.returns == trainer.evaluate(seeds).returns);
  CHECK(exported.lengths == trainer.evaluate(seeds).lengths);
}

TEST_CASE("Recurrent A3C on worker threads: trains, saves and resumes", "[unit]") {
  A3cTrainer trainer = make_a3c(false, 2);
  const auto result = trainer.learn(2000);
  CHECK(result.steps >= 2000);
  CHECK(actor_critic_parameters(trainer).allFinite());
  for (std::size_t w = 0; w < 2; ++w) CHECK(trainer.worker(w).algorithm().actor().state().allFinite());
  const std::vector<std::uint8_t> saved = trainer.checkpoint().bytes();
  A3cTrainer resumed = make_a3c(false, 2);
  resumed.load(saved);
  CHECK((resumed.checkpoint().bytes() == saved));
  CHECK(resumed.learn(500).steps >= 2500);
}
