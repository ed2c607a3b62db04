// The control case: complete environments (discrete, and masked multi-discrete) compile with
// VectorEnv and check_environment.
#include <theta/env/check.hpp>
#include <theta/env/vector_env.hpp>

#include <algorithm>
#include <span>

struct Complete {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0}, {1.0, 1.0}); }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return Observation::Zero(); }
  theta::StepResult<Observation> step(const Action&) { return {Observation::Zero(), 0.0, true, false}; }
};

struct CompleteMultiDiscrete {
  using Observation = Eigen::Vector2f;
  using Action = theta::MultiDiscreteAction;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0}, {1.0, 1.0}); }
  theta::MultiDiscrete action_space() const { return {2, 3}; }
  Observation reset(std::uint64_t) { return Observation::Zero(); }
  theta::StepResult<Observation> step(const Action&) { return {Observation::Zero(), 0.0, true, false}; }
  void action_mask(std::span<bool> valid) const { std::fill(valid.begin(), valid.end(), true); }
};

void use() {
  theta::VectorEnv<Complete> envs(2, 0);
  Complete env;
  theta::check_environment(env, 0);
  theta::VectorEnv<CompleteMultiDiscrete> multi_envs(2, 0);
  CompleteMultiDiscrete multi;
  theta::check_environment(multi, 0);
}
