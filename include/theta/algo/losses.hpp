#pragma once
/// \file The loss pieces of the on-policy algorithms, each with its gradient: advantage
/// normalisation, the clipped surrogate, the value losses and explained variance. They match
/// Stable-Baselines3 and CleanRL (tests/algo/losses_test.cpp replays ../shared/reference/torch).

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cmath>
#include <limits>

namespace theta {

/// (A - mean(A)) / (std(A) + 1e-8) in place, with the unbiased std (N - 1), as SB3 and
/// CleanRL do. A batch of one is left unchanged (SB3 skips it: its std would be NaN).
template <class Derived>
void normalize_advantages(Eigen::MatrixBase<Derived>& advantages) {
  using T = typename Derived::Scalar;
  const Index n = advantages.size();
  if (n <= 1) return;
  const T mean = advantages.mean();
  const T var = (advantages.array() - mean).square().sum() / static_cast<T>(n - 1);
  advantages = ((advantages.array() - mean) / (std::sqrt(var) + T(1e-8))).matrix();
}

/// Statistics of one clipped-surrogate evaluation.
struct SurrogateStats {
  double loss = 0;           ///< -mean(min(A r, A clip(r, 1 - eps, 1 + eps)))
  double clip_fraction = 0;  ///< mean(|r - 1| > eps)
  double approx_kl = 0;      ///< mean((r - 1) - log r), Schulman's low-variance KL estimator
};

/// PPO's clipped surrogate (Schulman et al. 2017, eq. 7) over a minibatch, with
/// r = exp(new - old). Writes d(loss)/d(new_log_prob) into `grad`: -A r / N where the
/// unclipped term is the active one, (A > 0 and r <= 1 + eps) or (A < 0 and r >= 1 - eps),
/// and 0 where the clip holds it. `advantages` are used as given (normalise them first).
template <class T>
SurrogateStats clipped_surrogate(const Eigen::Ref<const Vector<T>>& old_log_prob,
                                 const Eigen::Ref<const Vector<T>>& new_log_prob,
                                 const Eigen::Ref<const Vector<T>>& advantages, T clip_range,
                                 Eigen::Ref<Vector<T>> grad) {
  const Index n = new_log_prob.size();
  const T inv_n = T(1) / static_cast<T>(n);
  double loss = 0, clipped = 0, kl = 0;
  for (Index i = 0; i < n; ++i) {
    const T log_ratio = new_log_prob[i] - old_log_prob[i];
    const T ratio = std::exp(log_ratio);
    const T a = advantages[i];
    const T clamped = std::min(std::max(ratio, T(1) - clip_range), T(1) + clip_range);
    loss -= static_cast<double>(std::min(a * ratio, a * clamped));
    const bool active = (a > 0 && ratio <= T(1) + clip_range) || (a < 0 && ratio >= T(1) - clip_range);
    grad[i] = active ? -a * ratio * inv_n : T(0);
    clipped += std::abs(ratio - T(1)) > clip_range ? 1.0 : 0.0;
    kl += static_cast<double>((ratio - T(1)) - log_ratio);
  }
  return {loss / static_cast<double>(n), clipped / static_cast<double>(n), kl / static_cast<double>(n)};
}

/// Which value loss an algorithm minimises.
enum class ValueLoss {
  /// mean((R - v)^2), Stable-Baselines3's `F.mse_loss` (no 1/2).
  mse,
  /// SB3 with `clip_range_vf`: mean((R - v_clip)^2), v_clip = old + clip(v - old, -c, c); no
  /// max, so there is no gradient outside the clip range.
  sb3_clipped,
  /// CleanRL's `clip_vloss`: 1/2 mean(max((v - R)^2, (v_clip - R)^2)).
  cleanrl_clipped,
};

/// The value loss of `kind` and its gradient with respect to the new values (into `grad`).
/// `clip` is used by the clipped kinds.
template <class T>
double value_loss(ValueLoss kind, const Eigen::Ref<const Vector<T>>& values, const Eigen::Ref<const Vector<T>>& old_values,
                  const Eigen::Ref<const Vector<T>>& returns, T clip, Eigen::Ref<Vector<T>> grad) {
  const Index n = values.size();
  const T inv_n = T(1) / static_cast<T>(n);
  double loss = 0;
  for (Index i = 0; i < n; ++i) {
    const T v = values[i];
    const T r = returns[i];
    const T delta = v - old_values[i];
    const T v_clip = old_values[i] + std::min(std::max(delta, -clip), clip);
    switch (kind) {
      case ValueLoss::mse:
        loss += static_cast<double>((v - r) * (v - r));
        grad[i] = T(2) * (v - r) * inv_n;
        break;
      case ValueLoss::sb3_clipped:
        loss += static_cast<double>((v_clip - r) * (v_clip - r));
        grad[i] = std::abs(delta) <= clip ? T(2) * (v_clip - r) * inv_n : T(0);
        break;
      case ValueLoss::cleanrl_clipped: {
        const T unclipped = (v - r) * (v - r);
        const T clipped = (v_clip - r) * (v_clip - r);
        loss += 0.5 * static_cast<double>(std::max(unclipped, clipped));
        grad[i] = (unclipped >= clipped || std::abs(delta) <= clip) ? (v - r) * inv_n : T(0);
        break;
      }
    }
  }
  return loss / static_cast<double>(n);
}

/// 1 - Var[y_true - y_pred] / Var[y_true] with population variances (SB3's
/// `explained_variance`); NaN when Var[y_true] = 0.
template <class A, class B>
double explained_variance(const Eigen::MatrixBase<A>& y_pred, const Eigen::MatrixBase<B>& y_true) {
  const Index n = y_true.size();
  double mean_true = 0, mean_diff = 0;
  for (Index i = 0; i < n; ++i) {
    mean_true += static_cast<double>(y_true[i]);
    mean_diff += static_cast<double>(y_true[i]) - static_cast<double>(y_pred[i]);
  }
  mean_true /= static_cast<double>(n);
  mean_diff /= static_cast<double>(n);
  double var_true = 0, var_diff = 0;
  for (Index i = 0; i < n; ++i) {
    const double t = static_cast<double>(y_true[i]) - mean_true;
    const double d = static_cast<double>(y_true[i]) - static_cast<double>(y_pred[i]) - mean_diff;
    var_true += t * t;
    var_diff += d * d;
  }
  if (var_true == 0) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 - var_diff / var_true;
}

}  // namespace theta
