#pragma once
/// \file Where MuJoCo's messages go. Left alone, MuJoCo prints warnings to stdout, appends
/// them and its errors to `MUJOCO_LOG.TXT` in the working directory and ends the process on an
/// error. theta installs two handlers instead: errors become `theta::mujoco::MujocoError`
/// exceptions, warnings go to a callback (by default one line on stderr).

#include <theta/mujoco/error.hpp>

#include <mujoco/mujoco.h>

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace theta::mujoco {

/// Receives MuJoCo's warnings. It can be called from any thread that steps a simulation, so
/// it must be thread-safe; it may throw, and the exception then leaves the MuJoCo call that
/// warned (the data object is then in the state MuJoCo left it, so reset it).
using WarningHandler = std::function<void(std::string_view message)>;

namespace detail {

struct MessageState {
  std::mutex mutex;
  WarningHandler warning_handler;
};

inline MessageState& message_state() {
  static MessageState state;
  return state;
}

inline void print_warning(std::string_view message) {
  std::fprintf(stderr, "theta::mujoco: MuJoCo warning: %.*s\n", static_cast<int>(message.size()), message.data());
}

// MuJoCo calls the error handler where it would otherwise exit(1), and it does not expect it
// to return. Throwing unwinds through MuJoCo's C frames, which works because the library is
// built with unwind tables (x86-64 and AArch64 defaults; tests/mujoco/messages_test.cpp checks
// it on the installed build). This is what MuJoCo's own Python bindings do.
inline void on_error(const char* message) { throw MujocoError(std::string("MuJoCo error: ") + message); }

inline void on_warning(const char* message) {
  WarningHandler handler;
  {
    std::lock_guard lock(message_state().mutex);
    handler = message_state().warning_handler;
  }
  if (handler) {
    handler(message);
  } else {
    print_warning(message);
  }
}

}  // namespace detail

/// Installs theta's handlers for MuJoCo's errors and warnings (see the file comment). Called
/// by `load_model`, so a user rarely needs it. Handlers that the program installed before
/// (non-null `mju_user_error` or `mju_user_warning`) are left in place. Thread-safe and
/// idempotent.
inline void install_message_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (mju_user_error == nullptr) mju_user_error = &detail::on_error;
    if (mju_user_warning == nullptr) mju_user_warning = &detail::on_warning;
  });
}

/// Sends MuJoCo's warnings to `handler` (an empty handler restores the default, a line on
/// stderr) and returns the previous one. Also installs the handlers.
///
///     theta::mujoco::set_warning_handler([](std::string_view m) { my_log.warn("{}", m); });
inline WarningHandler set_warning_handler(WarningHandler handler) {
  install_message_handlers();
  std::lock_guard lock(detail::message_state().mutex);
  return std::exchange(detail::message_state().warning_handler, std::move(handler));
}

}  // namespace theta::mujoco
