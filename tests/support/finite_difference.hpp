#pragma once
// Central finite differences: the numerical derivative every [gradient] test holds its
// analytic gradient against.

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

namespace theta::test {

/// The step of a central difference and its stencil. The step is h = `step`, or
/// `step` * max(1, |x|) when `relative`. Three points, (f(x + h) - f(x - h)) / 2h, have
/// error O(h^2); five points have error O(h^4), so h can be larger and the rounding noise of
/// the loss, divided by h, smaller.
struct Stencil {
  double step = 1e-6;
  bool relative = false;
  bool five_point = false;
};

/// Five points with a step of 1e-4 relative to the entry, for a network's parameters: large
/// enough that the rounding noise of an O(10) loss stays near 1e-11.
inline constexpr Stencil five_point{.step = 1e-4, .relative = true, .five_point = true};

/// df/dx at `x` by a central difference, where `f_at(v)` is f with x replaced by v.
///
///     const double d = central_difference([](double t) { return std::sin(t); }, 0.3, {.step = 1e-6});
template <class F>
double central_difference(F&& f_at, double x, const Stencil& stencil = {}) {
  const double h = stencil.relative ? stencil.step * std::max(1.0, std::abs(x)) : stencil.step;
  if (stencil.five_point) {
    return (f_at(x - 2 * h) - 8 * f_at(x - h) + 8 * f_at(x + h) - f_at(x + 2 * h)) / (12 * h);
  }
  const double plus = f_at(x + h);
  const double minus = f_at(x - h);
  return (plus - minus) / (2 * h);
}

/// The gradient of a scalar function of the entries of `x`, one central_difference per entry,
/// returned as a plain matrix of x's shape. `f` is either
///  - unary, `f(y)`: called with a perturbed copy y of x, which may then be const; or
///  - nullary, `f()`: reads x itself, a matrix or a view (a network's `parameters()`, a
///    `reshaped()` matrix) that is perturbed in place and restored after each entry.
///
///     const auto g = numerical_gradient([&] { return loss(); }, net.parameters(), {.step = 1e-6});
template <class F, class X>
auto numerical_gradient(F&& f, X&& x, const Stencil& stencil = {}) {
  using Plain = typename std::remove_cvref_t<X>::PlainObject;
  if constexpr (std::is_invocable_v<F&, const Plain&>) {
    Plain y = x;
    return numerical_gradient([&] { return f(std::as_const(y)); }, y, stencil);
  } else {
    Plain gradient(x.rows(), x.cols());
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const double saved = x(i);
      gradient(i) = central_difference(
          [&](double v) {
            x(i) = v;
            return f();
          },
          saved, stencil);
      x(i) = saved;
    }
    return gradient;
  }
}

}  // namespace theta::test
