// CategoricalPolicy under action masks (MaskedPolicy, issue 15): the masked training pass is
// differentiated exactly (finite differences in parameter space), TRPO's KL and Fisher product
// use the valid actions only, and acting never picks an invalid action.
#include <theta/policy.hpp>

#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"
#include "policy/checks.hpp"

#include <cmath>
#include <cstdint>

using theta::CategoricalPolicy;
using theta::Index;
using theta::test::random_matrix;
using MaskedMat = theta::Matrix<double>;
using MaskedVec = theta::Vector<double>;

namespace {

// 4 x batch validity, 1 = valid, with at least one valid action per column and column 0 with
// a single one (a point mass: no entropy, no KL, no gradient).
MaskedMat masked_policy_masks(Index batch, theta::Rng& rng) {
  MaskedMat valid(4, batch);
  for (Index b = 0; b < batch; ++b) {
    for (Index k = 0; k < 4; ++k) valid(k, b) = rng.below(3) == 0 ? 0.0 : 1.0;
    if (valid.col(b).sum() == 0) valid(static_cast<Index>(rng.below(4)), b) = 1.0;
  }
  valid.col(0) << 0, 0, 1, 0;
  return valid;
}

CategoricalPolicy<double> masked_policy(Index batch, theta::Rng& rng) {
  CategoricalPolicy<double> policy(3, 4, {.hidden = {5, 4}}, batch, batch, rng);
  // Larger head weights than the 0.01 init, so that the test is not near-degenerate.
  policy.network().parameters() = MaskedVec::Random(policy.network().num_parameters()) * 0.8;
  return policy;
}

}  // namespace

static_assert(theta::MaskedPolicy<CategoricalPolicy<double>>);
static_assert(theta::MaskedContextPolicy<CategoricalPolicy<float>>);

TEST_CASE("CategoricalPolicy: the masked training pass matches finite differences", "[gradient]") {
  theta::Rng rng(15);
  const Index batch = 9;
  auto policy = masked_policy(batch, rng);
  const MaskedMat obs = random_matrix(3, batch, rng);
  const MaskedMat valid = masked_policy_masks(batch, rng);
  MaskedMat actions(1, batch);
  MaskedVec logp(batch), ent(batch), logp_act(batch);
  policy.act_masked(obs, valid, rng, false, actions, logp_act);
  const MaskedVec w = random_matrix(batch, 1, rng);
  const MaskedVec u = random_matrix(batch, 1, rng);
  const auto objective = [&] {
    policy.evaluate_masked(obs, actions, valid, logp, ent);
    return w.dot(logp) + u.dot(ent);
  };
  MaskedVec params = policy.parameters();  // numerical_gradient moves its entries in place
  objective();
  REQUIRE((logp - logp_act).cwiseAbs().maxCoeff() < 1e-12);  // the pass that acted
  REQUIRE(ent.allFinite());
  CHECK(ent[0] == 0.0);
  CHECK(logp[0] == 0.0);
  policy.zero_grad();
  policy.backward(w, u);
  const MaskedVec analytic = policy.gradients();
  const MaskedVec numeric = theta::test::numerical_gradient(
      [&] {
        policy.parameters() = params;
        return objective();
      },
      params, {.step = 1e-6, .relative = true});
  policy.parameters() = params;
  CHECK(((analytic - numeric).array().abs() / numeric.array().abs().max(1.0)).maxCoeff() < 1e-7);
}

TEST_CASE("CategoricalPolicy: under masks, the KL from the snapshot and the Fisher product use the valid actions",
          "[gradient]") {
  theta::Rng rng(16);
  const Index batch = 8;
  auto policy = masked_policy(batch, rng);
  const MaskedMat obs = random_matrix(3, batch, rng);
  const MaskedMat valid = masked_policy_masks(batch, rng);
  MaskedMat actions(1, batch);
  MaskedVec logp(batch), ent(batch), kl(batch);
  policy.act_masked(obs, valid, rng, false, actions, logp);
  policy.evaluate_masked(obs, actions, valid, logp, ent);
  policy.snapshot();
  policy.kl_from_snapshot(kl);
  REQUIRE(kl.allFinite());
  CHECK(kl.cwiseAbs().maxCoeff() < 1e-15);

  // vᵀ F v is the second derivative of the mean KL(pi_old || pi_theta+εv) at ε = 0.
  const MaskedVec params = policy.parameters();
  const MaskedVec v = random_matrix(params.size(), 1, rng);
  MaskedVec fv(params.size());
  policy.fisher_vector_product(v, fv);
  const auto mean_kl = [&](double eps) {
    policy.parameters() = params + eps * v;
    policy.evaluate_masked(obs, actions, valid, logp, ent);
    policy.kl_from_snapshot(kl);
    return kl.mean();
  };
  const double h = 1e-4;
  const double second = (mean_kl(h) + mean_kl(-h)) / (h * h);  // KL(0) = 0
  policy.parameters() = params;
  INFO("vᵀFv = " << v.dot(fv) << ", finite difference " << second);
  CHECK(std::abs(v.dot(fv) - second) <= 1e-5 * std::abs(second));
  // The single-valid-action sample adds nothing: its KL stays 0 at any parameters.
  mean_kl(0.3);
  CHECK(kl[0] == 0.0);
  policy.parameters() = params;
}

TEST_CASE("CategoricalPolicy: act_masked samples valid actions only and its mode is the first largest valid logit",
          "[unit]") {
  theta::Rng rng(17);
  const Index batch = 16;
  CategoricalPolicy<float> policy(3, 4, {.hidden = {8}}, batch, batch, rng);
  policy.network().parameters() = theta::Vector<float>::Random(policy.network().num_parameters()) * 2.0f;
  const theta::Matrix<float> obs = random_matrix(3, batch, rng).cast<float>();
  const theta::Matrix<float> valid = masked_policy_masks(batch, rng).cast<float>();
  theta::Matrix<float> actions(1, batch);
  theta::Vector<float> logp(batch);
  for (int draw = 0; draw < 20'000; ++draw) {  // 320,000 actions
    policy.act_masked(obs, valid, rng, false, actions, logp);
    for (Index b = 0; b < batch; ++b) REQUIRE(valid(static_cast<Index>(actions(0, b)), b) == 1.0f);
  }
  policy.act_masked(obs, valid, rng, true, actions, logp);
  auto workspace = policy.network().make_workspace(batch);
  const auto logits = policy.network().forward(obs, workspace);
  int changed = 0;
  for (Index b = 0; b < batch; ++b) {
    Index best = -1;
    for (Index k = 0; k < 4; ++k) {
      if (valid(k, b) != 0 && (best < 0 || logits(k, b) > logits(best, b))) best = k;
    }
    CHECK(actions(0, b) == static_cast<float>(best));
    Index unmasked = 0;
    logits.col(b).maxCoeff(&unmasked);
    changed += unmasked != best;
  }
  CHECK(changed > 0);  // the mask decided some of them
  theta::Matrix<float> wrong(3, batch);
  CHECK_THROWS_WITH(policy.act_masked(obs, wrong, rng, false, actions, logp),
                    "CategoricalPolicy::act_masked: action masks must be 4 x 16 (n_actions x batch), got 3 x 16");
}
