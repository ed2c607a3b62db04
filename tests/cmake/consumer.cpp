// A consumer of theta: one include, one user environment, the vector environment and the check.
#include <theta/theta.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <vector>

struct Coin {
  using Observation = Eigen::Matrix<float, 1, 1>;
  using Action = int;
  theta::Box observation_space() const { return theta::Box({0.0}, {1.0}); }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t seed) {
    theta::Rng rng(seed);
    side = static_cast<int>(rng.below(2));
    return Observation::Constant(static_cast<float>(side));
  }
  theta::StepResult<Observation> step(const Action& guess) {
    return {Observation::Constant(static_cast<float>(side)), guess == side ? 1.0 : 0.0, true, false};
  }
  int side = 0;
};

int main() {
  Coin coin;
  const auto check = theta::check_environment(coin, 1, 100);
  theta::VectorEnv<Coin> envs(4, 1);
  envs.reset();
  const std::vector<int> guesses(4, 1);
  envs.step(guesses);
  fmt::print("theta consumer OK: {} steps checked, {} episodes finished\n", check.steps,
             envs.finished_episodes().size());
}
