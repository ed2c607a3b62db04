// EvalCallback's schedule, threshold and confirmation of a solve, on a trainer whose
// evaluations are scripted (the trainers' own evaluate is tested with them).
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

namespace {

// A trainer that is at `steps` and whose evaluations return the scripted means in turn;
// records the episode counts it was asked for.
struct ScriptedEvaluations {
  std::int64_t steps_now = 0;
  std::vector<double> means;
  std::vector<int> asked;
  std::int64_t steps() const { return steps_now; }
  theta::EvaluationResult evaluate(int episodes) {
    asked.push_back(episodes);
    theta::EvaluationResult r;
    r.mean_return = means.at(asked.size() - 1);
    return r;
  }
};

}  // namespace

TEST_CASE("EvalCallback without confirmation stops at the first evaluation at the threshold", "[unit]") {
  ScriptedEvaluations trainer{.means = {100.0, 480.0}};
  theta::EvalCallback eval{.every_steps = 10, .episodes = 20, .stop_at_reward = 475.0};
  theta::LogRecord record;
  trainer.steps_now = 5;
  CHECK(eval.on_update_end(trainer, record));  // not due
  CHECK(trainer.asked.empty());
  trainer.steps_now = 10;
  CHECK(eval.on_update_end(trainer, record));  // 100: goes on
  trainer.steps_now = 20;
  CHECK_FALSE(eval.on_update_end(trainer, record));  // 480: stops
  CHECK(eval.solved_at_step == 20);
  CHECK(trainer.asked == std::vector<int>{20, 20});
  CHECK_FALSE(record.contains("eval/confirmed_mean_reward"));
}

TEST_CASE("EvalCallback with confirm_episodes stops only when the mean over all the episodes reaches the threshold",
          "[unit]") {
  // Evaluation at 10: 480 over 20 episodes, then 470 over 80: (9,600 + 37,600) / 100 = 472 < 475.
  // Evaluation at 20: 490 over 20, then 475 over 80: (9,800 + 38,000) / 100 = 478.
  ScriptedEvaluations trainer{.means = {480.0, 470.0, 490.0, 475.0}};
  theta::EvalCallback eval{.every_steps = 10, .episodes = 20, .stop_at_reward = 475.0, .confirm_episodes = 80};
  theta::LogRecord record;
  trainer.steps_now = 10;
  CHECK(eval.on_update_end(trainer, record));
  CHECK(record.get("eval/confirmed_mean_reward") == Approx(472.0));
  CHECK(eval.confirmations_failed == 1);
  CHECK_FALSE(eval.solved_at_step);
  trainer.steps_now = 20;
  record.clear();
  CHECK_FALSE(eval.on_update_end(trainer, record));
  CHECK(record.get("eval/confirmed_mean_reward") == Approx(478.0));
  CHECK(eval.solved_at_step == 20);
  CHECK(eval.confirmations_failed == 1);
  CHECK(trainer.asked == std::vector<int>{20, 80, 20, 80});
  // The history holds the periodic evaluations (not the confirmations).
  REQUIRE(eval.history.size() == 2);
  CHECK(eval.history[0].mean_return == 480.0);
  CHECK(eval.history[1].mean_return == 490.0);
}

TEST_CASE("EvalCallback confirms only evaluations at the threshold, and keeps training when asked to", "[unit]") {
  ScriptedEvaluations trainer{.means = {400.0, 480.0, 480.0, 490.0}};
  theta::EvalCallback eval{.every_steps = 10,
                           .episodes = 20,
                           .stop_at_reward = 475.0,
                           .keep_training_when_solved = true,
                           .confirm_episodes = 80};
  theta::LogRecord record;
  trainer.steps_now = 10;
  CHECK(eval.on_update_end(trainer, record));
  trainer.steps_now = 20;
  CHECK(eval.on_update_end(trainer, record));  // solved and confirmed, but keeps training
  CHECK(eval.solved_at_step == 20);
  CHECK(trainer.asked == std::vector<int>{20, 20, 80});
  trainer.steps_now = 30;
  CHECK(eval.on_update_end(trainer, record));  // solved already: not confirmed again
  CHECK(eval.solved_at_step == 20);
  CHECK(trainer.asked == std::vector<int>{20, 20, 80, 20});
}

TEST_CASE("EvalCallback refuses a negative confirm_episodes", "[unit]") {
  ScriptedEvaluations trainer{.means = {480.0}};
  theta::EvalCallback eval{.every_steps = 10, .stop_at_reward = 475.0, .confirm_episodes = -1};
  theta::LogRecord record;
  trainer.steps_now = 10;
  CHECK_THROWS_WITH(eval.on_update_end(trainer, record),
                    Catch::Contains("EvalCallback::confirm_episodes must be >= 0, got -1"));
}
