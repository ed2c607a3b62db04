// expect: 'Observation' must be an Eigen column vector of float or double
#include <theta/env/vector_env.hpp>

struct ScalarObservation {
  using Observation = float;
  using Action = int;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};

void use() { theta::VectorEnv<ScalarObservation> envs(2, 0); }
