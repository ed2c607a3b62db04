// CategoricalPolicy and MultiCategoricalPolicy under action masks (MaskedPolicy, issue 15):
// the masked training pass is differentiated exactly (finite differences in parameter space),
// TRPO's KL and Fisher product use the valid actions only, and acting never picks an invalid
// action (of any dimension).
#include <theta/io/policy_export.hpp>
#include <theta/policy.hpp>

#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"
#include "policy/checks.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using theta::CategoricalPolicy;
using theta::Index;
using theta::MultiCategoricalPolicy;
using theta::test::random_matrix;
using MaskedMat = theta::Matrix<double>;
using MaskedVec = theta::Vector<double>;

namespace {

// The actions of each dimension: Discrete(4), or MultiDiscrete{4, 2, 3} (9 logits, 3 rows).
template <class P>
std::vector<std::int64_t> masked_policy_nvec() {
  if constexpr (P::is_multi_discrete) {
    return {4, 2, 3};
  } else {
    return {4};
  }
}

// sum(nvec) x batch validity, 1 = valid, with at least one valid action per dimension and
// column, and column 0 with a single one per dimension (a point mass: no entropy, no KL, no
// gradient).
template <class P>
MaskedMat masked_policy_masks(Index batch, theta::Rng& rng) {
  const std::vector<std::int64_t> nvec = masked_policy_nvec<P>();
  Index total = 0;
  for (const std::int64_t n : nvec) total += static_cast<Index>(n);
  MaskedMat valid(total, batch);
  for (Index b = 0; b < batch; ++b) {
    Index offset = 0;
    for (const std::int64_t n64 : nvec) {
      const auto n = static_cast<Index>(n64);
      auto block = valid.col(b).segment(offset, n);
      for (Index k = 0; k < n; ++k) block[k] = rng.below(3) == 0 ? 0.0 : 1.0;
      if (block.sum() == 0) block[static_cast<Index>(rng.below(static_cast<std::uint64_t>(n)))] = 1.0;
      if (b == 0) {
        block.setZero();
        block[n / 2] = 1.0;
      }
      offset += n;
    }
  }
  return valid;
}

template <class P>
P masked_policy_of(Index batch, const theta::NetworkConfig& config, theta::Rng& rng) {
  if constexpr (P::is_multi_discrete) {
    return P(3, theta::MultiDiscrete(masked_policy_nvec<P>()), config, batch, batch, rng);
  } else {
    return P(3, 4, config, batch, batch, rng);
  }
}

template <class P>
P masked_policy(Index batch, theta::Rng& rng) {
  P policy = masked_policy_of<P>(batch, {.hidden = {5, 4}}, rng);
  // Larger head weights than the 0.01 init, so that the test is not near-degenerate.
  policy.network().parameters() = MaskedVec::Random(policy.network().num_parameters()) * 0.8;
  return policy;
}

}  // namespace

static_assert(theta::MaskedPolicy<CategoricalPolicy<double>>);
static_assert(theta::MaskedContextPolicy<CategoricalPolicy<float>>);
static_assert(theta::MaskedPolicy<MultiCategoricalPolicy<double>>);
static_assert(theta::MaskedContextPolicy<MultiCategoricalPolicy<float>>);
static_assert(theta::TrustRegionPolicy<MultiCategoricalPolicy<float>>);
static_assert(theta::io::ExportableActor<MultiCategoricalPolicy<float>>);

TEMPLATE_TEST_CASE("Categorical policies: the masked training pass matches finite differences", "[gradient]",
                   (CategoricalPolicy<double>), (MultiCategoricalPolicy<double>)) {
  theta::Rng rng(15);
  const Index batch = 9;
  auto policy = masked_policy<TestType>(batch, rng);
  const MaskedMat obs = random_matrix(3, batch, rng);
  const MaskedMat valid = masked_policy_masks<TestType>(batch, rng);
  MaskedMat actions(policy.action_rows(), batch);
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

TEMPLATE_TEST_CASE("Categorical policies: under masks, the KL from the snapshot and the Fisher product use the valid "
                   "actions",
                   "[gradient]", (CategoricalPolicy<double>), (MultiCategoricalPolicy<double>)) {
  theta::Rng rng(16);
  const Index batch = 8;
  auto policy = masked_policy<TestType>(batch, rng);
  const MaskedMat obs = random_matrix(3, batch, rng);
  const MaskedMat valid = masked_policy_masks<TestType>(batch, rng);
  MaskedMat actions(policy.action_rows(), batch);
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

TEMPLATE_TEST_CASE("Categorical policies: act_masked samples valid actions only and its mode is the first largest "
                   "valid logit (of each dimension)",
                   "[unit]", (CategoricalPolicy<float>), (MultiCategoricalPolicy<float>)) {
  theta::Rng rng(17);
  const Index batch = 16;
  auto policy = masked_policy_of<TestType>(batch, {.hidden = {8}}, rng);
  policy.network().parameters() = theta::Vector<float>::Random(policy.network().num_parameters()) * 2.0f;
  const std::vector<std::int64_t> nvec = masked_policy_nvec<TestType>();
  const auto rows = static_cast<Index>(nvec.size());
  REQUIRE(policy.action_rows() == rows);
  const theta::Matrix<float> obs = random_matrix(3, batch, rng).cast<float>();
  const theta::Matrix<float> valid = masked_policy_masks<TestType>(batch, rng).template cast<float>();
  const Index total = valid.rows();
  theta::Matrix<float> actions(rows, batch);
  theta::Vector<float> logp(batch);
  for (int draw = 0; draw < 20'000; ++draw) {  // 320,000 actions of each dimension
    policy.act_masked(obs, valid, rng, false, actions, logp);
    for (Index b = 0; b < batch; ++b) {
      Index offset = 0;
      for (Index d = 0; d < rows; ++d) {
        REQUIRE(valid(offset + static_cast<Index>(actions(d, b)), b) == 1.0f);
        offset += static_cast<Index>(nvec[static_cast<std::size_t>(d)]);
      }
    }
  }
  policy.act_masked(obs, valid, rng, true, actions, logp);
  auto workspace = policy.network().make_workspace(batch);
  const auto logits = policy.network().forward(obs, workspace);
  int changed = 0;
  for (Index b = 0; b < batch; ++b) {
    Index offset = 0;
    for (Index d = 0; d < rows; ++d) {
      const auto n = static_cast<Index>(nvec[static_cast<std::size_t>(d)]);
      Index best = -1;
      for (Index k = 0; k < n; ++k) {
        if (valid(offset + k, b) != 0 && (best < 0 || logits(offset + k, b) > logits(offset + best, b))) best = k;
      }
      CHECK(actions(d, b) == static_cast<float>(best));
      Index unmasked = 0;
      logits.col(b).segment(offset, n).maxCoeff(&unmasked);
      changed += unmasked != best;
      offset += n;
    }
  }
  CHECK(changed > 0);  // the mask decided some of them
  theta::Matrix<float> wrong(3, batch);
  CHECK_THROWS_WITH(policy.act_masked(obs, wrong, rng, false, actions, logp),
                    "CategoricalPolicy::act_masked: action masks must be " + std::to_string(total) +
                        " x 16 (n_actions x batch), got 3 x 16");
}

TEST_CASE("MultiCategoricalPolicy: masks and dropout context together, and errors that name the dimension", "[unit]") {
  theta::Rng rng(18);
  const Index batch = 6;
  auto policy = masked_policy_of<MultiCategoricalPolicy<double>>(
      batch, {.hidden = {8}, .activation = theta::nn::Activation::relu, .dropout = 0.4}, rng);
  policy.network().parameters() = MaskedVec::Random(policy.network().num_parameters());
  CHECK(policy.nvec() == std::vector<std::int64_t>{4, 2, 3});
  CHECK(policy.n_actions() == 9);
  const MaskedMat obs = random_matrix(3, batch, rng);
  const MaskedMat valid = masked_policy_masks<MultiCategoricalPolicy<double>>(batch, rng);
  MaskedMat actions(3, batch), context(policy.context_rows(), batch);
  MaskedVec logp_act(batch), logp(batch), ent(batch);
  policy.act_masked(obs, valid, rng, actions, logp_act, context);
  policy.evaluate_masked(obs, actions, valid, context, logp, ent);
  CHECK((logp - logp_act).cwiseAbs().maxCoeff() < 1e-12);  // the very pass that acted
  MaskedMat none = valid;
  none.col(2).segment(4, 2).setZero();  // sample 2: no valid action in dimension 1
  CHECK_THROWS_WITH(policy.evaluate_masked(obs, actions, none, context, logp, ent),
                    Catch::Contains("dimension 1: Categorical::set_logits: sample 2 has no valid action"));
  CHECK_THROWS_WITH(policy.evaluate_masked(obs, actions.topRows(2), valid, context, logp, ent),
                    "CategoricalPolicy::evaluate: actions must have 3 rows (one index per dimension), got 2");
  CHECK_THROWS_WITH(MultiCategoricalPolicy<float>(3, theta::MultiDiscrete{}, {}, 1, 1, rng),
                    "MultiCategoricalPolicy: the action space has no dimension");
}
