#pragma once
// The checks of tests/mujoco/savable_test.cpp and savable_locomotion_test.cpp: continuation
// after save and load into a freshly made environment, mjData after the load, truncation.

#include <theta/core/rng.hpp>
#include <theta/env/savable.hpp>
#include <theta/env/time_limit.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/mujoco.hpp>

#include "support/env_checkpoint.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace theta::test {

struct Step {
  Eigen::VectorXd obs;
  double reward;
  bool terminated, truncated;
  bool operator==(const Step&) const = default;  // bit for bit (no NaN in a running episode)
};

// Steps `n` times with uniform actions from `rng` (0.1 of them outside the bounds, which
// MuJoCo clamps), resetting finished episodes with seeds from `rng`.
template <class Env>
std::vector<Step> run(Env& env, theta::Rng& rng, int n) {
  const theta::Box space = env.action_space();
  std::vector<Step> steps;
  for (int i = 0; i < n; ++i) {
    const theta::mujoco::Action action = (space.sample<float>(rng).array() * 1.1f).matrix();
    auto r = env.step(action);
    steps.push_back({r.observation, r.reward, r.terminated, r.truncated});
    if (r.terminated || r.truncated) env.reset(rng.next());
  }
  return steps;
}


inline std::vector<double> values(const mjtNum* x, int n) { return std::vector<double>(x, x + n); }

// The parts of mjData that the last evaluation computed and tasks read (positions, the mass
// centres' inputs, velocities, forces, the solver's result, sensors), bit for bit.
inline void require_same_derived(const mjModel& m, const mjData& a, const mjData& b) {
  REQUIRE(a.nefc == b.nefc);
  REQUIRE(a.ncon == b.ncon);
  REQUIRE(values(a.xpos, 3 * m.nbody) == values(b.xpos, 3 * m.nbody));
  REQUIRE(values(a.xipos, 3 * m.nbody) == values(b.xipos, 3 * m.nbody));
  REQUIRE(values(a.cinert, 10 * m.nbody) == values(b.cinert, 10 * m.nbody));
  REQUIRE(values(a.cvel, 6 * m.nbody) == values(b.cvel, 6 * m.nbody));
  REQUIRE(values(a.cfrc_ext, 6 * m.nbody) == values(b.cfrc_ext, 6 * m.nbody));
  REQUIRE(values(a.qfrc_actuator, m.nv) == values(b.qfrc_actuator, m.nv));
  REQUIRE(values(a.qacc, m.nv) == values(b.qacc, m.nv));
  REQUIRE(values(a.efc_force, a.nefc) == values(b.efc_force, b.nefc));
  REQUIRE(values(a.sensordata, m.nsensordata) == values(b.sensordata, m.nsensordata));
}

// Runs `a` for `before` steps from a reset, saves, loads into `b` (freshly made by `make`, in
// another episode), and requires the next 300 steps, mjData and the bytes of a later save to
// match. `before` = 0 saves right after a reset (the derived quantities then come from
// mj_forward, not from a step).
template <class Env>
void check_resume(const std::function<Env()>& make, std::int64_t limit, int before) {
  INFO("limit " << limit << ", saved after " << before << " steps");
  theta::TimeLimit<Env> a(make(), limit);
  theta::Rng rng(7);
  a.reset(11);
  run(a, rng, before);
  const auto bytes = save_env(a);
  theta::Rng rng_b = rng;

  theta::TimeLimit<Env> b(make(), limit);
  b.reset(999);  // another episode, overwritten by the load
  run(b, rng_b, 3);
  rng_b = rng;
  load_env(b, bytes);
  REQUIRE(b.elapsed_steps() == a.elapsed_steps());
  REQUIRE(b.env().steps() == a.env().steps());
  REQUIRE(b.env().observation() == a.env().observation());
  require_same_derived(a.env().model(), a.env().data(), b.env().data());
  REQUIRE(save_env(b) == bytes);

  const std::vector<Step> straight = run(a, rng, 300);
  const std::vector<Step> resumed = run(b, rng_b, 300);
  REQUIRE(resumed.size() == straight.size());
  for (std::size_t i = 0; i < straight.size(); ++i) {
    INFO("step " << i << " after the load");
    REQUIRE(resumed[i] == straight[i]);
  }
  REQUIRE(save_env(a) == save_env(b));  // equal states give equal bytes
}


template <class Env>
void check_truncation(const Env& source, const std::function<Env()>& make) {
  theta::io::CheckpointWriter writer("env-test", "float64", "none");
  auto& section = writer.section("env");
  source.save(section);
  const std::vector<std::uint8_t> payload = section.payload();
  Env target = make();
  target.reset(6);
  theta::Rng rng(3);
  run(target, rng, 2);
  const auto before = save_env(target);
  for (std::size_t n = 0; n < payload.size(); ++n) {
    INFO("payload cut to " << n << " of " << payload.size() << " bytes");
    theta::io::CheckpointSectionReader cut("test", "env", std::span<const std::uint8_t>(payload.data(), n));
    REQUIRE_THROWS_AS(target.load(cut), theta::CheckpointError);
    REQUIRE(save_env(target) == before);
  }
}

}  // namespace theta::test
