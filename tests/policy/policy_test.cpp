#include <theta/policy.hpp>

#include <catch2/catch.hpp>

#include "support/data_dir.hpp"
#include "support/finite_difference.hpp"
#include "support/json.hpp"
#include "policy/checks.hpp"

#include <cmath>
#include <concepts>
#include <type_traits>

using theta::CategoricalPolicy;
using theta::GaussianPolicy;
using theta::MultiCategoricalPolicy;
using theta::Index;
using theta::NetworkConfig;
using theta::ValueFunction;
using theta::test::numerical_gradient;
using Mat = theta::Matrix<double>;
using theta::test::random_matrix;
using Vec = theta::Vector<double>;

namespace {

// A policy on 3-dimensional observations with 4 actions (MultiDiscrete{3, 1, 2}, or 2
// continuous dimensions), batches of 10.
template <class Policy>
Policy make_policy(const NetworkConfig& config, theta::Rng& rng) {
  if constexpr (std::constructible_from<Policy, Index, const theta::MultiDiscrete&, const NetworkConfig&, Index, Index,
                                        theta::Rng&>) {
    return Policy(3, theta::MultiDiscrete{3, 1, 2}, config, 10, 10, rng);
  } else if constexpr (Policy::is_discrete) {
    return Policy(3, 4, config, 10, 10, rng);
  } else {
    return Policy(3, 2, config, 0.1, 10, 10, rng);
  }
}

double max_err(const Vec& a, const Vec& b) {
  return ((a - b).array().abs() / b.array().abs().max(1.0)).maxCoeff();
}

}  // namespace

TEMPLATE_TEST_CASE("Policy backward matches finite differences", "[gradient]", (CategoricalPolicy<double>),
                   (MultiCategoricalPolicy<double>), (GaussianPolicy<double>)) {
  theta::Rng rng(3);
  const Index obs_dim = 3, act = 2;
  const NetworkConfig config{.hidden = {5, 4}, .activation = theta::nn::Activation::tanh};
  for (const Index batch : {1, 7}) {
    auto policy = [&] {
      if constexpr (std::is_same_v<TestType, MultiCategoricalPolicy<double>>) {
        return TestType(obs_dim, theta::MultiDiscrete{3, 2}, config, batch, batch, rng);
      } else if constexpr (TestType::is_discrete) {
        return TestType(obs_dim, act + 1, config, batch, batch, rng);  // 3 actions
      } else {
        return TestType(obs_dim, act, config, -0.3, batch, batch, rng);
      }
    }();
    // Larger head weights than the 0.01 init, so that the test is not near-degenerate.
    policy.network().parameters() = Vec::Random(policy.network().num_parameters()) * 0.8;
    const Mat obs = random_matrix(obs_dim, batch, rng);
    Mat actions(policy.action_rows(), batch);
    Vec logp(batch), ent(batch);
    policy.act(obs, rng, false, actions, logp);
    const Vec w = random_matrix(batch, 1, rng);
    const Vec u = random_matrix(batch, 1, rng);
    const auto objective = [&] {
      policy.evaluate(obs, actions, logp, ent);
      return w.dot(logp) + u.dot(ent);
    };
    Vec params = policy.parameters();
    objective();
    policy.zero_grad();
    policy.backward(w, u);
    const Vec analytic = policy.gradients();
    const Vec numeric = numerical_gradient(
        [&] {
          policy.parameters() = params;
          return objective();
        },
        params, {.step = 1e-6, .relative = true});
    policy.parameters() = params;  // the last call of f() left the last entry at x - h
    INFO("batch " << batch);
    REQUIRE(max_err(analytic, numeric) < 1e-7);
    // act's log-probabilities agree with evaluate's.
    Vec logp_act(batch);
    theta::Rng replay(11);
    policy.act(obs, replay, false, actions, logp_act);
    policy.evaluate(obs, actions, logp, ent);
    REQUIRE((logp_act - logp).cwiseAbs().maxCoeff() < 1e-12);
  }
}

TEST_CASE("ValueFunction backward matches finite differences", "[gradient]") {
  theta::Rng rng(5);
  ValueFunction<double> critic(3, {.hidden = {6}, .activation = theta::nn::Activation::relu}, 4, 9, rng);
  const Mat obs = random_matrix(3, 9, rng);
  const Vec w = random_matrix(9, 1, rng);
  const auto objective = [&] { return w.dot(Vec(critic.forward(obs))); };
  objective();
  critic.zero_grad();
  critic.backward(w);
  const Vec analytic = critic.gradients();
  const Vec numeric = numerical_gradient(objective, critic.parameters(), {.step = 1e-6, .relative = true});
  REQUIRE(max_err(analytic, numeric) < 1e-7);
  Vec predicted(4);
  critic.predict(obs.leftCols(4), predicted);
  REQUIRE((predicted - Vec(critic.forward(obs)).head(4)).cwiseAbs().maxCoeff() < 1e-14);
}

namespace {

// Loads the 4 -> 8 tanh -> 8 tanh -> 2 network of mlp.json (PyTorch layout) into `net`.
void load_mlp(theta::nn::Mlp<double>& net, const theta::test::Json& k) {
  const char* w[] = {"W1", "W2", "W3"};
  const char* b[] = {"b1", "b2", "b3"};
  for (Index l = 0; l < 3; ++l) {
    auto layer = net.layer(l);
    layer.weight() = k[w[l]].matrix();
    layer.bias() = k[b[l]].vector();
  }
}

// PyTorch's flat order (row-major W per layer) -> ours (column-major W).
Vec from_torch_order(const theta::nn::Mlp<double>& net, const Vec& torch) {
  Vec ours(torch.size());
  Index offset = 0;
  for (Index l = 0; l < net.num_layers(); ++l) {
    const Index out = net.layer(l).outputs(), in = net.layer(l).inputs();
    for (Index i = 0; i < out; ++i)
      for (Index j = 0; j < in; ++j) ours[offset + j * out + i] = torch[offset + i * in + j];
    for (Index i = 0; i < out; ++i) ours[offset + out * in + i] = torch[offset + out * in + i];
    offset += out * in + out;
  }
  ours.tail(torch.size() - offset) = torch.tail(torch.size() - offset);
  return ours;
}

}  // namespace

TEST_CASE("Fisher-vector products match PyTorch (mlp.json)", "[conformance]") {
  const auto path = theta::test::data_dir("THETA_TORCH_REFERENCE", "torch") / "mlp.json";
  const auto data = theta::test::Json::load(path.string());
  const NetworkConfig config{.hidden = {8, 8}, .activation = theta::nn::Activation::tanh};
  theta::Rng rng(0);
  int checked = 0;
  for (const auto& k : data["cases"].array()) {
    const std::string name = k["name"].string();
    if (name.rfind("categorical", 0) != 0 && name.rfind("gaussian", 0) != 0) continue;
    INFO(name);
    const Mat obs = k["inputs"].batch();
    const Index batch = obs.cols();
    Vec out;
    if (name.rfind("categorical", 0) == 0) {
      CategoricalPolicy<double> policy(4, 2, config, batch, batch, rng);
      load_mlp(policy.network(), k);
      Mat actions = Mat::Zero(1, batch);
      Vec logp(batch), ent(batch);
      policy.evaluate(obs, actions, logp, ent);
      const Vec v = from_torch_order(policy.network(), k["tangent"].vector());
      out.resize(v.size());
      policy.fisher_vector_product(v, out);
      const Vec expected = from_torch_order(policy.network(), k["fvp"].vector());
      REQUIRE(max_err(out, expected) < 1e-12);
    } else {
      const Vec log_std = k["log_std"].vector();
      GaussianPolicy<double> policy(4, 2, config, 0.0, batch, batch, rng);
      load_mlp(policy.network(), k);
      Vec params = policy.parameters();
      params.tail(2) = log_std;
      policy.parameters() = params;
      Mat actions = Mat::Zero(2, batch);
      Vec logp(batch), ent(batch);
      policy.evaluate(obs, actions, logp, ent);
      const Vec v = from_torch_order(policy.network(), k["tangent"].vector());
      out.resize(v.size());
      policy.fisher_vector_product(v, out);
      const Vec expected = from_torch_order(policy.network(), k["fvp"].vector());
      REQUIRE(max_err(out, expected) < 1e-12);
    }
    ++checked;
  }
  REQUIRE(checked == 3);
}

TEMPLATE_TEST_CASE("KL from the snapshot is 0 at the snapshot and positive after a change", "[unit]",
                   (CategoricalPolicy<double>), (MultiCategoricalPolicy<double>), (GaussianPolicy<double>)) {
  theta::Rng rng(8);
  const NetworkConfig config{.hidden = {6}};
  auto policy = make_policy<TestType>(config, rng);
  policy.network().parameters() = Vec::Random(policy.network().num_parameters());
  const Mat obs = random_matrix(3, 10, rng);
  Mat actions(policy.action_rows(), 10);
  Vec logp(10), ent(10), kl(10);
  policy.act(obs, rng, false, actions, logp);
  policy.evaluate(obs, actions, logp, ent);
  policy.snapshot();
  policy.kl_from_snapshot(kl);
  REQUIRE(kl.cwiseAbs().maxCoeff() < 1e-15);
  Vec params = policy.parameters();
  params.array() += 0.05;
  policy.parameters() = params;
  policy.evaluate(obs, actions, logp, ent);
  policy.kl_from_snapshot(kl);
  REQUIRE(kl.minCoeff() > 0);
}

TEMPLATE_TEST_CASE("Policies with dropout: act keeps its masks and evaluate recomputes the acting pass", "[unit]",
                   (CategoricalPolicy<double>), (MultiCategoricalPolicy<double>), (GaussianPolicy<double>)) {
  theta::Rng rng(21);
  const NetworkConfig config{.hidden = {16, 8}, .activation = theta::nn::Activation::relu, .dropout = 0.5};
  auto policy = make_policy<TestType>(config, rng);
  policy.network().parameters() = Vec::Random(policy.network().num_parameters());
  REQUIRE(policy.context_rows() == 24);
  const Mat obs = random_matrix(3, 10, rng);
  Mat actions(policy.action_rows(), 10), masks(24, 10);
  Vec logp_act(10), logp(10), ent(10);
  policy.act(obs, rng, actions, logp_act, masks);
  REQUIRE((masks.array() == 0 || masks.array() == 1).all());
  REQUIRE(masks.sum() > 0);
  REQUIRE(masks.sum() < 240);

  // The acting pass, recomputed from its masks, gives the acting log-probabilities; other
  // masks give others.
  policy.evaluate(obs, actions, masks, logp, ent);
  REQUIRE((logp - logp_act).cwiseAbs().maxCoeff() < 1e-12);
  Mat flipped = masks;
  flipped.row(0).array() = 1 - flipped.row(0).array();
  flipped.row(20).array() = 1 - flipped.row(20).array();
  policy.evaluate(obs, actions, flipped, logp, ent);
  REQUIRE((logp - logp_act).cwiseAbs().maxCoeff() > 1e-6);

  // A deterministic act is the evaluation-mode pass: it draws nothing.
  theta::Rng a(1), b(2);
  Mat mode_a(policy.action_rows(), 10), mode_b(policy.action_rows(), 10);
  policy.act(obs, a, true, mode_a, logp);
  policy.act(obs, b, true, mode_b, logp);
  REQUIRE(mode_a == mode_b);
  REQUIRE(a.uniform() == theta::Rng(1).uniform());

  REQUIRE_THROWS_WITH(policy.evaluate(obs, actions, logp, ent),
                      Catch::Contains("the network has dropout; pass the masks drawn when acting"));
  REQUIRE_THROWS_WITH(policy.evaluate(obs, actions, Mat(23, 10), logp, ent),
                      Catch::Contains("dropout masks must be 24 x 10, got 23 x 10"));
  Mat short_masks(24, 9);
  REQUIRE_THROWS_WITH(policy.act(obs, rng, actions, logp, short_masks),
                      Catch::Contains("dropout masks must be 24 x 10, got 24 x 9"));
}

TEST_CASE("Critics and SAC's actor reject dropout by name", "[unit]") {
  theta::Rng rng(3);
  const NetworkConfig dropout{.hidden = {8}, .dropout = 0.2};
  REQUIRE_THROWS_WITH(ValueFunction<double>(3, dropout, 4, 4, rng),
                      Catch::Contains("ValueFunction: dropout is not supported here (a critic must predict with the "
                                      "function it trains), got 0.2"));
  REQUIRE_THROWS_WITH(theta::QNetwork<double>(3, 1, dropout, 4, rng), Catch::Contains("QNetwork: dropout is not supported"));
  REQUIRE_THROWS_WITH(theta::SquashedGaussianPolicy<double>(3, 1, dropout, {}, 4, 4, rng),
                      Catch::Contains("SquashedGaussianPolicy: dropout is not supported"));
}
