#include <theta/policy/twin_q.hpp>

#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"

#include <cmath>

using theta::Index;
using theta::TwinQ;
using theta::test::five_point;
using theta::test::numerical_gradient;
using Mat = theta::Matrix<double>;
using Vec = theta::Vector<double>;

namespace {

Mat random_matrix(Index rows, Index cols, theta::Rng& rng) {
  Mat m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = rng.normal();
  return m;
}

double rel_err(const Vec& a, const Vec& b) { return ((a - b).array().abs() / b.array().abs().max(1e-3)).maxCoeff(); }

const theta::NetworkConfig net{.hidden = {6, 5}, .activation = theta::nn::Activation::tanh,
                               .init = theta::Init::torch_default};

}  // namespace

TEST_CASE("TwinQ backward and action gradient match finite differences", "[gradient]") {
  theta::Rng rng(31);
  const Index obs_dim = 3, act_dim = 2, batch = 8;
  TwinQ<double> critics(obs_dim, act_dim, net, batch, rng);
  const Mat obs = random_matrix(obs_dim, batch, rng);
  Mat actions = random_matrix(act_dim, batch, rng);
  const Vec w1 = random_matrix(batch, 1, rng), w2 = random_matrix(batch, 1, rng);

  // Parameters: L = w1 · Q1(s, a) + w2 · Q2(s, a).
  const auto loss = [&] {
    critics.forward(obs, actions);
    return w1.dot(critics.q1()) + w2.dot(critics.q2());
  };
  loss();
  critics.zero_grad();
  critics.backward(w1, w2);
  for (std::size_t i = 0; i < 2; ++i) {
    const Vec analytic = critics.gradients(i);
    REQUIRE(rel_err(analytic, numerical_gradient(loss, critics.parameters(i), five_point)) < 1e-6);
  }

  // Actions, through the policy workspaces; the parameter gradients stay untouched.
  const Vec grads_before = critics.gradients(0);
  const auto policy_loss = [&] {
    critics.forward_policy(obs, actions);
    return w1.dot(critics.policy_q1()) + w2.dot(critics.policy_q2());
  };
  policy_loss();
  Mat grad_actions(act_dim, batch);
  critics.action_gradient(w1, w2, grad_actions);
  const Vec analytic = grad_actions.reshaped();
  const Vec numeric = numerical_gradient(policy_loss, actions.reshaped(), five_point);
  REQUIRE(analytic.norm() > 1e-2);
  REQUIRE(rel_err(analytic, numeric) < 1e-6);
  REQUIRE(critics.gradients(0) == grads_before);
}

TEST_CASE("TwinQ: separate critics, targets that start as copies, passes that keep their own tapes", "[unit]") {
  theta::Rng rng(2);
  TwinQ<double> critics(3, 1, net, 4, rng);
  REQUIRE(critics.parameters(0) != critics.parameters(1));
  REQUIRE(critics.target_network(0).parameters() == critics.parameters(0));
  REQUIRE(critics.target_network(1).parameters() == critics.parameters(1));
  const Mat obs = random_matrix(3, 4, rng), a = random_matrix(1, 4, rng), b = random_matrix(1, 4, rng);
  critics.forward(obs, a);
  const Vec q1 = critics.q1();
  critics.forward_policy(obs, b);
  critics.target_values(obs, b);
  REQUIRE(critics.q1() == q1);  // untouched by the other passes
  REQUIRE(critics.policy_q1() == critics.target_q1());  // targets are copies
  Mat in(4, 4);
  in << obs, a;
  REQUIRE(q1.transpose() == critics.network(0).predict(in));

  const Vec p0 = critics.parameters(0), t0 = critics.target_network(0).parameters();
  critics.parameters(0).array() += 1.0;
  critics.polyak_update(0.1);
  REQUIRE((critics.target_network(0).parameters() - (0.9 * t0 + 0.1 * (p0.array() + 1.0).matrix())).cwiseAbs().maxCoeff() <
          1e-15);
  REQUIRE_THROWS_AS(critics.forward(obs, random_matrix(2, 4, rng)), theta::Error);
}
