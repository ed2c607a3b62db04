// expect: the critic must satisfy theta::QFunction
// SAC keeps a target copy of each critic, so a Q-function must be copyable.
#include <theta/train/off_policy_trainer.hpp>

#include <memory>

struct UniqueQ {
  using Scalar = float;
  UniqueQ() = default;
  UniqueQ(const UniqueQ&) = delete;
  UniqueQ(UniqueQ&&) = default;
  void predict(const Eigen::Ref<const theta::Matrix<float>>&, const Eigen::Ref<const theta::Matrix<float>>&,
               Eigen::Ref<theta::Vector<float>>);
  Eigen::Map<const theta::Vector<float>> forward(const Eigen::Ref<const theta::Matrix<float>>&,
                                                 const Eigen::Ref<const theta::Matrix<float>>&);
  void backward(const Eigen::Ref<const theta::Vector<float>>&);
  Eigen::Map<const theta::Vector<float>> forward_policy(const Eigen::Ref<const theta::Matrix<float>>&,
                                                        const Eigen::Ref<const theta::Matrix<float>>&);
  void action_gradient(const Eigen::Ref<const theta::Vector<float>>&, Eigen::Ref<theta::Matrix<float>>);
  Eigen::Map<theta::Vector<float>> parameters();
  Eigen::Map<theta::Vector<float>> gradients();
  void zero_grad();
};

void use() {
  using Sac = theta::sac::Sac<theta::SquashedGaussianPolicy<float>, UniqueQ>;
  static_cast<void>(sizeof(Sac));
}
