// expect: no member type 'Observation'
#include <theta/env/vector_env.hpp>

struct NoObservation {
  using Action = int;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Eigen::Vector2f reset(std::uint64_t) { return {}; }
};

void use() { theta::VectorEnv<NoObservation> envs(2, 0); }
