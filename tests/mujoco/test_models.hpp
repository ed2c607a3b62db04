#pragma once
// Small MJCF models and a task for the theta::mujoco unit tests (no model files needed).

#include <theta/mujoco.hpp>

#include <string>

namespace theta::test {

// A block on a rail pushed by a motor: nq = nv = nu = 1.
inline std::string rail_xml(double gear = 1.0, const char* extra = "") {
  return std::string(R"(<mujoco><option timestep="0.01"/>)") + extra + R"(
    <worldbody><body name="block"><joint name="slide" type="slide" axis="1 0 0"/>
      <geom type="box" size="0.1 0.1 0.1" mass="1"/></body></worldbody>
    <actuator><motor name="push" joint="slide" gear=")" + std::to_string(gear) + R"(" ctrllimited="true" ctrlrange="-1 2"/></actuator>
  </mujoco>)";
}

// Keep the block near the origin: observation [x, v], reward -x^2 - 0.01 a^2, terminates past
// |x| = 1, starts at x ~ U(-0.1, 0.1).
struct RailTask {
  static constexpr std::string_view id = "Rail";
  double x_before = 0;
  Index observation_size(const mjModel& m) const { return m.nq + m.nv; }
  void reset(const mjModel&, mjData& d, Rng& rng) { d.qpos[0] = rng.uniform(-0.1, 0.1); }
  void before_step(const mjModel&, const mjData& d) { x_before = d.qpos[0]; }
  void observe(const mjModel&, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const {
    obs << d.qpos[0], d.qvel[0];
  }
  double reward(const mjModel&, const mjData& d, const mujoco::Action& a, double) {
    return -d.qpos[0] * d.qpos[0] - 0.01 * static_cast<double>(a[0] * a[0]);
  }
  bool terminated(const mjModel&, const mjData& d) const { return d.qpos[0] > 1.0 || d.qpos[0] < -1.0; }
};

}  // namespace theta::test
