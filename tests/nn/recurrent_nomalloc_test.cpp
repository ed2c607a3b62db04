// Proves that Gru's and Lstm's step, forward and backward through time allocate nothing once a
// workspace exists, with the two detectors of tests/support/allocation_counter.hpp (Eigen's
// EIGEN_RUNTIME_NO_MALLOC and a counting global operator new), which must be included first.

#include "support/allocation_counter.hpp"

#include <theta/nn/init.hpp>
#include <theta/nn/recurrent.hpp>

#include <catch2/catch.hpp>

namespace {

template <theta::nn::Cell C, class T>
void check_recurrent_no_allocation(theta::Index inputs, theta::Index hidden, theta::Index max_batch,
                                   theta::Index max_steps, theta::Index batch, theta::Index steps) {
  using theta::Index;
  using theta::Matrix;
  INFO((C == theta::nn::Cell::gru ? "GRU " : "LSTM ") << inputs << " -> " << hidden << ", " << batch << " x " << steps
                                                      << " in a " << max_batch << " x " << max_steps << " workspace");
  theta::nn::Recurrent<C, T> layer({.inputs = inputs, .hidden = hidden});
  theta::Rng rng(3);
  theta::nn::init_torch_default(layer, rng);
  auto ws = layer.make_workspace(max_batch, max_steps);
  auto acting = layer.make_workspace(max_batch);
  const Index n = batch * steps, rows = layer.state_rows();
  Matrix<T> x(inputs, n), state(rows, batch), next(rows, batch), d_out(hidden, n), d_final(rows, batch);
  Matrix<T> dx(inputs, n), ds(rows, batch), entering(rows, n);
  for (auto* m : {&x, &state, &d_out, &d_final}) {
    for (Index k = 0; k < m->size(); ++k) m->data()[k] = rng.normal<T>();
  }
  Matrix<T> starts = Matrix<T>::Zero(batch, steps);
  starts(batch - 1, steps - 1) = T(1);
  starts(0, 0) = T(1);

  const auto pass = [&] {
    layer.zero_grad();
    layer.forward(x, state, starts, ws);
    layer.backward(ws, d_out);
    layer.backward(ws, d_out, d_final, dx, ds);
    ws.entering_states(entering);
    layer.forward(x, state, ws);
    layer.step(x.leftCols(batch), state, next, acting);
    layer.step(x.leftCols(batch), next, next, acting);  // in place
  };
  pass();  // warm-up (nothing should need it, but the claim is "after warm-up")
  const theta::test::Allocations a = theta::test::count_allocations(pass);
  CHECK(a.eigen == 0);
  CHECK(a.news == 0);
  // The calls did their work.
  CHECK(ws.outputs().allFinite());
  CHECK(layer.gradients().norm() > 0);
  CHECK(dx.norm() > 0);
  CHECK(next.norm() > 0);
}

}  // namespace

TEST_CASE("Gru and Lstm step, forward and backward allocate nothing after the workspace is built", "[alloc]") {
  using theta::nn::Cell;
  SECTION("GRU 4 -> 64, 16 sequences of 32 steps") { check_recurrent_no_allocation<Cell::gru, float>(4, 64, 16, 32, 16, 32); }
  SECTION("GRU 4 -> 64, 5 x 7 in a 16 x 32 workspace") { check_recurrent_no_allocation<Cell::gru, float>(4, 64, 16, 32, 5, 7); }
  SECTION("LSTM 8 -> 256, 8 sequences of 16 steps") { check_recurrent_no_allocation<Cell::lstm, float>(8, 256, 8, 16, 8, 16); }
  SECTION("LSTM 2 -> 64, batch 1, one step") { check_recurrent_no_allocation<Cell::lstm, float>(2, 64, 8, 16, 1, 1); }
  SECTION("LSTM 3 -> 32 in double") { check_recurrent_no_allocation<Cell::lstm, double>(3, 32, 4, 8, 4, 8); }
}
