#pragma once
/// \file The Trainable concept: a component whose parameters and gradients are one flat,
/// contiguous view each.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <concepts>
#include <string_view>
#include <utility>

namespace theta {

/// A trainable component: `parameters()` and `gradients()` are `Eigen::Map<Vector<Scalar>>`
/// views of the same size over storage the component owns, `zero_grad()` sets the gradients
/// to 0, and backward passes add to them. Optimizers, gradient clipping, checkpoints, an
/// all-reduce of gradients and shared-parameter workers see every component through these two
/// views (as PyTorch's `parameters_to_vector`), so none of them needs the component's type.
///
///     struct Line {                                  // y = w x + b
///       using Scalar = float;
///       theta::Vector<float> p = theta::Vector<float>::Zero(2), g = theta::Vector<float>::Zero(2);
///       Eigen::Map<theta::Vector<float>> parameters() { return {p.data(), 2}; }
///       Eigen::Map<theta::Vector<float>> gradients() { return {g.data(), 2}; }
///       void zero_grad() { g.setZero(); }
///     };
///     static_assert(theta::Trainable<Line>);
template <class C>
concept Trainable = requires(C& component) {
  typename C::Scalar;
  requires Real<typename C::Scalar>;
  { component.parameters() } -> std::same_as<Eigen::Map<Vector<typename C::Scalar>>>;
  { component.gradients() } -> std::same_as<Eigen::Map<Vector<typename C::Scalar>>>;
  component.zero_grad();
};

namespace detail {
// The name of C as the compiler spells it ("theta::nn::Mlp<float>"), for error messages.
template <class C>
constexpr std::string_view type_name() noexcept {
  const std::string_view f = __PRETTY_FUNCTION__;  // "... [with C = X; ...]" (g++), "... [C = X]" (clang)
  const std::size_t begin = f.find("C = ") + 4;
  const std::size_t end = f.find_first_of(";]", begin);
  return f.substr(begin, end - begin);
}
}  // namespace detail

/// Copies `values` into `component.parameters()` after checking the size, in every build: the
/// view is an `Eigen::Map`, and assigning a vector of another size to it is checked only by
/// Eigen's debug assertions (a short vector is read past its end, a long one silently cut;
/// issue 13). Throws `theta::Error` naming the component type and both sizes.
///
///     theta::set_parameters(policy, saved);  // policy.parameters() = saved, checked
/// Works for anything with a mutable `parameters()` view (every `Trainable`, and `nn::Mlp`).
template <class C, class View = decltype(std::declval<C&>().parameters())>
  requires std::same_as<View, Eigen::Map<Vector<typename View::Scalar>>>
void set_parameters(C& component, const Eigen::Ref<const Vector<typename View::Scalar>>& values) {
  auto view = component.parameters();
  require(values.size() == view.size(), "{}::parameters(): has {} entries, got a vector of {}",
          detail::type_name<C>(), view.size(), values.size());
  view = values;
}

}  // namespace theta
