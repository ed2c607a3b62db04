// AsyncTrainer checkpoints: workers taking turns resume bit for bit; a failed load (damaged
// file, other settings, a worker that cannot load) leaves the trainer as it was.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace {

using CartPoleEnv = theta::TimeLimit<theta::CartPole>;
const theta::a3c::Config checkpoint_rule{.learning_rate = theta::Schedule::linear(3e-3, 1e-3),
                                         .actor = {.hidden = {16}},
                                         .critic = {.hidden = {16}}};
const theta::AsyncConfig checkpoint_config{
    .workers = 2, .envs_per_worker = 2, .deterministic = true, .total_steps = 3000, .log_interval = 9, .seed = 21};

// A CartPole whose copy refuses to load when told to.
struct Refusing : theta::CartPole {
  bool refuse = false;
  void load(theta::io::CheckpointSectionReader& in) {
    if (refuse) throw theta::CheckpointError("Refusing: this copy does not load");
    CartPole::load(in);
  }
};

// Saves at the first record, then stops training.
struct SaveOnRecord {
  std::vector<std::uint8_t> bytes;
  std::string error;
  template <class Trainer>
  bool on_update_end(Trainer& trainer, theta::LogRecord&) {
    try {
      bytes = trainer.checkpoint().bytes();
    } catch (const theta::Error& e) {
      error = e.what();
    }
    return false;
  }
};

}  // namespace

TEST_CASE("workers taking turns: learn(K), save, load into a fresh trainer, learn(N-K) equals learn(N)", "[unit]") {
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> straight(checkpoint_config, checkpoint_rule);
  straight.learn(3000);

  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> first(checkpoint_config, checkpoint_rule);
  theta::EvalCallback eval{.every_steps = 500, .episodes = 2};
  first.learn(1200, theta::NullLogger{}, eval);  // evaluations in between change nothing but their own seeds
  const std::vector<std::uint8_t> saved = first.checkpoint().bytes();

  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> resumed(checkpoint_config, checkpoint_rule);
  const theta::LoadResult loaded = resumed.load(saved);
  CHECK(loaded.episodes_continued);
  CHECK(resumed.checkpoint().bytes() == saved);
  CHECK(resumed.steps() == 1200);
  resumed.learn(1800);
  CHECK(resumed.steps() == 3000);
  CHECK(resumed.actor().parameters() == straight.actor().parameters());
  CHECK(resumed.critic().parameters() == straight.critic().parameters());
  // Everything but the evaluation counter (first evaluated, straight did not) agrees.
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> straight_again(checkpoint_config, checkpoint_rule);
  theta::EvalCallback eval_again{.every_steps = 500, .episodes = 2};
  straight_again.learn(1200, theta::NullLogger{}, eval_again);
  straight_again.learn(1800);
  CHECK(resumed.checkpoint().bytes() == straight_again.checkpoint().bytes());
}

TEST_CASE("workers on threads: a checkpoint loads into a fresh trainer, which trains on", "[unit]") {
  theta::AsyncConfig config = checkpoint_config;
  config.deterministic = false;
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> trainer(config, checkpoint_rule);
  trainer.learn(1000);
  const std::vector<std::uint8_t> saved = trainer.checkpoint().bytes();
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> resumed(config, checkpoint_rule);
  resumed.load(saved);
  CHECK(resumed.checkpoint().bytes() == saved);
  CHECK(resumed.learn(500).steps == 1500);
  // An asynchronous checkpoint also loads into a trainer whose workers take turns.
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> turns(checkpoint_config, checkpoint_rule);
  CHECK_NOTHROW(turns.load(saved));
}

TEST_CASE("saving while the worker threads run is refused; taking turns, on_update_end may save", "[unit]") {
  theta::AsyncConfig config = checkpoint_config;
  config.deterministic = false;
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> threads(config, checkpoint_rule);
  SaveOnRecord on_threads;
  threads.learn(3000, theta::NullLogger{}, on_threads);
  CHECK_THAT(on_threads.error, Catch::Contains("the workers are running"));

  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> turns(checkpoint_config, checkpoint_rule);
  SaveOnRecord on_turns;
  turns.learn(3000, theta::NullLogger{}, on_turns);
  REQUIRE(on_turns.error.empty());
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> resumed(checkpoint_config, checkpoint_rule);
  resumed.load(on_turns.bytes);
  CHECK(resumed.checkpoint().bytes() == turns.checkpoint().bytes());
}

TEST_CASE("a failed load changes nothing", "[unit]") {
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> source(checkpoint_config, checkpoint_rule);
  source.learn(600);
  const std::vector<std::uint8_t> saved = source.checkpoint().bytes();
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> target(checkpoint_config, checkpoint_rule);
  target.learn(300);
  const std::vector<std::uint8_t> before = target.checkpoint().bytes();

  SECTION("truncated anywhere") {
    for (std::size_t size = 0; size < saved.size(); size += 251) {
      const std::vector<std::uint8_t> cut(saved.begin(), saved.begin() + static_cast<std::ptrdiff_t>(size));
      REQUIRE_THROWS_AS(target.load(cut), theta::CheckpointError);
    }
  }
  SECTION("another seed") {
    theta::AsyncConfig other = checkpoint_config;
    other.seed = 22;
    theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> other_trainer(other, checkpoint_rule);
    CHECK_THROWS_WITH(target.load(other_trainer.checkpoint().bytes()), Catch::Contains("AsyncConfig::seed"));
  }
  SECTION("another number of workers") {
    theta::AsyncConfig other = checkpoint_config;
    other.workers = 3;
    theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> other_trainer(other, checkpoint_rule);
    CHECK_THROWS_WITH(target.load(other_trainer.checkpoint().bytes()), Catch::Contains("workers 3"));
  }
  SECTION("another algorithm's checkpoint") {
    theta::OnPolicyTrainer<CartPoleEnv, theta::a2c::A2c> a2c({}, {});
    CHECK_THROWS_WITH(target.load(a2c.checkpoint().bytes()), Catch::Contains("AsyncTrainer/a3c"));
  }
  CHECK(target.checkpoint().bytes() == before);
}

TEST_CASE("a worker that cannot load: no worker is installed", "[unit]") {
  using Env = theta::TimeLimit<Refusing>;
  theta::AsyncTrainer<Env, theta::a3c::A3c> source(checkpoint_config, checkpoint_rule);
  source.learn(600);
  // Copies 2 and 3 are worker 1's: worker 0's state is read first, then worker 1's copy refuses.
  theta::AsyncTrainer<Env, theta::a3c::A3c> target(checkpoint_config, checkpoint_rule, {}, [](std::size_t i) {
    Refusing env;
    env.refuse = i == 2;
    return Env(env);
  });
  target.learn(300);
  const std::vector<std::uint8_t> before = target.checkpoint().bytes();
  CHECK_THROWS_WITH(target.load(source.checkpoint().bytes()), Catch::Contains("this copy does not load"));
  CHECK(target.checkpoint().bytes() == before);
  CHECK(target.worker(0).steps() == 150);  // 300 steps in turns: 150 each
}

namespace {

// `bytes` with the payload of section `target` replaced by that of section `source`, the
// checksum recomputed: a well-formed file whose content is wrong.
std::vector<std::uint8_t> with_payload_of(const std::vector<std::uint8_t>& bytes, const std::string& target,
                                          const std::string& source) {
  const auto get = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (int k = 7; k >= 0; --k) v = (v << 8) | bytes[at + static_cast<std::size_t>(k)];
    return static_cast<std::size_t>(v);
  };
  const auto put = [](std::vector<std::uint8_t>& out, std::uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
  };
  std::size_t at = 8 + 4;                 // magic, version
  at += 8 + get(at) + 4;                  // the header record
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at));
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> records;
  while (at < bytes.size()) {
    const std::size_t name_size = get(at);
    std::string name(bytes.begin() + static_cast<std::ptrdiff_t>(at + 8),
                     bytes.begin() + static_cast<std::ptrdiff_t>(at + 8 + name_size));
    at += 8 + name_size;
    const std::size_t payload_size = get(at);
    records.emplace_back(std::move(name), std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(at + 8),
                                                                    bytes.begin() + static_cast<std::ptrdiff_t>(at + 8 + payload_size)));
    at += 8 + payload_size + 4;
  }
  std::vector<std::uint8_t> replacement;
  for (const auto& [name, payload] : records) {
    if (name == source) replacement = payload;
  }
  REQUIRE(!replacement.empty());
  for (const auto& [name, payload] : records) {
    const std::size_t start = out.size();
    put(out, name.size(), 8);
    out.insert(out.end(), name.begin(), name.end());
    const std::vector<std::uint8_t>& p = name == target ? replacement : payload;
    put(out, p.size(), 8);
    out.insert(out.end(), p.begin(), p.end());
    put(out, theta::io::crc32(std::span<const std::uint8_t>(out).subspan(start)), 4);
  }
  return out;
}

}  // namespace

TEST_CASE("a worker checkpoint that cannot load: nothing is installed, environments that cannot be saved included",
          "[unit]") {
  // Worker 1's section holds worker 0's state, whose seed is not worker 1's: it fails after
  // worker 0's was read. Corridor cannot be saved, so installing worker 0 would restart its
  // episodes: the load must fail before anything is installed.
  using Env = theta::TimeLimit<theta::test::Corridor>;
  const Env env({}, 20);
  theta::AsyncTrainer<Env, theta::a3c::A3c> source(checkpoint_config, checkpoint_rule, {}, env);
  source.learn(600);
  const std::vector<std::uint8_t> swapped = with_payload_of(source.checkpoint().bytes(), "worker/1", "worker/0");
  theta::AsyncTrainer<Env, theta::a3c::A3c> target(checkpoint_config, checkpoint_rule, {}, env);
  target.learn(300);
  const std::vector<std::uint8_t> before = target.checkpoint().bytes();
  CHECK_THROWS_WITH(target.load(swapped), Catch::Contains("worker/1") && Catch::Contains("seed"));
  CHECK(target.checkpoint().bytes() == before);
  CHECK_NOTHROW(target.load(source.checkpoint().bytes()));  // the file the swap was made from loads
}

TEST_CASE("workers taking turns continue the order across calls and checkpoints", "[unit]") {
  const theta::AsyncConfig config{.workers = 2, .deterministic = true, .total_steps = 40, .log_interval = 3, .seed = 30};
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> straight(config, checkpoint_rule);
  straight.learn(40);  // 8 turns of 5 steps: 4 each
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> split(config, checkpoint_rule);
  split.learn(5);  // worker 0's turn; worker 1 goes next
  split.learn(35);
  CHECK(split.worker(0).steps() == 20);
  CHECK(split.worker(1).steps() == 20);
  CHECK(split.checkpoint().bytes() == straight.checkpoint().bytes());

  // Saved at a record in the middle of a round (3 turns: worker 1 goes next), then resumed.
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> first(config, checkpoint_rule);
  SaveOnRecord save;
  first.learn(40, theta::NullLogger{}, save);
  REQUIRE(first.steps() == 15);
  theta::AsyncTrainer<CartPoleEnv, theta::a3c::A3c> resumed(config, checkpoint_rule);
  resumed.load(save.bytes);
  resumed.learn(25);
  CHECK(resumed.actor().parameters() == straight.actor().parameters());
  CHECK(resumed.critic().parameters() == straight.critic().parameters());
  CHECK(resumed.worker(1).steps() == straight.worker(1).steps());
}
