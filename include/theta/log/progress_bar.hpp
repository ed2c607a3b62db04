#pragma once
/// \file ProgressBar: steps, speed, ETA and recent return while training runs.

#include <theta/log/logger.hpp>

#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace theta {

/// Draws one line that is redrawn in place on a terminal:
///
///     [##########..........]  50.0%  50176/100000 steps  412k steps/s  ETA 0:00:01  return 212.3
///
/// When the output is not a terminal (a log file, CI), it prints plain lines instead, at most
/// one every `plain_interval` seconds (and the last one). It reads `rollout/ep_rew_mean` from
/// the record when present.
class ProgressBar {
 public:
  explicit ProgressBar(std::int64_t total_steps, std::FILE* out = stderr, double plain_interval = 5.0)
      : total_(total_steps), out_(out), tty_(isatty(fileno(out)) != 0), plain_interval_(plain_interval) {}

  void write(const LogRecord& record, std::int64_t step) {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (record.contains("rollout/ep_rew_mean")) last_return_ = record.get("rollout/ep_rew_mean");
    const bool last = step >= total_;
    if (!tty_ && !last && elapsed - last_print_ < plain_interval_) return;
    last_print_ = elapsed;
    fmt::print(out_, "{}{}", tty_ ? "\r" : "", line(step, elapsed));
    if (!tty_) fmt::print(out_, "\n");
    std::fflush(out_);
    drawn_ = true;
  }
  void close() {
    if (tty_ && drawn_) fmt::print(out_, "\n");
    std::fflush(out_);
    drawn_ = false;
  }

  /// The text of the bar for `step` after `elapsed` seconds (without the carriage return).
  [[nodiscard]] std::string line(std::int64_t step, double elapsed) const {
    const double fraction = total_ > 0 ? std::min(1.0, static_cast<double>(step) / static_cast<double>(total_)) : 1.0;
    constexpr int width = 20;
    const int filled = static_cast<int>(fraction * width);
    const double speed = elapsed > 0 ? static_cast<double>(step) / elapsed : 0.0;
    const double eta = speed > 0 ? static_cast<double>(total_ - std::min(step, total_)) / speed : 0.0;
    const auto eta_s = static_cast<long long>(std::llround(eta));
    std::string text = fmt::format("[{}{}] {:5.1f}%  {}/{} steps  {} steps/s  ETA {}:{:02}:{:02}",
                                   std::string(static_cast<std::size_t>(filled), '#'),
                                   std::string(static_cast<std::size_t>(width - filled), '.'), 100.0 * fraction, step,
                                   total_, human(speed), eta_s / 3600, (eta_s / 60) % 60, eta_s % 60);
    if (!std::isnan(last_return_)) text += fmt::format("  return {:.1f}", last_return_);
    return text;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static std::string human(double x) {
    if (x >= 1e6) return fmt::format("{:.2f}M", x / 1e6);
    if (x >= 1e3) return fmt::format("{:.0f}k", x / 1e3);
    return fmt::format("{:.0f}", x);
  }

  std::int64_t total_;
  std::FILE* out_;
  bool tty_;
  double plain_interval_;
  Clock::time_point start_ = Clock::now();
  double last_print_ = -1e300;
  double last_return_ = std::nan("");
  bool drawn_ = false;
};

}  // namespace theta
