#pragma once
/// \file RecurrentCategoricalPolicy: observations through a GRU or LSTM and a linear head to the
/// logits of a categorical distribution; its context (`ContextPolicy`) is the recurrent state
/// each step started from.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/linear.hpp>
#include <theta/nn/recurrent.hpp>
#include <theta/policy/detail/categorical_head.hpp>
#include <theta/policy/recurrent_network.hpp>

#include <Eigen/Core>

#include <fmt/format.h>

namespace theta {

/// pi(a|s_1..s_t) = softmax(f(h_t)), h_t the output of a GRU or LSTM (`C`) run over the
/// episode's observations and f the hidden linear layers of the config followed by a linear
/// output to the logits (`RecurrentNetworkConfig`; with `Init::orthogonal` the output starts
/// with gain 0.01, SB3's policy head). Actions are stored as their index in a 1 x B matrix of `T`.
///
/// Acting carries one recurrent state per environment (`state()`, state_rows x max_act_batch;
/// a batch of B acts on the first B columns) from step to step. The caller resets it where an
/// episode starts (`reset_states(starts)`), before acting on the episode's first observation.
/// The context of a step (`ContextPolicy`) is the state the step started from. Two training
/// passes recompute the acting distribution:
///
/// - `evaluate(obs, actions, context, ...)`: one recurrent step per sample from its stored
///   state (backpropagation through time truncated after one step; any rule that shuffles
///   single transitions can use it);
/// - `evaluate_sequences(obs, actions, initial_states, episode_starts, ...)`
///   (`SequencePolicy`): whole sequences from the state stored at their first step, with the
///   state reset where an episode starts inside them, differentiated back through time over
///   the sequence (what PPO and A2C do with a recurrent policy).
///
/// Every pass has a masked form (`MaskedContextPolicy`): masked actions get probability 0.
///
///     theta::RecurrentCategoricalPolicy<float> pi(obs_dim, n_actions, {.hidden = 64}, n_envs, 256, rng);
///     pi.reset_states(starts);                              // 1 where an environment was reset
///     pi.act(obs, rng, actions, log_probs, context);        // context: the state each step started from
///     pi.evaluate_sequences(obs, actions, context.leftCols(n_envs), starts, log_probs, entropy);
///     pi.backward(dlog_probs, dentropy);
template <Real T = Scalar, nn::Cell C = nn::Cell::lstm>
class RecurrentCategoricalPolicy {
 public:
  using Scalar = T;
  static constexpr bool is_discrete = true;
  using Layer = nn::Recurrent<C, T>;
  using Network = detail::RecurrentNetwork<T, C>;

  /// `max_act_batch`: environment slots (n_envs; 1 for evaluation); `max_train_batch`: the
  /// largest training pass in columns (a minibatch: samples, or sequences x steps).
  RecurrentCategoricalPolicy(Index obs_dim, Index n_actions, const RecurrentNetworkConfig& config, Index max_act_batch,
                             Index max_train_batch, Rng& rng)
      : net_(check_actions(n_actions), obs_dim, config, n_actions, 0.01, max_act_batch, max_train_batch, rng),
        head_(n_actions, max_act_batch, max_train_batch) {}

  /// Rows of the stored action matrix (1: the index).
  [[nodiscard]] Index action_rows() const noexcept { return 1; }
  [[nodiscard]] Index n_actions() const noexcept { return net_.outputs(); }
  /// Rows of the context: the recurrent state, H (GRU) or 2H (LSTM, h above c).
  [[nodiscard]] Index context_rows() const noexcept { return net_.state_rows(); }

  /// The acting state of every environment slot, state_rows x max_act_batch; a checkpoint or an
  /// evaluation that must not disturb collection saves and restores it here.
  [[nodiscard]] Eigen::Map<Matrix<T>> state() noexcept { return net_.state(); }
  [[nodiscard]] Eigen::Map<const Matrix<T>> state() const noexcept { return net_.state(); }
  /// Sets the acting state of every slot to zero (every episode starts).
  void reset_states() noexcept { net_.reset_states(); }
  /// Sets the acting state of slot b to zero where `starts(b)` is 1 (B entries of 0 and 1).
  void reset_states(const Eigen::Ref<const Vector<T>>& starts) { net_.reset_states(starts); }

  /// Samples (or, if `deterministic`, takes the most probable: the first largest logit)
  /// actions for a batch of observations (obs_dim x B), one recurrent step from the acting
  /// state of slots 0..B-1, which then holds the state after the step.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, bool deterministic, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs) {
    head_.act(net_.act(obs), nullptr, rng, deterministic, actions, log_probs);
  }

  /// A sampling `act` that first writes the state each sample's step starts from
  /// (`context_rows()` x B), for the training passes to recompute the same distribution.
  void act(const Eigen::Ref<const Matrix<T>>& obs, Rng& rng, Eigen::Ref<Matrix<T>> actions,
           Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Matrix<T>> context) {
    head_.act(net_.act(obs, &context), nullptr, rng, /*deterministic=*/false, actions, log_probs);
  }

  /// `act` among the valid actions (`action_masks`: n_actions x B, 1 = valid).
  void act_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& action_masks, Rng& rng,
                  bool deterministic, Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs) {
    head_.check_masks(action_masks, obs.cols(), "RecurrentCategoricalPolicy::act_masked");
    head_.act(net_.act(obs), &action_masks, rng, deterministic, actions, log_probs);
  }

  /// A sampling `act_masked` that first writes the state each step starts from.
  void act_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& action_masks, Rng& rng,
                  Eigen::Ref<Matrix<T>> actions, Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Matrix<T>> context) {
    head_.check_masks(action_masks, obs.cols(), "RecurrentCategoricalPolicy::act_masked");
    head_.act(net_.act(obs, &context), &action_masks, rng, /*deterministic=*/false, actions, log_probs);
  }

  /// A recurrent policy has no training pass without the states its steps started from: use
  /// the overloads that take them. Throws `theta::Error`.
  void evaluate(const Eigen::Ref<const Matrix<T>>&, const Eigen::Ref<const Matrix<T>>&, Eigen::Ref<Vector<T>>,
                Eigen::Ref<Vector<T>>) {
    no_context("evaluate");
  }
  void evaluate_masked(const Eigen::Ref<const Matrix<T>>&, const Eigen::Ref<const Matrix<T>>&,
                       const Eigen::Ref<const Matrix<T>>&, Eigen::Ref<Vector<T>>, Eigen::Ref<Vector<T>>) {
    no_context("evaluate_masked");
  }

  /// Records a pass on a training batch from the stored states (`context`, context_rows x B):
  /// one recurrent step per sample, and writes log pi(a|s) and the entropy per sample.
  void evaluate(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                const Eigen::Ref<const Matrix<T>>& context, Eigen::Ref<Vector<T>> log_probs,
                Eigen::Ref<Vector<T>> entropy) {
    check_actions(actions, obs.cols(), "evaluate");
    head_.record(net_.forward(obs, context, "evaluate"), nullptr, actions, log_probs, entropy);
  }

  /// `evaluate` under the action masks the actions were taken with.
  void evaluate_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                       const Eigen::Ref<const Matrix<T>>& action_masks, const Eigen::Ref<const Matrix<T>>& context,
                       Eigen::Ref<Vector<T>> log_probs, Eigen::Ref<Vector<T>> entropy) {
    check_actions(actions, obs.cols(), "evaluate_masked");
    head_.check_masks(action_masks, obs.cols(), "RecurrentCategoricalPolicy::evaluate_masked");
    head_.record(net_.forward(obs, context, "evaluate_masked"), &action_masks, actions, log_probs, entropy);
  }

  /// Records a pass over S sequences of L steps (`SequencePolicy`): `obs` obs_dim x (L S) and
  /// `actions` 1 x (L S), time-major (step t of sequence s in column t S + s);
  /// `initial_states` (context_rows x S) the state each sequence's first step started from
  /// (its stored context); `episode_starts` (S x L) 1 where the state is reset to zero before a
  /// step. Writes log pi(a|s) and the entropy per column.
  void evaluate_sequences(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                          const Eigen::Ref<const Matrix<T>>& initial_states,
                          const Eigen::Ref<const Matrix<T>>& episode_starts, Eigen::Ref<Vector<T>> log_probs,
                          Eigen::Ref<Vector<T>> entropy) {
    check_actions(actions, obs.cols(), "evaluate_sequences");
    head_.record(net_.forward_sequences(obs, initial_states, episode_starts, "evaluate_sequences"), nullptr, actions,
                 log_probs, entropy);
  }

  /// `evaluate_sequences` under the action masks (n_actions x (L S)) the actions were taken with.
  void evaluate_sequences_masked(const Eigen::Ref<const Matrix<T>>& obs, const Eigen::Ref<const Matrix<T>>& actions,
                                 const Eigen::Ref<const Matrix<T>>& action_masks,
                                 const Eigen::Ref<const Matrix<T>>& initial_states,
                                 const Eigen::Ref<const Matrix<T>>& episode_starts, Eigen::Ref<Vector<T>> log_probs,
                                 Eigen::Ref<Vector<T>> entropy) {
    check_actions(actions, obs.cols(), "evaluate_sequences_masked");
    head_.check_masks(action_masks, obs.cols(), "RecurrentCategoricalPolicy::evaluate_sequences_masked");
    head_.record(net_.forward_sequences(obs, initial_states, episode_starts, "evaluate_sequences_masked"),
                 &action_masks, actions, log_probs, entropy);
  }

  /// Adds the gradient of sum_b (dlogp_b log pi_b + dentropy_b H_b) for the recorded pass:
  /// through the linear layers, then back through time.
  void backward(const Eigen::Ref<const Vector<T>>& dlog_prob, const Eigen::Ref<const Vector<T>>& dentropy) {
    net_.backward(head_.grad_logits(dlog_prob, dentropy));
  }

  /// Number of trainable parameters: the recurrent layer's, then the linear layers'.
  [[nodiscard]] Index num_parameters() const noexcept { return net_.parameters().size(); }
  /// Every trainable parameter and its gradient, flat (`Trainable`): the recurrent layer
  /// (docs/nn.md's layout), then each linear layer's W (out x in, column-major) and b.
  [[nodiscard]] Eigen::Map<Vector<T>> parameters() noexcept { return net_.parameters(); }
  [[nodiscard]] Eigen::Map<Vector<T>> gradients() noexcept { return net_.gradients(); }
  [[nodiscard]] Eigen::Map<const Vector<T>> parameters() const noexcept { return net_.parameters(); }
  void zero_grad() noexcept { net_.zero_grad(); }
  /// The recurrent network: the recurrent layer, then the linear layers (the last one is the head).
  [[nodiscard]] Network& network() noexcept { return net_; }
  [[nodiscard]] const Network& network() const noexcept { return net_; }
  [[nodiscard]] Layer& recurrent_layer() noexcept { return net_.recurrent_layer(); }
  [[nodiscard]] const Layer& recurrent_layer() const noexcept { return net_.recurrent_layer(); }
  /// The head, a view of W (n_actions x its inputs) and b in the flat buffers.
  [[nodiscard]] nn::Linear<T> head() noexcept { return net_.linear(net_.num_linear() - 1); }

 private:
  static const char* check_actions(Index n_actions) {
    require<ConfigError>(n_actions >= 1, "RecurrentCategoricalPolicy: n_actions must be >= 1, got {}", n_actions);
    return "RecurrentCategoricalPolicy";
  }
  static void check_actions(const Eigen::Ref<const Matrix<T>>& actions, Index batch, const char* what) {
    require(actions.rows() == 1 && actions.cols() == batch,
            "RecurrentCategoricalPolicy::{}: actions must be 1 x {}, got {} x {}", what, batch, actions.rows(),
            actions.cols());
  }
  [[noreturn]] static void no_context(const char* what) {
    throw Error(fmt::format("RecurrentCategoricalPolicy::{}: a recurrent policy needs the state each step started "
                            "from; pass the context that act wrote",
                            what));
  }

  Network net_;
  detail::CategoricalHead<T> head_;
};

}  // namespace theta
