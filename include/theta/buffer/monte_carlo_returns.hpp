#pragma once
/// \file MonteCarloReturns: discounted returns of whole episodes, REINFORCE's estimator.

#include <theta/buffer/gae.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

namespace theta {

/// returns_t = G_t = r_t + gamma G_{t+1}, backwards from the end of each episode (0 after a
/// termination, V(final observation) after a truncation, `last_values` after the rollout's
/// last step), and advantages_t = G_t - values_t (the values are 0 without a critic, so the
/// advantages are the returns themselves).
///
/// This is GAE with lambda = 1 (Schulman et al. 2016, eq. 18: the lambda = 1 advantage is the
/// discounted return minus the baseline), and it is computed by `Gae`'s recursion so that the
/// two round alike; unlike `Gae` it takes no lambda, so `OnPolicyConfig::gae_lambda` is
/// rejected with it.
///
///     theta::MonteCarloReturns<float> returns;
///     returns.estimate(buffer, last_values, 0.99f);
template <Real T = Scalar>
class MonteCarloReturns {
 public:
  void estimate(RolloutBuffer<T>& buffer, const Eigen::Ref<const Vector<T>>& last_values, T gamma) const {
    gae_.estimate(buffer, last_values, gamma);
  }

 private:
  Gae<T> gae_{1.0};
};

}  // namespace theta
