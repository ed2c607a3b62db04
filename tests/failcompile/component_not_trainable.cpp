// expect: Trainable
// parameters() must be a view of the component's storage, not a copy.
#include <theta/nn/trainable.hpp>

struct Copies {
  using Scalar = float;
  theta::Vector<float> parameters();
  Eigen::Map<theta::Vector<float>> gradients();
  void zero_grad();
};

template <theta::Trainable C>
void step(C&) {}

void use() {
  Copies c;
  step(c);
}
