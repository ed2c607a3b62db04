// SAC's data-parallel gradient step (`Sac::set_threads`, `OffPolicyConfig::threads`): one
// thread reproduces the serial update bit for bit, a given thread count is bit-reproducible,
// and two threads agree with one within the rounding of the reassociated batch sums.
#include <theta/algo/sac.hpp>

#include <catch2/catch.hpp>

#include "algo/serial_sac.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

namespace {

using theta::Index;

template <class T>
using SacT = theta::sac::Sac<theta::SquashedGaussianPolicy<T>>;

// A rule on `threads` threads, the serial oracle built from the same components, and a replay
// buffer of 600 random transitions (one in ten terminated) sampled in batches of `batch`.
template <class T>
struct ThreadedSac {
  ThreadedSac(const theta::sac::Config& config, std::size_t threads, Index batch, Index obs_dim = 3, Index act_dim = 2)
      : shape{.obs_dim = obs_dim, .action_dim = act_dim, .batch_size = batch},
        rng(7),
        actor(obs_dim, act_dim, config.actor, config.log_std, 1, batch, rng),
        critics{theta::QNetwork<T>(obs_dim, act_dim, config.critic, batch, rng),
                theta::QNetwork<T>(obs_dim, act_dim, config.critic, batch, rng)},
        serial(config, actor, critics, shape, 0.99, rng),
        sac(config, actor, critics, SacT<T>::optimizer_config(config), shape, 0.99, rng),
        buffer(600, obs_dim, act_dim),
        batch(batch, obs_dim, act_dim),
        data(99) {
    sac.set_threads(threads);
    theta::Vector<T> obs(obs_dim), next(obs_dim), action(act_dim);
    for (int i = 0; i < 600; ++i) {
      for (Index d = 0; d < obs_dim; ++d) obs[d] = data.normal<T>(), next[d] = data.normal<T>();
      for (Index d = 0; d < act_dim; ++d) action[d] = data.uniform<T>(T(-1), T(1));
      buffer.add(obs, action, data.normal(), next, i % 10 == 0);
    }
  }

  const theta::ReplayBatch<T>& sample() {
    buffer.sample(batch.capacity(), data, batch);
    return batch;
  }

  theta::ReplayShape shape;
  theta::Rng rng;
  theta::SquashedGaussianPolicy<T> actor;
  std::array<theta::QNetwork<T>, 2> critics;
  theta::test::SerialSac<T> serial;
  SacT<T> sac;
  theta::ReplayBuffer<T> buffer;
  theta::ReplayBatch<T> batch;
  theta::Rng data;
};

// Every parameter a step changes: actor, critics, targets, log α.
template <class T>
theta::Vector<T> state_of(SacT<T>& s) {
  theta::Vector<T> v(s.actor().parameters().size() + 4 * s.critic(0).parameters().size() + 1);
  v << s.actor().parameters(), s.critic(0).parameters(), s.critic(1).parameters(), s.target(0).parameters(),
      s.target(1).parameters(), static_cast<T>(s.log_alpha());
  return v;
}
template <class T>
theta::Vector<T> state_of(theta::test::SerialSac<T>& s) {
  theta::Vector<T> v(s.actor.parameters().size() + 4 * s.critics[0].parameters().size() + 1);
  v << s.actor.parameters(), s.critics[0].parameters(), s.critics[1].parameters(), s.targets[0].parameters(),
      s.targets[1].parameters(), s.log_alpha[0];
  return v;
}

const theta::sac::Config small_config{
    .actor = {.hidden = {32, 32}, .activation = theta::nn::Activation::relu, .init = theta::Init::torch_default},
    .critic = {.hidden = {32, 32}, .activation = theta::nn::Activation::relu, .init = theta::Init::torch_default}};

}  // namespace

TEST_CASE("SAC on one thread is the serial update, bit for bit", "[unit]") {
  // Both temperature settings and a target interval of 2, so that every branch of the step runs.
  for (const bool learn_alpha : {true, false}) {
    INFO("learn_alpha " << learn_alpha);
    theta::sac::Config config = small_config;
    config.learn_alpha = learn_alpha;
    config.target_update_interval = 2;
    ThreadedSac<float> run(config, 1, /*batch=*/64);
    for (int step = 0; step < 12; ++step) {
      INFO("step " << step);
      const auto& batch = run.sample();
      const auto losses = run.serial.update(batch);
      const theta::sac::Stats stats = run.sac.update(batch, 1.0);
      REQUIRE(stats.critic_loss == losses[0]);
      REQUIRE(stats.actor_loss == losses[1]);
      REQUIRE(state_of(run.sac) == state_of(run.serial));
    }
  }
}
