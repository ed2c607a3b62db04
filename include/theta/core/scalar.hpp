#pragma once
/// \file Scalar and tensor aliases shared by every component.

#include <Eigen/Core>

#include <concepts>
#include <cstdint>

namespace theta {

/// The default floating-point type of networks, distributions and optimizers.
/// Every template also instantiates with `double` (the gradient tests use it).
using Scalar = float;

/// A floating-point type theta computes in.
template <class T>
concept Real = std::same_as<T, float> || std::same_as<T, double>;

/// Column-major dynamic matrix: a batch has one column per sample.
template <Real T = Scalar>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

/// Dynamic column vector.
template <Real T = Scalar>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// Index type for sizes (Eigen's, signed).
using Index = Eigen::Index;

}  // namespace theta
