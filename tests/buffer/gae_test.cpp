#include <theta/buffer/gae.hpp>
#include <theta/buffer/rollout_buffer.hpp>

#include <catch2/catch.hpp>

#include "support/data_dir.hpp"
#include "support/json.hpp"

#include <cmath>
#include <filesystem>

using theta::Gae;
using theta::RolloutBuffer;
using theta::test::Json;

namespace {

double err(double x, double ref) { return std::abs(x - ref) / std::max(1.0, std::abs(ref)); }

// A single-env buffer of n steps with the given rewards and values.
RolloutBuffer<double> single(const std::vector<double>& rewards, const std::vector<double>& values) {
  const auto n = static_cast<theta::Index>(rewards.size());
  RolloutBuffer<double> buffer(n, 1, 1, 1);
  for (theta::Index t = 0; t < n; ++t) {
    buffer.rewards(t)[0] = rewards[static_cast<std::size_t>(t)];
    buffer.values(t)[0] = values[static_cast<std::size_t>(t)];
  }
  return buffer;
}

}  // namespace

TEST_CASE("GAE: a terminated episode does not bootstrap", "[unit]") {
  // r = (1, 1, 1), V = (0.5, 0.4, 0.3), terminated at the last step, gamma 0.9, lambda 1:
  // A_t = sum_k gamma^k r_{t+k} - V_t (Monte Carlo), whatever last_values says.
  auto buffer = single({1, 1, 1}, {0.5, 0.4, 0.3});
  buffer.set_done(2, 0, true, false);
  Gae<double>(1.0).estimate(buffer, Eigen::VectorXd::Constant(1, 100.0), 0.9);
  REQUIRE(buffer.returns()[0] == Approx(1 + 0.9 + 0.81).epsilon(1e-14));
  REQUIRE(buffer.returns()[1] == Approx(1 + 0.9).epsilon(1e-14));
  REQUIRE(buffer.returns()[2] == Approx(1.0).epsilon(1e-14));
  REQUIRE(buffer.advantages()[0] == Approx(2.71 - 0.5).epsilon(1e-14));
}

TEST_CASE("GAE: a truncated episode bootstraps from the final observation's value", "[unit]") {
  // Truncated at t = 1 with V(final) = 2; the next step (t = 2) belongs to a new episode.
  auto buffer = single({1, 1, 1}, {0.5, 0.4, 0.3});
  buffer.set_done(1, 0, false, true);
  buffer.set_final_value(1, 0, 2.0);
  Gae<double>(1.0).estimate(buffer, Eigen::VectorXd::Constant(1, 10.0), 0.9);
  REQUIRE(buffer.returns()[1] == Approx(1 + 0.9 * 2.0).epsilon(1e-14));
  REQUIRE(buffer.returns()[0] == Approx(1 + 0.9 * (1 + 0.9 * 2.0)).epsilon(1e-14));
  REQUIRE(buffer.returns()[2] == Approx(1 + 0.9 * 10.0).epsilon(1e-14));  // rollout cut: last_values
  // lambda = 0: one-step TD targets.
  Gae<double>(0.0).estimate(buffer, Eigen::VectorXd::Constant(1, 10.0), 0.9);
  REQUIRE(buffer.advantages()[0] == Approx(1 + 0.9 * 0.4 - 0.5).epsilon(1e-14));
  REQUIRE(buffer.advantages()[1] == Approx(1 + 0.9 * 2.0 - 0.4).epsilon(1e-14));
}

TEST_CASE("GAE: when terminated and truncated are both set, terminated wins", "[unit]") {
  auto buffer = single({1, 1}, {0.5, 0.4});
  buffer.set_done(1, 0, true, true);
  buffer.set_final_value(1, 0, 50.0);  // must be ignored
  Gae<double>(0.95).estimate(buffer, Eigen::VectorXd::Constant(1, 50.0), 0.9);
  REQUIRE(buffer.returns()[1] == Approx(1.0).epsilon(1e-14));
}

TEST_CASE("GAE: an infinite-horizon rollout bootstraps from last_values", "[unit]") {
  // Constant reward 1, V = 1/(1-gamma) everywhere is the fixed point: advantages are 0.
  const double gamma = 0.9;
  const double v = 1.0 / (1.0 - gamma);
  auto buffer = single(std::vector<double>(6, 1.0), std::vector<double>(6, v));
  Gae<double>(0.95).estimate(buffer, Eigen::VectorXd::Constant(1, v), gamma);
  for (int t = 0; t < 6; ++t) {
    REQUIRE(std::abs(buffer.advantages()[t]) < 1e-13);
    REQUIRE(buffer.returns()[t] == Approx(v).epsilon(1e-14));
  }
}

TEST_CASE("GAE: matches Stable-Baselines3's buffer on the reference cases", "[conformance]") {
  const auto path = theta::test::data_dir("THETA_TORCH_REFERENCE", "torch") / "gae.json";
  REQUIRE(std::filesystem::exists(path));
  const Json data = Json::load(path.string());
  const Json& cases = data["cases"];
  REQUIRE(cases.size() > 0);
  std::size_t compared = 0;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Json& k = cases[c];
    INFO(k["name"].string());
    const auto T = static_cast<theta::Index>(k["n_steps"].number());
    const auto E = static_cast<theta::Index>(k["n_envs"].number());
    const auto rewards = k["rewards"].matrix();  // T x E
    const auto values = k["values"].matrix();
    const auto final_values = k["final_values"].matrix();
    const auto advantages = k["advantages"].matrix();
    const auto returns = k["returns"].matrix();
    const auto fill_and_check = [&]<class T_>(T_, double tol) {
      RolloutBuffer<T_> buffer(T, E, 1, 1);
      for (theta::Index t = 0; t < T; ++t) {
        for (theta::Index e = 0; e < E; ++e) {
          buffer.rewards(t)[e] = static_cast<T_>(rewards(t, e));
          buffer.values(t)[e] = static_cast<T_>(values(t, e));
          buffer.set_done(t, e, k["terminated"][static_cast<std::size_t>(t)][static_cast<std::size_t>(e)].boolean(),
                          k["truncated"][static_cast<std::size_t>(t)][static_cast<std::size_t>(e)].boolean());
          buffer.set_final_value(t, e, static_cast<T_>(final_values(t, e)));
        }
      }
      Gae<T_>(k["gae_lambda"].number()).estimate(buffer, k["last_values"].vector<T_>(), static_cast<T_>(k["gamma"].number()));
      for (theta::Index t = 0; t < T; ++t) {
        for (theta::Index e = 0; e < E; ++e) {
          REQUIRE(err(buffer.advantages()[buffer.column(t, e)], advantages(t, e)) <= tol);
          REQUIRE(err(buffer.returns()[buffer.column(t, e)], returns(t, e)) <= tol);
        }
      }
    };
    fill_and_check(double{}, 1e-12);
    fill_and_check(float{}, 1e-5);
    compared += static_cast<std::size_t>(T * E);
  }
  WARN("gae.json: " << cases.size() << " cases, " << compared << " transitions compared");
  REQUIRE(compared > 0);
}

TEST_CASE("GAE rejects a lambda outside [0, 1] and last_values of the wrong size", "[unit]") {
  REQUIRE_THROWS_WITH(Gae<float>(1.5), Catch::Contains("Gae: lambda must be in [0, 1], got 1.5"));
  RolloutBuffer<float> buffer(2, 3, 4, 1);
  REQUIRE_THROWS_WITH(Gae<float>(0.95).estimate(buffer, Eigen::VectorXf::Zero(2), 0.99f),
                      Catch::Contains("last_values has 2 entries for 3 envs"));
}
