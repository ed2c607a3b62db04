#pragma once
// Checks shared by the trainer tests: the actor's and critic's parameters as one vector, and a
// recurrent exported policy played beside the trainer's predict on Cue episodes.
#include <theta/inference.hpp>
#include <theta/theta.hpp>

#include <catch2/catch.hpp>

#include "support/toy_envs.hpp"

#include <cstdint>

namespace theta::test {

/// The actor's parameters followed by the critic's (float trainers).
template <class Trainer>
Vector<float> actor_critic_parameters(Trainer& trainer) {
  auto actor = trainer.actor().parameters();
  auto critic = trainer.critic().parameters();
  Vector<float> params(actor.size() + critic.size());
  params << actor, critic;
  return params;
}

/// Plays `episodes` Cue episodes from seeds first_seed, first_seed + 1, ... with the trainer's
/// predict, both states reset at each start, and checks that the exported recurrent `policy`
/// takes the same action and holds the same state at every step. Returns the steps checked.
template <class Trainer>
int check_recurrent_export_on_cue(Trainer& trainer, inference::Policy& policy, std::uint64_t first_seed,
                                  int episodes) {
  int checked = 0;
  for (int episode = 0; episode < episodes; ++episode) {
    Cue env;
    Cue::Observation obs = env.reset(first_seed + static_cast<std::uint64_t>(episode));
    trainer.reset_prediction();
    policy.reset();
    for (bool done = false; !done;) {
      const int expected = trainer.predict(obs);
      CHECK(policy.predict_index(obs) == expected);
      CHECK(policy.state() == trainer.prediction_state());
      ++checked;
      const auto step = env.step(expected);
      obs = step.observation;
      done = step.terminated;
    }
  }
  return checked;
}

}  // namespace theta::test
