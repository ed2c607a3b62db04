// Invalid-action masking side by side (issue 15): sb3-contrib's test environment for
// MaskablePPO and its test's settings, with masks and without them (an invalid action then
// earns a penalty instead of being ruled out).
//
// The environment is sb3-contrib's InvalidActionEnvDiscrete(dim=80, n_invalid_actions=60)
// (sb3_contrib/common/envs/invalid_actions_env.py), built on Stable-Baselines3's IdentityEnv:
// the state is drawn uniformly from 80 values at every step and shown (one-hot, as SB3's
// MlpPolicy encodes a Discrete observation); the reward is 1 when the action equals the
// state and 0 otherwise; 60 of the other 79 actions, drawn anew at every step, are invalid;
// episodes are cut after 100 steps (a time limit: nothing ends the MDP). sb3-contrib's test
// (tests/test_invalid_actions.py, test_identity) trains MaskablePPO with gamma 0.4 and the
// PPO defaults for 5,000 steps and requires a mean evaluation return >= 90 over 20 episodes.
#include "scenario.hpp"

#include <algorithm>
#include <array>
#include <span>

namespace theta::bench {
namespace {

constexpr int kDim = 80;
constexpr int kInvalid = 60;
constexpr double kInvalidPenalty = -0.1;  // a tenth of a correct answer's reward

// The environment; `Masked` exposes the masks, otherwise an invalid action earns kInvalidPenalty.
template <bool Masked>
class InvalidActionIdentity {
 public:
  using Observation = Eigen::Matrix<float, kDim, 1>;
  using Action = int;
  static constexpr std::int64_t max_episode_steps = 100;  // IdentityEnv's ep_length

  [[nodiscard]] Box observation_space() const {
    return {Eigen::VectorXd::Zero(kDim), Eigen::VectorXd::Ones(kDim)};
  }
  [[nodiscard]] Discrete action_space() const { return Discrete{kDim}; }

  Observation reset(std::uint64_t seed) {
    rng_ = Rng(seed);
    choose_next_state();
    return observation();
  }

  StepResult<Observation> step(const Action& action) {
    require(action >= 0 && action < kDim, "InvalidActionIdentity: action {} outside [0, {})", action, kDim);
    double reward = action == state_ ? 1.0 : 0.0;
    if (!valid_[static_cast<std::size_t>(action)]) {
      require(!Masked, "InvalidActionIdentity: the masked environment got the invalid action {}", action);
      reward = kInvalidPenalty;
    }
    choose_next_state();
    return {observation(), reward, false, false};
  }

  void action_mask(std::span<bool> valid) const
    requires Masked
  {
    std::copy(valid_.begin(), valid_.end(), valid.begin());
  }

 private:
  Observation observation() const {
    Observation obs = Observation::Zero();
    obs[state_] = 1.0F;
    return obs;
  }

  // The state, then kInvalid distinct invalid actions among the other kDim - 1 (a partial
  // Fisher-Yates shuffle of the other actions).
  void choose_next_state() {
    state_ = static_cast<int>(rng_.below(kDim));
    std::array<int, kDim - 1> others{};
    for (int a = 0, k = 0; a < kDim; ++a)
      if (a != state_) others[static_cast<std::size_t>(k++)] = a;
    valid_.fill(true);
    for (int k = 0; k < kInvalid; ++k) {
      const auto j = k + static_cast<int>(rng_.below(static_cast<std::uint64_t>(kDim - 1 - k)));
      std::swap(others[static_cast<std::size_t>(k)], others[static_cast<std::size_t>(j)]);
      valid_[static_cast<std::size_t>(others[static_cast<std::size_t>(k)])] = false;
    }
  }

  Rng rng_{0};
  int state_ = 0;
  std::array<bool, kDim> valid_{};
};

template <bool Masked>
RunResult ppo_invalid_actions(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  const OnPolicyConfig trainer_config{
      .n_envs = 1,            // one environment (SB3's default for a single env)
      .n_steps = 2048,        // PPO defaults: 2048 steps per rollout
      .gamma = 0.4,           // gamma 0.4 (sb3-contrib's test)
      .gae_lambda = 0.95,     // default
      .total_steps = s.steps,
      .seed = seed,
  };
  // ppo::Config's defaults are SB3's PPO defaults (batch 64, 10 epochs, lr 3e-4, clip 0.2,
  // entropy 0, value coefficient 0.5, grad norm 0.5, 64-64 tanh actor and critic).
  OnPolicyTrainer<TimeLimit<InvalidActionIdentity<Masked>>, ppo::Ppo> trainer(trainer_config, ppo::Config{});
  return run_trainer(trainer, s, seed, options, 2048);
}

const bool registered = [] {
  auto& r = registry();
  r.push_back({"ppo-masked", "PPO with invalid-action masking, sb3-contrib's InvalidActionEnvDiscrete(80, 60), gamma 0.4",
               100'000, 90.0, "solved 5/5, in fewer steps than ppo-masked-penalty", ppo_invalid_actions<true>});
  r.push_back({"ppo-masked-penalty", "ppo-masked without masks: an invalid action earns -0.1", 100'000, 90.0,
               "comparator of ppo-masked", ppo_invalid_actions<false>});
  return true;
}();

}  // namespace
}  // namespace theta::bench
