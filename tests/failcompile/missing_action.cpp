// expect: no member type 'Action'
#include <theta/env/vector_env.hpp>

struct NoAction {
  using Observation = Eigen::Vector2f;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
};

void use() { theta::VectorEnv<NoAction> envs(2, 0); }
