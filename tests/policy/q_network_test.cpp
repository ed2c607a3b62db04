#include <theta/policy/q_function.hpp>
#include <theta/policy/q_network.hpp>

#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"
#include "policy/checks.hpp"

#include <cmath>

using theta::Index;
using theta::QNetwork;
using theta::test::five_point;
using theta::test::numerical_gradient;
using Mat = theta::Matrix<double>;
using theta::test::max_relative_error;
using theta::test::random_matrix;
using Vec = theta::Vector<double>;

namespace {

const theta::NetworkConfig net{.hidden = {6, 5}, .activation = theta::nn::Activation::tanh,
                               .init = theta::Init::torch_default};

}  // namespace

static_assert(theta::QFunction<QNetwork<float>>);
static_assert(theta::QFunction<QNetwork<double>>);

TEST_CASE("QNetwork backward and action gradient match finite differences", "[gradient]") {
  theta::Rng rng(31);
  const Index obs_dim = 3, act_dim = 2, batch = 8;
  QNetwork<double> q(obs_dim, act_dim, net, batch, rng);
  const Mat obs = random_matrix(obs_dim, batch, rng);
  Mat actions = random_matrix(act_dim, batch, rng);
  const Vec w = random_matrix(batch, 1, rng);

  // Parameters: L = w · Q(s, a).
  const auto loss = [&] { return w.dot(q.forward(obs, actions)); };
  loss();
  q.zero_grad();
  q.backward(w);
  const Vec analytic_params = q.gradients();
  REQUIRE(max_relative_error(analytic_params, numerical_gradient(loss, q.parameters(), five_point)) < 1e-6);

  // Actions, through the policy workspace; the parameter gradients stay untouched.
  const Vec grads_before = q.gradients();
  const auto policy_loss = [&] { return w.dot(q.forward_policy(obs, actions)); };
  policy_loss();
  Mat grad_actions(act_dim, batch);
  q.action_gradient(w, grad_actions);
  const Vec analytic = grad_actions.reshaped();
  const Vec numeric = numerical_gradient(policy_loss, actions.reshaped(), five_point);
  REQUIRE(analytic.norm() > 1e-2);
  REQUIRE(max_relative_error(analytic, numeric) < 1e-6);
  REQUIRE(q.gradients() == grads_before);
}

TEST_CASE("QNetwork: passes keep their own tapes, copies are independent", "[unit]") {
  theta::Rng rng(2);
  QNetwork<double> q(3, 1, net, 4, rng);
  QNetwork<double> other(3, 1, net, 4, rng);
  REQUIRE(q.parameters() != other.parameters());  // drawn one after the other
  const Mat obs = random_matrix(3, 4, rng), a = random_matrix(1, 4, rng), b = random_matrix(1, 4, rng);
  const Vec q_a = q.forward(obs, a);
  const Vec q_b = q.forward_policy(obs, b);
  Vec predicted(4);
  q.predict(obs, a, predicted);
  REQUIRE(Vec(q.forward_policy(obs, b)) == q_b);
  Mat in(4, 4);
  in << obs, a;
  REQUIRE(q_a.transpose() == q.network().predict(in));
  REQUIRE(predicted == q_a);

  // A copy (SAC's target) starts equal and then follows its own parameters.
  QNetwork<double> target = q;
  Vec t(4);
  target.predict(obs, a, t);
  REQUIRE(t == q_a);
  q.parameters().array() += 1.0;
  target.predict(obs, a, t);
  REQUIRE(t == q_a);
  REQUIRE_THROWS_AS(q.forward(obs, random_matrix(2, 4, rng)), theta::Error);
  REQUIRE_THROWS_WITH(QNetwork<double>(3, 0, net, 4, rng), Catch::Contains("QNetwork: obs_dim and act_dim must be >= 1"));
}
