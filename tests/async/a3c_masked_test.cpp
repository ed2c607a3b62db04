// A3C on a MaskedEnvironment (issue 15), discrete and multi-discrete: the workers (on-policy
// trainers) collect with the masks, the shared update recomputes the distribution under the
// stored masks, and evaluation, predict and export apply the mask.
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <array>
#include <string>
#include <type_traits>

namespace {

using A3cMaskedEnv = theta::TimeLimit<theta::test::MaskedWalk>;
using A3cUnmaskedEnv = theta::TimeLimit<theta::test::UnmaskedWalk>;
const theta::NetworkConfig a3c_masked_net{.hidden = {16}};
const theta::a3c::Config a3c_masked_config{.actor = a3c_masked_net, .critic = a3c_masked_net};
const theta::AsyncConfig a3c_masked_async{.workers = 2, .deterministic = true, .n_steps = 5, .seed = 21};

}  // namespace

TEST_CASE("A3C on a masked environment never sends an invalid action and updates under the stored masks", "[unit]") {
  theta::AsyncTrainer<A3cMaskedEnv> trainer(a3c_masked_async, a3c_masked_config, {},
                                            A3cMaskedEnv(theta::test::MaskedWalk{}, 25));
  const theta::TrainingResult result = trainer.learn(400);
  CHECK(result.steps >= 400);
  CHECK(trainer.episodes_finished() >= 1);
  CHECK(trainer.actor().parameters().allFinite());

  // A worker's rollout: the stored masks reproduce its acting log-probabilities.
  auto& worker = trainer.worker(0);
  worker.collect();
  auto& buffer = worker.buffer();
  const theta::Index n = buffer.size();
  REQUIRE(buffer.action_masks().rows() == 4);
  for (theta::Index j = 0; j < n; ++j) {
    REQUIRE(buffer.action_masks()(static_cast<theta::Index>(buffer.actions()(0, j)), j) == 1.0f);
  }
  const auto batch = buffer.batch();
  theta::Vector<float> logp(n), ent(n), unmasked(n);
  theta::evaluate_with_context(worker.actor(), batch.observations, batch.actions, batch.action_masks, batch.contexts,
                               logp, ent);
  CHECK((logp - buffer.log_probs().head(n)).cwiseAbs().maxCoeff() < 1e-6f);
  theta::evaluate_with_context(worker.actor(), batch.observations, batch.actions, batch.contexts, unmasked, ent);
  CHECK((unmasked - buffer.log_probs().head(n)).cwiseAbs().maxCoeff() > 1e-2f);

  const theta::EvaluationResult eval = trainer.evaluate(3);  // the walk throws on an invalid action
  CHECK(eval.returns.size() == 3);
  const std::array<bool, 4> only_wait{false, false, true, false};
  CHECK(trainer.predict(theta::test::MaskedWalk::Observation::Zero(), only_wait) == 2);
  CHECK(trainer.policy_description().transform == theta::io::ActionTransform::masked_argmax);

  // Without the mask, the same run sends invalid actions: the walk does reject them.
  theta::AsyncTrainer<A3cUnmaskedEnv> unmasked_trainer(a3c_masked_async, a3c_masked_config, {},
                                                       A3cUnmaskedEnv(theta::test::UnmaskedWalk{}, 25));
  CHECK_THROWS_WITH(unmasked_trainer.learn(400), Catch::Contains("MaskedWalk: action "));
}

TEST_CASE("A3C on a masked multi-discrete environment builds the multi-categorical actor and never sends a forbidden "
          "entry",
          "[unit]") {
  using Env = theta::TimeLimit<theta::test::MultiWalk>;
  theta::AsyncTrainer<Env> trainer(a3c_masked_async, a3c_masked_config, {}, Env(theta::test::MultiWalk{}, 30));
  static_assert(std::is_same_v<theta::AsyncTrainer<Env>::Actor, theta::MultiCategoricalPolicy<float>>);
  CHECK(trainer.learn(400).steps >= 400);  // the walk throws on a forbidden entry
  CHECK(trainer.actor().parameters().allFinite());
  auto& buffer = trainer.worker(1).buffer();
  CHECK(buffer.action_masks().rows() == 7);
  CHECK(buffer.actions().rows() == 2);
  CHECK(trainer.evaluate(2).returns.size() == 2);
  // Only walker A's "right" and walker B's "wait" are valid.
  const std::array<bool, 7> forced{false, true, false, false, false, true, false};
  const theta::MultiDiscreteAction action = trainer.predict(theta::test::MultiWalk::Observation::Zero(), forced);
  CHECK(action == (theta::MultiDiscreteAction(2) << 1, 2).finished());
  CHECK(trainer.policy_description().transform == theta::io::ActionTransform::masked_multi_argmax);
  const std::array<bool, 7> empty{true, true, true, false, false, false, false};
  CHECK_THROWS_WITH(trainer.predict(theta::test::MultiWalk::Observation::Zero(), empty),
                    "AsyncTrainer::predict: the action mask has no valid action in dimension 1");
}
