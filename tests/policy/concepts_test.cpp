// The component concepts accept theta's components and reject types that lack a member
// (the must-not-compile side is in tests/failcompile/: each concept has a snippet there).
#include <theta/optim.hpp>
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

namespace {
using VecF = theta::Vector<float>;
using MatF = theta::Matrix<float>;

// Trainable, but parameters() is a copy: not a view an optimizer could update.
struct CopiedParameters {
  using Scalar = float;
  VecF parameters();
  Eigen::Map<VecF> gradients();
  void zero_grad();
};

struct NoBackward {
  using Scalar = float;
  static constexpr bool is_discrete = true;
  theta::Index action_rows() const;
  void act(const Eigen::Ref<const MatF>&, theta::Rng&, bool, Eigen::Ref<MatF>, Eigen::Ref<VecF>);
  void evaluate(const Eigen::Ref<const MatF>&, const Eigen::Ref<const MatF>&, Eigen::Ref<VecF>, Eigen::Ref<VecF>);
  Eigen::Map<VecF> parameters();
  Eigen::Map<VecF> gradients();
  void zero_grad();
};

struct NoPredict {
  using Scalar = float;
  Eigen::Map<const VecF> forward(const Eigen::Ref<const MatF>&);
  void backward(const Eigen::Ref<const VecF>&);
  Eigen::Map<VecF> parameters();
  Eigen::Map<VecF> gradients();
  void zero_grad();
};

struct WrongEstimate {
  void estimate(theta::RolloutBuffer<double>&, const Eigen::Ref<const theta::Vector<double>>&, double);
};

// An off-policy rule with everything OffPolicyTrainer needs; the variants below drop one piece.
struct LoggedStats {
  void for_each(void (*)(const char*, double)) const;
  void merge(const LoggedStats&);
};
struct UnmergeableStats {
  void for_each(void (*)(const char*, double)) const;
};
template <class S = LoggedStats, class Actor = theta::SquashedGaussianPolicy<float>>
struct OffPolicyRule {
  using Scalar = float;
  struct Config {};
  using Stats = S;
  Stats update(const theta::ReplayBatch<float>&, double);
  Actor& actor();
};
struct UpdateReturnsNothing {
  using Scalar = float;
  struct Config {};
  using Stats = LoggedStats;
  void update(const theta::ReplayBatch<float>&, double);
  theta::SquashedGaussianPolicy<float>& actor();
};
}  // namespace

// ---- Trainable
static_assert(theta::Trainable<theta::CategoricalPolicy<float>>);
static_assert(theta::Trainable<theta::GaussianPolicy<double>>);
static_assert(theta::Trainable<theta::ValueFunction<float>>);
static_assert(theta::Trainable<theta::SquashedGaussianPolicy<float>>);
static_assert(!theta::Trainable<CopiedParameters>);
static_assert(!theta::Trainable<int>);
// ---- policies
static_assert(theta::DiscretePolicy<theta::CategoricalPolicy<float>>);
static_assert(theta::ContinuousPolicy<theta::GaussianPolicy<float>>);
static_assert(!theta::DiscretePolicy<theta::GaussianPolicy<float>>);
static_assert(theta::ContextPolicy<theta::CategoricalPolicy<float>>);
static_assert(theta::TrustRegionPolicy<theta::CategoricalPolicy<float>>);
static_assert(theta::TrustRegionPolicy<theta::GaussianPolicy<double>>);
static_assert(!theta::StochasticPolicy<NoBackward>);
static_assert(!theta::StochasticPolicy<theta::ValueFunction<float>>);
// SAC's actor samples by reparameterisation; it is not an on-policy StochasticPolicy.
static_assert(!theta::StochasticPolicy<theta::SquashedGaussianPolicy<float>>);
// ---- critics
static_assert(theta::StateValueFunction<theta::ValueFunction<float>>);
static_assert(!theta::StateValueFunction<NoPredict>);
static_assert(!theta::StateValueFunction<theta::CategoricalPolicy<float>>);
// ---- estimators
static_assert(theta::AdvantageEstimator<theta::Gae<float>, float>);
static_assert(theta::AdvantageEstimator<theta::MonteCarloReturns<double>, double>);
static_assert(!theta::AdvantageEstimator<theta::Gae<double>, float>);
static_assert(!theta::AdvantageEstimator<WrongEstimate, float>);
// ---- update rules
using Cat = theta::CategoricalPolicy<float>;
using V = theta::ValueFunction<float>;
static_assert(theta::OnPolicyUpdateRule<theta::ppo::Ppo<Cat, V>>);
static_assert(theta::OnPolicyUpdateRule<theta::a2c::A2c<Cat, V>>);
static_assert(theta::OnPolicyUpdateRule<theta::trpo::Trpo<theta::GaussianPolicy<float>, V>>);
static_assert(theta::OnPolicyUpdateRule<theta::reinforce::Reinforce<Cat, V, theta::Sgd<float>>>);
static_assert(theta::UpdateStats<theta::ppo::Stats>);
static_assert(!theta::UpdateStats<int>);
static_assert(theta::MergeableStats<theta::sac::Stats>);
static_assert(!theta::MergeableStats<theta::ppo::Stats>);
static_assert(!theta::MergeableStats<int>);
static_assert(theta::OffPolicyUpdateRule<theta::sac::Sac<>>);
static_assert(theta::OffPolicyUpdateRule<theta::sac::Sac<theta::SquashedGaussianPolicy<double>>>);
static_assert(theta::OffPolicyUpdateRule<OffPolicyRule<>>);
static_assert(!theta::OffPolicyUpdateRule<OffPolicyRule<UnmergeableStats>>);
static_assert(!theta::OffPolicyUpdateRule<OffPolicyRule<LoggedStats, theta::GaussianPolicy<float>>>);
static_assert(!theta::OffPolicyUpdateRule<UpdateReturnsNothing>);
static_assert(!theta::OffPolicyUpdateRule<theta::ppo::Ppo<Cat, V>>);
static_assert(!theta::OnPolicyUpdateRule<theta::sac::Sac<>>);

TEST_CASE("The stats an update returns name SB3's keys", "[concept]") {
  theta::ppo::Stats stats;
  stats.approx_kl = 0.25;
  int keys = 0;
  double kl = 0;
  bool has_std = false;
  stats.for_each([&](const char* key, double value) {
    ++keys;
    if (std::string_view(key) == "train/approx_kl") kl = value;
    if (std::string_view(key) == "train/std") has_std = true;
  });
  REQUIRE(kl == 0.25);
  REQUIRE(keys == 13);
  REQUIRE_FALSE(has_std);  // only for Gaussian policies
  stats.std = 0.5;
  keys = 0;
  stats.for_each([&](const char*, double) { ++keys; });
  REQUIRE(keys == 14);
}
