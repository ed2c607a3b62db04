// expect: trpo: the policy must have fisher_vector_product
// A policy without TRPO's refinement trains PPO (ok_components.cpp) but not TRPO.
#include "user_components.hpp"

void use() {
  theta::OnPolicyTrainer<user::Env, theta::trpo::Trpo, user::Policy, user::Critic> trainer(
      {.n_steps = 8}, {.batch_size = 8}, {.actor = user::Policy{}, .critic = user::Critic{}});
}
