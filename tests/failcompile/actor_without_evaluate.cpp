// expect: the actor must satisfy theta::StochasticPolicy
#include "user_components.hpp"

struct NoEvaluate {
  using Scalar = float;
  static constexpr bool is_discrete = true;
  theta::Index action_rows() const;
  void act(const Eigen::Ref<const user::Mat>&, theta::Rng&, bool, Eigen::Ref<user::Mat>, Eigen::Ref<user::Vec>);
  void backward(const Eigen::Ref<const user::Vec>&, const Eigen::Ref<const user::Vec>&);
  user::Map parameters();
  user::Map gradients();
  void zero_grad();
};

void use() { theta::OnPolicyTrainer<user::Env, theta::ppo::Ppo, NoEvaluate, user::Critic> trainer({}, {}, {}); }
