#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"
#include "train/checks.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using theta::Index;
using theta::test::Drift;
using DriftEnv = theta::TimeLimit<Drift>;

namespace {

const theta::NetworkConfig sac_net{.hidden = {16, 16}, .activation = theta::nn::Activation::relu};

theta::OffPolicyConfig small_trainer_config() { return {.learning_starts = 50, .buffer_size = 1000, .batch_size = 32}; }

theta::sac::Config small_config() { return {.actor = sac_net, .critic = sac_net}; }

// Episodes of a scripted shape, per environment copy (its k-th reset starts episode k):
// episode 0 terminates at its 2nd step, episode 1 never terminates (the 3-step time limit
// truncates it), episode 2 terminates at its 3rd step (both flags), and so on cyclically.
// The observation is (step in episode, episode), so a stored s' shows where it came from.
struct Scripted {
  using Observation = Eigen::Vector2f;
  using Action = Eigen::Matrix<float, 1, 1>;
  static constexpr std::int64_t max_episode_steps = 3;

  theta::Box observation_space() const { return theta::Box({0.0, 0.0}, {10.0, 1e6}); }
  theta::Box action_space() const { return theta::Box({-1.0}, {1.0}); }
  Observation reset(std::uint64_t) {
    t = 0;
    ++episode;
    return observe();
  }
  theta::StepResult<Observation> step(const Action&) {
    ++t;
    const int kind = episode % 3;
    const bool terminated = (kind == 0 && t == 2) || (kind == 2 && t == 3);
    return {observe(), 1.0, terminated, false};
  }
  Observation observe() const { return {static_cast<float>(t), static_cast<float>(episode)}; }

  int t = 0;
  int episode = -1;
};

// Records the actions it receives; asymmetric bounds to test the rescaling.
struct Bounded {
  using Observation = Eigen::Vector2d;
  using Action = Eigen::Vector2d;
  theta::Box observation_space() const { return theta::Box({-1e9, -1e9}, {1e9, 1e9}); }
  theta::Box action_space() const { return theta::Box({-2.0, 0.0}, {2.0, 10.0}); }
  Observation reset(std::uint64_t) { return Observation::Zero(); }
  theta::StepResult<Observation> step(const Action& a) {
    received.push_back(a);
    return {a, -a.squaredNorm(), false, false};
  }
  std::vector<Eigen::Vector2d> received;
};

theta::Vector<float> all_parameters(theta::sac::Sac<>& sac) {
  theta::Vector<float> all(sac.actor().num_parameters() + 2 * sac.critic(0).parameters().size() + 1);
  all << sac.actor().parameters(), sac.critic(0).parameters(), sac.critic(1).parameters(),
      static_cast<float>(sac.log_alpha());
  return all;
}

struct RecordingLogger {
  std::vector<theta::LogRecord> records;
  std::vector<std::int64_t> steps;
  bool closed = false;
  void write(const theta::LogRecord& r, std::int64_t step) {
    records.push_back(r);
    steps.push_back(step);
  }
  void close() { closed = true; }
};

struct CallbackCounter {
  int steps = 0, rollouts = 0, updates = 0;
  int stop_after_updates = 1'000'000;
  template <class T>
  bool on_step(T&) {
    ++steps;
    return true;
  }
  template <class T>
  bool on_rollout_end(T&) {
    ++rollouts;
    return true;
  }
  template <class T>
  bool on_update_end(T&, theta::LogRecord&) {
    return ++updates < stop_after_updates;
  }
};

}  // namespace

TEST_CASE("OffPolicyTrainer trains SAC on a user environment and is bit-reproducible", "[unit]") {
  const auto train = [](std::uint64_t seed) {
    auto trainer_config = small_trainer_config();
    trainer_config.seed = seed;
    trainer_config.n_envs = 2;
    trainer_config.total_steps = 300;
    theta::OffPolicyTrainer<DriftEnv> trainer(trainer_config, small_config(), {}, DriftEnv(Drift{}, 20));
    const auto result = trainer.learn(300);
    REQUIRE(result.steps == 300);
    REQUIRE(result.updates == trainer.updates());
    REQUIRE(trainer.episodes_finished() == 2 * (150 / 20));  // 150 vector steps per copy
    return all_parameters(trainer.algorithm());
  };
  const auto a = train(1), b = train(1), c = train(2);
  REQUIRE(a.allFinite());
  REQUIRE(a == b);  // bit for bit
  REQUIRE(a != c);
}

TEST_CASE("OffPolicyTrainer also instantiates in double precision", "[unit]") {
  auto trainer_config = small_trainer_config();
  trainer_config.total_steps = 80;
  theta::OffPolicyTrainer<DriftEnv, theta::sac::Sac, theta::SquashedGaussianPolicy<double>> trainer(
      trainer_config, small_config(), {}, DriftEnv(Drift{}, 10));
  trainer.learn(80);
  REQUIRE(trainer.updates() == 30);
  REQUIRE(trainer.algorithm().actor().parameters().allFinite());
  REQUIRE(std::isfinite(trainer.evaluate(2).mean_return));
}

TEST_CASE("Stored transitions: the true final observation, and terminated only when the MDP ended", "[unit]") {
  // learning_starts above the run: the buffer is filled with random actions, nothing trains.
  auto trainer_config = small_trainer_config();
  trainer_config.learning_starts = 1000;
  trainer_config.total_steps = 2 + 3 + 3 + 2;
  theta::OffPolicyTrainer<theta::TimeLimit<Scripted>> trainer(trainer_config, small_config());
  trainer.learn(2 + 3 + 3 + 2);  // episodes 0 (terminated), 1 (truncated), 2 (both), 3 (terminated)
  REQUIRE(trainer.updates() == 0);
  const auto& buffer = trainer.buffer();
  REQUIRE(buffer.size() == 10);
  const auto& obs = buffer.observations();
  const auto& next = buffer.next_observations();
  for (Index k = 0; k < buffer.size(); ++k) {
    INFO("transition " << k);
    // s' is always the successor within the same episode, never the next episode's reset.
    REQUIRE(next(0, k) == obs(0, k) + 1);
    REQUIRE(next(1, k) == obs(1, k));
  }
  const theta::Vector<float> expected_terminated =
      (theta::Vector<float>(10) << 0, 1, 0, 0, 0, 0, 0, 1, 0, 1).finished();
  REQUIRE(buffer.terminated().head(10) == expected_terminated);
  // Episode ends: k = 1 terminated, k = 4 truncated, k = 7 both, k = 9 terminated.
  REQUIRE(next(0, 4) == 3.0f);
  REQUIRE(next(0, 7) == 3.0f);
  REQUIRE(trainer.episodes_finished() == 4);

  // The soft target on these transitions bootstraps the truncated one only.
  const theta::Vector<float> q = theta::Vector<float>::Constant(10, 5.0f), logp = theta::Vector<float>::Zero(10);
  theta::Vector<float> y(10);
  theta::sac::soft_target<float>(buffer.rewards().head(10), buffer.terminated().head(10), q, q, logp, 0.9f, 0.1f, y);
  REQUIRE(y[1] == 1.0f);         // terminated
  REQUIRE(y[4] == 1.0f + 4.5f);  // truncated: r + γ Q(s')
  REQUIRE(y[7] == 1.0f);         // both: terminated wins
  REQUIRE(y[9] == 1.0f);
}

TEST_CASE("Actions: uniform until learning_starts, stored in (-1, 1), rescaled to the bounds", "[unit]") {
  auto trainer_config = small_trainer_config();
  trainer_config.learning_starts = 40;
  trainer_config.total_steps = 100;
  theta::OffPolicyTrainer<theta::TimeLimit<Bounded>> trainer(trainer_config, small_config(), {},
                                                             theta::TimeLimit<Bounded>(Bounded{}, 25));
  trainer.learn(100);
  REQUIRE(trainer.updates() == 100 - 40);  // trains once steps > learning_starts
  const auto& received = trainer.envs().env(0).env().received;
  REQUIRE(received.size() == 100);
  const auto& stored = trainer.buffer().actions();
  double low0 = 1e9, high0 = -1e9;
  for (std::size_t k = 0; k < received.size(); ++k) {
    const auto a = stored.col(static_cast<Index>(k)).cast<double>();
    INFO("step " << k);
    REQUIRE((a.array().abs() <= 1.0).all());
    // offset + scale * a: offsets (0, 5), scales (2, 5).
    REQUIRE(received[k][0] == Approx(2.0 * a[0]).margin(1e-5));
    REQUIRE(received[k][1] == Approx(5.0 + 5.0 * a[1]).margin(1e-5));
    if (k < 40) {
      low0 = std::min(low0, a[0]);
      high0 = std::max(high0, a[0]);
    }
  }
  // The random phase covers the box.
  REQUIRE(low0 < -0.7);
  REQUIRE(high0 > 0.7);
}

TEST_CASE("Callbacks see steps, collections and updates, and can stop training", "[unit]") {
  auto trainer_config = small_trainer_config();
  trainer_config.n_envs = 2;
  trainer_config.train_freq = 3;
  trainer_config.gradient_steps = 2;
  trainer_config.learning_starts = 10;
  trainer_config.total_steps = 10'000;
  CallbackCounter counter;
  counter.stop_after_updates = 4;
  theta::OffPolicyTrainer<DriftEnv> trainer(trainer_config, small_config(), {}, DriftEnv(Drift{}, 20));
  RecordingLogger logger;
  const auto result = trainer.learn(10'000, logger, counter);
  REQUIRE(result.stopped_by_callback);
  // Collections of 3 vector steps (6 env steps): the 2nd ends at 12 > 10 steps, the first to
  // train; the 4th training phase stops the run at 30 steps.
  REQUIRE(counter.rollouts == 5);
  REQUIRE(counter.steps == 15);
  REQUIRE(counter.updates == 4);
  REQUIRE(result.steps == 30);
  REQUIRE(result.updates == 8);
  REQUIRE(logger.closed);
  REQUIRE(logger.records.size() == 1);  // the final write when stopped
  const auto& r = logger.records.back();
  for (const char* key : {"train/actor_loss", "train/critic_loss", "train/ent_coef", "train/ent_coef_loss",
                          "train/entropy", "train/q1_mean", "train/q2_mean", "train/n_updates", "time/fps",
                          "rollout/ep_rew_mean"}) {
    INFO(key);
    REQUIRE(r.contains(key));
  }
  REQUIRE(r.get("train/n_updates") == 8.0);
}

TEST_CASE("The logger gets a record every log_interval steps; EvalCallback and StopOnTrainingReward work", "[unit]") {
  auto trainer_config = small_trainer_config();
  trainer_config.log_interval = 100;
  trainer_config.total_steps = 400;
  theta::OffPolicyTrainer<DriftEnv> trainer(trainer_config, small_config(), {}, DriftEnv(Drift{}, 10));
  RecordingLogger logger;
  theta::EvalCallback eval{.every_steps = 150, .episodes = 2};
  trainer.learn(400, logger, eval);
  REQUIRE(logger.steps == std::vector<std::int64_t>{100, 200, 300, 400});
  REQUIRE(eval.history.size() == 2);  // at 150 and 300
  REQUIRE(eval.history[0].step == 150);
  REQUIRE(logger.records[1].contains("eval/mean_reward"));  // the evaluation at 150 is logged at 200
  REQUIRE(logger.records[0].contains("train/actor_loss"));  // training started at step 51

  // Drift's returns are negative: a threshold far below them stops at the first check with
  // 5 finished episodes.
  theta::StopOnTrainingReward stop{.threshold = -1e12, .window = 5};
  auto again_config = small_trainer_config();
  again_config.total_steps = 1000;
  theta::OffPolicyTrainer<DriftEnv> again(again_config, small_config(), {}, DriftEnv(Drift{}, 10));
  const auto result = again.learn(1000, theta::NullLogger{}, stop);
  REQUIRE(result.stopped_by_callback);
  REQUIRE(stop.reached_at_step == 51);  // 5 episodes at step 50, then the first update at 51
}

TEST_CASE("OffPolicyTrainer rejects bad options", "[unit]") {
  const auto fails_with = [](theta::OffPolicyConfig trainer_config, const std::string& message) {
    REQUIRE_THROWS_MATCHES((theta::OffPolicyTrainer<DriftEnv>(trainer_config, small_config(), {}, DriftEnv(Drift{}, 10))),
                           theta::ConfigError, Catch::Matchers::Message(message));
  };
  fails_with({.log_interval = 0}, "OffPolicyConfig::log_interval must be >= 1, got 0");
  // The trainer's fields that were in sac::Config (tests/algo/sac_test.cpp checked them there).
  fails_with({.n_envs = 0}, "OffPolicyConfig::n_envs must be >= 1, got 0");
  fails_with({.learning_starts = -1}, "OffPolicyConfig::learning_starts must be >= 0, got -1");
  fails_with({.train_freq = 0}, "OffPolicyConfig::train_freq must be >= 1, got 0");
  fails_with({.gradient_steps = 0}, "OffPolicyConfig::gradient_steps must be >= 1, got 0");
  // The replay fields and the discount that were in sac::Config (tests/algo/sac_test.cpp).
  fails_with({.buffer_size = 0}, "OffPolicyConfig::buffer_size must be >= 1, got 0");
  fails_with({.batch_size = 0}, "OffPolicyConfig::batch_size must be >= 1, got 0");
  fails_with({.gamma = 1.5}, "OffPolicyConfig::gamma must be in [0, 1], got 1.5");
  auto config = small_config();
  config.tau = 2.0;
  REQUIRE_THROWS_WITH((theta::OffPolicyTrainer<DriftEnv>(small_trainer_config(), config, {}, DriftEnv(Drift{}, 10))),
                      "sac::Config::tau must be in [0, 1], got 2");
  theta::OffPolicyTrainer<DriftEnv> trainer(small_trainer_config(), small_config(), {}, DriftEnv(Drift{}, 10));
  REQUIRE_THROWS_AS(trainer.learn(0), theta::ConfigError);
}

TEST_CASE("OffPolicyConfig's defaults are SB3's", "[unit]") {
  // The trainer's fields that were in sac::Config (tests/algo/sac_test.cpp checked them there).
  const theta::OffPolicyConfig c;
  CHECK(c.learning_starts == 100);
  CHECK(c.train_freq == 1);
  CHECK(c.gradient_steps == 1);
  CHECK(c.buffer_size == 1'000'000);
  CHECK(c.batch_size == 256);
  CHECK(c.gamma == 0.99);
}

TEST_CASE("Correlated exploration: AR(1) noise, uniform warm-up actions that hold their sign", "[unit]") {
  const auto lag1 = [](double rho) {
    auto trainer_config = small_trainer_config();
    trainer_config.learning_starts = 100'000;  // warm-up only
    trainer_config.exploration_correlation = rho;
    trainer_config.total_steps = 4000;
    trainer_config.buffer_size = 4000;
    theta::OffPolicyTrainer<theta::TimeLimit<Bounded>> trainer(trainer_config, small_config(), {},
                                                               theta::TimeLimit<Bounded>(Bounded{}, 100));
    trainer.learn(4000);
    const theta::Vector<double> a = trainer.buffer().actions().row(0).head(4000).transpose().cast<double>();
    REQUIRE((a.array().abs() <= 1.0).all());
    // Uniform on [-1, 1): mean 0, variance 1/3 (loose bounds: correlated samples average slowly).
    REQUIRE(std::abs(a.mean()) < 0.25);
    const double var = (a.array() - a.mean()).square().mean();
    REQUIRE(var > 0.2);
    REQUIRE(var < 0.45);
    return (a.head(3999).array() - a.mean()).matrix().dot((a.tail(3999).array() - a.mean()).matrix()) / (3999 * var);
  };
  REQUIRE(std::abs(lag1(0.0)) < 0.1);  // SB3's i.i.d. uniform
  REQUIRE(lag1(0.99) > 0.9);
  auto trainer_config = small_trainer_config();
  trainer_config.exploration_correlation = 1.0;
  REQUIRE_THROWS_WITH((theta::OffPolicyTrainer<DriftEnv>(trainer_config, small_config(), {}, DriftEnv(Drift{}, 10))),
                      "OffPolicyConfig::exploration_correlation must be in [0, 1), got 1");
}

TEST_CASE("SAC: learn(a); learn(b) trains exactly as learn(a + b), schedules and training phases included",
          "[unit]") {
  const DriftEnv env(Drift{}, 10);
  theta::sac::Config config = small_config();
  config.actor_learning_rate = theta::Schedule::linear(1e-3, 0.0);
  config.critic_learning_rate = theta::Schedule::linear(1e-3, 1e-4);
  const theta::OffPolicyConfig trainer_config{
      .n_envs = 2, .learning_starts = 20, .train_freq = 3, .gradient_steps = 2, .buffer_size = 1000, .batch_size = 32,
      .total_steps = 150};
  const auto parameters = [](auto& trainer) {
    auto& sac = trainer.algorithm();
    theta::Vector<float> all(sac.actor().parameters().size() + sac.critic(0).parameters().size() +
                             sac.critic(1).parameters().size() + 1);
    all << sac.actor().parameters(), sac.critic(0).parameters(), sac.critic(1).parameters(),
        static_cast<float>(sac.log_alpha());
    return all;
  };
  theta::OffPolicyTrainer<DriftEnv> straight(trainer_config, config, {}, env);
  straight.learn(150);
  theta::OffPolicyTrainer<DriftEnv> resumed(trainer_config, config, {}, env);
  resumed.learn(50);  // not a multiple of n_envs * train_freq: rounded up to a whole phase
  const theta::Vector<float> middle = parameters(resumed);
  resumed.learn(100);
  REQUIRE(resumed.steps() == straight.steps());
  REQUIRE(resumed.updates() == straight.updates());
  REQUIRE(parameters(resumed) == parameters(straight));
  REQUIRE(parameters(resumed) != middle);
}

// Issue 13: 1e39 is a finite double but infinity as float; before the check it reached the
// replay buffer as inf.
TEST_CASE("OffPolicyTrainer: a reward or observation finite as a double but not as float raises EnvironmentError", "[unit]") {
  struct HugeReward : Bounded {
    theta::StepResult<Observation> step(const Action& a) {
      auto r = Bounded::step(a);
      r.reward = 1e39;
      return r;
    }
  };
  struct HugeObservation : Bounded {
    theta::StepResult<Observation> step(const Action& a) {
      auto r = Bounded::step(a);
      r.observation[0] = -1e39;
      return r;
    }
  };
  const theta::OffPolicyConfig config{.n_envs = 2, .learning_starts = 10, .buffer_size = 100, .batch_size = 4};
  theta::OffPolicyTrainer<HugeReward> rewards(config, small_config());
  REQUIRE_THROWS_MATCHES(rewards.learn(4), theta::EnvironmentError,
                         Catch::Matchers::Message("OffPolicyTrainer: environment 0 returned reward 1e+39 at step 2, "
                                                  "which is not finite as the trainer's scalar float (largest "
                                                  "3.4028234663852886e+38)"));
  REQUIRE(rewards.buffer().size() == 0);  // nothing reached the buffer
  theta::OffPolicyTrainer<HugeObservation> observations(config, small_config());
  REQUIRE_THROWS_AS(observations.learn(4), theta::EnvironmentError);
  theta::OffPolicyTrainer<HugeObservation> observations_again(config, small_config());
  REQUIRE_THROWS_WITH(observations_again.learn(4),
                      Catch::Contains("environment 0 returned an observation -1e+39 (entry 0) at step 2"));
}

// Issue 13: target_ += total_steps and steps_ + log_interval were signed overflows.
TEST_CASE("learn: step budgets that overflow int64 raise ConfigError; a huge log_interval logs once", "[unit]") {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  theta::OffPolicyTrainer<DriftEnv> trainer(small_trainer_config(), small_config(), {}, DriftEnv(Drift{}, 10));
  trainer.learn(10);
  REQUIRE_THROWS_MATCHES(trainer.learn(max), theta::ConfigError,
                         Catch::Matchers::Message("OffPolicyTrainer::learn: total_steps 9223372036854775807 on top of "
                                                  "the 10 already asked overflows int64"));
  REQUIRE(trainer.steps() == 10);
  REQUIRE(trainer.learn(10).steps == 20);

  // A log interval past the end means no record before the end of the call (saturated).
  auto config = small_trainer_config();
  config.log_interval = max;
  theta::OffPolicyTrainer<DriftEnv> quiet(config, small_config(), {}, DriftEnv(Drift{}, 10));
  RecordingLogger logger;
  quiet.learn(100, logger);
  REQUIRE(logger.steps == std::vector<std::int64_t>{100});
  quiet.learn(20, logger);
  REQUIRE(logger.steps == std::vector<std::int64_t>{100, 120});
}

// Issue 13: learning_starts above the steps trained returned zero gradient steps and no word.
TEST_CASE("learning_starts past the steps trained: the result and the log record say no gradient step was taken",
          "[unit]") {
  theta::OffPolicyTrainer<DriftEnv> trainer(small_trainer_config(), small_config(), {}, DriftEnv(Drift{}, 10));
  RecordingLogger logger;
  const auto result = trainer.learn(20, logger);  // learning_starts = 50
  REQUIRE(result.updates == 0);
  REQUIRE(result.warning ==
          "OffPolicyTrainer: no gradient step was taken: training starts once more than "
          "OffPolicyConfig::learning_starts = 50 steps were collected, and 20 were");
  REQUIRE(logger.records.size() == 1);
  REQUIRE(logger.records[0].contains("train/n_updates"));
  REQUIRE(logger.records[0].get("train/n_updates") == 0.0);
  const auto trained = trainer.learn(100, logger);
  REQUIRE(trained.updates > 0);
  REQUIRE(trained.warning.empty());
}

// ---- The divergence guard (issue 13)

namespace {

using theta::test::diverge;
using theta::test::tiny;
const DriftEnv drift_env(Drift{}, 50);

}  // namespace

TEST_CASE("SAC with a learning rate of 1e30 stops with a NumericalError", "[unit]") {
  const theta::OffPolicyConfig off{.learning_starts = 20, .buffer_size = 200, .batch_size = 16, .seed = 3};
  theta::OffPolicyTrainer<DriftEnv> sac(off, {.actor_learning_rate = 1e30, .critic_learning_rate = 1e30,
                                              .actor = tiny, .critic = tiny}, {}, drift_env);
  CHECK_THAT(diverge(sac, 2000), Catch::StartsWith("sac: "));
}
