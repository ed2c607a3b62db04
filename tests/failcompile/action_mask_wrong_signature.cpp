// expect: 'action_mask' must be 'void action_mask\(std::span<bool> valid\) const'
#include <theta/env/vector_env.hpp>

#include <vector>

struct WrongMask {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
  void action_mask(std::vector<bool>& valid) const { valid.assign(2, true); }  // not a std::span<bool>
};

void use() { theta::VectorEnv<WrongMask> envs(2, 0); }
