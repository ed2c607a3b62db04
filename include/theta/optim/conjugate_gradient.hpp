#pragma once
/// \file conjugate_gradient: solves A x = b for a symmetric positive-definite A given only
/// as a matrix-vector product (TRPO's Fisher-vector product).

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cmath>
#include <concepts>
#include <type_traits>
#include <utility>

namespace theta {

/// The vectors conjugate_gradient works in, allocated once and reused.
template <Real T = Scalar>
struct ConjugateGradientWorkspace {
  Vector<T> residual;
  Vector<T> direction;
  Vector<T> product;  ///< A · direction, written by the caller's product

  ConjugateGradientWorkspace() = default;
  explicit ConjugateGradientWorkspace(Index size) { resize(size); }
  /// Sizes the vectors (allocates only when the size changes).
  void resize(Index size) {
    residual.resize(size);
    direction.resize(size);
    product.resize(size);
  }
};

/// What a conjugate_gradient call did.
struct ConjugateGradientResult {
  int iterations = 0;                  ///< products A·p evaluated
  double residual_squared_norm = 0.0;  ///< ‖r‖² of the recurrence residual r = b - A x at exit
  bool converged = false;              ///< ‖r‖² fell below residual_tol
  /// xᵀA x at exit, as xᵀ(b - r) with the recurrence residual: equal to the explicit product
  /// in exact arithmetic, so TRPO's step length needs no extra product A x.
  double solution_energy = 0.0;
};

/// Conjugate gradient from x = 0 (Hestenes and Stiefel 1952), the loop of sb3_contrib's
/// TRPO (`conjugate_gradient_solver`) and of Schulman's original: at most `iterations`
/// products, stopping early once ‖r‖² < `residual_tol` (note: the **squared** residual
/// norm; sb3_contrib's default is 1e-10).
///
/// `product(p, out)` must write A p into `out`; it is called as
/// `product(const Vector<T>& p, Vector<T>& out)` with workspace vectors, so it may take
/// `Eigen::Ref`s. Nothing is allocated when the workspace has the size of `b`. Throws
/// NumericalError if pᵀA p is not positive and finite (A is not positive definite: add
/// damping to a Fisher matrix).
///
///     theta::ConjugateGradientWorkspace<float> ws(n);
///     auto fvp = [&](const auto& v, auto& out) { fisher_vector_product(v, out); out += damping * v; };
///     theta::conjugate_gradient(fvp, policy_gradient, step_direction, 15, 1e-10, ws);
template <Real T, class Product>
  requires std::invocable<Product&, const Vector<T>&, Vector<T>&>
ConjugateGradientResult conjugate_gradient(Product&& product, const std::type_identity_t<Eigen::Ref<const Vector<T>>>& b,
                                           std::type_identity_t<Eigen::Ref<Vector<T>>> x, int iterations,
                                           double residual_tol, ConjugateGradientWorkspace<T>& workspace) {
  require<ConfigError>(iterations >= 1, "conjugate_gradient: iterations must be >= 1, got {}", iterations);
  require<ConfigError>(residual_tol >= 0, "conjugate_gradient: residual_tol must be >= 0, got {}", residual_tol);
  require(x.size() == b.size(), "conjugate_gradient: x has {} entries but b has {}", x.size(), b.size());
  workspace.resize(b.size());
  auto& r = workspace.residual;
  auto& p = workspace.direction;
  auto& ap = workspace.product;

  ConjugateGradientResult result;
  x.setZero();
  r = b;  // b - A·0
  p = r;
  T rr = r.squaredNorm();
  result.residual_squared_norm = static_cast<double>(rr);
  if (result.residual_squared_norm < residual_tol) {
    result.converged = true;
    return result;
  }
  for (int i = 0; i < iterations; ++i) {
    product(std::as_const(p), ap);
    ++result.iterations;
    const T p_ap = p.dot(ap);
    require<NumericalError>(std::isfinite(p_ap) && p_ap > T(0),
                            "conjugate_gradient: pᵀAp = {} at iteration {}; the matrix is not positive definite",
                            static_cast<double>(p_ap), i);
    const T alpha = rr / p_ap;
    x += alpha * p;
    r -= alpha * ap;
    const T rr_new = r.squaredNorm();
    result.residual_squared_norm = static_cast<double>(rr_new);
    if (result.residual_squared_norm < residual_tol) {
      result.converged = true;
      break;
    }
    p = r + (rr_new / rr) * p;
    rr = rr_new;
  }
  result.solution_energy = static_cast<double>(x.dot(b - r));
  return result;
}

}  // namespace theta
