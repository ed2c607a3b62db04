#pragma once
/// \file SquashedGaussianPolicy: SAC's actor, an MLP of the mean and a bounded,
/// state-dependent log-std of a tanh-squashed Gaussian.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/distributions/squashed_gaussian.hpp>
#include <theta/nn/mlp.hpp>
#include <theta/policy/network.hpp>

#include <Eigen/Core>

#include <cmath>

namespace theta {

/// How the actor's raw log-std output r is kept in [min, max].
enum class LogStdBound {
  /// log_std = clamp(r, min, max), gradient 1 inside and 0 outside (SB3, RLtools:
  /// [-20, 2]).
  clamp,
  /// log_std = min + (max - min)(tanh(r) + 1)/2, smooth everywhere (CleanRL, and the
  /// SpinningUp variant: [-5, 2]).
  tanh,
};

/// The log-std bounds of a `SquashedGaussianPolicy`.
struct LogStdRange {
  LogStdBound bound = LogStdBound::clamp;  ///< how the range is enforced
  double min = -20.0;                      ///< lower bound (SB3's LOG_STD_MIN)
  double max = 2.0;                        ///< upper bound (SB3's LOG_STD_MAX), > min
};

/// π(·|s) = tanh(N(μ(s), diag(σ(s)²))), with [μ; r] = f(s) one MLP `obs_dim -> hidden ->
/// 2 act_dim` and log σ = bound(r) (SB3's SAC `Actor`: its two linear heads are the two
/// halves of our last layer). Actions are the squashed samples in (-1, 1)^D; rescaling to the
/// environment's bounds is the trainer's job, so the critics always see (-1, 1) actions and
/// the target entropy -D refers to that box (as in SB3).
///
/// Three workspaces: acting (up to `max_act_batch` states), a training pass whose tape is kept
/// for `backward`, and a second training-size pass without gradient (SAC's next-state
/// actions). Nothing allocates after construction.
///
///     theta::SquashedGaussianPolicy<float> actor(3, 1, net, {}, /*act=*/1, /*train=*/256, rng);
///     actor.act(obs, rng, /*deterministic=*/false, actions);     // exploration
///     actor.forward(obs_batch);                                 // recorded
///     actor.rsample(rng, actions_pi, log_probs);                 // reparameterised
///     actor.backward(dloss_dactions, dloss_dlog_probs);          // adds to gradients()
template <Real T = Scalar>
class SquashedGaussianPolicy {
 public:
  using Scalar = T;

  SquashedGaussianPolicy(Index obs_dim, Index act_dim, const NetworkConfig& config, LogStdRange range,
                         Index max_act_batch, Index max_train_batch, Rng& rng)
      : range_((check_range(range), range)),
        net_(detail::make_network<T>(config, obs_dim, 2 * act_dim, 1.0, rng)),
        act_ws_(net_.make_workspace(max_act_batch)),
        train_ws_(net_.make_workspace(max_train_batch)),
        target_ws_(net_.make_workspace(max_train_batch)),
        act_log_std_(act_dim, max_act_batch),
        train_log_std_(act_dim, max_train_batch),
        target_log_std_(act_dim, max_train_batch),
        grad_mean_(act_dim, max_train_batch),
        grad_log_std_(act_dim, max_train_batch),
        grad_u_(act_dim, max_train_batch),
        grad_mean_a_(act_dim, max_train_batch),
        grad_log_std_a_(act_dim, max_train_batch),
        grad_out_(2 * act_dim, max_train_batch) {
    detail::forbid_dropout(config, "SquashedGaussianPolicy");
    require<ConfigError>(act_dim >= 1, "SquashedGaussianPolicy: act_dim must be >= 1, got {}", act_dim);
    // Size the distributions once for full batches, so later `set` calls only copy.
    act_dist_.set(Matrix<T>::Zero(act_dim, max_act_batch), Matrix<T>::Zero(act_dim, max_act_batch));
    train_dist_.set(Matrix<T>::Zero(act_dim, max_train_batch), Matrix<T>::Zero(act_dim, max_train_batch));
    target_dist_.set(Matrix<T>::Zero(act_dim, max_train_batch), Matrix<T>::Zero(act_dim, max_train_batch));
  }

  [[nodiscard]] Index obs_dim() const noexcept { return net_.inputs(); }
  [[nodiscard]] Index act_dim() const noexcept { return net_.outputs() / 2; }
  [[nodiscard]] const LogStdRange& log_std_range() const noexcept { return range_; }

  /// Actions in (-1, 1) for obs_dim x B states (B <= max_act_batch): a sample, or
  /// tanh(μ) when `deterministic`.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, bool deterministic, Eigen::Ref<Matrix<T>> actions) {
    const Index batch = obs.cols();
    set_distribution(net_.forward(obs, act_ws_), act_log_std_, act_dist_, batch);
    if (deterministic) {
      act_dist_.mode(actions);
    } else {
      act_dist_.rsample(rng);
      act_dist_.action(actions);
    }
  }

  /// A sample tanh(μ + σ ⊙ ε) with the noise ε given (act_dim x B): exploration with noise
  /// of the caller's making, e.g. temporally correlated.
  void act_with_noise(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& noise,
                      Eigen::Ref<Matrix<T>> actions) {
    set_distribution(net_.forward(obs, act_ws_), act_log_std_, act_dist_, obs.cols());
    act_dist_.set_noise(noise);
    act_dist_.action(actions);
  }

  /// Records a pass on a training batch (B <= max_train_batch) for `rsample` and `backward`.
  void forward(const Eigen::Ref<const Matrix<T>>& obs) {
    batch_ = obs.cols();
    set_distribution(net_.forward(obs, train_ws_), train_log_std_, train_dist_, batch_);
  }

  /// The reparameterised sample a = tanh(μ + σ ⊙ ε), ε ~ N(0, I), of the recorded pass and
  /// log π(a|s) per sample (act_dim x B and B).
  void rsample(Rng& rng, Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs,
               TanhCorrection correction = TanhCorrection::stable) {
    require_pass("rsample");
    train_dist_.rsample(rng);
    train_dist_.action(actions);
    train_dist_.log_prob(log_probs, correction);
  }

  /// As `rsample` with the noise ε given (act_dim x B): for tests and common random numbers.
  void sample_with_noise(const Eigen::Ref<const Matrix<T>>& noise, Eigen::Ref<Matrix<T>> actions,
                         Eigen::Ref<Vector<T>> log_probs, TanhCorrection correction = TanhCorrection::stable) {
    require_pass("sample_with_noise");
    train_dist_.set_noise(noise);
    train_dist_.action(actions);
    train_dist_.log_prob(log_probs, correction);
  }

  /// A sample with the given noise (act_dim x B) and its log-probability for a batch,
  /// without recording anything for `backward` (SAC's next-state actions; the recorded
  /// training pass stays intact).
  void sample_no_grad(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& noise,
                      Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs,
                      TanhCorrection correction = TanhCorrection::stable) {
    set_distribution(net_.forward(obs, target_ws_), target_log_std_, target_dist_, obs.cols());
    target_dist_.set_noise(noise);
    target_dist_.action(actions);
    target_dist_.log_prob(log_probs, correction);
  }

  /// Adds to `gradients()` the gradient of L = Σ_b [ g_a(b) · a_b + g_logp(b) log π(a_b|s_b) ]
  /// for the sample of the recorded pass, both terms through the reparameterised sample:
  /// `grad_actions` is ∂L/∂a (act_dim x B), `grad_log_probs` ∂L/∂log π (B).
  void backward(const Eigen::Ref<const Matrix<T>>& grad_actions, const Eigen::Ref<const Vector<T>>& grad_log_probs,
                TanhCorrection correction = TanhCorrection::stable) {
    require_pass("backward");
    const Index d = act_dim();
    auto g_mean = grad_mean_.leftCols(batch_);
    auto g_log_std = grad_log_std_.leftCols(batch_);
    auto g_u = grad_u_.leftCols(batch_);
    auto g_mean_a = grad_mean_a_.leftCols(batch_);
    auto g_log_std_a = grad_log_std_a_.leftCols(batch_);
    // log π through u (Haarnoja et al. 2018, eq. 11 with f the reparameterisation).
    train_dist_.grad_log_prob(grad_log_probs, g_mean, g_log_std, correction);
    // a = tanh(u): ∂L/∂u = ∂L/∂a ⊙ (1 - tanh² u), then through u = μ + σ ⊙ ε.
    train_dist_.grad_action_u(g_u);
    g_u.array() *= grad_actions.array();
    train_dist_.grad_through_sample(g_u, g_mean_a, g_log_std_a);
    auto g_out = grad_out_.leftCols(batch_);
    g_out.topRows(d) = g_mean + g_mean_a;
    g_out.bottomRows(d) = g_log_std + g_log_std_a;
    chain_log_std_bound(g_out.bottomRows(d));
    net_.backward(train_ws_, g_out);
  }

  void zero_grad() noexcept { net_.zero_grad(); }
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return net_.parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return net_.gradients(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return net_.parameters(); }
  [[nodiscard]] Index num_parameters() const noexcept { return net_.num_parameters(); }
  [[nodiscard]] nn::Mlp<T>& network() noexcept { return net_; }
  [[nodiscard]] const nn::Mlp<T>& network() const noexcept { return net_; }
  /// The distribution of the recorded training pass (mean and bounded log-std, D x B).
  [[nodiscard]] const SquashedGaussian<T>& distribution() const noexcept { return train_dist_; }

 private:
  static void check_range(const LogStdRange& r) {
    require<ConfigError>(std::isfinite(r.min) && std::isfinite(r.max) && r.min < r.max,
                         "LogStdRange: min and max must be finite with min < max, got [{}, {}]", r.min, r.max);
  }

  // Splits the network output [mean; raw] into the distribution's mean and bounded log-std.
  void set_distribution(const Eigen::Map<const Matrix<T>>& out, Matrix<T>& log_std_storage,
                        SquashedGaussian<T>& dist, Index batch) {
    const Index d = act_dim();
    auto log_std = log_std_storage.leftCols(batch);
    const auto raw = out.bottomRows(d);
    const auto lo = static_cast<T>(range_.min), hi = static_cast<T>(range_.max);
    if (range_.bound == LogStdBound::clamp) {
      log_std = raw.cwiseMax(lo).cwiseMin(hi);
    } else {
      log_std.array() = lo + T(0.5) * (hi - lo) * (raw.array().tanh() + T(1));
    }
    dist.set(out.topRows(d), log_std);
  }

  // ∂log_std/∂raw, from the recorded output: clamp passes the gradient where lo <= r <= hi
  // (torch.clamp's rule); the tanh bound scales it by (hi - lo)(1 - tanh² r)/2.
  template <class G>
  void chain_log_std_bound(G&& g) const {
    const auto raw = train_ws_.output().bottomRows(act_dim());
    const auto lo = static_cast<T>(range_.min), hi = static_cast<T>(range_.max);
    for (Index b = 0; b < batch_; ++b) {
      for (Index i = 0; i < g.rows(); ++i) {
        const T r = raw(i, b);
        if (range_.bound == LogStdBound::clamp) {
          if (r < lo || r > hi) g(i, b) = T(0);
        } else {
          const T t = std::tanh(r);
          g(i, b) *= T(0.5) * (hi - lo) * (T(1) - t * t);
        }
      }
    }
  }

  void require_pass(const char* what) const {
    require(batch_ >= 1, "SquashedGaussianPolicy::{}: call forward(obs) first", what);
  }

  LogStdRange range_;
  nn::Mlp<T> net_;
  typename nn::Mlp<T>::Workspace act_ws_;
  typename nn::Mlp<T>::Workspace train_ws_;
  typename nn::Mlp<T>::Workspace target_ws_;
  SquashedGaussian<T> act_dist_;
  SquashedGaussian<T> train_dist_;
  SquashedGaussian<T> target_dist_;
  Matrix<T> act_log_std_, train_log_std_, target_log_std_;
  Matrix<T> grad_mean_, grad_log_std_, grad_u_, grad_mean_a_, grad_log_std_a_, grad_out_;
  Index batch_ = 0;
};

}  // namespace theta
