#pragma once
/// \file `Cell` and one step of a GRU or LSTM cell's arithmetic, with Eigen and the standard
/// library only: `nn::Recurrent` and theta/inference.hpp step a cell with this one function, so
/// a deployed recurrent policy computes bit for bit what the trainer computes. Include
/// theta/nn/recurrent.hpp.

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

namespace theta::nn {

/// The recurrent cells: a GRU (3 gates, state h) or an LSTM (4 gates, state h and c).
enum class Cell { gru, lstm };

namespace detail {

/// One step of the cell for a batch (torch's equations, theta/nn/recurrent.hpp): `g` holds
/// W_ih x + b_ih on entry and the activated gates on exit, `hh` is W_hh h + b_hh, `h` and `c`
/// the entering state (c unused by a GRU), `extra` receives what backward needs besides the
/// gates (GRU W_hn h + b_hn, LSTM tanh(c')), `next_h` and `next_c` the state after the step
/// (next_c unused by a GRU); `n` is the hidden size. The outputs must not alias h or c.
template <Cell C, Real T, class G, class HH, class H, class Cs, class E, class NH, class NC>
void cell_forward(Index n, G&& g, const HH& hh, const H& h, [[maybe_unused]] const Cs& c, E&& extra, NH&& next_h,
                  [[maybe_unused]] NC&& next_c) {
  if constexpr (C == Cell::gru) {
    g.topRows(2 * n).array() = (g.topRows(2 * n) + hh.topRows(2 * n)).array().logistic();
    extra = hh.bottomRows(n);
    g.bottomRows(n).array() = (g.bottomRows(n).array() + g.topRows(n).array() * extra.array()).tanh();
    const auto z = g.middleRows(n, n).array();
    next_h.array() = (T(1) - z) * g.bottomRows(n).array() + z * h.array();
  } else {
    g += hh;
    g.topRows(2 * n).array() = g.topRows(2 * n).array().logistic();
    g.middleRows(2 * n, n).array() = g.middleRows(2 * n, n).array().tanh();
    g.bottomRows(n).array() = g.bottomRows(n).array().logistic();
    next_c.array() = g.middleRows(n, n).array() * c.array() + g.topRows(n).array() * g.middleRows(2 * n, n).array();
    extra.array() = next_c.array().tanh();
    next_h.array() = g.bottomRows(n).array() * extra.array();
  }
}

}  // namespace detail
}  // namespace theta::nn
