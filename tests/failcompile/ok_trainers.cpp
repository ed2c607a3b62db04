// The control of the trainer snippets (on_policy_trainer_missing_step.cpp,
// off_policy_trainer_missing_reset.cpp): the same environments with every member compile.
#include <theta/algo/ppo.hpp>
#include <theta/train/off_policy_trainer.hpp>
#include <theta/train/on_policy_trainer.hpp>

struct Discrete {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0}, {1.0, 1.0}); }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return Observation::Zero(); }
  theta::StepResult<Observation> step(const Action&) { return {Observation::Zero(), 0.0, true, false}; }
};

struct Continuous {
  using Observation = Eigen::Vector3f;
  using Action = Eigen::Matrix<float, 1, 1>;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0, -1.0}, {1.0, 1.0, 1.0}); }
  theta::Box action_space() const { return theta::Box({-2.0}, {2.0}); }
  Observation reset(std::uint64_t) { return Observation::Zero(); }
  theta::StepResult<Observation> step(const Action&) { return {Observation::Zero(), 0.0, true, false}; }
};

void use() {
  theta::OnPolicyTrainer<Discrete, theta::ppo::Ppo> on_policy({.n_steps = 8}, {.batch_size = 8});
  theta::OffPolicyTrainer<Continuous> off_policy({.learning_starts = 10});
}
