#pragma once
/// \file MujocoEnv: any MJCF model plus a task (observation, reward, termination) as a
/// `theta::ContinuousEnvironment`.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>
#include <theta/mujoco/error.hpp>
#include <theta/mujoco/model.hpp>

#include <Eigen/Core>
#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>

namespace theta::mujoco {

/// The action of every `MujocoEnv`: one float per actuator, as Gymnasium's float32 `Box`.
using Action = Eigen::VectorXf;
/// The observation of every `MujocoEnv`: doubles, as Gymnasium's MuJoCo environments return.
using Observation = Eigen::VectorXd;

/// What a task gives `MujocoEnv`. Required, all reading the data after the physics steps:
///
///     struct MyTask {
///       theta::Index observation_size(const mjModel& m) const;
///       void observe(const mjModel& m, const mjData& d, Eigen::Ref<Eigen::VectorXd> obs) const;
///       double reward(const mjModel& m, const mjData& d, const theta::mujoco::Action& a, double dt);
///       bool terminated(const mjModel& m, const mjData& d) const;
///     };
///
/// Optional: `void validate(const mjModel&) const` (called once by the constructor, throws
/// `ConfigError` for a model the task cannot use), `void reset(const mjModel&, mjData&,
/// theta::Rng&)` (sets `qpos`/`qvel` after `mj_resetData`; without it episodes start at the
/// model's `qpos0` at rest) and `void before_step(const mjModel&, const mjData&)` (reads what
/// the reward needs from before the step, e.g. a position for a velocity). A task may name
/// itself with `static constexpr std::string_view id` for error messages.
template <class T>
concept Task = std::copy_constructible<T> &&
               requires(const T& task, T& mutable_task, const mjModel& model, const mjData& data,
                        Eigen::Ref<Eigen::VectorXd> obs, const Action& action, double dt) {
                 { task.observation_size(model) } -> std::convertible_to<Index>;
                 task.observe(model, data, obs);
                 { mutable_task.reward(model, data, action, dt) } -> std::convertible_to<double>;
                 { task.terminated(model, data) } -> std::convertible_to<bool>;
               };

/// Options of a `MujocoEnv`.
struct MujocoEnvOptions {
  /// Physics steps per environment step (Gymnasium's `frame_skip`): dt = timestep * frame_skip.
  int frame_skip = 1;
};

namespace detail {

template <class T>
constexpr std::string_view task_id() {
  if constexpr (requires { T::id; }) {
    return T::id;
  } else {
    return "theta::mujoco::MujocoEnv";
  }
}

struct DataDeleter {
  void operator()(mjData* d) const noexcept { mj_deleteData(d); }
};

}  // namespace detail

/// A MuJoCo simulation as an environment, with Gymnasium's `MujocoEnv` mechanics:
///
/// - `reset(seed)`: `mj_resetData`, the task's `reset` with `Rng(seed)`, `mj_forward`.
/// - `step(action)`: the task's `before_step`; `ctrl = action` (not clipped: MuJoCo clamps
///   to `ctrlrange` when it computes forces and leaves `ctrl` as given, so a control cost sees
///   the raw action); `mj_step` `frame_skip` times; `mj_rnePostConstraint` (fills `cfrc_ext`,
///   `cacc`, `cfrc_int`, which MuJoCo skips otherwise); then observation, reward, termination.
///   There is no `mj_forward` after stepping, so `xpos`, `cinert`, `cvel` and `qfrc_actuator`
///   are those of the last substep's evaluation, as in Gymnasium.
/// - A diverging simulation (NaN or |x| > 1e10 in qpos, qvel, qacc or ctrl, which MuJoCo
///   answers by silently resetting the data) raises `DivergenceError`.
///
/// The model is shared (`ModelPtr`) and each environment owns its `mjData`, so copies are
/// independent simulations that `VectorEnv` can step on several threads. A copy continues
/// from the state of the original.
///
///     auto model = theta::mujoco::load_model("robot.xml");
///     theta::mujoco::MujocoEnv<MyTask> env(model, MyTask{}, {.frame_skip = 4});
///     theta::TimeLimit<decltype(env)> limited(env, 1000);
template <Task T>
class MujocoEnv {
 public:
  using Observation = mujoco::Observation;
  using Action = mujoco::Action;

  /// Throws `ConfigError` for a null model, a `frame_skip` < 1, an actuator without a
  /// `ctrlrange` (theta needs bounded actions), a model without actuators, or what the
  /// task's `validate` rejects.
  explicit MujocoEnv(ModelPtr model, T task = T{}, MujocoEnvOptions options = {})
      : model_(std::move(model)), task_(std::move(task)), frame_skip_(options.frame_skip) {
    constexpr std::string_view id = detail::task_id<T>();
    require<ConfigError>(model_ != nullptr, "{}: the model is null", id);
    require<ConfigError>(frame_skip_ >= 1, "{}: frame_skip must be >= 1, got {}", id, frame_skip_);
    const mjModel& m = *model_;
    require<ConfigError>(m.nu > 0, "{}: the model has no actuators, so there is nothing to act on", id);
    for (int i = 0; i < m.nu; ++i) {
      const char* name = mj_id2name(&m, mjOBJ_ACTUATOR, i);
      require<ConfigError>(m.actuator_ctrllimited[i] != 0,
                           "{}: actuator {} ('{}') is not ctrllimited; theta needs bounded actions "
                           "(add ctrllimited=\"true\" ctrlrange=\"low high\")",
                           id, i, name != nullptr ? name : "");
    }
    if constexpr (requires { task_.validate(m); }) task_.validate(m);
    observation_size_ = static_cast<Index>(task_.observation_size(m));
    require<ConfigError>(observation_size_ > 0, "{}: observation_size must be > 0, got {}", id, observation_size_);
    data_.reset(mj_makeData(&m));
    require<MujocoError>(data_ != nullptr, "{}: MuJoCo could not allocate the simulation data", id);
  }

  MujocoEnv(const MujocoEnv& other)
      : model_(other.model_),
        task_(other.task_),
        frame_skip_(other.frame_skip_),
        observation_size_(other.observation_size_),
        started_(other.started_),
        steps_(other.steps_) {
    data_.reset(mj_makeData(model_.get()));
    require<MujocoError>(data_ != nullptr, "{}: MuJoCo could not allocate the simulation data",
                         detail::task_id<T>());
    mj_copyData(data_.get(), model_.get(), other.data_.get());
  }
  MujocoEnv& operator=(const MujocoEnv& other) {
    if (this != &other) *this = MujocoEnv(other);
    return *this;
  }
  MujocoEnv(MujocoEnv&&) noexcept = default;
  MujocoEnv& operator=(MujocoEnv&&) noexcept = default;
  ~MujocoEnv() = default;

  /// Unbounded, of the task's observation size.
  [[nodiscard]] Box observation_space() const {
    const double inf = std::numeric_limits<double>::infinity();
    return Box(Eigen::VectorXd::Constant(observation_size_, -inf), Eigen::VectorXd::Constant(observation_size_, inf));
  }

  /// The actuators' `ctrlrange`, rounded to float as Gymnasium's float32 `Box` is.
  [[nodiscard]] Box action_space() const {
    const mjModel& m = *model_;
    Eigen::VectorXd low(m.nu), high(m.nu);
    for (int i = 0; i < m.nu; ++i) {
      low[i] = static_cast<double>(static_cast<float>(m.actuator_ctrlrange[2 * i]));
      high[i] = static_cast<double>(static_cast<float>(m.actuator_ctrlrange[2 * i + 1]));
    }
    return Box(std::move(low), std::move(high));
  }

  /// Starts an episode: `mj_resetData`, the task's `reset` drawing from `Rng(seed)`, then
  /// `mj_forward`. Returns the first observation.
  Observation reset(std::uint64_t seed) {
    mj_resetData(model_.get(), data_.get());
    if constexpr (requires(Rng& rng) { task_.reset(*model_, *data_, rng); }) {
      Rng rng(seed);
      task_.reset(*model_, *data_, rng);
    }
    mj_forward(model_.get(), data_.get());
    started_ = true;
    steps_ = 0;
    return observation();
  }

  /// One environment step (see the class comment). Throws `EnvironmentError` before the
  /// first reset, after a divergence, or for an action of the wrong size or with a
  /// non-finite entry, and `DivergenceError` when the simulation diverges.
  StepResult<Observation> step(const Action& action) {
    constexpr std::string_view id = detail::task_id<T>();
    const mjModel& m = *model_;
    mjData& d = *data_;
    if (!started_) [[unlikely]] {
      throw EnvironmentError(fmt::format("{}: step() was called before reset() (or set_state()), or after a "
                                         "divergence",
                                         id));
    }
    require<EnvironmentError>(action.size() == m.nu, "{}: the action has {} entries, the model has {} actuators", id,
                              action.size(), m.nu);
    for (int i = 0; i < m.nu; ++i) {
      if (!std::isfinite(action[i])) [[unlikely]] {
        throw EnvironmentError(fmt::format("{}: action[{}] must be finite, got {}", id, i, action[i]));
      }
    }
    if constexpr (requires { task_.before_step(m, std::as_const(d)); }) task_.before_step(m, std::as_const(d));
    for (int i = 0; i < m.nu; ++i) d.ctrl[i] = static_cast<mjtNum>(action[i]);
    try {
      for (int k = 0; k < frame_skip_; ++k) mj_step(&m, &d);
    } catch (...) {
      started_ = false;  // a MujocoError leaves MuJoCo's stack marks behind: reset first
      throw;
    }
    ++steps_;
    check_divergence();
    mj_rnePostConstraint(&m, &d);
    StepResult<Observation> result{observation(), 0.0, false, false};
    result.reward = static_cast<double>(task_.reward(m, std::as_const(d), action, dt()));
    result.terminated = static_cast<bool>(task_.terminated(m, std::as_const(d)));
    return result;
  }

  /// The observation of the current data.
  [[nodiscard]] Observation observation() const {
    Observation obs(observation_size_);
    task_.observe(*model_, *data_, obs);
    return obs;
  }

  /// Starts an episode from a given state, as Gymnasium's `reset` does with the state its
  /// `reset_model` draws: `mj_resetData`, then `set_state(qpos, qvel)`. Replaying a recorded
  /// episode bit for bit needs the `mj_resetData`: `mj_forward` leaves the constraint solver's
  /// warm start behind, and a later step starts from it.
  template <class Q, class V>
  Observation reset_to_state(const Eigen::MatrixBase<Q>& qpos, const Eigen::MatrixBase<V>& qvel) {
    mj_resetData(model_.get(), data_.get());
    set_state(qpos, qvel);
    steps_ = 0;
    return observation();
  }

  /// Gymnasium's `set_state`: copies `qpos` (size nq) and `qvel` (size nv) into the data and
  /// calls `mj_forward`; the episode continues from there. Throws `EnvironmentError` for a
  /// wrong size or a non-finite value.
  template <class Q, class V>
  void set_state(const Eigen::MatrixBase<Q>& qpos, const Eigen::MatrixBase<V>& qvel) {
    constexpr std::string_view id = detail::task_id<T>();
    const mjModel& m = *model_;
    mjData& d = *data_;
    require<EnvironmentError>(qpos.size() == m.nq && qvel.size() == m.nv,
                              "{}: set_state needs qpos of size {} and qvel of size {}, got {} and {}", id, m.nq,
                              m.nv, qpos.size(), qvel.size());
    require<EnvironmentError>(qpos.allFinite() && qvel.allFinite(), "{}: set_state: qpos and qvel must be finite",
                              id);
    for (int i = 0; i < m.nq; ++i) d.qpos[i] = static_cast<mjtNum>(qpos[i]);
    for (int i = 0; i < m.nv; ++i) d.qvel[i] = static_cast<mjtNum>(qvel[i]);
    for (const int w : bad_state_warnings) d.warning[w].number = 0;
    mj_forward(&m, &d);
    started_ = true;
  }

  /// The shared model.
  [[nodiscard]] const mjModel& model() const noexcept { return *model_; }
  [[nodiscard]] const ModelPtr& model_ptr() const noexcept { return model_; }
  /// This environment's simulation data. Writing to it is allowed (MuJoCo's own API), e.g. to
  /// set a state without `mj_forward`.
  [[nodiscard]] mjData& data() noexcept { return *data_; }
  [[nodiscard]] const mjData& data() const noexcept { return *data_; }
  [[nodiscard]] T& task() noexcept { return task_; }
  [[nodiscard]] const T& task() const noexcept { return task_; }
  [[nodiscard]] int frame_skip() const noexcept { return frame_skip_; }
  /// Simulated time per step: `opt.timestep * frame_skip`, a double product as in Gymnasium.
  [[nodiscard]] double dt() const noexcept { return model_->opt.timestep * frame_skip_; }
  /// Steps since the last reset.
  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }

 private:
  static constexpr int bad_state_warnings[] = {mjWARN_BADQPOS, mjWARN_BADQVEL, mjWARN_BADQACC, mjWARN_BADCTRL};

  // MuJoCo's mj_checkPos/Vel/Acc and the control check count the event in d->warning and
  // reset the data (mj_resetData zeroes the counts first, so a count > 0 means it happened
  // since our last reset). Those checks run at the start of mj_step, so the state that the
  // last substep produced is checked here, with MuJoCo's rule (mju_isBad).
  void check_divergence() {
    const mjModel& m = *model_;
    const mjData& d = *data_;
    const auto report_final = [&](const char* what, const mjtNum* x, int n) {
      for (int i = 0; i < n; ++i) {
        if (mju_isBad(x[i])) [[unlikely]] {
          started_ = false;
          throw DivergenceError(fmt::format("{}: the simulation diverged in step {}: {}[{}] = {} is NaN or larger "
                                            "than 1e10 in magnitude. Reset the environment; a smaller timestep, "
                                            "smaller actions or a stiffer model usually cure it",
                                            detail::task_id<T>(), steps_, what, i, x[i]));
        }
      }
    };
    for (const int w : bad_state_warnings) {
      if (d.warning[w].number > 0) [[unlikely]] {
        started_ = false;
        constexpr const char* names[] = {"qpos", "qvel", "qacc", "ctrl"};
        const char* what = names[w - mjWARN_BADQPOS];
        const bool is_ctrl = w == mjWARN_BADCTRL;
        throw DivergenceError(fmt::format(
            "{}: the simulation diverged in step {}: {} at {} {} became NaN or larger than 1e10 in magnitude, and "
            "MuJoCo reset the state to the model's defaults. Reset the environment; a smaller timestep, "
            "smaller actions or a stiffer model usually cure it",
            detail::task_id<T>(), steps_, what, is_ctrl ? "actuator" : "degree of freedom", d.warning[w].lastinfo));
      }
    }
    report_final("qpos", d.qpos, m.nq);
    report_final("qvel", d.qvel, m.nv);
  }

  ModelPtr model_;
  T task_;
  std::unique_ptr<mjData, detail::DataDeleter> data_;
  int frame_skip_ = 1;
  Index observation_size_ = 0;
  bool started_ = false;
  std::int64_t steps_ = 0;
};

}  // namespace theta::mujoco
