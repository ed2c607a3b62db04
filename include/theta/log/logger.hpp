#pragma once
/// \file The Logger concept and the record that trainers fill once per update.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace theta {

/// A set of named values logged together at one step, in insertion order. Keys follow
/// Stable-Baselines3's groups: `rollout/ep_rew_mean`, `train/policy_loss`, `time/fps`, ...
/// Setting a key twice keeps its first position and the last value.
///
/// `clear()` keeps the storage of the keys, so a record filled with the same keys after every
/// update (what the trainers do) allocates nothing after the first one.
class LogRecord {
 public:
  void set(std::string_view key, double value) {
    for (std::size_t i = 0; i < size_; ++i) {
      if (entries_[i].first == key) {
        entries_[i].second = value;
        return;
      }
    }
    if (size_ == entries_.size()) {
      entries_.emplace_back(std::string(key), value);
    } else {
      entries_[size_].first.assign(key);  // reuses the string's capacity
      entries_[size_].second = value;
    }
    ++size_;
  }
  [[nodiscard]] std::span<const std::pair<std::string, double>> entries() const noexcept {
    return {entries_.data(), size_};
  }
  /// The value of `key`, or `fallback` when absent.
  [[nodiscard]] double get(std::string_view key, double fallback = 0.0) const {
    for (const auto& [k, v] : entries())
      if (k == key) return v;
    return fallback;
  }
  [[nodiscard]] bool contains(std::string_view key) const {
    for (const auto& [k, v] : entries())
      if (k == key) return true;
    return false;
  }
  void clear() noexcept { size_ = 0; }

 private:
  std::vector<std::pair<std::string, double>> entries_;
  std::size_t size_ = 0;
};

/// A sink for training statistics. `write(record, step)` is called once per update with the
/// total number of environment steps so far; `close()` at the end of training.
///
///     struct MyLogger {
///       void write(const theta::LogRecord& record, std::int64_t step);
///       void close();
///     };
template <class L>
concept Logger = requires(L& logger, const LogRecord& record, std::int64_t step) {
  logger.write(record, step);
  logger.close();
};

/// Sends every record to several loggers.
template <Logger... Loggers>
class MultiLogger {
 public:
  explicit MultiLogger(Loggers... loggers) : loggers_(std::move(loggers)...) {}
  void write(const LogRecord& record, std::int64_t step) {
    std::apply([&](auto&... l) { (l.write(record, step), ...); }, loggers_);
  }
  void close() {
    std::apply([](auto&... l) { (l.close(), ...); }, loggers_);
  }

 private:
  std::tuple<Loggers...> loggers_;
};

/// A logger that drops everything.
struct NullLogger {
  void write(const LogRecord&, std::int64_t) {}
  void close() {}
};

}  // namespace theta
