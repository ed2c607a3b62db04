#pragma once
/// \file RunningMeanStd: mean and variance of a stream of vectors, merged batch by batch.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/io/checkpoint_reader.hpp>
#include <theta/io/checkpoint_writer.hpp>

#include <Eigen/Core>


namespace theta {

/// Per-component running mean and (population) variance, merged batch by batch with the
/// parallel formula of Chan, Golub and LeVeque (1979), as Stable-Baselines3's
/// `RunningMeanStd` does, including its initial pseudo-count of 1e-4. Statistics are kept in
/// double whatever the data type.
///
///     theta::RunningMeanStd stats(4);
///     stats.update(batch);             // 4 x B, one column per sample
///     stats.mean(); stats.var();
class RunningMeanStd {
 public:
  explicit RunningMeanStd(Index dim, double initial_count = 1e-4)
      : mean_(Eigen::VectorXd::Zero(dim)),
        var_(Eigen::VectorXd::Ones(dim)),
        batch_mean_(dim),
        batch_var_(dim),
        count_(initial_count) {
    require<ConfigError>(dim > 0, "RunningMeanStd: dim must be > 0, got {}", dim);
    require<ConfigError>(initial_count > 0, "RunningMeanStd: initial_count must be > 0, got {}", initial_count);
  }

  /// Merges a batch (`dim x B`, one column per sample). Allocates nothing.
  template <class Derived>
  void update(const Eigen::MatrixBase<Derived>& batch) {
    require<ConfigError>(batch.rows() == dim(), "RunningMeanStd::update: batch has {} rows, expected {}",
                         batch.rows(), dim());
    const auto b = static_cast<double>(batch.cols());
    if (batch.cols() == 0) return;
    batch_mean_ = batch.template cast<double>().rowwise().sum() / b;
    batch_var_.setZero();
    for (Index j = 0; j < batch.cols(); ++j)
      batch_var_.array() += (batch.col(j).template cast<double>() - batch_mean_).array().square();
    batch_var_ /= b;
    const double total = count_ + b;
    // delta is formed in batch_mean_ to avoid a temporary.
    batch_mean_ -= mean_;
    mean_ += batch_mean_ * (b / total);
    var_ = (var_ * count_ + batch_var_ * b + batch_mean_.cwiseAbs2() * (count_ * b / total)) / total;
    count_ = total;
  }

  [[nodiscard]] Index dim() const noexcept { return mean_.size(); }
  [[nodiscard]] const Eigen::VectorXd& mean() const noexcept { return mean_; }
  [[nodiscard]] const Eigen::VectorXd& var() const noexcept { return var_; }
  [[nodiscard]] double count() const noexcept { return count_; }

  /// Appends the statistics to a checkpoint section (docs/checkpoints.md).
  void save(io::CheckpointSectionWriter& out) const { out.matrix(mean_).matrix(var_).f64(count_); }
  /// Restores the statistics from a checkpoint section; statistics of another dimension or
  /// invalid ones raise `CheckpointError`, and nothing changes unless the whole read succeeds.
  void load(io::CheckpointSectionReader& in) {
    Eigen::VectorXd mean = in.matrix<double>("RunningMeanStd::mean", dim(), 1);
    Eigen::VectorXd var = in.matrix<double>("RunningMeanStd::var", dim(), 1);
    const double count = in.f64();
    require<CheckpointError>(count > 0 && std::isfinite(count) && var.allFinite() && mean.allFinite() && (var.array() >= 0).all(),
                             "checkpoint: section '{}': RunningMeanStd statistics are invalid (count {})", in.name(),
                             count);
    mean_ = mean;
    var_ = var;
    count_ = count;
  }

  friend bool operator==(const RunningMeanStd& a, const RunningMeanStd& b) {
    return a.mean_ == b.mean_ && a.var_ == b.var_ && a.count_ == b.count_;
  }

 private:
  Eigen::VectorXd mean_;
  Eigen::VectorXd var_;
  Eigen::VectorXd batch_mean_;  // scratch
  Eigen::VectorXd batch_var_;   // scratch
  double count_;
};

}  // namespace theta
