// The incident-response environment of the incident_response example, its runbook and oracle,
// and the evaluation harness (examples/support/incident_*.hpp).
#include "incident_evaluation.hpp"
#include "incident_policies.hpp"
#include "incident_response.hpp"

#include <theta/core/scalar.hpp>
#include <theta/env/check.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/without_action_mask.hpp>
#include <theta/train/evaluate.hpp>

#include "support/env_checkpoint.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using theta::examples::IncidentResponse;
using UnmaskedIncidentResponse = theta::WithoutActionMask<IncidentResponse>;  // the example's unmasked baseline
using IncidentObs = IncidentResponse::Observation;

// The first seed from `start` whose incident has `cause`.
std::uint64_t incident_seed_with(IncidentResponse::Cause cause, std::uint64_t start = 0) {
  IncidentResponse env;
  for (std::uint64_t seed = start;; ++seed) {
    env.reset(seed);
    if (env.cause() == cause) return seed;
  }
}

// Steps `action` and checks the refusal flag and the last-action one-hot of the observation.
theta::StepResult<IncidentObs> incident_step(IncidentResponse& env, int action) {
  theta::StepResult<IncidentObs> step = env.step(action);
  for (int a = 0; a < IncidentResponse::action_count; ++a)
    CHECK(step.observation[IncidentResponse::obs_last_action + a] == (a == action ? 1.0f : 0.0f));
  return step;
}

// A stand-in for a trainer whose actor has memory (what TrainedPolicy reads of a trainer with a
// theta::RecurrentCategoricalPolicy): its prediction state counts the steps taken, and predict
// restarts twice, then escalates. Masked: predict takes the state's valid actions.
template <bool Masked>
struct CountingTrainer {
  int taken = 0;
  int masked_calls = 0;

  void reset_prediction() { taken = 0; }
  int predict(const IncidentObs&)
    requires(!Masked)
  {
    return next();
  }
  int predict(const IncidentObs&, std::span<const bool> valid)
    requires Masked
  {
    CHECK(valid.size() == static_cast<std::size_t>(IncidentResponse::action_count));
    ++masked_calls;
    return next();
  }
  int next() { return taken++ < 2 ? IncidentResponse::restart : IncidentResponse::escalate; }
};

}  // namespace

TEST_CASE("IncidentResponse: check_environment passes", "[unit]") {
  IncidentResponse env;
  for (const std::uint64_t seed : {0u, 1u, 2u}) {
    const theta::EnvironmentCheck check = theta::check_environment(env, seed, 20'000);
    CHECK(check.steps == 20'000);
    CHECK(check.episodes > 1000);  // random actions end incidents (escalation is 1 action in 7)
  }
}

TEST_CASE("IncidentResponse: every cause is drawn with its stated probability", "[unit]") {
  double sum = 0;
  for (const double p : IncidentResponse::cause_probabilities) sum += p;
  CHECK(sum == Approx(1.0).margin(1e-12));
  CHECK(IncidentResponse::draw_cause(0.0) == IncidentResponse::Cause::overload);
  CHECK(IncidentResponse::draw_cause(0.2999) == IncidentResponse::Cause::overload);
  CHECK(IncidentResponse::draw_cause(0.3001) == IncidentResponse::Cause::bad_deploy);
  CHECK(IncidentResponse::draw_cause(0.8999) == IncidentResponse::Cause::data_corruption);
  CHECK(IncidentResponse::draw_cause(0.9001) == IncidentResponse::Cause::deploy_and_corruption);

  constexpr int n = 20'000;
  std::array<int, IncidentResponse::cause_count> counts{};
  IncidentResponse env;
  for (int k = 0; k < n; ++k) {
    env.reset(theta::derive_seed(99, static_cast<std::uint64_t>(k)));
    ++counts[static_cast<std::size_t>(env.cause())];
  }
  for (std::size_t c = 0; c < counts.size(); ++c) {
    const double p = IncidentResponse::cause_probabilities[c];
    const double sigma = std::sqrt(p * (1 - p) / n);
    INFO("cause " << c << ": " << counts[c] << " of " << n);
    CHECK(counts[c] > 0);
    CHECK(std::abs(counts[c] / double(n) - p) < 5 * sigma);  // fails by chance with probability < 1e-6
  }
}

TEST_CASE("IncidentResponse: the mask follows the availability rules, and refused actions follow the rule", "[unit]") {
  // Random actions, with the rules tracked here from the observations and the actions alone.
  IncidentResponse env;
  theta::Rng rng(5);
  int refused_seen = 0, restores_allowed = 0;
  for (std::uint64_t episode = 0; episode < 2000; ++episode) {
    IncidentObs obs = env.reset(theta::derive_seed(7, episode));
    bool deploy_recent = obs[IncidentResponse::obs_deploy_recent] == 1.0f;
    bool data_alarm_seen = obs[IncidentResponse::obs_data_alarm] == 1.0f;
    bool failed_over = false;
    int scale_outs = 0;
    CHECK(obs.segment<IncidentResponse::action_count>(IncidentResponse::obs_last_action).sum() == 0.0f);
    CHECK(obs[IncidentResponse::obs_last_outcome] == 0.0f);
    for (;;) {
      std::array<bool, IncidentResponse::action_count> mask{};
      env.action_mask(mask);
      CHECK(mask[IncidentResponse::wait]);
      CHECK(mask[IncidentResponse::restart]);
      CHECK(mask[IncidentResponse::escalate]);
      CHECK(mask[IncidentResponse::scale_out] == (scale_outs < IncidentResponse::max_scale_outs));
      CHECK(mask[IncidentResponse::roll_back] == deploy_recent);
      CHECK(mask[IncidentResponse::fail_over] == !failed_over);
      CHECK(mask[IncidentResponse::restore_backup] == data_alarm_seen);
      restores_allowed += data_alarm_seen ? 1 : 0;

      const int action = static_cast<int>(rng.below(IncidentResponse::action_count));
      const double minutes_before = env.minutes(), cost_before = env.cost();
      const theta::StepResult<IncidentObs> step = incident_step(env, action);
      obs = step.observation;
      if (!mask[static_cast<std::size_t>(action)]) {  // refused: 5 minutes and a cost of 5, nothing else
        ++refused_seen;
        CHECK(env.minutes() - minutes_before == IncidentResponse::invalid_action_minutes);
        CHECK(env.cost() - cost_before == IncidentResponse::invalid_action_cost);
        CHECK(step.reward == -(IncidentResponse::invalid_action_minutes + IncidentResponse::invalid_action_cost));
        if (!step.terminated) CHECK(obs[IncidentResponse::obs_last_outcome] == -1.0f);
      } else {
        const auto& spec = IncidentResponse::action_costs[static_cast<std::size_t>(action)];
        CHECK(env.minutes() - minutes_before == spec.minutes);
        CHECK(env.cost() - cost_before == spec.cost);
        CHECK(step.reward == -(spec.minutes + spec.cost));
        if (!step.terminated) CHECK(obs[IncidentResponse::obs_last_outcome] >= 0.0f);
        if (action == IncidentResponse::scale_out) ++scale_outs;
        if (action == IncidentResponse::fail_over) failed_over = true;
        if (action == IncidentResponse::roll_back) deploy_recent = false;
      }
      CHECK(obs[IncidentResponse::obs_deploy_recent] == (deploy_recent ? 1.0f : 0.0f));
      data_alarm_seen = data_alarm_seen || obs[IncidentResponse::obs_data_alarm] == 1.0f;
      CHECK(step.terminated == env.recovered());
      CHECK(step.truncated == (!env.recovered() && env.minutes() >= IncidentResponse::time_limit_minutes));
      if (step.terminated || step.truncated) break;
    }
  }
  CHECK(refused_seen > 1000);      // the refusal branch ran
  CHECK(restores_allowed > 1000);  // and restores were allowed
}

TEST_CASE("IncidentResponse: a bad deploy that corrupts data needs a roll back, then a restore", "[unit]") {
  IncidentResponse env;
  IncidentObs obs = env.reset(incident_seed_with(IncidentResponse::Cause::deploy_and_corruption));
  REQUIRE(env.bad_release_running());
  REQUIRE(env.data_corrupt());
  REQUIRE(obs[IncidentResponse::obs_deploy_recent] == 1.0f);
  // Nothing fixes a bad release or corrupt data by itself: wait for the data check to fail.
  while (!env.valid(IncidentResponse::restore_backup)) {
    const auto step = incident_step(env, IncidentResponse::wait);
    REQUIRE_FALSE(step.terminated);
    CHECK(step.observation[IncidentResponse::obs_last_outcome] == 0.0f);
  }
  auto step = incident_step(env, IncidentResponse::restore_backup);  // under the bad release: corrupted again
  CHECK_FALSE(step.terminated);
  CHECK(step.observation[IncidentResponse::obs_last_outcome] == 0.0f);
  CHECK(env.data_corrupt());
  step = incident_step(env, IncidentResponse::roll_back);
  CHECK_FALSE(step.terminated);
  CHECK(step.observation[IncidentResponse::obs_last_outcome] == 1.0f);  // improved, not recovered
  CHECK(step.observation[IncidentResponse::obs_deploy_recent] == 0.0f);
  CHECK_FALSE(env.valid(IncidentResponse::roll_back));
  step = incident_step(env, IncidentResponse::restore_backup);
  CHECK(step.terminated);
  CHECK_FALSE(step.truncated);
  CHECK(env.recovered());
  CHECK(env.cost() == 15 + 2 + 15);
}

TEST_CASE("IncidentResponse: the same seed replays the same incident", "[unit]") {
  const std::vector<int> actions{0, 2, 1, 3, 0, 4, 5, 1, 2, 2, 0, 6};
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    IncidentResponse a, b;
    IncidentObs oa = a.reset(seed), ob = b.reset(seed + 1000);
    ob = b.reset(seed);  // a reset replaces everything the previous incident left
    REQUIRE(a.cause() == b.cause());
    REQUIRE((oa.array() == ob.array()).all());
    for (const int action : actions) {
      const auto sa = a.step(action);
      const auto sb = b.step(action);
      REQUIRE((sa.observation.array() == sb.observation.array()).all());
      REQUIRE(sa.reward == sb.reward);
      REQUIRE(sa.terminated == sb.terminated);
      REQUIRE(sa.truncated == sb.truncated);
      if (sa.terminated || sa.truncated) break;
    }
  }
  // Different seeds give different incidents.
  IncidentResponse env;
  const IncidentObs first = env.reset(1);
  int different = 0;
  for (std::uint64_t seed = 2; seed < 20; ++seed) different += (env.reset(seed).array() != first.array()).any() ? 1 : 0;
  CHECK(different == 18);
}

TEST_CASE("IncidentResponse: bad input raises EnvironmentError naming it", "[unit]") {
  IncidentResponse env;
  CHECK_THROWS_WITH(env.step(0), Catch::Contains("step() before reset()"));
  env.reset(3);
  CHECK_THROWS_WITH(env.step(7), Catch::Contains("action must be in 0..6, got 7"));
  CHECK_THROWS_WITH(env.step(-1), Catch::Contains("got -1"));
  CHECK_THROWS_AS(env.step(7), theta::EnvironmentError);
  std::array<bool, 6> short_mask{};
  CHECK_THROWS_WITH(env.action_mask(short_mask), Catch::Contains("must have 7 entries (one per action), got 6"));
  const auto step = env.step(IncidentResponse::escalate);  // fixes anything
  REQUIRE(step.terminated);
  CHECK_THROWS_WITH(env.step(0), Catch::Contains("after the incident ended"));
}

TEST_CASE("Runbook and oracle recover every incident, and the oracle is never worse", "[unit]") {
  const std::vector<std::uint64_t> seeds = theta::examples::incident_seeds(1000);
  const auto runbook = theta::examples::evaluate_incidents(seeds, theta::examples::Runbook{});
  const auto oracle = theta::examples::evaluate_incidents(seeds, theta::examples::Oracle{});
  CHECK(runbook.incidents == 1000);
  CHECK(runbook.recovery_rate == 1.0);
  CHECK(oracle.recovery_rate == 1.0);
  CHECK(runbook.mean_refused == 0.0);  // both respect the mask
  CHECK(oracle.mean_refused == 0.0);
  CHECK(oracle.mean_minutes <= runbook.mean_minutes);
  CHECK(oracle.mean_cost <= runbook.mean_cost);
  for (std::size_t c = 0; c < oracle.by_cause_incidents.size(); ++c) {
    INFO("cause " << IncidentResponse::cause_name(static_cast<IncidentResponse::Cause>(c)));
    CHECK(oracle.by_cause_incidents[c] == runbook.by_cause_incidents[c]);  // the same incidents
    CHECK(oracle.by_cause_incidents[c] > 0);
    CHECK(oracle.by_cause_minutes[c] + oracle.by_cause_cost[c] <= runbook.by_cause_minutes[c] + runbook.by_cause_cost[c]);
  }
}

TEST_CASE("evaluate_incidents agrees with theta::evaluate_policy on the same incidents", "[unit]") {
  // A policy of the observation alone: restart twice, then escalate.
  const auto policy = [](const IncidentObs& obs) {
    return obs[IncidentResponse::obs_elapsed] * IncidentResponse::time_limit_minutes < 10.0f ? IncidentResponse::restart
                                                                                           : IncidentResponse::escalate;
  };
  const std::vector<std::uint64_t> seeds = theta::examples::incident_seeds(300, 11);
  const auto report = theta::examples::evaluate_incidents(
      seeds, [&](const IncidentResponse&, const IncidentObs& obs) { return policy(obs); });
  const theta::EvaluationResult reference = theta::evaluate_policy(IncidentResponse{}, seeds, policy);
  CHECK(-reference.mean_return == Approx(report.mean_total()).epsilon(1e-12));
  CHECK(reference.mean_length == Approx(report.mean_actions).epsilon(1e-12));
  CHECK(report.recovery_rate == 1.0);  // escalation fixes anything
  CHECK(report.mean_actions > 1.0);
  CHECK(report.mean_actions <= 3.0);
}

TEST_CASE("TrainedPolicy starts a recurrent actor's prediction state from zero at each incident", "[unit]") {
  // The policy of the test above, but remembered: restart at the first two steps of an
  // incident (counted in the actor's state), then escalate.
  const auto by_clock = [](const IncidentResponse&, const IncidentObs& obs) {
    return obs[IncidentResponse::obs_elapsed] * IncidentResponse::time_limit_minutes < 10.0f ? IncidentResponse::restart
                                                                                           : IncidentResponse::escalate;
  };
  const std::vector<std::uint64_t> seeds = theta::examples::incident_seeds(300, 11);
  const auto reference = theta::examples::evaluate_incidents(seeds, by_clock);

  CountingTrainer<true> masked;
  masked.taken = 5;  // a prediction state left over from before
  const auto report = theta::examples::evaluate_incidents(seeds, theta::examples::TrainedPolicy(masked));
  CHECK(report.mean_total() == reference.mean_total());
  CHECK(report.mean_actions == reference.mean_actions);
  CHECK(masked.masked_calls == static_cast<int>(std::lround(report.mean_actions * 300.0)));  // every call had the mask

  CountingTrainer<false> unmasked;  // no predict(obs, valid): asked with the observation alone
  const auto plain = theta::examples::evaluate_incidents(seeds, theta::examples::TrainedPolicy(unmasked));
  CHECK(plain.mean_total() == reference.mean_total());
  CHECK(unmasked.masked_calls == 0);

  // Without the reset the count runs on from one incident into the next, which then escalates
  // at once: what a recurrent policy's memory of the last incident would do.
  CountingTrainer<true> carried;
  const auto run_on = theta::examples::evaluate_incidents(seeds, [&](const IncidentResponse& env, const IncidentObs& obs) {
    std::array<bool, IncidentResponse::action_count> valid{};
    env.action_mask(valid);
    return carried.predict(obs, valid);
  });
  CHECK(run_on.mean_actions < report.mean_actions);
}

TEST_CASE("WithoutActionMask<IncidentResponse> hides the mask from the trainer, not the rules", "[concept]") {
  static_assert(theta::MaskedEnvironment<IncidentResponse>);  // the trainer applies its mask
  static_assert(!theta::MaskedEnvironment<UnmaskedIncidentResponse>);
  static_assert(theta::SavableEnvironment<UnmaskedIncidentResponse>);
  // The same incidents step for step, refusals included: restore before any data alarm, a
  // second fail over and a third scale out are forbidden by the rules.
  const std::array<int, 9> actions{IncidentResponse::restore_backup, IncidentResponse::fail_over,
                                   IncidentResponse::fail_over,      IncidentResponse::scale_out,
                                   IncidentResponse::scale_out,      IncidentResponse::scale_out,
                                   IncidentResponse::wait,           IncidentResponse::restart,
                                   IncidentResponse::escalate};
  int refused = 0;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    IncidentResponse masked;
    UnmaskedIncidentResponse unmasked;
    REQUIRE(masked.reset(seed) == unmasked.reset(seed));
    for (const int action : actions) {
      refused += masked.valid(action) ? 0 : 1;
      const auto a = masked.step(action);
      const auto b = unmasked.step(action);
      REQUIRE(a.observation == b.observation);
      REQUIRE(a.reward == b.reward);
      REQUIRE(a.terminated == b.terminated);
      REQUIRE(a.truncated == b.truncated);
      if (a.terminated || a.truncated) break;
    }
  }
  CHECK(refused > 0);  // the sequence did send forbidden actions
}

TEST_CASE("IncidentResponse: an incident continues exactly after save and load", "[unit]") {
  STATIC_REQUIRE(theta::SavableEnvironment<IncidentResponse>);
  const std::vector<int> actions{0, 3, 2, 1, 0, 5, 4, 2, 1, 0, 0, 6};
  int compared = 0;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    IncidentResponse a;
    a.reset(seed);
    a.step(IncidentResponse::wait);  // mid-incident, with feedback and a used random stream
    if (a.recovered()) continue;
    IncidentResponse b;
    b.reset(seed + 500);  // another incident, overwritten by the load
    theta::test::load_env(b, theta::test::save_env(a));
    CHECK(b.cause() == a.cause());
    CHECK(b.minutes() == a.minutes());
    for (const int action : actions) {
      std::array<bool, IncidentResponse::action_count> mask_a{}, mask_b{};
      a.action_mask(mask_a);
      b.action_mask(mask_b);
      REQUIRE(mask_a == mask_b);
      const auto sa = a.step(action);
      const auto sb = b.step(action);
      REQUIRE((sa.observation.array() == sb.observation.array()).all());
      REQUIRE(sa.reward == sb.reward);
      REQUIRE(sa.terminated == sb.terminated);
      REQUIRE(sa.truncated == sb.truncated);
      ++compared;
      if (sa.terminated || sa.truncated) break;
    }
  }
  CHECK(compared > 50);
}

TEST_CASE("IncidentResponse: a bad saved state raises CheckpointError and changes nothing", "[unit]") {
  // A section written field by field as `save` writes it, with one value changed.
  const auto bytes_with = [](const char* id, std::int64_t cause, std::int64_t scale_outs) {
    theta::io::CheckpointWriter writer("env-test", "float64", "none");
    auto& out = writer.section("env");
    out.string(id).boolean(true);
    theta::io::save_rng(out, theta::Rng(1));
    out.i64(cause).boolean(true).boolean(false).boolean(false).boolean(false).boolean(false).f64(0.0);
    out.boolean(false).boolean(false).i64(scale_outs).f64(10.0).f64(5.0).i64(2).i64(2).i64(0);
    return writer.bytes();
  };
  IncidentResponse env;
  const IncidentObs first = env.reset(4);
  const IncidentResponse before = env;
  theta::test::load_env(env, bytes_with("IncidentResponse", 0, 1));  // the good state loads
  CHECK(env.minutes() == 10.0);
  CHECK(env.cost() == 5.0);
  env = before;
  CHECK_THROWS_WITH(theta::test::load_env(env, bytes_with("IncidentResponse", 5, 1)),
                    Catch::Contains("IncidentResponse cause = 5 is out of range"));
  CHECK_THROWS_WITH(theta::test::load_env(env, bytes_with("IncidentResponse", 0, 3)),
                    Catch::Contains("IncidentResponse scale_outs = 3 is out of range"));
  CHECK_THROWS_AS(theta::test::load_env(env, bytes_with("CartPole-v1", 0, 1)), theta::CheckpointError);
  CHECK_THROWS_WITH(theta::test::load_env(env, bytes_with("CartPole-v1", 0, 1)),
                    Catch::Contains("the state of CartPole-v1, this environment is IncidentResponse"));
  // Unchanged: the next step is the one the untouched incident takes.
  IncidentResponse reference;
  CHECK((reference.reset(4).array() == first.array()).all());
  const auto s_env = env.step(IncidentResponse::wait);
  const auto s_ref = reference.step(IncidentResponse::wait);
  CHECK((s_env.observation.array() == s_ref.observation.array()).all());
  CHECK(env.minutes() == 5.0);
}
