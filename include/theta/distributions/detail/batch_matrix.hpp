#pragma once
/// \file BatchMatrix: a matrix whose storage only grows, so that a distribution evaluated on
/// batches of different sizes (a smaller last minibatch, episodes of varying length)
/// allocates only when a batch is larger than any before it.

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <new>
#include <utility>

namespace theta::detail {

/// An `Eigen::Map` over owned storage. `resize` changes the shape and reallocates only when
/// the storage must grow (Eigen's own `resize` reallocates on every change of size); shrinking
/// keeps the storage. Assigning an expression resizes to its shape. Re-pointing a Map by
/// placement new is the method Eigen documents for changing the array a Map refers to.
template <Real T>
class BatchMatrix : public Eigen::Map<Matrix<T>> {
  using Base = Eigen::Map<Matrix<T>>;

 public:
  BatchMatrix() : Base(nullptr, 0, 0) {}
  BatchMatrix(Index rows, Index cols) : Base(nullptr, 0, 0) { resize(rows, cols); }
  BatchMatrix(const BatchMatrix& other) : Base(nullptr, 0, 0), storage_(other.storage_) {
    rebind(other.rows(), other.cols());
  }
  BatchMatrix(BatchMatrix&& other) noexcept : Base(nullptr, 0, 0), storage_(std::move(other.storage_)) {
    rebind(other.rows(), other.cols());
    other.rebind(0, 0);
  }
  BatchMatrix& operator=(const BatchMatrix& other) {
    if (this != &other) {
      resize(other.rows(), other.cols());
      Base::operator=(other);
    }
    return *this;
  }
  BatchMatrix& operator=(BatchMatrix&& other) noexcept {
    if (this != &other) {
      storage_ = std::move(other.storage_);
      rebind(other.rows(), other.cols());
      other.rebind(0, 0);
    }
    return *this;
  }
  /// Takes the shape and the values of `other`.
  template <class Derived>
  BatchMatrix& operator=(const Eigen::DenseBase<Derived>& other) {
    resize(other.rows(), other.cols());
    Base::operator=(other.derived());
    return *this;
  }

  /// Sets the shape; values are unspecified afterwards. Allocates only to grow the storage.
  void resize(Index rows, Index cols) {
    if (rows * cols > storage_.size()) storage_.resize(rows * cols);
    rebind(rows, cols);
  }

 private:
  void rebind(Index rows, Index cols) { new (static_cast<Base*>(this)) Base(storage_.data(), rows, cols); }

  Vector<T> storage_;
};

}  // namespace theta::detail
