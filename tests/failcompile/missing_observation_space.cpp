// expect: no member function 'theta::Box observation_space\(\) const'
#include <theta/env/vector_env.hpp>

struct NoObservationSpace {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};

void use() { theta::VectorEnv<NoObservationSpace> envs(2, 0); }
