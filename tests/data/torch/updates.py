#!/usr/bin/python3
"""Reference values of one whole PPO, A2C, TRPO and REINFORCE update, written to updates.json.

Each algorithm is written out here in plain PyTorch (float64, CPU, one thread), independently
of theta, from the update its header documents (include/theta/algo/*.hpp), which follows
Stable-Baselines3 / sb3-contrib / PyTorch's REINFORCE example. Gradients come from autograd,
TRPO's Fisher-vector products from double backpropagation of the mean KL, the optimizers are
torch.optim's and the gradient clip is torch.nn.utils.clip_grad_norm_. The format is
documented in README.md (section updates.json).

Run with the Debian interpreter and python3-torch (no other dependency):

    /usr/bin/python3 tests/data/torch/updates.py            # writes updates.json beside this file
    /usr/bin/python3 tests/data/torch/updates.py --check    # regenerates in memory, compares with the file
    /usr/bin/python3 tests/data/torch/updates.py --sensitivity  # how well float64 fixes the TRPO cases
"""

import argparse
import json
import math
import os
import platform
import sys

import numpy
import torch
import torch.nn.functional as F
from torch import nn

SEED = 424242
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

FLOAT32_EPS = float(numpy.finfo(numpy.float32).eps)  # the REINFORCE example's eps
FVP_NOISE = None  # a torch.Generator when --sensitivity perturbs TRPO's Fisher-vector products


# ---------------------------------------------------------------------------------------------
# Networks and policies


class Mlp(nn.Module):
    """inputs -> hidden (activation, optional dropout with given masks) -> outputs (linear)."""

    def __init__(self, sizes, activation, dropout, gen):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activation = {"tanh": torch.tanh, "relu": torch.relu}[activation]
        self.dropout = dropout
        if dropout > 0:
            assert activation == "relu", "dropout before or after relu is the same function; not so for tanh"
        # PyTorch's nn.Linear initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from our generator.
        with torch.no_grad():
            for layer in self.layers:
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.copy_((torch.rand(layer.weight.shape, generator=gen) * 2 - 1) * bound)
                layer.bias.copy_((torch.rand(layer.bias.shape, generator=gen) * 2 - 1) * bound)

    def forward(self, x, masks=None):
        """x: [N][in]. masks: [N][sum(hidden)] keep indicators (0/1), or None (no dropout)."""
        row = 0
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i + 1 < len(self.layers):
                if masks is not None:
                    # PyTorch's example order: inverted dropout, then the activation.
                    width = layer.out_features
                    x = x * masks[:, row:row + width] / (1.0 - self.dropout)
                    row += width
                x = self.activation(x)
        return x

    def export(self):
        """{"W1": [out][in], "b1": [out], ...}: nn.Linear's layout."""
        out = {}
        for i, layer in enumerate(self.layers):
            out[f"W{i + 1}"] = layer.weight.detach().tolist()
            out[f"b{i + 1}"] = layer.bias.detach().tolist()
        return out


class Policy:
    """Categorical over the network's logits, or N(network(s), exp(log_std)) with a learned,
    state-independent log_std (log-probability and entropy summed over action dimensions)."""

    def __init__(self, kind, obs_dim, act, hidden, activation, dropout, gen, log_std_init=None):
        self.kind = kind
        self.net = Mlp([obs_dim, *hidden, act], activation, dropout, gen)
        self.log_std = None
        if kind == "gaussian":
            self.log_std = nn.Parameter(torch.tensor(log_std_init, dtype=torch.float64))

    def parameters(self):
        return list(self.net.parameters()) + ([self.log_std] if self.log_std is not None else [])

    def distribution(self, obs, masks=None):
        out = self.net(obs, masks)
        if self.kind == "categorical":
            return torch.distributions.Categorical(logits=out)
        return torch.distributions.Normal(out, torch.exp(self.log_std).expand_as(out))

    def log_prob_entropy(self, obs, actions, masks=None):
        d = self.distribution(obs, masks)
        if self.kind == "categorical":
            return d.log_prob(actions), d.entropy()
        return d.log_prob(actions).sum(-1), d.entropy().sum(-1)

    def export(self):
        out = self.net.export()
        if self.log_std is not None:
            out["log_std"] = self.log_std.detach().tolist()
        return out


def kl_old_new(old, new, kind):
    """KL(old || new) per sample; summed over the action dimensions for the Gaussian."""
    kl = torch.distributions.kl_divergence(old, new)
    return kl if kind == "categorical" else kl.sum(-1)


def total_grad_norm(params):
    """The 2-norm of all gradients together, as clip_grad_norm_ computes it (norm of norms)."""
    return torch.norm(torch.stack([torch.norm(p.grad.detach(), 2.0) for p in params]), 2.0).item()


# ---------------------------------------------------------------------------------------------
# Rollouts


def gae(rewards, values, terminated, truncated, final_values, last_values, gamma, lam):
    """SB3's GAE over a [T][E] rollout with the truncation bootstrap (gae.json's formula)."""
    T, E = rewards.shape
    adv = torch.zeros(T, E)
    for e in range(E):
        a_next = 0.0
        for t in reversed(range(T)):
            done = bool(terminated[t, e]) or bool(truncated[t, e])
            r = rewards[t, e].item()
            if truncated[t, e] and not terminated[t, e]:
                r += gamma * final_values[t, e].item()
            next_value = last_values[e].item() if t == T - 1 else values[t + 1, e].item()
            delta = r + gamma * next_value * (1.0 - done) - values[t, e].item()
            a_next = delta + gamma * lam * (1.0 - done) * a_next
            adv[t, e] = a_next
    return adv, adv + values


def make_rollout(gen, policy, critic, n_steps, n_envs, obs_dim, done_pattern, masks_rows=0, dropout=0.0,
                 with_values=True):
    """Observations N(0, 1); actions sampled from the initial policy, with their log-probs; values
    from the initial critic (0 without); rewards N(0, 1); the given terminated/truncated flags;
    V of a random final observation where truncated; V of a random next observation last."""
    N = n_steps * n_envs
    obs = torch.randn(n_steps, n_envs, obs_dim, generator=gen)
    masks = None
    if masks_rows > 0:
        masks = (torch.rand(n_steps, n_envs, masks_rows, generator=gen) >= dropout).double()
    flat_obs = obs.reshape(N, obs_dim)
    flat_masks = masks.reshape(N, masks_rows) if masks is not None else None
    with torch.no_grad():
        d = policy.distribution(flat_obs, flat_masks)
        if policy.kind == "categorical":
            actions = torch.multinomial(d.probs, 1, generator=gen).reshape(N)
        else:
            actions = d.mean + d.stddev * torch.randn(d.mean.shape, generator=gen)
        log_probs, _ = policy.log_prob_entropy(flat_obs, actions, flat_masks)
        values = critic(flat_obs).reshape(n_steps, n_envs) if with_values else torch.zeros(n_steps, n_envs)
        final_obs = torch.randn(n_steps, n_envs, obs_dim, generator=gen)
        next_obs = torch.randn(n_envs, obs_dim, generator=gen)
        final_values = critic(final_obs.reshape(N, obs_dim)).reshape(n_steps, n_envs) if with_values else torch.zeros(
            n_steps, n_envs)
        last_values = critic(next_obs).reshape(n_envs) if with_values else torch.zeros(n_envs)
    rewards = torch.randn(n_steps, n_envs, generator=gen)
    terminated = torch.zeros(n_steps, n_envs, dtype=torch.bool)
    truncated = torch.zeros(n_steps, n_envs, dtype=torch.bool)
    for (t, e, kind) in done_pattern:
        (terminated if kind == "terminated" else truncated)[t, e] = True
    final_values = torch.where(truncated & ~terminated, final_values, torch.zeros_like(final_values))
    return {
        "obs": obs, "actions": actions.reshape(n_steps, n_envs, *actions.shape[1:]), "log_probs": log_probs.reshape(
            n_steps, n_envs), "values": values, "rewards": rewards, "terminated": terminated, "truncated": truncated,
        "final_values": final_values, "last_values": last_values, "masks": masks,
    }


def rollout_json(r):
    out = {
        "observations": r["obs"].tolist(),
        "actions": r["actions"].tolist(),
        "log_probs": r["log_probs"].tolist(),
        "values": r["values"].tolist(),
        "rewards": r["rewards"].tolist(),
        "terminated": r["terminated"].tolist(),
        "truncated": r["truncated"].tolist(),
        "final_values": r["final_values"].tolist(),
        "last_values": r["last_values"].tolist(),
    }
    if r["masks"] is not None:
        out["masks"] = r["masks"].tolist()
    return out


def flat(r, key):
    """[T][E][...] -> [N][...], transition (t, e) at row t * E + e (SB3's and theta's order)."""
    x = r[key]
    return x.reshape(x.shape[0] * x.shape[1], *x.shape[2:])


def explained_variance(values, returns):
    var = torch.var(returns, unbiased=False)
    return (1.0 - torch.var(returns - values, unbiased=False) / var).item()


def network_json(hidden, activation, dropout=0.0):
    return {"hidden": hidden, "activation": activation, "dropout": dropout}


# ---------------------------------------------------------------------------------------------
# PPO (SB3's PPO.train)


def ppo_case(name, kind, seed, cfg):
    gen = torch.Generator().manual_seed(seed)
    obs_dim, act = cfg["obs_dim"], cfg["act"]
    policy = Policy(kind, obs_dim, act, cfg["actor_hidden"], "tanh", 0.0, gen, cfg.get("log_std_init"))
    critic = Mlp([obs_dim, *cfg["critic_hidden"], 1], "tanh", 0.0, gen)
    r = make_rollout(gen, policy, critic, cfg["n_steps"], cfg["n_envs"], obs_dim, cfg["dones"])
    initial = {"actor": policy.export(), "critic": critic.export()}
    adv, ret = gae(r["rewards"], r["values"], r["terminated"], r["truncated"], r["final_values"], r["last_values"],
                   cfg["gamma"], cfg["gae_lambda"])

    obs, actions, old_log_prob = flat(r, "obs"), flat(r, "actions"), flat(r, "log_probs")
    advantages, returns = adv.reshape(-1), ret.reshape(-1)
    params = policy.parameters() + list(critic.parameters())
    optimizer = torch.optim.Adam(params, lr=cfg["learning_rate"], eps=cfg["adam_eps"])
    clip = cfg["clip_range"]
    per_minibatch = {k: [] for k in ("policy_gradient_loss", "value_loss", "entropy_loss", "approx_kl",
                                     "clip_fraction", "loss", "grad_norm")}
    epochs = []
    for epoch in range(cfg["n_epochs"]):
        # batch_size = the rollout: one minibatch per epoch (a shuffle only permutes the sums).
        a = advantages
        if cfg["normalize_advantage"] and len(a) > 1:
            a = (a - a.mean()) / (a.std() + 1e-8)
        log_prob, entropy = policy.log_prob_entropy(obs, actions)
        values = critic(obs).flatten()
        ratio = torch.exp(log_prob - old_log_prob)
        policy_loss_1 = a * ratio
        policy_loss_2 = a * torch.clamp(ratio, 1 - clip, 1 + clip)
        policy_loss = -torch.min(policy_loss_1, policy_loss_2).mean()
        value_loss = F.mse_loss(returns, values)
        entropy_loss = -torch.mean(entropy)
        loss = policy_loss + cfg["ent_coef"] * entropy_loss + cfg["vf_coef"] * value_loss
        with torch.no_grad():
            log_ratio = log_prob - old_log_prob
            approx_kl = torch.mean((torch.exp(log_ratio) - 1) - log_ratio).item()
            clipped = (torch.abs(ratio - 1) > clip)
            # Samples whose gradient the clip removes: A > 0 above 1 + eps, A < 0 below 1 - eps.
            held = ((a > 0) & (ratio > 1 + clip)) | ((a < 0) & (ratio < 1 - clip))
            margin = torch.min(torch.abs(torch.abs(ratio - 1) - clip)).item()
        optimizer.zero_grad()
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg["max_grad_norm"]).item()
        optimizer.step()
        for k, v in (("policy_gradient_loss", policy_loss.item()), ("value_loss", value_loss.item()),
                     ("entropy_loss", entropy_loss.item()), ("approx_kl", approx_kl),
                     ("clip_fraction", clipped.double().mean().item()), ("loss", loss.item()),
                     ("grad_norm", grad_norm)):
            per_minibatch[k].append(v)
        epochs.append({"ratio": ratio.tolist(), "clipped": int(clipped.sum()), "gradient_held_by_clip": int(held.sum()),
                       "min_distance_of_ratio_from_clip_edge": margin, "grad_norm": grad_norm,
                       "grad_clip_active": grad_norm > cfg["max_grad_norm"] - 1e-6})

    stats = {k: sum(v) / len(v) for k, v in per_minibatch.items()}
    stats["entropy"] = -stats["entropy_loss"]
    stats["explained_variance"] = explained_variance(r["values"].reshape(-1), ret.reshape(-1))
    if kind == "gaussian":
        stats["std"] = torch.exp(policy.log_std).mean().item()
    config = {k: cfg[k] for k in ("n_steps", "n_envs", "gamma", "gae_lambda", "batch_size", "n_epochs",
                                  "learning_rate", "adam_eps", "clip_range", "normalize_advantage", "ent_coef",
                                  "vf_coef", "max_grad_norm")}
    config["value_loss"] = "mse"
    return {
        "name": name, "policy": kind, "obs_dim": obs_dim, ("n_actions" if kind == "categorical" else "action_dim"): act,
        "actor_network": network_json(cfg["actor_hidden"], "tanh"),
        "critic_network": network_json(cfg["critic_hidden"], "tanh"),
        "config": config, "rollout": rollout_json(r),
        "advantages": adv.tolist(), "returns": ret.tolist(),
        "initial": initial, "expected": {"actor": policy.export(), "critic": critic.export()},
        "stats": stats, "per_minibatch": per_minibatch, "epochs": epochs,
    }


# ---------------------------------------------------------------------------------------------
# A2C (SB3's A2C.train, torch RMSprop)


def a2c_case(name, kind, seed, cfg):
    gen = torch.Generator().manual_seed(seed)
    obs_dim, act = cfg["obs_dim"], cfg["act"]
    policy = Policy(kind, obs_dim, act, cfg["actor_hidden"], "tanh", 0.0, gen, cfg.get("log_std_init"))
    critic = Mlp([obs_dim, *cfg["critic_hidden"], 1], "tanh", 0.0, gen)
    r = make_rollout(gen, policy, critic, cfg["n_steps"], cfg["n_envs"], obs_dim, cfg["dones"])
    initial = {"actor": policy.export(), "critic": critic.export()}
    adv, ret = gae(r["rewards"], r["values"], r["terminated"], r["truncated"], r["final_values"], r["last_values"],
                   cfg["gamma"], cfg["gae_lambda"])

    obs, actions = flat(r, "obs"), flat(r, "actions")
    a, returns = adv.reshape(-1), ret.reshape(-1)
    params = policy.parameters() + list(critic.parameters())
    optimizer = torch.optim.RMSprop(params, lr=cfg["learning_rate"], alpha=cfg["rms_prop_alpha"],
                                    eps=cfg["rms_prop_eps"], weight_decay=0)
    if cfg["normalize_advantage"]:
        a = (a - a.mean()) / (a.std() + 1e-8)
    log_prob, entropy = policy.log_prob_entropy(obs, actions)
    values = critic(obs).flatten()
    policy_loss = -(a * log_prob).mean()
    value_loss = F.mse_loss(returns, values)
    entropy_loss = -torch.mean(entropy)
    loss = policy_loss + cfg["ent_coef"] * entropy_loss + cfg["vf_coef"] * value_loss
    optimizer.zero_grad()
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg["max_grad_norm"]).item()
    optimizer.step()

    stats = {"policy_loss": policy_loss.item(), "value_loss": value_loss.item(), "entropy_loss": entropy_loss.item(),
             "entropy": -entropy_loss.item(), "grad_norm": grad_norm,
             "explained_variance": explained_variance(r["values"].reshape(-1), ret.reshape(-1))}
    if kind == "gaussian":
        stats["std"] = torch.exp(policy.log_std).mean().item()
    config = {k: cfg[k] for k in ("n_steps", "n_envs", "gamma", "gae_lambda", "learning_rate", "rms_prop_alpha",
                                  "rms_prop_eps", "normalize_advantage", "ent_coef", "vf_coef", "max_grad_norm")}
    config["use_rms_prop"] = True
    return {
        "name": name, "policy": kind, "obs_dim": obs_dim, ("n_actions" if kind == "categorical" else "action_dim"): act,
        "actor_network": network_json(cfg["actor_hidden"], "tanh"),
        "critic_network": network_json(cfg["critic_hidden"], "tanh"),
        "config": config, "rollout": rollout_json(r), "advantages": adv.tolist(), "returns": ret.tolist(),
        "initial": initial, "expected": {"actor": policy.export(), "critic": critic.export()}, "stats": stats,
        "grad_clip_active": grad_norm > cfg["max_grad_norm"] - 1e-6,
    }


# ---------------------------------------------------------------------------------------------
# TRPO (sb3-contrib's TRPO.train, with theta's documented KL(old || new) and summed Gaussian KL)


def trpo_case(name, kind, seed, cfg):
    gen = torch.Generator().manual_seed(seed)
    obs_dim, act = cfg["obs_dim"], cfg["act"]
    policy = Policy(kind, obs_dim, act, cfg["actor_hidden"], "tanh", 0.0, gen, cfg.get("log_std_init"))
    critic = Mlp([obs_dim, *cfg["critic_hidden"], 1], "tanh", 0.0, gen)
    r = make_rollout(gen, policy, critic, cfg["n_steps"], cfg["n_envs"], obs_dim, cfg["dones"])
    initial = {"actor": policy.export(), "critic": critic.export()}
    adv, ret = gae(r["rewards"], r["values"], r["terminated"], r["truncated"], r["final_values"], r["last_values"],
                   cfg["gamma"], cfg["gae_lambda"])

    obs, actions, old_log_prob = flat(r, "obs"), flat(r, "actions"), flat(r, "log_probs")
    a, returns = adv.reshape(-1), ret.reshape(-1)
    if cfg["normalize_advantage"]:
        a = (a - a.mean()) / (a.std() + 1e-8)
    actor_params = policy.parameters()

    # ---- 1. surrogate objective and its gradient at the old policy
    with torch.no_grad():
        old_distribution = policy.distribution(obs)
    distribution = policy.distribution(obs)
    log_prob, _ = policy.log_prob_entropy(obs, actions)
    ratio = torch.exp(log_prob - old_log_prob)
    policy_objective = (a * ratio).mean()
    kl = kl_old_new(old_distribution, distribution, kind).mean()
    g = torch.cat([x.reshape(-1) for x in torch.autograd.grad(policy_objective, actor_params, retain_graph=True)])
    grad_kl = torch.cat([x.reshape(-1) for x in torch.autograd.grad(kl, actor_params, create_graph=True)])

    # ---- 2. (F + damping I) s = g by conjugate gradient; F v by double backpropagation
    damping = cfg["cg_damping"]

    def fvp(v):
        hv = torch.autograd.grad((grad_kl * v).sum(), actor_params, retain_graph=True)
        out = torch.cat([x.reshape(-1) for x in hv]).detach() + damping * v
        if FVP_NOISE is not None:  # --sensitivity: a relative perturbation of ~1 ulp per entry
            out = out * (1 + 1e-16 * torch.randn(out.shape, generator=FVP_NOISE))
        return out

    g = g.detach()
    x = torch.zeros_like(g)
    residual = g.clone()
    rr = residual.dot(residual)
    p = residual.clone()
    iterations = 0
    residual_trace = [rr.item()]
    if rr >= cfg["cg_residual_tol"]:
        for i in range(cfg["cg_max_steps"]):
            ap = fvp(p)
            iterations += 1
            alpha = rr / p.dot(ap)
            x = x + alpha * p
            residual = residual - alpha * ap
            rr_new = residual.dot(residual)
            residual_trace.append(rr_new.item())
            if rr_new < cfg["cg_residual_tol"]:
                break
            p = residual + (rr_new / rr) * p
            rr = rr_new
    s = x
    shs = s.dot(fvp(s)).item()  # sb3-contrib: one more product, s^T (F + damping I) s
    shs_recurrence = s.dot(g - residual).item()
    step_size = math.sqrt(2 * cfg["target_kl"] / shs)

    # ---- 3. backtracking line search
    original = [q.detach().clone() for q in actor_params]
    trace = []
    accepted = None
    fraction = 1.0
    with torch.no_grad():
        old_objective = policy_objective.item()
        for k in range(cfg["line_search_max_iter"]):
            start = 0
            for q, q0 in zip(actor_params, original):
                n = q.numel()
                q.copy_(q0 + fraction * step_size * s[start:start + n].view(q.shape))
                start += n
            new_distribution = policy.distribution(obs)
            new_log_prob, new_entropy = policy.log_prob_entropy(obs, actions)
            objective = (a * torch.exp(new_log_prob - old_log_prob)).mean().item()
            kl_value = kl_old_new(old_distribution, new_distribution, kind).mean().item()
            kl_new_old = kl_old_new(new_distribution, old_distribution, kind).mean().item()
            ok = kl_value < cfg["target_kl"] and objective > old_objective
            trace.append({"fraction": fraction, "kl_old_new": kl_value, "kl_new_old_sb3_contrib": kl_new_old,
                          "objective": objective, "accepted": ok})
            if ok:
                accepted = {"index": k, "fraction": fraction, "kl": kl_value, "objective": objective,
                            "entropy": new_entropy.mean().item()}
                break
            fraction *= cfg["line_search_shrinking_factor"]
        if accepted is None:
            for q, q0 in zip(actor_params, original):
                q.copy_(q0)

    # ---- 4. critic: n_critic_updates passes of Adam (batch_size = the rollout: one minibatch each)
    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=cfg["learning_rate"], eps=cfg["adam_eps"])
    value_losses = []
    for _ in range(cfg["n_critic_updates"]):
        values = critic(obs).flatten()
        value_loss = F.mse_loss(returns, values)
        value_losses.append(value_loss.item())
        critic_optimizer.zero_grad()
        value_loss.backward()
        critic_optimizer.step()

    stats = {
        "policy_objective": accepted["objective"] if accepted else old_objective,
        "kl_divergence_loss": accepted["kl"] if accepted else 0.0,
        "approx_kl": accepted["kl"] if accepted else 0.0,
        "is_line_search_success": 1.0 if accepted else 0.0,
        "line_search_fraction": accepted["fraction"] if accepted else 0.0,
        "cg_iterations": float(iterations),
        "value_loss": sum(value_losses) / len(value_losses),
        "explained_variance": explained_variance(r["values"].reshape(-1), ret.reshape(-1)),
    }
    if accepted:
        stats["entropy"] = accepted["entropy"]
    if kind == "gaussian":
        stats["std"] = torch.exp(policy.log_std).mean().item()
    config = {k: cfg[k] for k in ("n_steps", "n_envs", "gamma", "gae_lambda", "target_kl", "cg_damping",
                                  "cg_max_steps", "cg_residual_tol", "line_search_max_iter",
                                  "line_search_shrinking_factor", "normalize_advantage", "batch_size",
                                  "n_critic_updates", "learning_rate", "adam_eps")}
    return {
        "name": name, "policy": kind, "obs_dim": obs_dim, ("n_actions" if kind == "categorical" else "action_dim"): act,
        "actor_network": network_json(cfg["actor_hidden"], "tanh"),
        "critic_network": network_json(cfg["critic_hidden"], "tanh"),
        "config": config, "rollout": rollout_json(r), "advantages": adv.tolist(), "returns": ret.tolist(),
        "initial": initial, "expected": {"actor": policy.export(), "critic": critic.export()}, "stats": stats,
        "policy_gradient": g.tolist(), "search_direction": s.tolist(), "shs": shs, "shs_recurrence": shs_recurrence,
        "step_size": step_size, "cg_residual_squared_norms": residual_trace, "line_search": trace, "value_losses": value_losses,
    }


# ---------------------------------------------------------------------------------------------
# REINFORCE (PyTorch's examples/reinforcement_learning/reinforce.py, plus theta's optional baseline)


def reinforce_case(name, kind, seed, cfg):
    gen = torch.Generator().manual_seed(seed)
    obs_dim, act = cfg["obs_dim"], cfg["act"]
    dropout = cfg["actor_dropout"]
    policy = Policy(kind, obs_dim, act, cfg["actor_hidden"], cfg["actor_activation"], dropout, gen,
                    cfg.get("log_std_init"))
    baseline = Mlp([obs_dim, *cfg["critic_hidden"], 1], cfg["critic_activation"], 0.0, gen)
    T = cfg["episode_steps"]
    mask_rows = sum(cfg["actor_hidden"]) if dropout > 0 else 0
    r = make_rollout(gen, policy, baseline, T, 1, obs_dim, [(T - 1, 0, "terminated")], mask_rows, dropout,
                     with_values=cfg["use_baseline"])
    initial = {"actor": policy.export(), "critic": baseline.export()}

    obs, actions = flat(r, "obs"), flat(r, "actions")
    masks = flat(r, "masks") if mask_rows > 0 else None
    rewards = r["rewards"].reshape(-1)
    G = torch.zeros(T)
    running = 0.0
    for t in reversed(range(T)):
        running = rewards[t].item() + cfg["gamma"] * running
        G[t] = running
    with torch.no_grad():
        v_old = baseline(obs).flatten() if cfg["use_baseline"] else torch.zeros(T)
    w = G - v_old
    if cfg["normalize_returns"]:
        w = (w - w.mean()) / (w.std() + FLOAT32_EPS)
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg["learning_rate"], eps=cfg["adam_eps"])
    log_prob, entropy = policy.log_prob_entropy(obs, actions, masks)
    loss = -(w * log_prob).sum()
    optimizer.zero_grad()
    loss.backward()
    if cfg["max_grad_norm"] > 0:
        grad_norm = torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg["max_grad_norm"]).item()
    else:
        grad_norm = total_grad_norm(policy.parameters())
    optimizer.step()
    stats = {"policy_loss": loss.item(), "entropy": entropy.mean().item(), "grad_norm": grad_norm}
    if cfg["use_baseline"]:
        # One Adam step (torch's default eps) on mean((G - V)^2).
        baseline_optimizer = torch.optim.Adam(baseline.parameters(), lr=cfg["baseline_learning_rate"])
        v = baseline(obs).flatten()
        value_loss = F.mse_loss(G, v)
        baseline_optimizer.zero_grad()
        value_loss.backward()
        baseline_optimizer.step()
        stats["value_loss"] = value_loss.item()
        stats["explained_variance"] = explained_variance(v_old, G)
    config = {k: cfg[k] for k in ("n_steps", "gamma", "learning_rate", "adam_eps", "normalize_returns",
                                  "use_baseline", "baseline_learning_rate", "max_grad_norm")}
    config["n_envs"] = 1
    config["gae_lambda"] = 1.0
    config["used_steps"] = T
    return {
        "name": name, "policy": kind, "obs_dim": obs_dim, ("n_actions" if kind == "categorical" else "action_dim"): act,
        "actor_network": network_json(cfg["actor_hidden"], cfg["actor_activation"], dropout),
        "critic_network": network_json(cfg["critic_hidden"], cfg["critic_activation"]),
        "config": config, "rollout": rollout_json(r), "advantages": (G - v_old).reshape(T, 1).tolist(),
        "returns": G.reshape(T, 1).tolist(), "weights": w.detach().reshape(T, 1).tolist(),
        "initial": initial, "expected": {"actor": policy.export(), "critic": baseline.export()}, "stats": stats,
    }


# ---------------------------------------------------------------------------------------------
# Cases


def cases():
    # A terminated step, a truncated one (bootstrapped from final_values) and both at once.
    dones_8x2 = [(2, 0, "terminated"), (5, 1, "truncated"), (6, 0, "terminated"), (6, 0, "truncated")]
    ppo_common = dict(n_steps=8, n_envs=2, gamma=0.99, gae_lambda=0.95, batch_size=16, n_epochs=2,
                      adam_eps=1e-5, clip_range=0.2, normalize_advantage=True, ent_coef=0.01, vf_coef=0.5,
                      max_grad_norm=0.5, actor_hidden=[8, 8], critic_hidden=[8, 8], dones=dones_8x2)
    a2c_common = dict(n_steps=5, n_envs=2, gamma=0.99, gae_lambda=1.0, learning_rate=7e-4, rms_prop_alpha=0.99,
                      rms_prop_eps=1e-5, ent_coef=0.01, vf_coef=0.5, max_grad_norm=0.5,
                      actor_hidden=[8, 8], critic_hidden=[8, 8],
                      dones=[(1, 0, "terminated"), (3, 1, "truncated")])
    trpo_common = dict(n_steps=8, n_envs=2, gamma=0.99, gae_lambda=0.95, cg_damping=0.1, cg_max_steps=15,
                       cg_residual_tol=1e-10, line_search_max_iter=10, line_search_shrinking_factor=0.8,
                       normalize_advantage=True, batch_size=16, n_critic_updates=3, learning_rate=1e-3,
                       adam_eps=1e-5, actor_hidden=[8, 8], critic_hidden=[8, 8], dones=dones_8x2)
    return {
        "ppo": [
            ppo_case("categorical_obs4_a3", "categorical", SEED + 1,
                     dict(ppo_common, obs_dim=4, act=3, learning_rate=0.03, clip_range=0.1)),
            ppo_case("gaussian_obs3_d2", "gaussian", SEED + 2,
                     dict(ppo_common, obs_dim=3, act=2, learning_rate=0.03, log_std_init=[-0.5, 0.2])),
        ],
        "a2c": [
            a2c_case("categorical_obs4_a3", "categorical", SEED + 11,
                     dict(a2c_common, obs_dim=4, act=3, normalize_advantage=False)),
            a2c_case("gaussian_obs3_d2_normalized", "gaussian", SEED + 12,
                     dict(a2c_common, obs_dim=3, act=2, normalize_advantage=True, log_std_init=[0.1, -0.3])),
        ],
        "trpo": [
            trpo_case("categorical_obs4_a3", "categorical", SEED + 21,
                      dict(trpo_common, obs_dim=4, act=3, target_kl=0.01)),
            # cg_max_steps 4: later conjugate-gradient iterates of this Fisher are fixed by float64
            # rounding only to ~1e-9 (README, "TRPO and conjugate gradient"; --sensitivity).
            trpo_case("gaussian_obs3_d2_backtracking", "gaussian", SEED + 24,
                      dict(trpo_common, obs_dim=3, act=2, target_kl=1.0, cg_max_steps=4,
                           log_std_init=[-0.5, 0.2])),
        ],
        "reinforce": [
            reinforce_case("categorical_obs4_a3_dropout", "categorical", SEED + 31,
                           dict(obs_dim=4, act=3, n_steps=16, episode_steps=12, gamma=0.99, learning_rate=1e-2,
                                adam_eps=1e-8, normalize_returns=True, use_baseline=False,
                                baseline_learning_rate=1e-2, max_grad_norm=0.0, actor_hidden=[16],
                                actor_activation="relu", actor_dropout=0.6, critic_hidden=[8],
                                critic_activation="relu")),
            reinforce_case("gaussian_obs3_d2_baseline", "gaussian", SEED + 32,
                           dict(obs_dim=3, act=2, n_steps=16, episode_steps=12, gamma=0.99, learning_rate=1e-2,
                                adam_eps=1e-8, normalize_returns=True, use_baseline=True,
                                baseline_learning_rate=1e-2, max_grad_norm=0.0, actor_hidden=[8, 8],
                                actor_activation="tanh", actor_dropout=0.0, critic_hidden=[8, 8],
                                critic_activation="tanh", log_std_init=[-0.5, 0.2])),
        ],
    }


def sensitivity():
    """How well float64 fixes each TRPO case: the largest err of the actor parameters between
    the reference and reruns whose Fisher-vector products carry ~1e-16 relative noise."""
    global FVP_NOISE
    reference = cases()["trpo"]
    worst = {c["name"]: 0.0 for c in reference}
    for seed in range(1, 6):
        FVP_NOISE = torch.Generator().manual_seed(seed)
        for c, p in zip(reference, cases()["trpo"]):
            for key, ref in c["expected"]["actor"].items():
                x, r = torch.tensor(p["expected"]["actor"][key]), torch.tensor(ref)
                err = ((x - r).abs() / r.abs().clamp(min=1)).max().item()
                worst[c["name"]] = max(worst[c["name"]], err)
    FVP_NOISE = None
    for name, err in worst.items():
        print(f"trpo/{name}: actor parameters move by err {err:.2g} under 1e-16 relative noise in F v")


def generate():
    data = {
        "meta": {
            "file": "updates.json", "set": "public", "seed": SEED, "dtype": "float64",
            "torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version(),
            "generator": "tests/data/torch/updates.py (see README.md)",
        },
    }
    data.update(cases())
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the existing updates.json")
    parser.add_argument("--sensitivity", action="store_true",
                        help="rerun the TRPO cases with perturbed Fisher-vector products, print the spread")
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "updates.json"))
    args = parser.parse_args()
    if args.sensitivity:
        sensitivity()
        return 0
    text = json.dumps(generate(), separators=(",", ":"), allow_nan=False)
    if args.check:
        with open(args.output) as f:
            same = f.read() == text
        print("updates.json is up to date" if same else "updates.json differs from a fresh generation")
        return 0 if same else 1
    with open(args.output, "w") as f:
        f.write(text)
    print(f"wrote {args.output} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
