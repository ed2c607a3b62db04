// expect: must satisfy theta::OffPolicyUpdateRule
// An off-policy update rule whose statistics cannot be merged: the trainer calls update once per
// gradient step and logs the merged statistics since its last record.
#include <theta/env/classic/pendulum.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/train/off_policy_trainer.hpp>

template <class Actor, class Q, class Opt = theta::Adam<float>>
struct Unmergeable {
  using Scalar = float;
  using optimizer_type = Opt;
  struct Config {};
  struct Stats {
    template <class F>
    void for_each(F&&) const;
  };
  Stats update(const theta::ReplayBatch<float>&, double);
  Actor& actor();
};

void use() {
  using Trainer = theta::OffPolicyTrainer<theta::TimeLimit<theta::Pendulum>, Unmergeable>;
  static_cast<void>(sizeof(Trainer));
}
