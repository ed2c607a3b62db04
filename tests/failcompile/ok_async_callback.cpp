// The control of async_callback_with_on_step: the same call with an on_update_end callback compiles.
#include <theta/theta.hpp>

void use() {
  theta::AsyncTrainer<theta::TimeLimit<theta::CartPole>, theta::a3c::A3c> trainer({});
  theta::EvalCallback eval{.every_steps = 1000};
  trainer.learn(1000, theta::NullLogger{}, eval);
}
