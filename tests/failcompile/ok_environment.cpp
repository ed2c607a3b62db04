// The control case: a complete environment compiles with VectorEnv and check_environment.
#include <theta/env/check.hpp>
#include <theta/env/vector_env.hpp>

struct Complete {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0}, {1.0, 1.0}); }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return Observation::Zero(); }
  theta::StepResult<Observation> step(const Action&) { return {Observation::Zero(), 0.0, true, false}; }
};

void use() {
  theta::VectorEnv<Complete> envs(2, 0);
  Complete env;
  theta::check_environment(env, 0);
}
