// The control of the component snippets: user-written actor and critic train PPO.
#include "user_components.hpp"

static_assert(theta::StochasticPolicy<user::Policy>);
static_assert(!theta::TrustRegionPolicy<user::Policy>);
static_assert(theta::StateValueFunction<user::Critic>);

void use() {
  theta::OnPolicyTrainer<user::Env, theta::ppo::Ppo, user::Policy, user::Critic> trainer(
      {.n_steps = 8}, {.batch_size = 8}, {.actor = user::Policy{}, .critic = user::Critic{}});
  trainer.learn(8);
}
