// expect: theta::Environment: the type has no member function 'theta::StepResult<Observation> step\(const Action&\)'
// The trainer shows the contract's message, not its own constraint failure (issue 13).
#include <theta/algo/ppo.hpp>
#include <theta/train/on_policy_trainer.hpp>

struct NoStep {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0}, {1.0, 1.0}); }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return Observation::Zero(); }
};

void use() { theta::OnPolicyTrainer<NoStep, theta::ppo::Ppo> trainer({.n_steps = 8}, {.batch_size = 8}); }
