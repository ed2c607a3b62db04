// expect: the estimator must satisfy theta::AdvantageEstimator
#include "user_components.hpp"

struct NoEstimate {
  void compute(theta::RolloutBuffer<float>&);
};

using D = theta::DefaultComponent;
void use() { theta::OnPolicyTrainer<user::Env, theta::ppo::Ppo, D, D, D, NoEstimate> trainer({}, {}); }
