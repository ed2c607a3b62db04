// Fixture of the ONNX runtime check (tests/io/onnx_check.js, CTest io.onnx_runtime): trains
// PPO on CartPole-v1 and Pendulum-v1 (observation normalisation on), SAC on Pendulum-v1 and
// PPO on a small multi-discrete environment (one ArgMax per dimension) for a few hundred steps, writes each policy as ONNX (theta/io/onnx.hpp) to DIR/<name>.onnx, and
// writes DIR/<name>.json with observations and theta's actions for them (trainer.predict,
// equal bit for bit to theta/inference.hpp). The script runs the models in ONNX Runtime and
// compares.
#include <theta/io/onnx.hpp>
#include <theta/theta.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

// A multi-discrete environment for the per-dimension argmax graph: three observations drawn
// from the seed and moved by the action, MultiDiscrete{3, 1, 4}; 20 steps an episode.
struct ThreeKnobs {
  using Observation = Eigen::Vector3f;
  using Action = theta::MultiDiscreteAction;
  theta::Box observation_space() const { return theta::Box({-1e3, -1e3, -1e3}, {1e3, 1e3, 1e3}); }
  theta::MultiDiscrete action_space() const { return {3, 1, 4}; }
  Observation reset(std::uint64_t seed) {
    theta::Rng rng(seed);
    x = Observation(static_cast<float>(rng.uniform(-1.0, 1.0)), static_cast<float>(rng.uniform(-1.0, 1.0)),
                    static_cast<float>(rng.uniform(-1.0, 1.0)));
    steps = 0;
    return x;
  }
  theta::StepResult<Observation> step(const Action& a) {
    x[0] += 0.1f * static_cast<float>(a[0] - 1);
    x[2] += 0.05f * static_cast<float>(a[2]) - 0.08f;
    ++steps;
    return {x, -static_cast<double>(x.squaredNorm()), false, steps >= 20};
  }
  Observation x = Observation::Zero();
  int steps = 0;
};

void append(std::string& list, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);  // 9 digits: a float reads back exactly
  list += (list.empty() ? "" : ",") + std::string(text);
}

// Observations of episodes played by the policy, and the same times 3 (beyond the normaliser's
// clip and the action bounds), with theta's action for each.
template <class Trainer, class Env>
void write_case(Trainer& trainer, Env env, const std::filesystem::path& dir, const std::string& name) {
  theta::io::export_onnx(dir / (name + ".onnx"), trainer.policy_description());
  std::string observations, actions;
  int count = 0;
  for (std::uint64_t episode = 0; count < 200; ++episode) {
    auto obs = env.reset(500 + episode);
    for (int t = 0; t < 100 && count < 200; ++t) {
      for (const float factor : {1.0F, 3.0F}) {
        const typename Env::Observation o = obs * factor;
        for (Eigen::Index i = 0; i < o.size(); ++i) append(observations, o[i]);
        const auto a = trainer.predict(o);
        if constexpr (theta::DiscreteEnvironment<Env>) {
          append(actions, a);
        } else {
          for (Eigen::Index i = 0; i < a.size(); ++i) append(actions, a[i]);
        }
        ++count;
      }
      auto step = env.step(trainer.predict(obs));
      if (step.terminated || step.truncated) break;
      obs = step.observation;
    }
  }
  constexpr bool indices = theta::DiscreteEnvironment<Env> || theta::MultiDiscreteEnvironment<Env>;
  std::ofstream(dir / (name + ".json")) << "{\"discrete\": " << (indices ? "true" : "false")
                                        << ", \"observation_size\": " << env.observation_space().size()
                                        << ", \"count\": " << count << ", \"observations\": [" << observations
                                        << "], \"actions\": [" << actions << "]}\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: onnx_fixture DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  using CartPole = theta::TimeLimit<theta::CartPole>;
  using Pendulum = theta::TimeLimit<theta::Pendulum>;
  const theta::NetworkConfig net{.hidden = {64, 64}};
  theta::OnPolicyTrainer<CartPole, theta::ppo::Ppo> ppo_cartpole(
      {.n_envs = 4, .n_steps = 64, .normalize_observations = true, .seed = 1}, {.actor = net, .critic = net});
  ppo_cartpole.learn(1024);
  write_case(ppo_cartpole, CartPole{}, dir, "ppo_cartpole");
  theta::OnPolicyTrainer<Pendulum, theta::ppo::Ppo> ppo_pendulum(
      {.n_envs = 4, .n_steps = 64, .normalize_observations = true, .seed = 2}, {.actor = net, .critic = net});
  ppo_pendulum.learn(1024);
  write_case(ppo_pendulum, Pendulum{}, dir, "ppo_pendulum");
  theta::sac::Config sac{};
  sac.actor.hidden = {64, 64};
  sac.critic.hidden = {64, 64};
  theta::OffPolicyTrainer<Pendulum> sac_pendulum({.learning_starts = 100, .batch_size = 64, .seed = 3}, sac);
  sac_pendulum.learn(400);
  write_case(sac_pendulum, Pendulum{}, dir, "sac_pendulum");
  theta::OnPolicyTrainer<ThreeKnobs, theta::ppo::Ppo> ppo_knobs({.n_envs = 4, .n_steps = 64, .seed = 4},
                                                                {.actor = net, .critic = net});
  ppo_knobs.learn(1024);
  write_case(ppo_knobs, ThreeKnobs{}, dir, "ppo_multi_discrete");
  std::printf("wrote 4 ONNX models and their cases to %s\n", argv[1]);
  return 0;
}
