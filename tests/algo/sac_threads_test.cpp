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

namespace {

// max |a - b| / max |b|: the error of `a` relative to the scale of the reference `b`.
template <class T>
double scaled_error(const theta::Vector<T>& a, const theta::Vector<T>& b) {
  return static_cast<double>((a - b).cwiseAbs().maxCoeff()) / static_cast<double>(b.cwiseAbs().maxCoeff());
}

}  // namespace

TEST_CASE("SAC on two and three threads agrees with the serial gradients within the rounding of the batch sums",
          "[unit]") {
  // Slices change only the order of the batch sums (dW = Σ_b dz_b x_bᵀ of every layer, split in
  // per-slice partial sums); each term is the serial step's to the bit. Reassociating a sum of
  // 64 terms moves it by at most about 64 ε Σ|terms| (Higham, "Accuracy and Stability of
  // Numerical Algorithms", §4.2), and |terms| are of the gradient's own scale here, so
  // 1e-13 (double, ε = 1.1e-16) and 3e-5 (float, ε = 6e-8) relative to the largest entry
  // bound the difference with margin.
  for (const std::size_t threads : {std::size_t{2}, std::size_t{3}}) {
    INFO(threads << " threads");
    ThreadedSac<double> one(small_config, 1, /*batch=*/64), many(small_config, threads, /*batch=*/64);
    const auto& batch = one.sample();
    many.sample();
    REQUIRE(many.batch.observations == batch.observations);
    one.sac.draw_noise();
    many.sac.draw_noise();
    const double c1 = one.sac.critic_loss_and_gradient(batch), c2 = many.sac.critic_loss_and_gradient(many.batch);
    CHECK(c2 == c1);  // the loss is summed serially from the slices' values, which are the serial ones
    for (std::size_t i = 0; i < 2; ++i) {
      const theta::Vector<double> g1 = one.sac.critic(i).gradients(), g2 = many.sac.critic(i).gradients();
      CHECK(scaled_error(g2, g1) <= 1e-13);
      CHECK(g2 != g1);  // the slices were summed apart: some bits differ, or the threads did nothing
    }
    const double a1 = one.sac.actor_loss_and_gradient(batch), a2 = many.sac.actor_loss_and_gradient(many.batch);
    CHECK(std::abs(a2 - a1) <= 1e-13 * std::abs(a1));
    const theta::Vector<double> g1 = one.sac.actor().gradients(), g2 = many.sac.actor().gradients();
    CHECK(scaled_error(g2, g1) <= 1e-13);
    CHECK(g2 != g1);
  }
  SECTION("float") {
    ThreadedSac<float> one(small_config, 1, /*batch=*/64), two(small_config, 2, /*batch=*/64);
    const auto& batch = one.sample();
    two.sample();
    one.sac.draw_noise();
    two.sac.draw_noise();
    one.sac.critic_loss_and_gradient(batch);
    two.sac.critic_loss_and_gradient(two.batch);
    for (std::size_t i = 0; i < 2; ++i) {
      const theta::Vector<float> g1 = one.sac.critic(i).gradients(), g2 = two.sac.critic(i).gradients();
      CHECK(scaled_error(g2, g1) <= 3e-5);
    }
    one.sac.actor_loss_and_gradient(batch);
    two.sac.actor_loss_and_gradient(two.batch);
    const theta::Vector<float> g1 = one.sac.actor().gradients(), g2 = two.sac.actor().gradients();
    CHECK(scaled_error(g2, g1) <= 3e-5);
  }
}

TEST_CASE("SAC's step on two threads: the parameters after one step are the serial step's within rounding", "[unit]") {
  // One whole step (temperature, critics, actor, targets) in double. Adam's first step moves
  // each parameter by lr ĝ/(|ĝ| + eps): a gradient entry perturbed by δ (1e-13 of the scale,
  // above) moves its parameter by at most lr δ/eps, and lr = 3e-4, eps = 1e-8, δ <= 1e-13 ×
  // max|g| (max|g| < 10 here, checked) give 3e-8 in the worst case of a gradient entry near 0;
  // entries far from 0 move by lr δ/|g|, far less. 1e-7 absolute bounds both.
  ThreadedSac<double> two(small_config, 2, /*batch=*/64);
  const auto& batch = two.sample();
  const auto losses = two.serial.update(batch);
  REQUIRE(two.serial.critics[0].gradients().cwiseAbs().maxCoeff() < 10);
  REQUIRE(two.serial.actor.gradients().cwiseAbs().maxCoeff() < 10);
  const theta::sac::Stats stats = two.sac.update(batch, 1.0);
  CHECK(std::abs(stats.critic_loss - losses[0]) <= 1e-13 * std::abs(losses[0]));
  CHECK(std::abs(stats.actor_loss - losses[1]) <= 1e-13 * std::abs(losses[1]));
  const theta::Vector<double> parallel = state_of(two.sac), serial = state_of(two.serial);
  CHECK((parallel - serial).cwiseAbs().maxCoeff() <= 1e-7);
  CHECK(parallel != serial);
}

TEST_CASE("SAC on a given number of threads is bit-reproducible", "[unit]") {
  const auto run = [](std::size_t threads) {
    ThreadedSac<float> r(small_config, threads, /*batch=*/64);
    for (int i = 0; i < 20; ++i) r.sac.update(r.sample(), 1.0);
    return state_of(r.sac);
  };
  for (const std::size_t threads : {std::size_t{2}, std::size_t{3}}) {
    INFO(threads << " threads");
    const theta::Vector<float> a = run(threads), b = run(threads);
    REQUIRE(a.allFinite());
    CHECK(a == b);
  }
}

TEST_CASE("SAC with more threads than transitions: the empty slices add nothing", "[unit]") {
  // A batch of 2 on 3 threads: slice 0 is empty ([0, 0)), slices 1 and 2 hold a transition each.
  ThreadedSac<double> one(small_config, 1, /*batch=*/2), three(small_config, 1, /*batch=*/2);
  const auto& batch = one.sample();
  three.sample();
  one.sac.draw_noise();
  three.sac.draw_noise();
  // The rule's own components (slice 0's) hold the gradients of a serial pass: an empty slice
  // must not leave them in the sums.
  three.sac.critic_loss_and_gradient(three.batch);
  three.sac.actor_loss_and_gradient(three.batch);
  three.sac.set_threads(3);
  one.sac.critic_loss_and_gradient(batch);
  three.sac.critic_loss_and_gradient(three.batch);
  for (std::size_t i = 0; i < 2; ++i) {
    const theta::Vector<double> g1 = one.sac.critic(i).gradients(), g3 = three.sac.critic(i).gradients();
    CHECK(scaled_error(g3, g1) <= 1e-13);
  }
  one.sac.actor_loss_and_gradient(batch);
  three.sac.actor_loss_and_gradient(three.batch);
  CHECK(scaled_error<double>(three.sac.actor().gradients(), one.sac.actor().gradients()) <= 1e-13);
}

TEST_CASE("SAC rejects zero threads, naming the setting", "[unit]") {
  ThreadedSac<float> r(small_config, 1, /*batch=*/8);
  REQUIRE_THROWS_MATCHES(r.sac.set_threads(0), theta::ConfigError,
                         Catch::Matchers::Message("sac::Sac::set_threads: threads must be >= 1, got 0"));
  CHECK(r.sac.threads() == 1);
  r.sac.set_threads(2);
  CHECK(r.sac.threads() == 2);
}
