// expect: an integer Eigen column vector \(theta::MultiDiscreteAction\) with action_space\(\) returning theta::MultiDiscrete
#include <theta/env/vector_env.hpp>

struct FloatVectorAction {
  using Observation = Eigen::Vector2f;
  using Action = Eigen::Vector2f;  // a MultiDiscrete space takes integer indices
  theta::Box observation_space() const { return {}; }
  theta::MultiDiscrete action_space() const { return {2, 3}; }
  Observation reset(std::uint64_t) { return {}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};

void use() { theta::VectorEnv<FloatVectorAction> envs(2, 0); }
