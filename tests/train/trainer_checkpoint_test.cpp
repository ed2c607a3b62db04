// Whole-trainer checkpoints (issue 13): exact resume for every algorithm, with and without the
// environment thread pool; refusal of other algorithms, settings, shapes and scalar types; a
// failed load leaves the trainer exactly as it was.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"
#include "train/checks.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <filesystem>
#include <fstream>
#include <limits>
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;
using CartPoleEnv = theta::TimeLimit<theta::CartPole>;
using PendulumEnv = theta::TimeLimit<theta::Pendulum>;

using theta::test::tiny;
const theta::NetworkConfig tiny_relu{.hidden = {8, 8}, .activation = theta::nn::Activation::relu};

CartPoleEnv cartpole() { return CartPoleEnv(theta::CartPole{}, 500); }
PendulumEnv pendulum(double g = 10.0) { return PendulumEnv(theta::Pendulum({.g = g}), 200); }

template <class Trainer>
Bytes bytes_of(const Trainer& trainer) {
  return trainer.checkpoint().bytes();
}

// learn(n) straight against learn(k), checkpoint, load into a fresh trainer (built with
// `resumed_threads` environment threads), learn(n - k): the two checkpoints are byte-identical.
template <class Make>
void check_exact_resume(Make make, std::int64_t k, std::int64_t n) {
  auto straight = make(1);
  straight.learn(n);
  const Bytes expected = bytes_of(straight);

  auto first = make(1);
  first.learn(k);
  const Bytes saved = bytes_of(first);
  for (const std::size_t threads : {std::size_t{1}, std::size_t{2}}) {
    INFO("resumed with " << threads << " environment threads");
    auto resumed = make(threads);
    const theta::LoadResult result = resumed.load(saved);
    CHECK(result.episodes_continued);
    CHECK(result.message.empty());
    CHECK(bytes_of(resumed) == saved);  // the load restored everything the checkpoint holds
    resumed.learn(n - k);
    CHECK(resumed.steps() == straight.steps());
    CHECK(bytes_of(resumed) == expected);
  }
}

template <template <class...> class Algo, class Env, class Config>
auto on_policy(theta::OnPolicyConfig trainer, const Config& config, const Env& env) {
  return [=](std::size_t threads) {
    theta::OnPolicyConfig c = trainer;
    c.env.threads = threads;
    return theta::OnPolicyTrainer<Env, Algo>(c, config, {}, env);
  };
}

// A callback that takes a checkpoint in on_update_end once the trainer reached `at` steps.
struct SaveAt {
  std::int64_t at;
  Bytes* out;
  template <class Trainer>
  bool on_update_end(Trainer& trainer, theta::LogRecord&) {
    if (trainer.steps() == at) *out = trainer.checkpoint().bytes();
    return true;
  }
};

}  // namespace

TEST_CASE("PPO resumes bit for bit from a checkpoint (discrete, normalised observations and rewards)", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 32, .total_steps = 512, .normalize_observations = true,
                                      .normalize_rewards = true, .seed = 3};
  const theta::ppo::Config config{.batch_size = 16, .n_epochs = 2, .learning_rate = theta::Schedule::linear(1e-3, 0.0),
                                  .actor = tiny, .critic = tiny};
  check_exact_resume(on_policy<theta::ppo::Ppo>(trainer, config, cartpole()), 192, 512);
}

TEST_CASE("PPO resumes bit for bit on continuous actions", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .total_steps = 256, .normalize_observations = true,
                                      .seed = 4};
  const theta::ppo::Config config{.batch_size = 16, .n_epochs = 2, .actor = tiny, .critic = tiny};
  check_exact_resume(on_policy<theta::ppo::Ppo>(trainer, config, pendulum()), 96, 256);
}

TEST_CASE("A2C resumes bit for bit from a checkpoint", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 5, .total_steps = 300, .seed = 5};
  check_exact_resume(on_policy<theta::a2c::A2c>(trainer, theta::a2c::Config{.actor = tiny, .critic = tiny}, cartpole()),
                     100, 300);
  check_exact_resume(on_policy<theta::a2c::A2c>(trainer, theta::a2c::Config{.actor = tiny, .critic = tiny}, pendulum()),
                     100, 300);
}

TEST_CASE("TRPO resumes bit for bit from a checkpoint", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 32, .total_steps = 384, .seed = 6};
  const theta::trpo::Config config{.batch_size = 32, .n_critic_updates = 2, .actor = tiny, .critic = tiny};
  check_exact_resume(on_policy<theta::trpo::Trpo>(trainer, config, cartpole()), 128, 384);
  check_exact_resume(on_policy<theta::trpo::Trpo>(trainer, config, pendulum()), 128, 384);
}

TEST_CASE("REINFORCE resumes bit for bit from a checkpoint (dropout masks, baseline)", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 1, .n_steps = 200, .total_steps = 1000, .seed = 7};
  theta::reinforce::Config config;
  config.actor.hidden = {8};
  config.critic.hidden = {8};
  config.use_baseline = true;
  check_exact_resume(on_policy<theta::reinforce::Reinforce>(trainer, config, cartpole()), 300, 1000);
}

TEST_CASE("SAC resumes bit for bit from a checkpoint, replay buffer included", "[unit]") {
  const theta::sac::Config config{.actor = tiny_relu, .critic = tiny_relu};
  for (const double correlation : {0.0, 0.9}) {
    INFO("exploration_correlation " << correlation);
    const theta::OffPolicyConfig trainer{.n_envs = 2, .learning_starts = 40, .exploration_correlation = correlation,
                                         .buffer_size = 100, .batch_size = 16, .total_steps = 300, .seed = 8};
    auto make = [&](std::size_t threads) {
      theta::OffPolicyConfig c = trainer;
      c.env.threads = threads;
      return theta::OffPolicyTrainer<PendulumEnv>(c, config, {}, pendulum());
    };
    // 120 steps: the buffer of 100 has wrapped once.
    check_exact_resume(make, 120, 300);
  }
}

TEST_CASE("SAC checkpoints without the replay buffer load into an empty buffer, and say so", "[unit]") {
  const theta::OffPolicyConfig trainer{.learning_starts = 20, .buffer_size = 100, .batch_size = 8, .seed = 9};
  const theta::sac::Config config{.actor = tiny_relu, .critic = tiny_relu};
  theta::OffPolicyTrainer<PendulumEnv> a(trainer, config, {}, pendulum());
  a.learn(60);
  const Bytes full = a.checkpoint().bytes();
  const Bytes small = a.checkpoint({.replay_buffer = false}).bytes();
  CHECK(small.size() + 60 * (3 + 1 + 3 + 2) * sizeof(float) < full.size());
  theta::OffPolicyTrainer<PendulumEnv> b(trainer, config, {}, pendulum());
  const theta::LoadResult result = b.load(small);
  CHECK_FALSE(result.replay_buffer_restored);
  CHECK(result.episodes_continued);
  CHECK(result.message.find("no replay buffer") != std::string::npos);
  CHECK(b.buffer().size() == 0);
  CHECK(b.steps() == a.steps());
  b.learn(20);  // fills again and trains
  CHECK(b.buffer().size() == 20);
}

TEST_CASE("SAC: a load that fails in its last section leaves the trainer as it was, replay buffer included", "[unit]") {
  const theta::OffPolicyConfig trainer{.learning_starts = 20, .buffer_size = 100, .batch_size = 8, .seed = 20};
  const theta::sac::Config config{.actor = tiny_relu, .critic = tiny_relu};
  theta::OffPolicyTrainer<PendulumEnv> source(trainer, config, {}, pendulum());
  source.learn(80);
  // Pendulum with g = 9.81 refuses the environments' section (saved with g = 10), the last one.
  theta::OffPolicyTrainer<PendulumEnv> target(trainer, config, {}, pendulum(9.81));
  target.learn(40);
  const Bytes before = target.checkpoint().bytes();
  CHECK_THROWS_WITH(target.load(source.checkpoint().bytes()), Catch::Contains("g = 10"));
  CHECK(target.checkpoint().bytes() == before);
  theta::OffPolicyTrainer<PendulumEnv> twin(trainer, config, {}, pendulum(9.81));
  twin.learn(40);
  target.learn(40);
  twin.learn(40);
  CHECK(target.checkpoint().bytes() == twin.checkpoint().bytes());
}

TEST_CASE("A user environment that cannot be saved: fresh episodes after a load, and the result says so", "[unit]") {
  using Env = theta::TimeLimit<theta::test::Corridor>;
  static_assert(!theta::SavableEnvironment<Env>);
  const Env corridor(theta::test::Corridor{}, 50);
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 8, .seed = 10};
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> a(trainer, {.actor = tiny, .critic = tiny}, {}, corridor);
  a.learn(64);
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> b(trainer, {.actor = tiny, .critic = tiny}, {}, corridor);
  const theta::LoadResult result = b.load(a.checkpoint().bytes());
  CHECK_FALSE(result.episodes_continued);
  CHECK(result.message.find("not a SavableEnvironment") != std::string::npos);
  CHECK(b.actor().parameters() == a.actor().parameters());
  CHECK(b.steps() == a.steps());
  // The fresh episodes come from the next seeds of each copy's sequence: b and a load of the
  // same checkpoint into c continue identically.
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> c(trainer, {.actor = tiny, .critic = tiny}, {}, corridor);
  (void)c.load(a.checkpoint().bytes());
  b.learn(64);
  c.learn(64);
  CHECK(b.checkpoint().bytes() == c.checkpoint().bytes());
}

TEST_CASE("A checkpoint of another algorithm, setting, shape or scalar type is refused by name", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 11};
  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo> ppo(trainer, {.batch_size = 16, .actor = tiny, .critic = tiny},
                                                           {}, cartpole());
  ppo.learn(32);
  const Bytes ppo_bytes = ppo.checkpoint().bytes();
  const auto refuses = [&](auto& target, const std::string& what) {
    const Bytes before = target.checkpoint().bytes();
    CHECK_THROWS_WITH(target.load(ppo_bytes), Catch::Contains(what));
    CHECK(target.checkpoint().bytes() == before);
  };

  theta::OnPolicyTrainer<CartPoleEnv, theta::a2c::A2c> a2c(trainer, {.actor = tiny, .critic = tiny}, {}, cartpole());
  refuses(a2c, "checkpoint of OnPolicyTrainer/ppo, expected OnPolicyTrainer/a2c");

  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo> epochs(trainer, {.batch_size = 16, .n_epochs = 3, .actor = tiny,
                                                                        .critic = tiny}, {}, cartpole());
  refuses(epochs, "ppo::Config::n_epochs is 3 here, the checkpoint was saved with 10");

  theta::OnPolicyConfig other_seed = trainer;
  other_seed.seed = 12;
  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo> seeded(other_seed, {.batch_size = 16, .actor = tiny,
                                                                           .critic = tiny}, {}, cartpole());
  refuses(seeded, "OnPolicyConfig::seed is 12 here, the checkpoint was saved with 11");

  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo> wider(trainer, {.batch_size = 16, .actor = {.hidden = {9}},
                                                                       .critic = tiny}, {}, cartpole());
  refuses(wider, "shape");

  using DoubleActor = theta::CategoricalPolicy<double>;
  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo, DoubleActor> in_double(
      trainer, {.batch_size = 16, .actor = tiny, .critic = tiny}, {}, cartpole());
  refuses(in_double, "scalar type float32, expected float64");
}

TEST_CASE("A failed load leaves the trainer exactly as it was, wherever the file fails", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .normalize_observations = true, .seed = 13};
  const theta::ppo::Config config{.batch_size = 16, .actor = tiny, .critic = tiny};
  theta::OnPolicyTrainer<PendulumEnv, theta::ppo::Ppo> source(trainer, config, {}, pendulum());
  source.learn(64);
  const Bytes good = source.checkpoint().bytes();

  theta::OnPolicyTrainer<PendulumEnv, theta::ppo::Ppo> target(trainer, config, {}, pendulum());
  target.learn(32);
  const Bytes before = target.checkpoint().bytes();
  const auto unchanged = [&] { return target.checkpoint().bytes() == before; };

  SECTION("truncated at every byte offset") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      REQUIRE_THROWS_AS(target.load(std::span<const std::uint8_t>(good.data(), n)), theta::CheckpointError);
    }
    CHECK(unchanged());
  }
  SECTION("a single bit flipped anywhere") {
    Bytes bad = good;
    for (std::size_t bit = 0; bit < 8 * good.size(); bit += 3) {
      bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      REQUIRE_THROWS_AS(target.load(bad), theta::CheckpointError);
      bad[bit / 8] = good[bit / 8];
    }
    CHECK(unchanged());
  }
  SECTION("a valid file that fails in its last section, after every other section was assigned") {
    // Pendulum saved with g = 10 does not load into Pendulum with g = 9.81: the environments
    // come last, so the parameters, optimizers, normaliser and counters were already loaded.
    theta::OnPolicyTrainer<PendulumEnv, theta::ppo::Ppo> other_g(trainer, config, {}, pendulum(9.81));
    other_g.learn(32);
    const Bytes other_before = other_g.checkpoint().bytes();
    CHECK_THROWS_WITH(other_g.load(good), Catch::Contains("g = 10") && Catch::Contains("9.81"));
    CHECK(other_g.checkpoint().bytes() == other_before);
    // and it trains on exactly as a twin that never saw the file
    theta::OnPolicyTrainer<PendulumEnv, theta::ppo::Ppo> twin(trainer, config, {}, pendulum(9.81));
    twin.learn(32);
    other_g.learn(32);
    twin.learn(32);
    CHECK(other_g.checkpoint().bytes() == twin.checkpoint().bytes());
  }
  SECTION("missing, empty and unreadable files") {
    const auto dir = std::filesystem::temp_directory_path() / "theta_trainer_checkpoint_test";
    std::filesystem::create_directories(dir);
    CHECK_THROWS_WITH(target.load(dir / "missing.ckpt"), Catch::Contains("missing.ckpt"));
    std::ofstream(dir / "empty.ckpt").close();
    CHECK_THROWS_WITH(target.load(dir / "empty.ckpt"), Catch::Contains("empty"));
    CHECK_THROWS_AS(target.load(dir), theta::CheckpointError);  // a directory
    std::filesystem::remove_all(dir);
    CHECK(unchanged());
  }
}

TEST_CASE("save writes the checkpoint atomically; a failed save keeps the previous file", "[unit]") {
  const auto dir = std::filesystem::temp_directory_path() / "theta_trainer_save_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const theta::OnPolicyConfig trainer{.n_envs = 1, .n_steps = 16, .seed = 14};
  theta::OnPolicyTrainer<CartPoleEnv, theta::a2c::A2c> a(trainer, {.actor = tiny, .critic = tiny}, {}, cartpole());
  a.learn(16);
  a.save(dir / "run.ckpt");
  theta::OnPolicyTrainer<CartPoleEnv, theta::a2c::A2c> b(trainer, {.actor = tiny, .critic = tiny}, {}, cartpole());
  (void)b.load(dir / "run.ckpt");
  CHECK(b.checkpoint().bytes() == a.checkpoint().bytes());
  CHECK_THROWS_AS(a.save(dir / "no" / "such" / "dir" / "run.ckpt"), theta::Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("After an environment throws, the trainer can be saved and continues with fresh episodes", "[unit]") {
  // Corridor copies whose every step ends the episode (so a copy that steps beside the failing
  // one counts an episode and draws its next seed), and of which the first to reach its 40th
  // step throws, once.
  struct Flaky : theta::test::Corridor {
    std::shared_ptr<std::atomic<bool>> fired = std::make_shared<std::atomic<bool>>(false);
    int calls = 0;
    theta::StepResult<Observation> step(int action) {
      if (++calls == 40 && !fired->exchange(true)) throw std::runtime_error("flaky environment");
      theta::StepResult<Observation> result = Corridor::step(action);
      result.terminated = true;
      return result;
    }
  };
  using Env = theta::TimeLimit<Flaky>;
  std::vector<Bytes> after_restart;
  for (const std::size_t threads : {std::size_t{1}, std::size_t{2}}) {
    INFO(threads << " environment threads");
    theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 8, .seed = 15};
    trainer.env.threads = threads;
    const Env flaky(Flaky{}, 50);  // fresh `fired` for each thread count
    theta::OnPolicyTrainer<Env, theta::a2c::A2c> a(trainer, {.actor = tiny, .critic = tiny}, {}, flaky);
    CHECK_THROWS_WITH(a.learn(200), "flaky environment");  // unchanged, whatever the thread count
    CHECK(a.envs().needs_restart());
    const Bytes saved = a.checkpoint().bytes();
    const std::int64_t steps = a.steps();
    a.learn(64);  // every copy restarted
    CHECK(a.steps() >= steps + 64);
    after_restart.push_back(a.checkpoint().bytes());
    theta::OnPolicyTrainer<Env, theta::a2c::A2c> b(trainer, {.actor = tiny, .critic = tiny}, {}, flaky);
    const theta::LoadResult result = b.load(saved);
    CHECK_FALSE(result.episodes_continued);
  }
  // The restarted episodes' seeds do not depend on which copies stepped before the throw.
  CHECK(after_restart[0] == after_restart[1]);
}

TEST_CASE("A checkpoint saved from on_update_end resumes to the same end as the straight run", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 8, .total_steps = 256, .seed = 16};
  const theta::a2c::Config config{.actor = tiny, .critic = tiny};
  theta::OnPolicyTrainer<CartPoleEnv, theta::a2c::A2c> straight(trainer, config, {}, cartpole());
  straight.learn_to_budget();

  Bytes saved;
  theta::OnPolicyTrainer<CartPoleEnv, theta::a2c::A2c> first(trainer, config, {}, cartpole());
  SaveAt save_at_128{128, &saved};
  first.learn_to_budget(theta::NullLogger{}, save_at_128);
  REQUIRE_FALSE(saved.empty());
  theta::OnPolicyTrainer<CartPoleEnv, theta::a2c::A2c> resumed(trainer, config, {}, cartpole());
  (void)resumed.load(saved);
  resumed.learn_to_budget();
  CHECK(resumed.checkpoint().bytes() == straight.checkpoint().bytes());
}

TEST_CASE("Loading restores whether the observation statistics are frozen", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .total_steps = 256, .normalize_observations = true,
                                      .observation_statistics_steps = 96, .seed = 17};
  const theta::ppo::Config config{.batch_size = 16, .n_epochs = 2, .actor = tiny, .critic = tiny};
  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo> straight(trainer, config, {}, cartpole());
  straight.learn(256);
  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo> early(trainer, config, {}, cartpole());
  early.learn(32);  // statistics still running
  // A trainer whose statistics froze loads the early checkpoint: they must run again.
  theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo> frozen(trainer, config, {}, cartpole());
  frozen.learn(128);
  REQUIRE(frozen.observation_normalizer()->frozen());
  (void)frozen.load(early.checkpoint().bytes());
  CHECK_FALSE(frozen.observation_normalizer()->frozen());
  frozen.learn(224);
  CHECK(frozen.checkpoint().bytes() == straight.checkpoint().bytes());
}

TEST_CASE("A diverged trainer loads a good checkpoint, and a bad one is refused for its own reason", "[unit]") {
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 16, .seed = 18};
  const theta::ppo::Config config{.batch_size = 16, .actor = tiny, .critic = tiny, .log_std_init = 100.0};
  theta::OnPolicyTrainer<PendulumEnv, theta::ppo::Ppo> good(trainer, config, {}, pendulum());
  const Bytes good_bytes = good.checkpoint().bytes();  // before any update: finite
  theta::OnPolicyTrainer<PendulumEnv, theta::ppo::Ppo> diverged(trainer, config, {}, pendulum());
  REQUIRE_THROWS_AS(diverged.learn(64), theta::NumericalError);
  REQUIRE_FALSE(diverged.actor().parameters().allFinite());
  const Bytes diverged_bytes = diverged.checkpoint().bytes();

  theta::OnPolicyConfig other_window = trainer;
  other_window.stats_window = 10;
  theta::OnPolicyTrainer<PendulumEnv, theta::ppo::Ppo> other(other_window, config, {}, pendulum());
  // The refusal names the file's problem, and the NaN state is put back as it was.
  CHECK_THROWS_WITH(diverged.load(other.checkpoint().bytes()), Catch::Contains("stats_window"));
  CHECK(diverged.checkpoint().bytes() == diverged_bytes);
  (void)diverged.load(good_bytes);
  CHECK(diverged.checkpoint().bytes() == good_bytes);
}

TEST_CASE("An environment that cannot be saved is untouched by a load that fails at the end of the file", "[unit]") {
  using Env = theta::TimeLimit<theta::test::Corridor>;
  const Env corridor(theta::test::Corridor{}, 50);
  const theta::OnPolicyConfig trainer{.n_envs = 2, .n_steps = 8, .seed = 19};
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> a(trainer, {.actor = tiny, .critic = tiny}, {}, corridor);
  a.learn(64);
  theta::io::CheckpointWriter extended = a.checkpoint();
  extended.section("extra").u8(1);  // a valid file with a section no loader reads
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> b(trainer, {.actor = tiny, .critic = tiny}, {}, corridor);
  b.learn(32);
  theta::OnPolicyTrainer<Env, theta::a2c::A2c> twin(trainer, {.actor = tiny, .critic = tiny}, {}, corridor);
  twin.learn(32);
  CHECK_THROWS_WITH(b.load(extended.bytes()), Catch::Contains("'extra'"));
  b.learn(32);
  twin.learn(32);
  CHECK(b.checkpoint().bytes() == twin.checkpoint().bytes());
}

namespace {

// Fills the allocator's free lists with NaN-filled blocks of every small size, so memory a
// trainer leaves uninitialised would read as NaN rather than as a fresh page's zeros.
void poison_small_blocks() {
  std::vector<std::unique_ptr<double[]>> blocks;
  for (std::size_t n = 1; n <= 160; ++n) {
    for (int copy = 0; copy < 7; ++copy) {
      blocks.emplace_back(new double[n]);
      std::fill_n(blocks.back().get(), n, std::numeric_limits<double>::quiet_NaN());
    }
  }
}

}  // namespace

TEST_CASE("A trainer that never stepped saves defined values: its checkpoint loads and is reproducible", "[unit]") {
  // An asynchronous worker that got no turn is saved in this state (CI saw its garbage
  // observations refused as non-finite on load).
  theta::OnPolicyConfig config{.n_envs = 8, .n_steps = 16, .seed = 5};
  const auto make_ppo = [&] {
    poison_small_blocks();
    return theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo>(config, theta::ppo::Config{}, {},
                                                                cartpole());
  };
  auto fresh = make_ppo();
  auto other = make_ppo();
  const Bytes saved = bytes_of(fresh);
  CHECK((bytes_of(other) == saved));  // (parenthesised: a failure prints no byte vectors)
  CHECK_NOTHROW(other.load(saved));

  // A recurrent actor and critic also save their states and the episode-start flags.
  using RecActor = theta::RecurrentCategoricalPolicy<double>;
  using RecCritic = theta::RecurrentValueFunction<double>;
  using RecTrainer = theta::OnPolicyTrainer<CartPoleEnv, theta::ppo::Ppo, RecActor, RecCritic, theta::Adam<double>>;
  const theta::RecurrentNetworkConfig rec{.hidden = 4};
  const auto make_recurrent = [&] {
    poison_small_blocks();
    theta::Rng rng(7);
    return RecTrainer(config, theta::ppo::Config{.batch_size = 32},
                      {.actor = RecActor(4, 2, rec, 8, 32, rng), .critic = RecCritic(4, rec, 8, 32, rng)}, cartpole());
  };
  auto fresh_r = make_recurrent();
  auto other_r = make_recurrent();
  CHECK((bytes_of(other_r) == bytes_of(fresh_r)));
  CHECK_NOTHROW(other_r.load(bytes_of(fresh_r)));

  theta::OffPolicyConfig off{.n_envs = 2, .buffer_size = 1000, .seed = 5};
  const auto make_sac = [&] {
    poison_small_blocks();
    return theta::OffPolicyTrainer<PendulumEnv, theta::sac::Sac>(off, theta::sac::Config{}, {}, pendulum());
  };
  auto fresh_s = make_sac();
  auto other_s = make_sac();
  CHECK((bytes_of(other_s) == bytes_of(fresh_s)));
  CHECK_NOTHROW(other_s.load(bytes_of(fresh_s)));
}
