#pragma once
/// \file Per-sample weights of a gradient (private). Every distribution gradient is the
/// gradient of a weighted batch sum Σ_b w_b f_b; the unweighted overloads pass `UnitWeights`
/// so the inner loops are the same code with the multiply folded away.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

namespace theta::detail {

/// w_b = 1 for every sample.
template <Real T>
struct UnitWeights {
  constexpr T operator()(Index) const noexcept { return T(1); }
};

/// w_b read from a caller's vector (the upstream gradient dL/df_b).
template <Real T>
struct VectorWeights {
  const Eigen::Ref<const Vector<T>>& weights;
  T operator()(Index b) const noexcept { return weights[b]; }
};

/// Checks that a weight vector has one entry per sample.
inline void require_weights(const char* where, Index weights, Index batch) {
  require(weights == batch, "{}: weights has {} entries but the batch has {} samples", where, weights, batch);
}

/// Checks the shape of an output or input matrix.
inline void require_shape(const char* where, const char* what, Index rows, Index cols, Index want_rows,
                          Index want_cols) {
  require(rows == want_rows && cols == want_cols, "{}: {} is {} x {}, expected {} x {}", where, what, rows, cols,
          want_rows, want_cols);
}

}  // namespace theta::detail
