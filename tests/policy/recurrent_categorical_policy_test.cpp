// RecurrentCategoricalPolicy (theta/policy/recurrent_categorical_policy.hpp): the concepts it
// satisfies, acting that carries and resets the recurrent state, evaluate with the stored
// states recomputing the acting distribution, its gradient against central differences, and
// its errors.

#include <theta/algo/ppo.hpp>
#include <theta/env/classic/cartpole.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/policy/recurrent_categorical_policy.hpp>
#include <theta/policy/recurrent_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>
#include <theta/policy/trust_region_policy.hpp>
#include <theta/train/on_policy_trainer.hpp>

#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace recurrent_policy_test {

using theta::Index;
using theta::Matrix;
using theta::RecurrentCategoricalPolicy;
using theta::Rng;
using theta::Vector;
using theta::nn::Cell;

static_assert(theta::ContextPolicy<RecurrentCategoricalPolicy<float>>);
static_assert(theta::DiscretePolicy<RecurrentCategoricalPolicy<double, Cell::gru>>);
static_assert(theta::ContextPolicy<RecurrentCategoricalPolicy<double, Cell::gru>>);
// No Fisher-vector product: PPO, A2C and REINFORCE, not TRPO.
static_assert(!theta::TrustRegionPolicy<RecurrentCategoricalPolicy<float>>);
static_assert(theta::SequencePolicy<RecurrentCategoricalPolicy<float>>);
static_assert(theta::MaskedContextPolicy<RecurrentCategoricalPolicy<float, Cell::gru>>);
static_assert(theta::SequenceValueFunction<theta::RecurrentValueFunction<float>>);
static_assert(theta::SequenceValueFunction<theta::RecurrentValueFunction<double, Cell::gru>>);
static_assert(!theta::SequencePolicy<theta::CategoricalPolicy<float>>);
static_assert(!theta::SequenceValueFunction<theta::ValueFunction<float>>);

template <class T>
Matrix<T> normal_columns(Index rows, Index cols, Rng& rng) {
  Matrix<T> m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = rng.normal<T>();
  return m;
}

// Acts for `steps` steps in 3 environment slots, resetting slot 1 before step 3, and returns
// everything a rollout buffer keeps: observations, actions, log-probabilities, contexts, all
// time-major (step t in columns [3 t, 3 t + 3)).
template <class T, Cell C>
void check_act_evaluate(double tol) {
  INFO((C == Cell::gru ? "GRU" : "LSTM") << (std::is_same_v<T, double> ? " double" : " float"));
  const Index envs = 3, steps = 6, obs_dim = 2, n = envs * steps;
  Rng rng(21);
  RecurrentCategoricalPolicy<T, C> policy(
      obs_dim, 4, {.hidden = 8, .layers = {5}, .activation = theta::nn::Activation::relu}, envs, n, rng);
  const Index rows = policy.context_rows();
  const Matrix<T> obs = normal_columns<T>(obs_dim, n, rng);
  Matrix<T> actions(1, n), contexts(rows, n);
  Vector<T> log_probs(n);
  Vector<T> starts = Vector<T>::Zero(envs);
  starts[1] = T(1);
  Matrix<T> after(rows, envs);  // the state after the previous step
  for (Index t = 0; t < steps; ++t) {
    if (t == 3) policy.reset_states(starts);
    const Index col = t * envs;
    policy.act(obs.middleCols(col, envs), rng, actions.middleCols(col, envs), log_probs.segment(col, envs),
               contexts.middleCols(col, envs));
    if (t == 0) CHECK(contexts.leftCols(envs).isZero(0.0));  // a fresh policy starts every episode at 0
    if (t > 0) {
      for (Index b = 0; b < envs; ++b) {
        if (t == 3 && b == 1) {
          CHECK(contexts.col(col + b).isZero(0.0));
        } else {
          CHECK(contexts.col(col + b) == after.col(b));
        }
      }
    }
    after = policy.state().leftCols(envs);
  }
  CHECK(contexts.rightCols(envs).norm() > 0);  // the state carries something

  // The training pass over the whole rollout, with the stored states, gives the acting
  // log-probabilities (up to the order of one product's sums: the batch differs).
  Vector<T> evaluated(n), entropy(n);
  policy.evaluate(obs, actions, contexts, evaluated, entropy);
  CHECK((evaluated - log_probs).cwiseAbs().maxCoeff() <= tol);
  CHECK((entropy.array() > T(0)).all());
  CHECK((entropy.array() <= std::log(T(4)) + T(1e-6)).all());

  // The same rollout replayed as 3 sequences of 6 steps from the states stored at step 0, with
  // slot 1's reset before step 3 as an episode start: the acting log-probabilities again.
  Matrix<T> starts_seq = Matrix<T>::Zero(envs, steps);
  starts_seq(1, 3) = T(1);
  Vector<T> replayed(n), replayed_entropy(n);
  policy.evaluate_sequences(obs, actions, contexts.leftCols(envs), starts_seq, replayed, replayed_entropy);
  CHECK((replayed - log_probs).cwiseAbs().maxCoeff() <= tol);
  CHECK((replayed_entropy - entropy).cwiseAbs().maxCoeff() <= tol);
  // Without the episode start the replay differs from step 3 of slot 1 on: the flag matters.
  starts_seq(1, 3) = T(0);
  policy.evaluate_sequences(obs, actions, contexts.leftCols(envs), starts_seq, replayed, replayed_entropy);
  CHECK(std::abs(replayed[3 * envs + 1] - log_probs[3 * envs + 1]) > T(100) * tol);
  CHECK((replayed.head(3 * envs) - log_probs.head(3 * envs)).cwiseAbs().maxCoeff() <= tol);
}

// The gradient of sum_b w_b log pi_b + u_b H_b over a recorded batch against five-point central
// differences of every parameter (recurrent layer and head), from random stored states.
template <Cell C>
void check_policy_gradient() {
  INFO((C == Cell::gru ? "GRU" : "LSTM"));
  const Index batch = 5, obs_dim = 3;
  Rng rng(17);
  RecurrentCategoricalPolicy<double, C> policy(obs_dim, 3, {.hidden = 4}, batch, batch, rng);
  // A head away from 0 (gain 0.01 would leave the trunk's share of the gradient tiny).
  for (Index k = 0; k < policy.head().weight().size(); ++k) policy.head().weight().data()[k] = 0.7 * rng.normal();
  const Matrix<double> obs = normal_columns<double>(obs_dim, batch, rng);
  const Matrix<double> context = normal_columns<double>(policy.context_rows(), batch, rng);
  Matrix<double> actions(1, batch);
  actions << 0, 2, 1, 1, 0;
  const Vector<double> w = normal_columns<double>(batch, 1, rng), u = normal_columns<double>(batch, 1, rng);
  Vector<double> log_probs(batch), entropy(batch);
  const auto loss = [&] {
    policy.evaluate(obs, actions, context, log_probs, entropy);
    return w.dot(log_probs) + u.dot(entropy);
  };
  loss();
  policy.zero_grad();
  policy.backward(w, u);
  const Vector<double> analytic = policy.gradients();
  // Five points, step 1e-4 relative: truncation and rounding (~1e-12 here) far below 1e-8.
  const auto numeric = theta::test::numerical_gradient(loss, policy.parameters(), theta::test::five_point);
  const double err = ((analytic - numeric).array().abs() / numeric.array().abs().max(1.0)).maxCoeff();
  CHECK(err <= 1e-8);
  CHECK(analytic.head(policy.recurrent_layer().num_parameters()).norm() > 0);  // the trunk learns too
}


TEST_CASE("RecurrentCategoricalPolicy: acting carries the state, evaluate with the stored states recomputes it",
          "[unit]") {
  check_act_evaluate<double, Cell::lstm>(1e-13);
  check_act_evaluate<double, Cell::gru>(1e-13);
  check_act_evaluate<float, Cell::lstm>(1e-5);
  check_act_evaluate<float, Cell::gru>(1e-5);
}

TEST_CASE("RecurrentCategoricalPolicy through the trainer's helpers: act_recording and evaluate_with_context",
          "[unit]") {
  Rng rng(8);
  RecurrentCategoricalPolicy<float, Cell::gru> policy(3, 2, {.hidden = 5}, 4, 8, rng);
  CHECK(theta::context_rows(policy) == 5);
  const Matrix<float> obs = normal_columns<float>(3, 8, rng);
  Matrix<float> actions(1, 8), context(5, 8);
  Vector<float> log_probs(8), evaluated(8), entropy(8);
  for (Index t = 0; t < 2; ++t) {
    theta::act_recording(policy, obs.middleCols(4 * t, 4), rng, actions.middleCols(4 * t, 4), log_probs.segment(4 * t, 4),
                         context.middleCols(4 * t, 4));
  }
  CHECK(context.leftCols(4).isZero(0.0f));
  CHECK(context.rightCols(4).norm() > 0);
  theta::evaluate_with_context(policy, obs, actions, context, evaluated, entropy);
  CHECK((evaluated - log_probs).cwiseAbs().maxCoeff() <= 1e-5f);
}

TEST_CASE("RecurrentCategoricalPolicy in the OnPolicyTrainer starts every episode from a zero state", "[unit]") {
  // The trainer owns the resets: the context stored for an episode's first step must be 0,
  // not the state the environment's previous episode ended in.
  using Env = theta::TimeLimit<theta::CartPole>;
  using Policy = RecurrentCategoricalPolicy<float, Cell::gru>;
  const Index n_envs = 2, n_steps = 64;
  Rng rng(3);
  theta::OnPolicyTrainer<Env, theta::ppo::Ppo, Policy> trainer(
      {.n_envs = n_envs, .n_steps = n_steps, .seed = 5}, {.batch_size = 32, .n_epochs = 1, .sequence_length = 16},
      {.actor = Policy(4, 2, {.hidden = 8}, n_envs, 32, rng)}, Env(theta::CartPole{}, 500));
  trainer.learn(n_envs * n_steps);
  const auto& buffer = trainer.buffer();
  Index episode_starts = 0;
  for (Index e = 0; e < n_envs; ++e) {
    CHECK(buffer.contexts().col(e).isZero(0.0f));  // the first step of the run
    CHECK(buffer.episode_starts()[e] == 1.0f);
    for (Index t = 1; t < n_steps; ++t) {
      const Index col = t * n_envs + e;
      INFO("environment " << e << ", step " << t);
      if (buffer.terminated(t - 1, e) || buffer.truncated(t - 1, e)) {
        ++episode_starts;
        CHECK(buffer.contexts().col(col).isZero(0.0f));
        CHECK(buffer.episode_starts()[col] == 1.0f);
      } else {
        CHECK(buffer.contexts().col(col).norm() > 0.0f);
        CHECK(buffer.episode_starts()[col] == 0.0f);
      }
    }
  }
  CHECK(episode_starts >= 2);  // CartPole under a near-uniform policy ends within ~40 steps
}

TEST_CASE("RecurrentCategoricalPolicy in the OnPolicyTrainer: evaluate starts each episode from zero and leaves "
          "the collection state alone", "[unit]") {
  using Env = theta::TimeLimit<theta::CartPole>;
  using Policy = RecurrentCategoricalPolicy<float, Cell::lstm>;
  Rng rng(4);
  theta::OnPolicyTrainer<Env, theta::ppo::Ppo, Policy> trainer(
      {.n_envs = 2, .n_steps = 16, .seed = 6}, {.batch_size = 32, .n_epochs = 1},
      {.actor = Policy(4, 2, {.hidden = 8}, 2, 32, rng)}, Env(theta::CartPole{}, 500));
  trainer.learn(32);
  auto& actor = trainer.algorithm().actor();
  const Matrix<float> collecting = actor.state();
  REQUIRE(collecting.norm() > 0.0f);  // mid-episode states, which evaluation must not touch
  const std::vector<std::uint64_t> both{11, 12}, second{12};
  const theta::EvaluationResult a = trainer.evaluate(both);
  CHECK(actor.state() == collecting);
  // The second episode does not start from the state the first ended in.
  const theta::EvaluationResult b = trainer.evaluate(second);
  CHECK(a.returns[1] == b.returns[0]);
  CHECK(a.lengths[1] == b.lengths[0]);
  trainer.evaluate(3);
  CHECK(actor.state() == collecting);
}

TEST_CASE("RecurrentCategoricalPolicy: deterministic acting takes the largest logit, sampling is reproducible",
          "[unit]") {
  Rng rng(4);
  RecurrentCategoricalPolicy<double> a(3, 5, {.hidden = 6}, 2, 2, rng);
  // A larger head, so that the logits differ visibly.
  a.head().weight() *= 100.0;
  RecurrentCategoricalPolicy<double> b = a;
  const Matrix<double> obs = normal_columns<double>(3, 2, rng);
  Matrix<double> actions(1, 2), again(1, 2);
  Vector<double> lp(2), lp2(2);
  a.act(obs, rng, true, actions, lp);
  // The same step by hand: the state after it, through the head.
  const Matrix<double> h = a.state().topRows(6);
  const Matrix<double> logits = (a.head().weight() * h).colwise() + a.head().bias();
  for (Index j = 0; j < 2; ++j) {
    Index k = 0;
    logits.col(j).maxCoeff(&k);
    CHECK(actions(0, j) == static_cast<double>(k));
  }
  Rng r1(9), r2(9);
  a.reset_states();
  a.act(obs, r1, false, actions, lp);
  b.act(obs, r2, false, again, lp2);
  CHECK(actions == again);
  CHECK(lp == lp2);
}

TEST_CASE("RecurrentCategoricalPolicy backward matches central differences", "[gradient]") {
  check_policy_gradient<Cell::lstm>();
  check_policy_gradient<Cell::gru>();
}

TEST_CASE("RecurrentCategoricalPolicy rejects bad configurations and inputs with errors that name them", "[unit]") {
  Rng rng(1);
  REQUIRE_THROWS_WITH(RecurrentCategoricalPolicy<float>(2, 3, {.hidden = 0}, 1, 1, rng),
                      Catch::Contains("RecurrentCategoricalPolicy config.hidden must be >= 1, got 0"));
  REQUIRE_THROWS_WITH(RecurrentCategoricalPolicy<float>(2, 3, {.hidden = 4, .init = theta::Init::xavier_uniform}, 1, 1, rng),
                      Catch::Contains("init must be Init::torch_default or Init::orthogonal"));
  REQUIRE_THROWS_WITH(RecurrentCategoricalPolicy<float>(2, 0, {.hidden = 4}, 1, 1, rng),
                      Catch::Contains("n_actions must be >= 1, got 0"));
  RecurrentCategoricalPolicy<float> policy(2, 3, {.hidden = 4}, 2, 4, rng);
  const Matrix<float> obs = Matrix<float>::Ones(2, 2), actions = Matrix<float>::Zero(1, 2);
  Vector<float> lp(2), ent(2);
  REQUIRE_THROWS_WITH(policy.evaluate(obs, actions, lp, ent), Catch::Contains("needs the state each step started from"));
  REQUIRE_THROWS_WITH(policy.evaluate(obs, actions, Matrix<float>::Zero(4, 2), lp, ent),
                      Catch::Contains("context must be 8 x 2, got 4 x 2"));
  // A training batch larger than the policy was built for names the constructor argument,
  // not the recurrent layer's initial_state the caller never passed.
  Vector<float> lp5(5), ent5(5);
  REQUIRE_THROWS_WITH(policy.evaluate(Matrix<float>::Ones(2, 5), Matrix<float>::Zero(1, 5), Matrix<float>::Zero(8, 5),
                                      lp5, ent5),
                      Catch::Contains("a batch of 5; it was built for training batches of 1 to 4 (max_train_batch)"));
  Matrix<float> context(8, 3);
  Matrix<float> acted(1, 2);
  REQUIRE_THROWS_WITH(policy.act(obs, rng, acted, lp, context), Catch::Contains("context must be 8 x 2, got 8 x 3"));
  Matrix<float> three(1, 3);
  Vector<float> lp3(3);
  REQUIRE_THROWS_WITH(policy.act(Matrix<float>::Ones(2, 3), rng, false, three, lp3),
                      Catch::Contains("a batch of 3; it acts on 1 to 2 slots (max_act_batch)"));
  Vector<float> flags(2);
  flags << 0.0f, 0.5f;
  REQUIRE_THROWS_WITH(policy.reset_states(flags), Catch::Contains("the flags must be 0 (carry) or 1 (reset)"));
}

// The gradient of sum w log pi + u H over S = 3 sequences of L = 4 steps, with an episode start
// inside one sequence, from random initial states, through two hidden layers, against five-point
// central differences of every parameter.
template <Cell C>
void check_sequence_gradient() {
  INFO((C == Cell::gru ? "GRU" : "LSTM"));
  const Index s_count = 3, steps = 4, n = s_count * steps, obs_dim = 2;
  Rng rng(29);
  RecurrentCategoricalPolicy<double, C> policy(
      obs_dim, 3, {.hidden = 4, .layers = {5, 3}, .activation = theta::nn::Activation::tanh}, s_count, n, rng);
  for (Index k = 0; k < policy.head().weight().size(); ++k) policy.head().weight().data()[k] = 0.7 * rng.normal();
  const Matrix<double> obs = normal_columns<double>(obs_dim, n, rng);
  const Matrix<double> initial = normal_columns<double>(policy.context_rows(), s_count, rng);
  Matrix<double> starts = Matrix<double>::Zero(s_count, steps);
  starts(2, 2) = 1.0;
  Matrix<double> actions(1, n);
  for (Index j = 0; j < n; ++j) actions(0, j) = static_cast<double>(j % 3);
  const Vector<double> w = normal_columns<double>(n, 1, rng), u = normal_columns<double>(n, 1, rng);
  Vector<double> log_probs(n), entropy(n);
  const auto loss = [&] {
    policy.evaluate_sequences(obs, actions, initial, starts, log_probs, entropy);
    return w.dot(log_probs) + u.dot(entropy);
  };
  loss();
  policy.zero_grad();
  policy.backward(w, u);
  const Vector<double> analytic = policy.gradients();
  const auto numeric = theta::test::numerical_gradient(loss, policy.parameters(), theta::test::five_point);
  const double err = ((analytic - numeric).array().abs() / numeric.array().abs().max(1.0)).maxCoeff();
  CHECK(err <= 1e-8);
  CHECK(analytic.head(policy.recurrent_layer().num_parameters()).norm() > 0);
}

TEST_CASE("RecurrentCategoricalPolicy::evaluate_sequences: backward through time matches central differences",
          "[gradient]") {
  check_sequence_gradient<Cell::lstm>();
  check_sequence_gradient<Cell::gru>();
}

TEST_CASE("RecurrentCategoricalPolicy: masked acting and masked sequences recompute the acting distribution",
          "[unit]") {
  const Index envs = 2, steps = 5, n = envs * steps;
  Rng rng(12);
  RecurrentCategoricalPolicy<double, Cell::gru> policy(3, 4, {.hidden = 6}, envs, n, rng);
  policy.head().weight() *= 50.0;
  const Matrix<double> obs = normal_columns<double>(3, n, rng);
  Matrix<double> masks = Matrix<double>::Ones(4, n);
  for (Index j = 0; j < n; ++j) masks(j % 4, j) = 0.0;  // one invalid action per step
  Matrix<double> actions(1, n), contexts(policy.context_rows(), n);
  Vector<double> log_probs(n);
  for (Index t = 0; t < steps; ++t) {
    policy.act_masked(obs.middleCols(t * envs, envs), masks.middleCols(t * envs, envs), rng,
                      actions.middleCols(t * envs, envs), log_probs.segment(t * envs, envs),
                      contexts.middleCols(t * envs, envs));
  }
  for (Index j = 0; j < n; ++j) CHECK(masks(static_cast<Index>(actions(0, j)), j) == 1.0);
  Vector<double> replayed(n), entropy(n);
  policy.evaluate_sequences_masked(obs, actions, masks, contexts.leftCols(envs), Matrix<double>::Zero(envs, steps),
                                   replayed, entropy);
  CHECK((replayed - log_probs).cwiseAbs().maxCoeff() <= 1e-12);
  theta::evaluate_sequences(policy, obs, actions, masks, contexts.leftCols(envs), Matrix<double>::Zero(envs, steps),
                            replayed, entropy);
  CHECK((replayed - log_probs).cwiseAbs().maxCoeff() <= 1e-12);
  // Deterministic masked acting never takes the masked action, even where it has the top logit.
  policy.reset_states();
  Matrix<double> first(1, envs);
  Vector<double> lp(envs);
  policy.act(obs.leftCols(envs), rng, true, first, lp);
  Matrix<double> forbid = Matrix<double>::Ones(4, envs);
  for (Index b = 0; b < envs; ++b) forbid(static_cast<Index>(first(0, b)), b) = 0.0;
  policy.reset_states();
  Matrix<double> second(1, envs);
  policy.act_masked(obs.leftCols(envs), forbid, rng, true, second, lp);
  for (Index b = 0; b < envs; ++b) CHECK(second(0, b) != first(0, b));
}

TEST_CASE("RecurrentValueFunction: step carries the state, predict does not, forward_sequences replays it", "[unit]") {
  const Index envs = 3, steps = 5, n = envs * steps;
  Rng rng(5);
  theta::RecurrentValueFunction<double> critic(2, {.hidden = 6, .layers = {4}}, envs, n, rng);
  const Matrix<double> obs = normal_columns<double>(2, n, rng);
  Matrix<double> contexts(critic.context_rows(), n);
  Vector<double> values(n), peeked(envs);
  Vector<double> reset = Vector<double>::Zero(envs);
  reset[0] = 1.0;
  for (Index t = 0; t < steps; ++t) {
    if (t == 2) critic.reset_states(reset);
    const Matrix<double> before = critic.state();
    critic.predict(obs.middleCols(t * envs, envs), peeked);
    CHECK(critic.state() == before);  // predict leaves the slots alone
    critic.step(obs.middleCols(t * envs, envs), values.segment(t * envs, envs), contexts.middleCols(t * envs, envs));
    CHECK(contexts.middleCols(t * envs, envs) == before);
    CHECK((peeked - values.segment(t * envs, envs)).cwiseAbs().maxCoeff() <= 1e-14);  // the same step
  }
  Matrix<double> starts = Matrix<double>::Zero(envs, steps);
  starts(0, 2) = 1.0;
  const Vector<double> replayed = critic.forward_sequences(obs, contexts.leftCols(envs), starts);
  CHECK((replayed - values).cwiseAbs().maxCoeff() <= 1e-13);
  const Vector<double> one_step = critic.forward(obs, contexts);
  CHECK((one_step - values).cwiseAbs().maxCoeff() <= 1e-13);
  REQUIRE_THROWS_WITH(critic.forward(obs), Catch::Contains("needs the state each step started from"));

  // Backward through time against five-point central differences.
  const Vector<double> w = normal_columns<double>(n, 1, rng);
  const Matrix<double> initial = normal_columns<double>(critic.context_rows(), envs, rng);
  const auto loss = [&] { return w.dot(critic.forward_sequences(obs, initial, starts)); };
  loss();
  critic.zero_grad();
  critic.backward(w);
  const Vector<double> analytic = critic.gradients();
  const auto numeric = theta::test::numerical_gradient(loss, critic.parameters(), theta::test::five_point);
  CHECK(((analytic - numeric).array().abs() / numeric.array().abs().max(1.0)).maxCoeff() <= 1e-8);
}

}  // namespace recurrent_policy_test
