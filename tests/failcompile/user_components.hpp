#pragma once
// Declarations of user-written components for the must-not-compile tests: each snippet drops
// or breaks one member and names the concept or member the compiler must report. Only
// declarations: the snippets are compiled, never linked.
#include <theta/train/on_policy_trainer.hpp>
#include <theta/algo/ppo.hpp>
#include <theta/algo/trpo.hpp>

namespace user {
using Vec = theta::Vector<float>;
using Mat = theta::Matrix<float>;
using Map = Eigen::Map<Vec>;

// A discrete policy with everything PPO, A2C and REINFORCE need (no Fisher-vector product).
struct Policy {
  using Scalar = float;
  static constexpr bool is_discrete = true;
  theta::Index action_rows() const;
  void act(const Eigen::Ref<const Mat>& obs, theta::Rng& rng, bool deterministic, Eigen::Ref<Mat> actions,
           Eigen::Ref<Vec> log_probs);
  void evaluate(const Eigen::Ref<const Mat>& obs, const Eigen::Ref<const Mat>& actions, Eigen::Ref<Vec> log_probs,
                Eigen::Ref<Vec> entropy);
  void backward(const Eigen::Ref<const Vec>& dlog_probs, const Eigen::Ref<const Vec>& dentropy);
  Map parameters();
  Map gradients();
  void zero_grad();
};

struct Critic {
  using Scalar = float;
  void predict(const Eigen::Ref<const Mat>& obs, Eigen::Ref<Vec> out);
  Eigen::Map<const Vec> forward(const Eigen::Ref<const Mat>& obs);
  void backward(const Eigen::Ref<const Vec>& dvalues);
  Map parameters();
  Map gradients();
  void zero_grad();
};

struct Env {
  using Observation = Eigen::Vector2f;
  using Action = int;
  theta::Box observation_space() const { return theta::Box({-1.0, -1.0}, {1.0, 1.0}); }
  theta::Discrete action_space() const { return {2}; }
  Observation reset(std::uint64_t) { return {}; }
  theta::StepResult<Observation> step(const Action&) { return {}; }
};
}  // namespace user
