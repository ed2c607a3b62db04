#include <theta/core/rng.hpp>
#include <theta/normalize.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <theta/io/checkpoint.hpp>

#include <cstdint>
#include <vector>
#include <vector>

using theta::ObservationNormalizer;
using theta::RewardScaler;
using theta::RunningMeanStd;

TEST_CASE("RunningMeanStd: merged batches equal the pooled statistics with SB3's pseudo-count", "[unit]") {
  theta::Rng rng(1);
  Eigen::MatrixXf data(3, 50);
  for (Eigen::Index j = 0; j < data.cols(); ++j)
    for (Eigen::Index i = 0; i < 3; ++i) data(i, j) = static_cast<float>(rng.normal(2.0 * i, 1.0 + i));
  RunningMeanStd stats(3);
  stats.update(data.leftCols(7));
  stats.update(data.middleCols(7, 1));
  stats.update(data.rightCols(42));
  // The initial state is a pseudo-sample of weight c = 1e-4 with mean 0 and variance 1.
  const double c = 1e-4, n = 50;
  for (Eigen::Index i = 0; i < 3; ++i) {
    const Eigen::ArrayXd row = data.row(i).cast<double>().transpose().array();
    const double mean = row.sum() / (n + c);
    const double second_moment = (c * 1.0 + row.square().sum()) / (n + c);
    REQUIRE(stats.mean()[i] == Approx(mean).epsilon(1e-12));
    REQUIRE(stats.var()[i] == Approx(second_moment - mean * mean).epsilon(1e-10));
  }
  REQUIRE(stats.count() == Approx(n + c).epsilon(1e-15));
  REQUIRE_THROWS_WITH(stats.update(Eigen::MatrixXf::Zero(2, 4)), Catch::Contains("batch has 2 rows, expected 3"));
}

TEST_CASE("ObservationNormalizer standardises, clips and freezes", "[unit]") {
  ObservationNormalizer norm(2, {.clip = 3.0});
  Eigen::MatrixXf batch(2, 4);
  batch << 1, 2, 3, 4, 10, 10, 10, 10;
  norm.update(batch);
  Eigen::MatrixXf out(2, 4);
  norm.normalize(batch, out);
  const double mean0 = norm.statistics().mean()[0];
  const double sd0 = std::sqrt(norm.statistics().var()[0] + 1e-8);
  for (int j = 0; j < 4; ++j) REQUIRE(out(0, j) == Approx((batch(0, j) - mean0) / sd0).epsilon(1e-6));
  // Row 1 is constant: variance ~1e-4 * (1 + 100) / 4 from the pseudo-count, so values are
  // (10 - ~10) / small, near 0.
  REQUIRE(std::abs(out(1, 0)) < 1e-2);
  Eigen::MatrixXf far(2, 1);
  far << 1000, -1000;
  Eigen::MatrixXf clipped(2, 1);
  norm.normalize(far, clipped);
  REQUIRE(clipped(0, 0) == 3.0f);
  REQUIRE(clipped(1, 0) == -3.0f);
  const RunningMeanStd before = norm.statistics();
  norm.freeze();
  norm.update(far);
  REQUIRE(norm.statistics() == before);
  norm.freeze(false);
  norm.update(far);
  REQUIRE_FALSE(norm.statistics() == before);
  REQUIRE_THROWS_WITH(ObservationNormalizer(2, {.clip = 0.0}), Catch::Contains("clip must be > 0, got 0"));
}

TEST_CASE("RewardScaler divides by the std of the discounted return and resets at episode end", "[unit]") {
  const double gamma = 0.5;
  RewardScaler scaler(2, {.gamma = gamma});
  // Reference: the same computation written out, with a RunningMeanStd of the returns.
  RunningMeanStd ref(1);
  Eigen::Vector2d returns = Eigen::Vector2d::Zero();
  const std::vector<Eigen::Vector2d> rewards{{1.0, 2.0}, {3.0, -1.0}, {0.5, 4.0}, {2.0, 2.0}};
  const std::vector<std::array<bool, 2>> dones{{false, false}, {true, false}, {false, false}, {false, true}};
  for (std::size_t t = 0; t < rewards.size(); ++t) {
    returns = returns * gamma + rewards[t];
    ref.update(returns.transpose());
    Eigen::Vector2f r = rewards[t].cast<float>();
    scaler.scale(r, [&](std::size_t i) { return dones[t][i]; });
    const double sd = std::sqrt(ref.var()[0] + 1e-8);
    REQUIRE(r[0] == Approx(rewards[t][0] / sd).epsilon(1e-6));
    REQUIRE(r[1] == Approx(rewards[t][1] / sd).epsilon(1e-6));
    for (int i = 0; i < 2; ++i)
      if (dones[t][static_cast<std::size_t>(i)]) returns[i] = 0;
    REQUIRE(scaler.returns()[0] == Approx(returns[0]).margin(1e-12));
    REQUIRE(scaler.returns()[1] == Approx(returns[1]).margin(1e-12));
  }
  REQUIRE(returns[1] == 0.0);  // the reset happened
  Eigen::Vector2f wrong3 = Eigen::Vector2f::Zero();
  Eigen::Vector3f three = Eigen::Vector3f::Zero();
  REQUIRE_THROWS_WITH(scaler.scale(three, [](std::size_t) { return false; }), Catch::Contains("got 3 rewards for 2 envs"));
  (void)wrong3;
  REQUIRE_THROWS_WITH(RewardScaler(2, {.gamma = 1.5}), Catch::Contains("gamma must be in [0, 1], got 1.5"));
}

namespace {
// One checkpoint holding `component` in a section "state".
template <class Component>
std::vector<std::uint8_t> save_to_bytes(const Component& component) {
  theta::io::CheckpointWriter writer("test", "float64", "");
  component.save(writer.section("state"));
  return writer.bytes();
}
// Loads it back the two-phase way: the component's load reads into temporaries and commits.
template <class Component>
void load_from_bytes(Component& component, const std::vector<std::uint8_t>& bytes) {
  auto reader = theta::io::CheckpointReader::parse(bytes);
  auto section = reader.section("state");
  component.load(section);
  section.finish();
  reader.finish();
}
}  // namespace

TEST_CASE("Normalizers save and load their whole state; bad checkpoints change nothing", "[unit]") {
  theta::Rng rng(4);
  Eigen::MatrixXf batch(3, 16);
  for (Eigen::Index k = 0; k < batch.size(); ++k) batch.data()[k] = static_cast<float>(rng.normal());
  ObservationNormalizer norm(3);
  norm.update(batch);
  const auto stream = save_to_bytes(norm);
  ObservationNormalizer restored(3);
  load_from_bytes(restored, stream);
  REQUIRE(restored.statistics() == norm.statistics());
  Eigen::MatrixXf a(3, 16), b(3, 16);
  norm.normalize(batch, a);
  restored.normalize(batch, b);
  REQUIRE(a == b);

  // A different dimension is refused and leaves the target untouched.
  const auto again = save_to_bytes(norm);
  ObservationNormalizer other(4);
  const RunningMeanStd other_before = other.statistics();
  REQUIRE_THROWS_AS(load_from_bytes(other, again), theta::CheckpointError);
  REQUIRE(other.statistics() == other_before);

  // A truncated checkpoint is refused.
  const auto bytes = save_to_bytes(norm);
  const std::vector<std::uint8_t> truncated(bytes.begin(), bytes.end() - 3);
  ObservationNormalizer target(3);
  REQUIRE_THROWS_WITH(load_from_bytes(target, truncated), Catch::Contains("truncated"));
  REQUIRE(target.statistics() == ObservationNormalizer(3).statistics());

  RewardScaler scaler(2, {.gamma = 0.9});
  Eigen::Vector2f r(1.0f, -2.0f);
  scaler.scale(r, [](std::size_t) { return false; });
  const auto s2 = save_to_bytes(scaler);
  RewardScaler scaler2(2, {.gamma = 0.9});
  load_from_bytes(scaler2, s2);
  REQUIRE(scaler2.statistics() == scaler.statistics());
  REQUIRE(scaler2.returns() == scaler.returns());

  // The configuration is the loader's own: another gamma or clip is refused by name, unchanged.
  RewardScaler other_gamma(2, {.gamma = 0.1});
  REQUIRE_THROWS_WITH(load_from_bytes(other_gamma, s2), Catch::Contains("gamma 0.9") && Catch::Contains("0.1"));
  REQUIRE(other_gamma.returns().isZero());
  ObservationNormalizer other_clip(3, {.clip = 5.0});
  REQUIRE_THROWS_WITH(load_from_bytes(other_clip, stream), Catch::Contains("clip 10"));
  REQUIRE(other_clip.statistics() == ObservationNormalizer(3).statistics());
}
