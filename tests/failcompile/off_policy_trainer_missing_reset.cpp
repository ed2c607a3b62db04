// expect: theta::Environment: the type has no member function 'Observation reset\(std::uint64_t seed\)'
// The trainer shows the contract's message, not its own constraint failure (issue 13).
#include <theta/train/off_policy_trainer.hpp>

struct NoReset {
  using Observation = Eigen::Vector3f;
  using Action = Eigen::Matrix<float, 1, 1>;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0, -1.0}, {1.0, 1.0, 1.0}); }
  theta::Box action_space() const { return theta::Box({-2.0}, {2.0}); }
  theta::StepResult<Observation> step(const Action&) { return {Observation::Zero(), 0.0, true, false}; }
};

void use() { theta::OffPolicyTrainer<NoReset> trainer({.learning_starts = 10}); }
