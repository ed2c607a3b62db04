// expect: no member function 'Observation reset\(std::uint64_t seed\)'
#include <theta/env/check.hpp>

struct NoReset {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return {}; }
  theta::Discrete action_space() const { return {2}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};

void use() {
  NoReset env;
  theta::check_environment(env, 0);
}
