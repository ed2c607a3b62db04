#pragma once
/// \file MujocoEnv: any MJCF model plus a task (observation, reward, termination) as a
/// `theta::ContinuousEnvironment`.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/spaces.hpp>
#include <theta/env/step_result.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>
#include <theta/mujoco/error.hpp>
#include <theta/mujoco/model.hpp>

#include <Eigen/Core>
#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
/// itself with `static constexpr std::string_view id` for error messages (and checkpoints).
///
/// A task whose members change while it runs and matter for a later step (a reward
/// accumulator, a target drawn at reset) also gives `void save(theta::io::CheckpointSectionWriter&)
/// const` and `void load(theta::io::CheckpointSectionReader&)` (both or neither). `load` reads
/// what `save` wrote, throws `CheckpointError` for a value it cannot take, and changes the task
/// only after everything was read. `MujocoEnv::save` calls them after its own state.
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

template <class T>
concept HasTaskSave = requires(const T& task, io::CheckpointSectionWriter& out) { task.save(out); };
template <class T>
concept HasTaskLoad = requires(T& task, io::CheckpointSectionReader& in) { task.load(in); };

/// The arrays of `mjData` that the next `mj_step` reads and does not recompute (with `time`):
/// what MuJoCo 3's `mj_getState(..., mjSTATE_INTEGRATION)` captures, as far as 2.2.2 has it
/// (no equality activations or plugin state there). Everything else in `mjData` is computed
/// from these by the last evaluation (docs/mujoco.md, "Checkpoints").
struct StateArray {
  const char* name;
  mjtNum* mjData::*field;
  int mjModel::*count;
  int width;
};
inline constexpr StateArray state_arrays[] = {
    {"qpos", &mjData::qpos, &mjModel::nq, 1},
    {"qvel", &mjData::qvel, &mjModel::nv, 1},
    {"act", &mjData::act, &mjModel::na, 1},
    // The solver starts from it: another warm start converges to other last bits.
    {"qacc_warmstart", &mjData::qacc_warmstart, &mjModel::nv, 1},
    {"ctrl", &mjData::ctrl, &mjModel::nu, 1},
    {"qfrc_applied", &mjData::qfrc_applied, &mjModel::nv, 1},
    {"xfrc_applied", &mjData::xfrc_applied, &mjModel::nbody, 6},
    {"mocap_pos", &mjData::mocap_pos, &mjModel::nmocap, 3},
    {"mocap_quat", &mjData::mocap_quat, &mjModel::nmocap, 4},
    {"userdata", &mjData::userdata, &mjModel::nuserdata, 1},
};
/// The first four of `state_arrays` (and `time`) are all that `mj_step` changes.
inline constexpr int stepped_arrays = 4;

/// What computed the derived quantities in an environment's `mjData` (body positions,
/// contact forces, ...): nothing yet, `mj_forward` (reset, set_state) or `mj_step` (a step,
/// whose last substep evaluated the state it started from and then integrated).
enum class Evaluation : std::uint8_t { none = 0, forward = 1, step = 2 };

/// The model sizes a checkpoint records and a load compares: with the task id, the frame skip
/// and the timestep they identify the simulation a state belongs to.
struct ModelSize {
  const char* name;
  int mjModel::*field;
};
inline constexpr ModelSize checkpoint_model_sizes[] = {
    {"nq", &mjModel::nq},           {"nv", &mjModel::nv},       {"nu", &mjModel::nu},
    {"na", &mjModel::na},           {"nbody", &mjModel::nbody}, {"nmocap", &mjModel::nmocap},
    {"nuserdata", &mjModel::nuserdata},
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
/// - `save`/`load` (`theta::SavableEnvironment`): the episode continues bit for bit in a
///   newly built environment; what is saved and why is in docs/mujoco.md, "Checkpoints".
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
  static_assert(detail::HasTaskSave<T> == detail::HasTaskLoad<T>,
                "a MuJoCo task gives both save(CheckpointSectionWriter&) const and load(CheckpointSectionReader&), "
                "or neither");

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
    evaluated_state_.resize(stepped_state_size(m));
  }

  MujocoEnv(const MujocoEnv& other)
      : model_(other.model_),
        task_(other.task_),
        frame_skip_(other.frame_skip_),
        observation_size_(other.observation_size_),
        started_(other.started_),
        steps_(other.steps_),
        evaluated_by_(other.evaluated_by_),
        evaluated_state_(other.evaluated_state_) {
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
    record_evaluated_state(detail::Evaluation::forward);
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
      for (int k = 0; k < frame_skip_; ++k) {
        if (k == frame_skip_ - 1) record_evaluated_state(detail::Evaluation::step);
        mj_step(&m, &d);
      }
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
    record_evaluated_state(detail::Evaluation::forward);
    mj_forward(&m, &d);
    started_ = true;
  }

  /// Writes everything the next `step` depends on (`theta::SavableEnvironment`): the task id,
  /// `frame_skip`, the model's sizes and timestep (which `load` compares), whether an episode
  /// is running, the step count, `time` and the state arrays of `mjData` (qpos, qvel, act,
  /// qacc_warmstart, ctrl, qfrc_applied, xfrc_applied, mocap_pos, mocap_quat, userdata); then
  /// what computed the derived quantities and the state it started from (the start of the last
  /// physics substep, or the reset); then the task's own state if it has a `save`.
  ///
  ///     theta::io::CheckpointWriter writer("my-run", "float64", "");
  ///     env.save(writer.section("env"));
  void save(io::CheckpointSectionWriter& out) const {
    const mjModel& m = *model_;
    const mjData& d = *data_;
    out.string(detail::task_id<T>()).i64(frame_skip_);
    for (const auto& size : detail::checkpoint_model_sizes) out.i64(m.*size.field);
    out.f64(m.opt.timestep).boolean(started_).i64(steps_).f64(d.time);
    for (const auto& a : detail::state_arrays) {
      const mjtNum* x = d.*a.field;
      for (int i = 0; i < m.*a.count * a.width; ++i) out.f64(x[i]);
    }
    out.u8(static_cast<std::uint8_t>(evaluated_by_));
    for (const mjtNum x : evaluated_state_) out.f64(x);
    if constexpr (detail::HasTaskSave<T>) task_.save(out);
  }

  /// Restores what `save` wrote: the next `step` then returns bit for bit what the saved
  /// environment's would, and `data()` holds what it held, derived quantities included (the
  /// last evaluation is recomputed from its saved starting state, then the current state is
  /// set). A checkpoint of another task, frame skip or model (sizes, timestep), a negative step
  /// count, an unknown evaluation or a non-finite number raises `CheckpointError` naming it,
  /// and so does what the task's `load` refuses; the environment is then unchanged.
  void load(io::CheckpointSectionReader& in) {
    constexpr std::string_view id = detail::task_id<T>();
    const mjModel& m = *model_;
    const std::string saved_id = in.string();
    require<CheckpointError>(saved_id == id, "checkpoint section '{}': the state of {}, this environment is {}",
                             in.name(), saved_id, id);
    const auto expect = [&](std::string_view what, auto saved, auto current) {
      require<CheckpointError>(saved == current, "checkpoint section '{}': {} was saved with {} = {}, this one has {}",
                               in.name(), id, what, saved, current);
    };
    expect("frame_skip", in.i64(), std::int64_t{frame_skip_});
    for (const auto& size : detail::checkpoint_model_sizes) expect(size.name, in.i64(), std::int64_t{m.*size.field});
    expect("timestep", in.f64(), m.opt.timestep);
    const bool started = in.boolean();
    const std::int64_t steps = in.i64();
    require<CheckpointError>(steps >= 0, "checkpoint section '{}': {} step count is negative ({})", in.name(), id,
                             steps);
    const auto finite = [&](std::string_view what, int i) {
      const double x = in.f64();
      require<CheckpointError>(std::isfinite(x), "checkpoint section '{}': {} {}[{}] is not finite ({})", in.name(),
                               id, what, i, x);
      return x;
    };
    std::vector<mjtNum> current(1);
    current[0] = finite("time", 0);
    for (const auto& a : detail::state_arrays)
      for (int i = 0; i < m.*a.count * a.width; ++i) current.push_back(finite(a.name, i));
    const std::uint8_t evaluation = in.u8();
    require<CheckpointError>(evaluation <= static_cast<std::uint8_t>(detail::Evaluation::step),
                             "checkpoint section '{}': {} evaluation is {}, expected 0 (none), 1 (mj_forward) or 2 "
                             "(mj_step)",
                             in.name(), id, evaluation);
    std::vector<mjtNum> evaluated(evaluated_state_.size());
    for (std::size_t i = 0; i < evaluated.size(); ++i) evaluated[i] = finite("evaluated state", static_cast<int>(i));

    // Rebuild in a new mjData, so that the environment changes only once everything worked.
    std::unique_ptr<mjData, detail::DataDeleter> data(mj_makeData(&m));
    require<MujocoError>(data != nullptr, "{}: MuJoCo could not allocate the simulation data", id);
    mjData& d = *data;
    const auto set_state = [&](const mjtNum* x, int arrays) {
      d.time = *x++;
      for (int k = 0; k < arrays; ++k) {
        const auto& a = detail::state_arrays[k];
        const int n = m.*a.count * a.width;
        std::copy_n(x, n, d.*a.field);
        x += n;
      }
    };
    set_state(current.data(), static_cast<int>(std::size(detail::state_arrays)));
    const auto by = static_cast<detail::Evaluation>(evaluation);
    // A stopped environment recomputes everything at its next reset; a running one gets the
    // derived quantities of its last evaluation, which its task may read before the next step
    // (Ant and Humanoid read body positions that the last substep computed).
    if (started && by != detail::Evaluation::none) {
      set_state(evaluated.data(), detail::stepped_arrays);
      if (by == detail::Evaluation::forward) {
        mj_forward(&m, &d);
      } else {
        mj_step(&m, &d);  // the saved environment's last substep, with the same inputs
      }
      for (const int w : bad_state_warnings) d.warning[w].number = 0;
      set_state(current.data(), static_cast<int>(std::size(detail::state_arrays)));
      if (by == detail::Evaluation::step) mj_rnePostConstraint(&m, &d);
    }
    if constexpr (detail::HasTaskLoad<T>) task_.load(in);  // last: it changes the task only when it succeeds
    data_ = std::move(data);
    started_ = started;
    steps_ = steps;
    evaluated_by_ = by;
    evaluated_state_ = std::move(evaluated);
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

  // time and the arrays mj_step changes.
  static std::size_t stepped_state_size(const mjModel& m) {
    std::size_t n = 1;
    for (int k = 0; k < detail::stepped_arrays; ++k) {
      const auto& a = detail::state_arrays[k];
      n += static_cast<std::size_t>(m.*a.count * a.width);
    }
    return n;
  }

  // Remembers the state an evaluation starts from, for `save` (no allocation: the buffer is
  // sized by the constructor).
  void record_evaluated_state(detail::Evaluation by) {
    const mjModel& m = *model_;
    const mjData& d = *data_;
    mjtNum* x = evaluated_state_.data();
    *x++ = d.time;
    for (int k = 0; k < detail::stepped_arrays; ++k) {
      const auto& a = detail::state_arrays[k];
      x = std::copy_n(d.*a.field, m.*a.count * a.width, x);
    }
    evaluated_by_ = by;
  }

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
  // What computed the derived quantities in data_, from which state (see `save`).
  detail::Evaluation evaluated_by_ = detail::Evaluation::none;
  std::vector<mjtNum> evaluated_state_;
};

}  // namespace theta::mujoco
