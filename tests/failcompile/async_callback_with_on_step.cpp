// expect: a callback gets on_update_end\(trainer, record\) only
// AsyncTrainer calls callbacks from the recording thread once per record; a callback with
// on_step would have to run inside every worker, so it is refused instead of silently ignored
// (docs/algorithms/a3c.md, "Callbacks").
#include <theta/theta.hpp>

struct CountSteps {
  int steps = 0;
  template <class Trainer>
  bool on_step(Trainer&) {
    ++steps;
    return true;
  }
};

void use() {
  theta::AsyncTrainer<theta::TimeLimit<theta::CartPole>, theta::a3c::A3c> trainer({});
  CountSteps count;
  trainer.learn(1000, theta::NullLogger{}, count);
}
