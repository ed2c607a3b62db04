#pragma once
/// \file AdvantageEstimator: how a trainer turns a collected rollout into advantages and
/// returns (`Gae`, `MonteCarloReturns`, or a type of your own).

#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

namespace theta {

/// `estimate(buffer, last_values, gamma)` writes `buffer.advantages()` and `buffer.returns()`
/// for the `buffer.size()` filled transitions, from the rewards, the values V(s_t) the
/// trainer stored, the done flags (`terminated`: no bootstrap; `truncated` and not
/// terminated: bootstrap from `buffer.final_values()`, V of the true final observation), and
/// `last_values` (V(s_T) per environment copy, the observation after the last step). The
/// trainer calls it once per rollout, before the update.
///
///     struct OneStepTd {  // A_t = r_t + gamma V(s_t+1) - V(s_t)
///       void estimate(theta::RolloutBuffer<float>& buffer, const Eigen::Ref<const theta::Vector<float>>& last_values,
///                     float gamma);
///     };
///     static_assert(theta::AdvantageEstimator<OneStepTd, float>);
template <class E, class T>
concept AdvantageEstimator = Real<T> && requires(E& estimator, RolloutBuffer<T>& buffer,
                                                 const Eigen::Ref<const Vector<T>>& last_values, T gamma) {
  estimator.estimate(buffer, last_values, gamma);
};

namespace detail {
/// The bootstrap target of transition k whose successor's value is `next_value` (DESIGN.md).
template <Real T>
T bootstrap(const RolloutBuffer<T>& buffer, Index t, Index e, T next_value) {
  if (buffer.terminated(t, e)) return T(0);
  if (buffer.truncated(t, e)) return buffer.final_values()[buffer.column(t, e)];
  return next_value;
}
}  // namespace detail

}  // namespace theta
