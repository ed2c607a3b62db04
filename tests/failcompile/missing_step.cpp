// expect: no member function 'theta::StepResult<Observation> step\(const Action&\)'
#include <theta/env/vector_env.hpp>

struct NoStep {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
};

void use() { theta::VectorEnv<NoStep> envs(2, 0); }
