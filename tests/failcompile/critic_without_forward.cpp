// expect: the critic must satisfy theta::StateValueFunction
#include "user_components.hpp"

struct NoForward {
  using Scalar = float;
  void predict(const Eigen::Ref<const user::Mat>&, Eigen::Ref<user::Vec>);
  void backward(const Eigen::Ref<const user::Vec>&);
  user::Map parameters();
  user::Map gradients();
  void zero_grad();
};

void use() { theta::OnPolicyTrainer<user::Env, theta::ppo::Ppo, user::Policy, NoForward> trainer({}, {}, {}); }
