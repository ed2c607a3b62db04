// expect: the optimizer type must satisfy theta::Optimizer
#include "user_components.hpp"

struct NoConfig {
  void step(Eigen::Ref<user::Vec>, const Eigen::Ref<const user::Vec>&);
  double learning_rate() const;
  void set_learning_rate(double);
};

using D = theta::DefaultComponent;
void use() { theta::OnPolicyTrainer<user::Env, theta::ppo::Ppo, D, D, NoConfig> trainer({}, {}); }
