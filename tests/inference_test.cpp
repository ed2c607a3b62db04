// theta/inference.hpp: an exported policy acts as the trainer's `predict`, bit for bit, for
// every algorithm and both action kinds (issue 13, "Deployment"); bad files raise
// CheckpointError naming what is wrong.

#include <catch2/catch.hpp>
#include <theta/inference.hpp>
#include <theta/theta.hpp>

#include <unistd.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "theta-inference-XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class A>
std::vector<std::uint32_t> bits_of(const A& action) {
  std::vector<std::uint32_t> bits;
  for (Eigen::Index i = 0; i < action.size(); ++i) bits.push_back(std::bit_cast<std::uint32_t>(static_cast<float>(action(i))));
  return bits;
}

// Exports `trainer`'s policy, loads it with theta/inference.hpp and compares its action with
// trainer.predict on `count` observations: those of episodes played by the policy, and the
// same observations scaled by 3 (beyond the normaliser's clip and the action bounds).
// Returns how many different actions were seen, so a caller can check the comparison was not
// made on a constant policy.
template <class Trainer, class Env>
std::size_t check_bit_exact(Trainer& trainer, Env env, int count) {
  TempDir dir;
  const fs::path file = dir.path / "policy.bin";
  trainer.export_policy(file);
  auto policy = theta::inference::Policy::load(file);
  std::set<std::vector<std::uint32_t>> distinct;
  int compared = 0;
  for (std::uint64_t episode = 0; compared < count; ++episode) {
    auto obs = env.reset(1000 + episode);
    for (int t = 0; t < 200 && compared < count; ++t) {
      for (const float factor : {1.0F, 3.0F}) {
        const typename Env::Observation o = obs * factor;
        const auto expected = trainer.predict(o);
        if constexpr (theta::DiscreteEnvironment<Env>) {
          REQUIRE(policy.predict_index(o) == static_cast<std::int64_t>(expected));
          distinct.insert({static_cast<std::uint32_t>(expected)});
        } else {
          const auto& got = policy.predict(o);
          REQUIRE(got.size() == expected.size());
          REQUIRE(bits_of(got) == bits_of(expected));
          distinct.insert(bits_of(expected));
        }
        ++compared;
      }
      auto step = env.step(trainer.predict(obs));
      if (step.terminated || step.truncated) break;
      obs = step.observation;
    }
  }
  return distinct.size();
}

// A one-layer policy file written by hand: x -> clip(weight x + 0.5, low, high), with one
// field changed per test.
struct SmallPolicy {
  std::uint64_t obs_size = 1;
  std::string activation = "identity";
  float weight = 2.0F;
  std::string transform = "clip";
  std::uint64_t action_size = 1;
  double low = -1, high = 1;
  double clip = 0;  // > 0: a normaliser (mean 0, var 1) with this clip
};

std::vector<std::uint8_t> small_policy(const SmallPolicy& p) {
  theta::io::CheckpointWriter w(std::string(theta::io::policy_kind), "float32", "obs 1, clip 1");
  auto& o = w.section("observation");
  o.u64(p.obs_size).boolean(p.clip != 0);
  if (p.clip != 0) o.f64(p.clip).f64(1e-8).matrix(Eigen::VectorXd::Zero(1)).matrix(Eigen::VectorXd::Ones(1));
  auto& n = w.section("network");
  n.u64(1).u64(1).u64(1).string(p.activation);
  n.matrix(Eigen::MatrixXf::Constant(1, 1, p.weight)).matrix(Eigen::VectorXf::Constant(1, 0.5F));
  w.section("action").string(p.transform).u64(p.action_size).matrix(Eigen::VectorXd::Constant(1, p.low)).matrix(
      Eigen::VectorXd::Constant(1, p.high));
  return w.bytes();
}

using CartPole = theta::TimeLimit<theta::CartPole>;
using Pendulum = theta::TimeLimit<theta::Pendulum>;
using Acrobot = theta::TimeLimit<theta::Acrobot>;

const theta::NetworkConfig small{.hidden = {32, 32}};

}  // namespace

namespace {

// A few hundred steps with observation normalisation, then the comparison on CartPole
// (argmax) and Pendulum (the Gaussian mean, clipped).
template <template <class...> class Algo>
void check_on_policy() {
  typename theta::OnPolicyTrainer<CartPole, Algo>::AlgorithmConfig config{};
  config.actor = small;
  config.critic = small;
  const theta::OnPolicyConfig trainer_config{.n_envs = 4, .n_steps = 32, .normalize_observations = true, .seed = 3};
  {
    theta::OnPolicyTrainer<CartPole, Algo> trainer(trainer_config, config);
    trainer.learn(512);
    REQUIRE(trainer.observation_normalizer().has_value());
    CHECK(check_bit_exact(trainer, CartPole{}, 400) == 2);
  }
  {
    theta::OnPolicyTrainer<Pendulum, Algo> trainer(trainer_config, config);
    trainer.learn(512);
    CHECK(check_bit_exact(trainer, Pendulum{}, 400) > 100);
  }
}

}  // namespace

TEST_CASE("An exported A2C policy acts as trainer.predict, bit for bit", "[unit]") { check_on_policy<theta::a2c::A2c>(); }
TEST_CASE("An exported PPO policy acts as trainer.predict, bit for bit", "[unit]") { check_on_policy<theta::ppo::Ppo>(); }
TEST_CASE("An exported TRPO policy acts as trainer.predict, bit for bit", "[unit]") { check_on_policy<theta::trpo::Trpo>(); }

TEST_CASE("An exported REINFORCE policy (dropout: the evaluation-mode network) acts as trainer.predict", "[unit]") {
  const theta::OnPolicyConfig trainer_config{.n_envs = 1, .n_steps = 64, .normalize_observations = true, .seed = 5};
  theta::reinforce::Config config{};
  config.actor = {.hidden = {64}, .activation = theta::nn::Activation::relu, .dropout = 0.5};
  SECTION("Acrobot: argmax over three actions") {
    theta::OnPolicyTrainer<Acrobot, theta::reinforce::Reinforce> trainer(trainer_config, config);
    trainer.learn(3000);
    CHECK(check_bit_exact(trainer, Acrobot{}, 400) >= 2);
  }
  SECTION("Pendulum") {
    config.actor.dropout = 0;
    theta::OnPolicyTrainer<Pendulum, theta::reinforce::Reinforce> trainer(trainer_config, config);
    trainer.learn(512);
    CHECK(check_bit_exact(trainer, Pendulum{}, 400) > 100);
  }
}

TEST_CASE("An exported SAC policy (tanh of the mean, rescaled) acts as trainer.predict, bit for bit", "[unit]") {
  theta::sac::Config config{};
  config.actor = {.hidden = {64, 64}, .activation = theta::nn::Activation::relu};
  config.critic = {.hidden = {64, 64}, .activation = theta::nn::Activation::relu};
  theta::OffPolicyTrainer<Pendulum> trainer({.learning_starts = 100, .batch_size = 32, .seed = 2}, config);
  trainer.learn(400);
  REQUIRE(trainer.updates() > 0);
  CHECK(check_bit_exact(trainer, Pendulum{}, 400) > 100);
  // MountainCarContinuous: bounds [-1, 1], another observation size.
  using Mcc = theta::TimeLimit<theta::MountainCarContinuous>;
  theta::OffPolicyTrainer<Mcc> mcc({.learning_starts = 100, .batch_size = 32, .seed = 4}, config);
  mcc.learn(300);
  CHECK(check_bit_exact(mcc, Mcc{}, 300) > 50);
}

TEST_CASE("evaluate with explicit episode seeds plays one episode per seed, in order", "[unit]") {
  theta::OnPolicyTrainer<CartPole, theta::ppo::Ppo> trainer({.n_envs = 2, .n_steps = 32, .seed = 1},
                                                             {.actor = small, .critic = small});
  trainer.learn(64);
  const std::vector<std::uint64_t> seeds{7, 8, 9};
  const auto all = trainer.evaluate(seeds);
  REQUIRE(all.returns.size() == 3);
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    const std::vector<std::uint64_t> one{seeds[k]};
    const auto single = trainer.evaluate(one);
    CHECK(single.returns[0] == all.returns[k]);
    CHECK(single.lengths[0] == all.lengths[k]);
    // The free function with the same seed and trainer.predict gives the same episode.
    const auto free = theta::evaluate_policy(CartPole{}, std::span<const std::uint64_t>(one),
                                             [&](const CartPole::Observation& o) { return trainer.predict(o); });
    CHECK(free.returns[0] == all.returns[k]);
  }
  // The seeded overload's episode k uses derive_seed(seed, k): the same as the explicit list.
  const std::vector<std::uint64_t> derived{theta::derive_seed(42, 0), theta::derive_seed(42, 1)};
  CHECK(trainer.evaluate(2, 42).returns == trainer.evaluate(derived).returns);
  // The exported policy plays the same episodes.
  TempDir dir;
  trainer.export_policy(dir.path / "p");
  auto policy = theta::inference::Policy::load(dir.path / "p");
  const auto deployed = theta::evaluate_policy(CartPole{}, std::span<const std::uint64_t>(seeds),
                                               [&](const CartPole::Observation& o) {
                                                 return static_cast<int>(policy.predict_index(o));
                                               });
  CHECK(deployed.returns == all.returns);
  REQUIRE_THROWS_WITH(trainer.evaluate(std::span<const std::uint64_t>()),
                      "evaluate_policy: episode_seeds must not be empty");
}

TEST_CASE("Equal policies export equal bytes; a failed export leaves the old file", "[unit]") {
  TempDir dir;
  const theta::OnPolicyConfig trainer_config{.n_envs = 2, .n_steps = 32, .normalize_observations = true, .seed = 9};
  theta::OnPolicyTrainer<Pendulum, theta::ppo::Ppo> a(trainer_config, {.actor = small, .critic = small});
  theta::OnPolicyTrainer<Pendulum, theta::ppo::Ppo> b(trainer_config, {.actor = small, .critic = small});
  a.learn(64);
  b.learn(64);
  a.export_policy(dir.path / "a");
  b.export_policy(dir.path / "b");
  const auto bytes = read_bytes(dir.path / "a");
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes == read_bytes(dir.path / "b"));
  b.learn(32);
  b.export_policy(dir.path / "b");
  CHECK(bytes != read_bytes(dir.path / "b"));
  REQUIRE_THROWS_AS(a.export_policy(dir.path / "missing" / "p"), theta::CheckpointError);
  CHECK(!fs::exists(dir.path / "missing"));
}

TEST_CASE("A bad policy file raises CheckpointError naming what is wrong", "[unit]") {
  TempDir dir;
  theta::OnPolicyTrainer<Pendulum, theta::a2c::A2c> trainer({.n_envs = 2, .n_steps = 5, .normalize_observations = true},
                                                            {.actor = small, .critic = small});
  trainer.learn(20);
  const fs::path file = dir.path / "p";
  trainer.export_policy(file);
  const auto bytes = read_bytes(file);
  const auto loads = [&](const std::vector<std::uint8_t>& b) { (void)theta::inference::Policy::parse(b, "x.policy"); };
  REQUIRE_NOTHROW(loads(bytes));

  REQUIRE_THROWS_WITH(theta::inference::Policy::load(dir.path / "none"), Catch::Contains("no such file"));
  REQUIRE_THROWS_WITH(loads({}), "checkpoint 'x.policy': the file is empty");
  // Every truncation and every single-bit flip is refused.
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    const std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    REQUIRE_THROWS_AS(loads(cut), theta::CheckpointError);
  }
  for (std::size_t k = 0; k < bytes.size() * 8; k += 13) {
    auto flipped = bytes;
    flipped[k / 8] ^= static_cast<std::uint8_t>(1U << (k % 8));
    REQUIRE_THROWS_AS(loads(flipped), theta::CheckpointError);
  }
  // A trainer checkpoint of another kind, and another scalar type.
  theta::io::CheckpointWriter other("OnPolicyTrainer/ppo", theta::io::scalar_name<float>(), "obs 3");
  other.section("actor").u64(1);
  REQUIRE_THROWS_WITH(loads(other.bytes()), "policy file 'x.policy': a checkpoint of OnPolicyTrainer/ppo, not an exported "
                                            "policy (expected kind Policy)");
  REQUIRE_THROWS_WITH((void)theta::inference::BasicPolicy<double>::parse(bytes, "x.policy"),
                      "policy file 'x.policy': scalar type float32, this policy type reads float64");

  // Values out of range, in files whose checksums are right.
  auto good = theta::inference::Policy::parse(small_policy({}));
  CHECK(good.predict(Eigen::Vector<double, 1>(0.1))[0] == 0.7F);  // 2 x + 0.5
  CHECK(good.predict(Eigen::Vector<double, 1>(5.0))[0] == 1.0F);  // clipped
  REQUIRE_THROWS_WITH(good.predict(Eigen::Vector2d(0, 0)),
                      "inference::Policy::predict: the observation has 2 entries, the policy takes 1");
  REQUIRE_THROWS_WITH(good.predict_index(Eigen::Vector<double, 1>(0)), Catch::Contains("the policy is continuous"));

  REQUIRE_THROWS_WITH(loads(small_policy({.activation = "swish"})),
                      "policy file 'x.policy': layer 0 has the unknown activation 'swish'");
  REQUIRE_THROWS_WITH(loads(small_policy({.obs_size = 2})),
                      "policy file 'x.policy': the network takes 1 inputs, the observation has 2");
  REQUIRE_THROWS_WITH(loads(small_policy({.low = 1, .high = -1})),
                      "policy file 'x.policy': the action bounds must be finite with low <= high");
  REQUIRE_THROWS_WITH(loads(small_policy({.weight = std::nanf("")})),
                      "policy file 'x.policy': layer 0 holds a non-finite parameter");
  REQUIRE_THROWS_WITH(loads(small_policy({.transform = "softmax"})),
                      "policy file 'x.policy': unknown action transform 'softmax'");
  REQUIRE_THROWS_WITH(loads(small_policy({.action_size = 2})),
                      "policy file 'x.policy': an action of 2 entries from a network of 1 outputs");
  REQUIRE_THROWS_WITH(loads(small_policy({.clip = -1})),
                      "policy file 'x.policy': the observation normaliser's clip must be > 0");
}

TEST_CASE("A user actor exports through io::ExportableActor", "[concept]") {
  STATIC_REQUIRE(theta::io::ExportableActor<theta::CategoricalPolicy<float>>);
  STATIC_REQUIRE(theta::io::ExportableActor<theta::GaussianPolicy<double>>);
  STATIC_REQUIRE(theta::io::ExportableActor<theta::SquashedGaussianPolicy<float>>);
  struct NoNetwork {
    using Scalar = float;
  };
  STATIC_REQUIRE_FALSE(theta::io::ExportableActor<NoNetwork>);
  struct WrongScalar {
    using Scalar = float;
    [[nodiscard]] const theta::nn::Mlp<double>& network() const;
  };
  STATIC_REQUIRE_FALSE(theta::io::ExportableActor<WrongScalar>);
}
