#include <theta/policy/squashed_gaussian_policy.hpp>

#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"
#include "policy/checks.hpp"

#include <cmath>

using theta::Index;
using theta::LogStdBound;
using theta::SquashedGaussianPolicy;
using theta::test::five_point;
using theta::test::numerical_gradient;
using Mat = theta::Matrix<double>;
using theta::test::max_relative_error;
using theta::test::random_matrix;
using Vec = theta::Vector<double>;

namespace {

const theta::NetworkConfig tanh_net{.hidden = {7, 5}, .activation = theta::nn::Activation::tanh,
                                    .init = theta::Init::torch_default};

}  // namespace

TEST_CASE("SquashedGaussianPolicy backward matches finite differences through the sample", "[gradient]") {
  for (const auto bound : {LogStdBound::clamp, LogStdBound::tanh}) {
    theta::Rng rng(21);
    const Index obs_dim = 4, act_dim = 3, batch = 9;
    SquashedGaussianPolicy<double> policy(obs_dim, act_dim, tanh_net, {.bound = bound, .min = -3.0, .max = 1.0}, 2,
                                          batch, rng);
    policy.parameters() *= 2.5;  // outputs of order 1: the tanh and the bound are not linear there
    const Mat obs = random_matrix(obs_dim, batch, rng);
    const Mat noise = random_matrix(act_dim, batch, rng);
    const Mat w_action = random_matrix(act_dim, batch, rng);
    const Vec w_log_prob = random_matrix(batch, 1, rng);
    Mat actions(act_dim, batch);
    Vec log_probs(batch);
    const auto objective = [&] {
      policy.forward(obs);
      policy.sample_with_noise(noise, actions, log_probs);
      return (w_action.array() * actions.array()).sum() + w_log_prob.dot(log_probs);
    };
    objective();
    // A pass on other states in between must not disturb the recorded one.
    Mat other_actions(act_dim, batch);
    Vec other_log_probs(batch);
    policy.sample_no_grad(random_matrix(obs_dim, batch, rng), noise, other_actions, other_log_probs);
    policy.zero_grad();
    policy.backward(w_action, w_log_prob);
    const Vec analytic = policy.gradients();
    const Vec numeric = numerical_gradient(objective, policy.parameters(), five_point);
    INFO("bound " << static_cast<int>(bound));
    REQUIRE(analytic.norm() > 1e-2);
    REQUIRE(max_relative_error(analytic, numeric) < 1e-6);
  }
}

TEST_CASE("SquashedGaussianPolicy acts in (-1, 1) with a bounded log-std; deterministic is tanh(mean)", "[unit]") {
  theta::Rng rng(4);
  const Index obs_dim = 3, act_dim = 2, batch = 6;
  for (const auto bound : {LogStdBound::clamp, LogStdBound::tanh}) {
    SquashedGaussianPolicy<float> policy(obs_dim, act_dim, tanh_net, {.bound = bound, .min = -2.0, .max = 0.5}, batch,
                                         batch, rng);
    policy.parameters() *= 20.0f;  // huge raw outputs: saturated actions, log-stds at the bounds
    const theta::Matrix<float> obs = random_matrix(obs_dim, batch, rng).cast<float>();
    theta::Matrix<float> actions(act_dim, batch), mode(act_dim, batch);
    theta::Vector<float> log_probs(batch);
    policy.act(obs, rng, false, actions);
    REQUIRE((actions.array().abs() <= 1.0f).all());
    policy.forward(obs);
    const auto& dist = policy.distribution();
    REQUIRE((dist.log_std().array() >= -2.0f).all());
    REQUIRE((dist.log_std().array() <= 0.5f).all());
    policy.rsample(rng, actions, log_probs);
    REQUIRE(log_probs.allFinite());
    policy.act(obs, rng, true, mode);
    REQUIRE(mode.isApprox(dist.mean().array().tanh().matrix()));
  }
}

TEST_CASE("SquashedGaussianPolicy: the mean and log-std heads are the two halves of the last layer", "[unit]") {
  theta::Rng rng(8);
  SquashedGaussianPolicy<double> policy(3, 2, tanh_net, {}, 1, 4, rng);
  const Mat obs = random_matrix(3, 4, rng);
  const Mat out = policy.network().predict(obs);
  policy.forward(obs);
  REQUIRE(policy.distribution().mean() == out.topRows(2));
  REQUIRE(policy.distribution().log_std() == out.bottomRows(2));  // inside [-20, 2]: unclamped
  REQUIRE_THROWS_AS(SquashedGaussianPolicy<double>(3, 2, tanh_net, {.min = 1.0, .max = 1.0}, 1, 4, rng),
                    theta::ConfigError);
}
