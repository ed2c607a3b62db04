#include <theta/algo/sac.hpp>

#include <catch2/catch.hpp>

#include "algo/make_sac.hpp"
#include "support/data_dir.hpp"
#include "support/finite_difference.hpp"
#include "support/json.hpp"
#include "support/reference_checks.hpp"

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

using theta::Index;
using theta::test::central_difference;
using theta::test::five_point;
using theta::test::Json;
using theta::test::max_err;
using theta::test::rel_err;
using theta::test::numerical_gradient;
using Mat = theta::Matrix<double>;
using Vec = theta::Vector<double>;

namespace {

template <class T>
theta::Vector<T> flags(const Json& list) {
  theta::Vector<T> v(static_cast<Index>(list.size()));
  for (std::size_t i = 0; i < list.size(); ++i) v[static_cast<Index>(i)] = list[i].boolean() ? T(1) : T(0);
  return v;
}

// Every SAC loss piece of one losses.json case, in precision T (inputs parsed as double, then
// cast: the README's protocol).
template <class T>
void check_sac_case(const Json& k, double tol) {
  INFO(k["name"].string() << (sizeof(T) == 4 ? " float" : " double"));
  const Index n = static_cast<Index>(k["n"].number());
  const auto v = [&](const char* key) { return k[key].vector<T>(); };

  theta::Vector<T> target(n);
  theta::sac::soft_target<T>(v("rewards"), flags<T>(k["terminated"]), v("next_q1"), v("next_q2"), v("next_log_prob"),
                             static_cast<T>(k["gamma"].number()), static_cast<T>(k["alpha"].number()), target);
  REQUIRE(max_err(target, k["target"].vector()) <= tol);

  // The critic loss against the reference target (so that its check is independent of ours).
  theta::Vector<T> g1(n), g2(n), g3(n);
  const double c = theta::sac::critic_loss<T>(v("q1"), v("q2"), v("target"), g1, g2);
  REQUIRE(rel_err(c, k["critic_loss"].number()) <= tol);
  REQUIRE(max_err(g1, k["grad_critic_loss_q1"].vector()) <= tol);
  REQUIRE(max_err(g2, k["grad_critic_loss_q2"].vector()) <= tol);

  const double a = theta::sac::actor_loss<T>(v("log_prob"), v("q1_pi"), v("q2_pi"), static_cast<T>(k["alpha"].number()),
                                             g3, g1, g2);
  REQUIRE(rel_err(a, k["actor_loss"].number()) <= tol);
  REQUIRE(max_err(g3, k["grad_actor_loss_log_prob"].vector()) <= tol);
  REQUIRE(max_err(g1, k["grad_actor_loss_q1_pi"].vector()) <= tol);
  REQUIRE(max_err(g2, k["grad_actor_loss_q2_pi"].vector()) <= tol);

  // log α is a float32 parameter in the float case, as SB3's log_ent_coef.
  const double log_alpha = static_cast<double>(static_cast<T>(k["log_alpha"].number()));
  const auto t = theta::sac::temperature_loss<T>(log_alpha, v("log_prob"), k["target_entropy"].number());
  REQUIRE(rel_err(t.loss, k["ent_coef_loss"].number()) <= tol);
  REQUIRE(rel_err(t.grad_log_alpha, k["grad_ent_coef_loss_log_alpha"].number()) <= tol);
}

double rel_err(const Vec& a, const Vec& b) { return ((a - b).array().abs() / b.array().abs().max(1e-3)).maxCoeff(); }

using theta::test::SacOf;
using theta::test::SacWithReplay;
using theta::test::make_sac;

// A small SAC in double with a replay buffer of 64 random transitions (a quarter terminated),
// sampled in batches of 16.
SacWithReplay<double> small_sac(const theta::sac::Config& config, theta::Rng& rng, Index obs_dim = 3,
                                Index act_dim = 2) {
  SacWithReplay<double> run(config, /*buffer_size=*/64, {.obs_dim = obs_dim, .action_dim = act_dim, .batch_size = 16},
                            rng);
  for (int i = 0; i < 64; ++i) {
    Vec obs(obs_dim), next(obs_dim), act(act_dim);
    for (Index d = 0; d < obs_dim; ++d) obs[d] = rng.normal(), next[d] = rng.normal();
    for (Index d = 0; d < act_dim; ++d) act[d] = rng.uniform(-0.99, 0.99);
    run.buffer.add(obs, act, rng.normal(), next, i % 4 == 0);
  }
  return run;
}

theta::sac::Config gradient_config() {
  const theta::NetworkConfig tanh_net{.hidden = {8, 6}, .activation = theta::nn::Activation::tanh,
                                      .init = theta::Init::torch_default};
  return {.alpha = 0.3, .actor = tanh_net, .critic = tanh_net};
}

}  // namespace

TEST_CASE("SAC losses match SB3 (losses.json, sac)", "[conformance]") {
  const Json data = Json::load((theta::test::data_dir("THETA_TORCH_REFERENCE", "torch") / "losses.json").string());
  REQUIRE(data["sac"].size() >= 2);
  for (const auto& k : data["sac"].array()) {
    check_sac_case<double>(k, 1e-12);
    check_sac_case<float>(k, 1e-5);
  }
}

TEST_CASE("Soft target: terminated stops the bootstrap, truncated (stored as not terminated) keeps it", "[unit]") {
  // Four transitions: running, truncated (terminated = 0 in the buffer), terminated, both
  // flags (terminated wins, so stored as 1).
  const Vec rewards = (Vec(4) << 1.0, 2.0, 3.0, 4.0).finished();
  const Vec terminated = (Vec(4) << 0.0, 0.0, 1.0, 1.0).finished();
  const Vec q1 = (Vec(4) << 10.0, 20.0, 30.0, 40.0).finished();
  const Vec q2 = (Vec(4) << 11.0, 19.0, 35.0, 39.0).finished();
  const Vec logp = (Vec(4) << -1.0, 0.5, 2.0, -3.0).finished();
  Vec y(4);
  theta::sac::soft_target<double>(rewards, terminated, q1, q2, logp, 0.9, 0.2, y);
  CHECK(y[0] == Approx(1.0 + 0.9 * (10.0 + 0.2)).epsilon(1e-15));
  CHECK(y[1] == Approx(2.0 + 0.9 * (19.0 - 0.1)).epsilon(1e-15));
  CHECK(y[2] == 3.0);
  CHECK(y[3] == 4.0);
}

TEST_CASE("SAC critic loss gradient matches finite differences", "[gradient]") {
  theta::Rng rng(7);
  auto run = small_sac(gradient_config(), rng);
  auto& sac = run.sac;
  const auto& batch = run.sample();
  REQUIRE(batch.done().sum() > 0);  // the target masks some transitions
  sac.critic_loss_and_gradient(batch);
  for (std::size_t i = 0; i < 2; ++i) {
    const Vec analytic = sac.critic(i).gradients();
    const Vec numeric =
        numerical_gradient([&] { return sac.critic_loss_and_gradient(batch); }, sac.critic(i).parameters(), five_point);
    INFO("critic " << i + 1);
    REQUIRE(analytic.norm() > 1e-3);
    REQUIRE(rel_err(analytic, numeric) < 1e-6);
  }
}

TEST_CASE("SAC actor loss gradient matches finite differences (reparameterised sample, twin minimum)",
          "[gradient]") {
  for (const auto bound : {theta::LogStdBound::clamp, theta::LogStdBound::tanh}) {
    for (const auto correction : {theta::TanhCorrection::stable, theta::TanhCorrection::sb3_epsilon}) {
      theta::Rng rng(11);
      auto config = gradient_config();
      config.log_std = {.bound = bound, .min = -5.0, .max = 2.0};
      config.tanh_correction = correction;
      auto run = small_sac(config, rng);
      auto& sac = run.sac;
      // Spread the actor's outputs so that actions reach into the tanh's curved part.
      sac.actor().parameters() *= 3.0;
      const auto& batch = run.sample();
      sac.actor_loss_and_gradient(batch);
      // Both critics must be the minimum somewhere, or the test would not cover the switch:
      // Q_1, Q_2 at the actor's reparameterised sample of this pass (the actor loss's values).
      const Index n = batch.size;
      Mat actions_pi(sac.actor().act_dim(), n);
      sac.actor().distribution().action(actions_pi);
      Vec q1(n), q2(n);
      sac.critic(0).predict(batch.obs(), actions_pi, q1);
      sac.critic(1).predict(batch.obs(), actions_pi, q2);
      const Index q1_smaller = (q1.array() <= q2.array()).count();
      REQUIRE(q1_smaller > 0);
      REQUIRE(q1_smaller < q1.size());
      const Vec analytic = sac.actor().gradients();
      const Vec numeric =
          numerical_gradient([&] { return sac.actor_loss_and_gradient(batch); }, sac.actor().parameters(), five_point);
      INFO("bound " << static_cast<int>(bound) << " correction " << static_cast<int>(correction));
      REQUIRE(analytic.norm() > 1e-3);
      Index worst = 0;
      ((analytic - numeric).array().abs() / numeric.array().abs().max(1e-3)).maxCoeff(&worst);
      INFO("worst " << worst << " analytic " << analytic[worst] << " numeric " << numeric[worst]);
      REQUIRE(rel_err(analytic, numeric) < 1e-6);
    }
  }
}

TEST_CASE("SAC actor gradient is 0 through a clamped log-std", "[gradient]") {
  theta::Rng rng(12);
  auto config = gradient_config();
  config.log_std = {.bound = theta::LogStdBound::clamp, .min = -0.05, .max = 0.05};
  auto run = small_sac(config, rng);
  auto& sac = run.sac;
  sac.actor().parameters() *= 3.0;
  const auto& batch = run.sample();
  sac.actor_loss_and_gradient(batch);
  const Vec analytic = sac.actor().gradients();
  const Vec numeric =
      numerical_gradient([&] { return sac.actor_loss_and_gradient(batch); }, sac.actor().parameters(), five_point);
  // Most raw log-stds are outside the narrow range (clamped to its ends): the gradient must
  // stop there.
  const auto log_std = sac.actor().distribution().log_std();
  REQUIRE((log_std.array().abs() >= 0.05).count() > log_std.size() / 2);
  REQUIRE(rel_err(analytic, numeric) < 1e-6);
}

TEST_CASE("SAC temperature loss gradient matches finite differences", "[gradient]") {
  theta::Rng rng(13);
  auto run = small_sac(gradient_config(), rng);
  auto& sac = run.sac;
  sac.set_log_alpha(-0.7);
  const auto& batch = run.sample();
  const auto t = sac.temperature_loss_and_gradient(batch);
  const double numeric = central_difference(
      [&](double log_alpha) {
        sac.set_log_alpha(log_alpha);
        return sac.temperature_loss_and_gradient(batch).loss;
      },
      -0.7, {.step = 1e-6});
  REQUIRE(std::abs(t.grad_log_alpha) > 1e-3);
  REQUIRE(t.grad_log_alpha == Approx(numeric).epsilon(1e-8));
  REQUIRE(t.loss == Approx(-0.7 * t.grad_log_alpha).epsilon(1e-12));  // -log α · m with m = -grad
}

TEST_CASE("SAC temperature: learned alpha rises when the entropy is below target, fixed alpha stays", "[unit]") {
  theta::Rng rng(17);
  auto config = gradient_config();
  config.target_entropy = 5.0;  // far above what a 2-d squashed Gaussian reaches: alpha must grow
  auto learned = small_sac(config, rng);
  const double before = learned.sac.alpha();
  for (int i = 0; i < 20; ++i) learned.update(1.0);
  REQUIRE(learned.sac.alpha() > before);

  config.learn_alpha = false;
  auto fixed = small_sac(config, rng);
  for (int i = 0; i < 20; ++i) fixed.update(1.0);
  REQUIRE(fixed.sac.alpha() == 0.3);
  REQUIRE(fixed.sac.alpha_optimizer().step_count() == 0);
}

TEST_CASE("SAC targets start as copies and follow by Polyak averaging", "[unit]") {
  theta::Rng rng(19);
  auto config = gradient_config();
  config.tau = 0.25;
  config.target_update_interval = 2;
  auto run = small_sac(config, rng);
  auto& sac = run.sac;
  REQUIRE(sac.target(0).network().parameters() == sac.critic(0).parameters());
  const Vec target_before = sac.target(1).network().parameters();
  run.update(1.0);  // update 1: no target update (interval 2)
  REQUIRE(sac.target(1).network().parameters() == target_before);
  run.update(1.0);  // update 2: θ' ← 0.75 θ' + 0.25 θ
  const Vec expected = 0.75 * target_before + 0.25 * Vec(sac.critic(1).parameters());
  REQUIRE((sac.target(1).network().parameters() - expected).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("SAC with the same seed gives bit-identical parameters", "[unit]") {
  const auto run = [](std::uint64_t seed) {
    theta::Rng rng(seed);
    theta::sac::Config config{.actor = {.hidden = {16, 16}, .activation = theta::nn::Activation::relu},
                              .critic = {.hidden = {16, 16}, .activation = theta::nn::Activation::relu}};
    SacWithReplay<float> run(config, /*buffer_size=*/500, {.obs_dim = 3, .action_dim = 1, .batch_size = 32}, rng);
    auto& sac = run.sac;
    theta::Rng data(99);  // same data for every seed: only the algorithm's streams differ
    for (int i = 0; i < 200; ++i) {
      const Eigen::Vector3f obs(data.normal<float>(), data.normal<float>(), data.normal<float>());
      const Eigen::Vector3f next(data.normal<float>(), data.normal<float>(), data.normal<float>());
      Eigen::Matrix<float, 1, 1> act(data.uniform<float>(-1, 1));
      run.buffer.add(obs, act, data.normal(), next, data.uniform() < 0.1);
    }
    for (int i = 0; i < 50; ++i) run.update(1.0);
    theta::Vector<float> all(sac.actor().num_parameters() + sac.critic(0).parameters().size() +
                             sac.critic(1).parameters().size() + 1);
    all << sac.actor().parameters(), sac.critic(0).parameters(), sac.critic(1).parameters(),
        static_cast<float>(sac.log_alpha());
    REQUIRE(all.allFinite());
    return all;
  };
  const auto a = run(1), b = run(1), c = run(2);
  REQUIRE(a == b);
  REQUIRE(a != c);
}

TEST_CASE("SAC config errors name the field, the value and the rule", "[unit]") {
  theta::Rng rng(1);
  // The components come from a valid config, so that only Sac's own check of `config` can throw.
  const auto fails_with = [&](theta::sac::Config config, const std::string& message) {
    const theta::sac::Config valid;
    const theta::ReplayShape shape{.obs_dim = 3, .action_dim = 1, .batch_size = 256};
    theta::SquashedGaussianPolicy<float> actor(3, 1, valid.actor, valid.log_std, 1, shape.batch_size, rng);
    theta::QNetwork<float> q1(3, 1, valid.critic, shape.batch_size, rng);
    theta::QNetwork<float> q2(3, 1, valid.critic, shape.batch_size, rng);
    REQUIRE_THROWS_MATCHES(SacOf<float>(config, std::move(actor), {std::move(q1), std::move(q2)},
                                        SacOf<float>::optimizer_config(config), shape, 0.99, rng),
                           theta::ConfigError, Catch::Matchers::Message(message));
  };
  // n_envs, learning_starts, train_freq, gradient_steps, buffer_size, batch_size and gamma are
  // OffPolicyConfig's now: checked in tests/train/off_policy_trainer_test.cpp ("OffPolicyTrainer
  // rejects bad options").
  fails_with({.tau = -0.1}, "sac::Config::tau must be in [0, 1], got -0.1");
  fails_with({.target_update_interval = 0}, "sac::Config::target_update_interval must be >= 1, got 0");
  fails_with({.actor_learning_rate = 0.0},
             "sac::Config::actor_learning_rate must be > 0 at the start (progress 1), got 0");
  fails_with({.critic_learning_rate = -1.0},
             "sac::Config::critic_learning_rate must be > 0 at the start (progress 1), got -1");
  fails_with({.alpha_learning_rate = 0.0},
             "sac::Config::alpha_learning_rate must be > 0 at the start (progress 1), got 0");
  fails_with({.adam_eps = 0.0}, "sac::Config::adam_eps must be > 0, got 0");
  fails_with({.alpha = 0.0}, "sac::Config::alpha must be > 0, got 0");
  fails_with({.alpha = INFINITY}, "sac::Config::alpha must be finite, got inf");
  fails_with({.target_entropy = INFINITY}, "sac::Config::target_entropy must be finite, got inf");
  fails_with({.log_std = {.min = 2.0, .max = -20.0}}, "sac::Config::log_std must have finite min < max, got [2, -20]");
}

TEST_CASE("SAC's default config is SB3's", "[unit]") {
  // learning_starts (100), train_freq (1), gradient_steps (1), buffer_size (1M), batch_size
  // (256) and gamma (0.99) are OffPolicyConfig's now: checked in
  // tests/train/off_policy_trainer_test.cpp ("OffPolicyConfig's defaults are SB3's").
  const theta::sac::Config c;
  CHECK(c.tau == 0.005);
  CHECK(c.actor_learning_rate(1.0) == 3e-4);
  CHECK(c.critic_learning_rate(1.0) == 3e-4);
  CHECK(c.alpha_learning_rate(1.0) == 3e-4);
  CHECK(c.learn_alpha);
  CHECK(c.alpha == 1.0);
  CHECK(!c.target_entropy);
  CHECK(c.target_update_interval == 1);
  CHECK(c.actor.hidden == std::vector<Index>{256, 256});
  CHECK(c.critic.activation == theta::nn::Activation::relu);
  CHECK(c.log_std.min == -20.0);
  CHECK(c.log_std.max == 2.0);
  theta::Rng rng(1);
  auto sac = make_sac<float>({}, {.obs_dim = 5, .action_dim = 3, .batch_size = 4}, rng);
  CHECK(sac.target_entropy() == -3.0);
  CHECK(sac.alpha() == Approx(1.0));
}

TEST_CASE("SAC checks the shape and the discount the trainer hands it, and the batches", "[unit]") {
  theta::Rng rng(1);
  const theta::sac::Config config;
  const auto fails_with = [&](const theta::ReplayShape& shape, double gamma, const std::string& message) {
    theta::SquashedGaussianPolicy<float> actor(3, 1, config.actor, config.log_std, 1, 8, rng);
    theta::QNetwork<float> q1(3, 1, config.critic, 8, rng);
    theta::QNetwork<float> q2(3, 1, config.critic, 8, rng);
    REQUIRE_THROWS_MATCHES(SacOf<float>(config, std::move(actor), {std::move(q1), std::move(q2)},
                                        SacOf<float>::optimizer_config(config), shape, gamma, rng),
                           theta::ConfigError, Catch::Matchers::Message(message));
  };
  fails_with({.obs_dim = 3, .action_dim = 1, .batch_size = 0}, 0.99,
             "sac::Sac: obs_dim, action_dim and batch_size must be >= 1, got 3, 1 and 0");
  fails_with({.obs_dim = 3, .action_dim = 1, .batch_size = 8}, 1.5, "sac::Sac: gamma must be in [0, 1], got 1.5");

  auto sac = make_sac<float>(config, {.obs_dim = 3, .action_dim = 1, .batch_size = 8}, rng, /*gamma=*/0.9);
  CHECK(sac.gamma() == 0.9);
  // A batch larger than the workspaces, or of other dimensions, is refused.
  theta::ReplayBuffer<float> buffer(16, 3, 1);
  buffer.add(Eigen::Vector3f::Zero(), Eigen::Matrix<float, 1, 1>::Zero(), 0.0, Eigen::Vector3f::Zero(), false);
  theta::ReplayBatch<float> big(16, 3, 1);
  buffer.sample(9, rng, big);
  REQUIRE_THROWS_WITH(sac.update(big, 1.0), Catch::Contains("a batch of 9 transitions"));
  theta::ReplayBuffer<float> other(16, 4, 1);
  other.add(Eigen::Vector4f::Zero(), Eigen::Matrix<float, 1, 1>::Zero(), 0.0, Eigen::Vector4f::Zero(), false);
  theta::ReplayBatch<float> wide(8, 4, 1);
  other.sample(8, rng, wide);
  REQUIRE_THROWS_WITH(sac.update(wide, 1.0), Catch::Contains("obs_dim 4"));
  REQUIRE(sac.updates() == 0);
}

TEST_CASE("SAC stats: update returns one step's, merge gives the means over the steps", "[unit]") {
  theta::Rng rng(23);
  auto config = gradient_config();
  config.actor_learning_rate = theta::Schedule::linear(1e-3, 0.0);
  auto run = small_sac(config, rng);
  std::vector<theta::sac::Stats> steps;
  for (int i = 0; i < 5; ++i) steps.push_back(run.update(1.0 - 0.1 * i));
  for (std::size_t i = 0; i < steps.size(); ++i) {
    INFO("step " << i);
    REQUIRE(steps[i].steps == 1);
    REQUIRE(steps[i].n_updates == static_cast<std::int64_t>(i) + 1);
    REQUIRE(steps[i].alpha_loss.has_value());  // learned temperature
  }
  REQUIRE(steps[4].learning_rate == Approx(0.6e-3));  // the actor's, at progress 0.6
  // Merged one by one (as the trainer does) and as 2 + 3: the means of the five.
  theta::sac::Stats one_by_one;  // empty: steps == 0
  for (const auto& s : steps) one_by_one.merge(s);
  theta::sac::Stats first = steps[0], second = steps[2];
  first.merge(steps[1]);
  second.merge(steps[3]);
  second.merge(steps[4]);
  first.merge(second);
  const auto mean = [&](double (*field)(const theta::sac::Stats&)) {
    double sum = 0;
    for (const auto& s : steps) sum += field(s);
    return sum / 5;
  };
  for (const theta::sac::Stats& merged : {one_by_one, first}) {
    REQUIRE(merged.steps == 5);
    REQUIRE(merged.n_updates == 5);
    REQUIRE(merged.learning_rate == steps[4].learning_rate);
    CHECK(merged.critic_loss == Approx(mean([](const theta::sac::Stats& s) { return s.critic_loss; })).epsilon(1e-14));
    CHECK(merged.actor_loss == Approx(mean([](const theta::sac::Stats& s) { return s.actor_loss; })).epsilon(1e-14));
    CHECK(merged.alpha == Approx(mean([](const theta::sac::Stats& s) { return s.alpha; })).epsilon(1e-14));
    CHECK(*merged.alpha_loss ==
          Approx(mean([](const theta::sac::Stats& s) { return *s.alpha_loss; })).epsilon(1e-14));
    CHECK(merged.entropy == Approx(mean([](const theta::sac::Stats& s) { return s.entropy; })).epsilon(1e-14));
    CHECK(merged.q1_mean == Approx(mean([](const theta::sac::Stats& s) { return s.q1_mean; })).epsilon(1e-14));
    CHECK(merged.q2_mean == Approx(mean([](const theta::sac::Stats& s) { return s.q2_mean; })).epsilon(1e-14));
    CHECK(merged.target_mean == Approx(mean([](const theta::sac::Stats& s) { return s.target_mean; })).epsilon(1e-14));
  }
  // An empty run on the right keeps the means and takes its counters.
  const theta::sac::Stats empty{.n_updates = 7, .learning_rate = 0.5, .steps = 0, .alpha = 3.0};
  theta::sac::Stats kept = first;
  kept.merge(empty);
  REQUIRE(kept.steps == 5);
  REQUIRE(kept.n_updates == 7);
  REQUIRE(kept.learning_rate == 0.5);
  REQUIRE(kept.critic_loss == first.critic_loss);
  REQUIRE(kept.alpha == first.alpha);
  // Without a learned temperature on one side, there is no mean temperature loss.
  theta::sac::Stats fixed = steps[0];
  fixed.alpha_loss.reset();
  fixed.merge(steps[1]);
  REQUIRE(!fixed.alpha_loss);
  // Keys: an empty run logs the counters and α only; a run of steps all ten.
  int keys = 0;
  empty.for_each([&](const char*, double) { ++keys; });
  REQUIRE(keys == 3);
  keys = 0;
  first.for_each([&](const char*, double) { ++keys; });
  REQUIRE(keys == 10);
}
