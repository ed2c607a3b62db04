#include <theta/buffer/replay_buffer.hpp>

#include <catch2/catch.hpp>

#include <vector>

using theta::Index;
using theta::ReplayBatch;
using theta::ReplayBuffer;
using Vec = theta::Vector<float>;

namespace {

// Transition k: observation (k, -k), action k/1000, reward 10k, next (k + 0.5, -k), terminated
// every 7th. Every field is a function of k, so a sampled column can be checked for coherence.
void add_transition(ReplayBuffer<float>& buffer, int k) {
  const auto x = static_cast<float>(k);
  buffer.add(Vec((Vec(2) << x, -x).finished()), Vec((Vec(1) << x / 1000).finished()), 10.0 * k,
             Vec((Vec(2) << x + 0.5f, -x).finished()), k % 7 == 0);
}

}  // namespace

TEST_CASE("ReplayBuffer stores transitions in a ring and overwrites the oldest", "[unit]") {
  ReplayBuffer<float> buffer(5, 2, 1);
  REQUIRE(buffer.size() == 0);
  for (int k = 0; k < 3; ++k) add_transition(buffer, k);
  REQUIRE(buffer.size() == 3);
  REQUIRE(!buffer.full());
  REQUIRE(buffer.position() == 3);
  REQUIRE(buffer.observations()(0, 2) == 2.0f);
  REQUIRE(buffer.next_observations()(0, 2) == 2.5f);
  REQUIRE(buffer.rewards()[2] == 20.0f);
  REQUIRE(buffer.terminated()[0] == 1.0f);
  REQUIRE(buffer.terminated()[1] == 0.0f);
  for (int k = 3; k < 8; ++k) add_transition(buffer, k);
  REQUIRE(buffer.size() == 5);
  REQUIRE(buffer.full());
  REQUIRE(buffer.added() == 8);
  REQUIRE(buffer.position() == 3);
  // Slots 0-2 now hold transitions 5, 6, 7; slots 3, 4 still 3, 4.
  REQUIRE(buffer.observations()(0, 0) == 5.0f);
  REQUIRE(buffer.observations()(0, 2) == 7.0f);
  REQUIRE(buffer.observations()(0, 3) == 3.0f);
  REQUIRE(buffer.actions()(0, 1) == Approx(0.006f));
  buffer.clear();
  REQUIRE(buffer.size() == 0);
  REQUIRE(buffer.position() == 0);
}

TEST_CASE("ReplayBuffer samples uniformly, coherently and reproducibly", "[unit]") {
  ReplayBuffer<float> buffer(100, 2, 1);
  for (int k = 0; k < 130; ++k) add_transition(buffer, k);  // holds transitions 30..129
  ReplayBatch<float> batch(64, 2, 1);
  theta::Rng rng(3);
  std::vector<int> counts(100, 0);
  const int draws = 2000;
  for (int d = 0; d < draws; ++d) {
    buffer.sample(50, rng, batch);
    REQUIRE(batch.size == 50);
    for (Index j = 0; j < batch.size; ++j) {
      const float k = batch.observations(0, j);
      REQUIRE(k >= 30.0f);
      REQUIRE(k <= 129.0f);
      REQUIRE(batch.observations(1, j) == -k);
      REQUIRE(batch.actions(0, j) == Approx(k / 1000));
      REQUIRE(batch.rewards[j] == 10.0f * k);
      REQUIRE(batch.next_observations(0, j) == k + 0.5f);
      REQUIRE(batch.terminated[j] == (static_cast<int>(k) % 7 == 0 ? 1.0f : 0.0f));
      ++counts[static_cast<std::size_t>(k) - 30];
    }
  }
  // 1000 expected per slot; a binomial sd of about 31, so +-150 is about 5 sd.
  for (const int c : counts) {
    REQUIRE(c > 1000 - 150);
    REQUIRE(c < 1000 + 150);
  }
  // The same generator state gives the same batch.
  theta::Rng a(9), b(9);
  ReplayBatch<float> first(8, 2, 1), second(8, 2, 1);
  buffer.sample(8, a, first);
  buffer.sample(8, b, second);
  REQUIRE(first.obs() == second.obs());
  REQUIRE(first.rew() == second.rew());
}

TEST_CASE("ReplayBuffer takes transitions from several environments' batches", "[unit]") {
  // Columns of an obs_dim x n_envs batch go in one by one, as the trainer adds them.
  ReplayBuffer<double> buffer(10, 3, 2);
  const Eigen::MatrixXd obs = Eigen::MatrixXd::Constant(3, 4, 1.0), next = Eigen::MatrixXd::Constant(3, 4, 2.0);
  Eigen::MatrixXd actions(2, 4);
  actions << 0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4;
  for (Index e = 0; e < 4; ++e) buffer.add(obs.col(e), actions.col(e), 1.0, next.col(e), e == 3);
  REQUIRE(buffer.size() == 4);
  REQUIRE(buffer.actions().leftCols(4) == actions);
  REQUIRE(buffer.terminated().head(4) == Eigen::Vector4d(0, 0, 0, 1));
}

TEST_CASE("ReplayBuffer rejects bad sizes with messages", "[unit]") {
  REQUIRE_THROWS_AS(ReplayBuffer<float>(0, 2, 1), theta::ConfigError);
  REQUIRE_THROWS_AS(ReplayBuffer<float>(10, 0, 1), theta::ConfigError);
  ReplayBuffer<float> buffer(10, 2, 1);
  ReplayBatch<float> batch(4, 2, 1);
  theta::Rng rng(1);
  REQUIRE_THROWS_WITH(buffer.sample(4, rng, batch), Catch::Contains("empty"));
  add_transition(buffer, 1);
  REQUIRE_THROWS_WITH(buffer.sample(5, rng, batch), Catch::Contains("batch_size must be in [1, 4]"));
  REQUIRE_THROWS_WITH(buffer.add(Vec::Zero(3), Vec::Zero(1), 0.0, Vec::Zero(2), false),
                      Catch::Contains("expected 2, 1, 2"));
  ReplayBatch<float> wrong(4, 3, 1);
  REQUIRE_THROWS_WITH(buffer.sample(2, rng, wrong), Catch::Contains("obs_dim 3"));
}
