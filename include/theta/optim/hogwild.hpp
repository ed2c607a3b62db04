#pragma once
/// \file HogwildOptimizer: an optimizer that several threads can step on the same parameters
/// at once without a lock (Hogwild!, Recht et al. 2011), as A3C's workers do; and relaxed
/// copies of such shared parameters.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/optim/concepts.hpp>
#include <theta/optim/detail/access.hpp>

#include <Eigen/Core>

#include <span>
#include <type_traits>

namespace theta {

/// An `Optimizer` whose `hogwild_step(params, grads, lr)` may run in several threads at once
/// on the same parameters and on its own state (the shared statistics of A3C's best variant,
/// Mnih et al. 2016): every access to both is a relaxed `std::atomic_ref`, so the concurrent
/// steps are defined behaviour under the C++ memory model; an entry written by two steps at
/// once keeps one of them. `lr` is passed in, since no thread may set the shared learning rate
/// while others read it. `RmsProp`, `Adam` and `Sgd` satisfy it. An optimizer that does not is
/// still usable by `AsyncTrainer`, which then applies its steps one at a time under a lock.
template <class O, class T = Scalar>
concept HogwildOptimizer = Optimizer<O, T> && requires(O& optimizer, std::span<T> params,
                                                       const Eigen::Ref<const Vector<T>>& grads, double lr) {
  optimizer.hogwild_step(params, grads, lr);
};

/// Copies parameters that other threads may be updating through `hogwild_step` into `out`,
/// entry by entry with relaxed atomic loads (each entry is some value a step wrote; the copy as
/// a whole need not be a state the parameters were ever in, as in Hogwild!).
template <Real T>
void relaxed_copy(std::span<T> shared, std::type_identity_t<Eigen::Ref<Vector<T>>> out) {
  const auto n = static_cast<Index>(shared.size());
  require(out.size() == n, "relaxed_copy: {} shared parameters into a vector of {}", n, out.size());
  T* to = out.data();
  for (Index i = 0; i < n; ++i) to[i] = detail::RelaxedAccess::load(shared.data() + i);
}

}  // namespace theta
