// expect: OnPolicyUpdateRule
// An update rule whose update returns nothing (the trainer logs what it returns).
#include "user_components.hpp"

template <class Actor, class Critic, class Opt = theta::Adam<float>>
struct Silent {
  using Scalar = float;
  struct Config {};
  struct Stats {};
  using default_estimator = theta::Gae<float>;
  using optimizer_type = Opt;
  void update(const theta::RolloutBatch<float>&, double);
  Actor& actor();
  Critic& critic();
  bool uses_critic() const;
};

void use() { static_assert(theta::OnPolicyUpdateRule<Silent<user::Policy, user::Critic>>); }
