#pragma once
/// \file TrustRegionPolicy: what TRPO needs of a policy beyond `StochasticPolicy`.

#include <theta/core/scalar.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <Eigen/Core>

namespace theta {

/// A stochastic policy that can keep its recorded training pass as the "old" policy and
/// measure the trust region around it (TRPO, Schulman et al. 2015):
///
/// - `snapshot()`: keeps the distributions of the last `evaluate` as pi_old;
/// - `kl_from_snapshot(out)`: KL(pi_old || pi) per sample of the last `evaluate`;
/// - `fisher_vector_product(v, out)`: F v, F the Fisher information of the mean KL over the
///   recorded batch at pi_old, in the flat space of `parameters()` (exact, or an
///   approximation the policy documents).
template <class P>
concept TrustRegionPolicy =
    StochasticPolicy<P> && requires(P& policy, const P& const_policy, Eigen::Ref<Vector<typename P::Scalar>> out,
                                    const Eigen::Ref<const Vector<typename P::Scalar>>& v) {
      policy.snapshot();
      const_policy.kl_from_snapshot(out);
      policy.fisher_vector_product(v, out);
    };

namespace detail {
/// One static_assert per member, so a compiler names the missing one (TRPO's entry point).
template <class P>
constexpr bool diagnose_trust_region_policy() {
  using T = typename P::Scalar;
  static_assert(requires(P& p) { p.snapshot(); },
                "trpo: the policy must have snapshot() (keep the last evaluate's distributions as pi_old)");
  static_assert(requires(const P& p, Eigen::Ref<Vector<T>> out) { p.kl_from_snapshot(out); },
                "trpo: the policy must have kl_from_snapshot(out) const (KL(pi_old || pi) per sample)");
  static_assert(requires(P& p, const Eigen::Ref<const Vector<T>>& v, Eigen::Ref<Vector<T>> out) {
    p.fisher_vector_product(v, out);
  }, "trpo: the policy must have fisher_vector_product(v, out) (F v in the flat parameter space)");
  return TrustRegionPolicy<P>;
}
}  // namespace detail

}  // namespace theta
