// expect: 'Action' must be an integer with action_space\(\) returning theta::Discrete
#include <theta/env/vector_env.hpp>

struct FloatAction {
  using Observation = Eigen::Vector2f;
  using Action = float;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};

void use() { theta::VectorEnv<FloatAction> envs(2, 0); }
