#!/usr/bin/python3
"""Reference values of torch.nn.GRU and torch.nn.LSTM (one layer), forward and backward through
time, with episode starts inside a sequence, written to recurrent.json.

The weights, inputs, starting states and output cotangents are drawn from a fixed seed and
rounded to 4 decimals (so the file stays small and the JSON text is exactly the float64 torch
used). Sequences without episode starts run torch's whole-sequence call `rnn(x, state)`;
sequences with them run one step at a time and multiply the state by (1 - episode_start)
before each step, as sb3-contrib's RecurrentPPO (`_process_sequence`) does. Gradients come
from autograd of the scalar

    loss = sum(outputs * d_outputs) + sum(h_T * d_h_T) [+ sum(c_T * d_c_T) for the LSTM]

with respect to every parameter, the inputs and the starting state. float64, CPU, one thread.
The format is documented in README.md (section recurrent.json).

Run with the Debian interpreter and python3-torch (no other dependency):

    /usr/bin/python3 tests/data/torch/recurrent.py           # writes recurrent.json beside this file
    /usr/bin/python3 tests/data/torch/recurrent.py --check   # regenerates in memory, compares with the file
"""

import argparse
import json
import os
import platform
import sys

import torch

SEED = 424242
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

# name, cell, inputs, hidden, batch, steps, episode starts as (step, sample) pairs
CASES = [
    ("gru_sequence", "gru", 2, 3, 2, 3, []),
    ("gru_resets", "gru", 2, 3, 3, 4, [(2, 0), (0, 1), (1, 2), (3, 2)]),
    ("lstm_sequence", "lstm", 2, 3, 2, 3, []),
    ("lstm_resets", "lstm", 2, 3, 3, 4, [(2, 0), (0, 1), (1, 2), (3, 2)]),
]


def draw(gen, *shape, scale=1.0):
    """Uniform in [-scale, scale), rounded to 4 decimals."""
    values = (torch.rand(shape, generator=gen) * 2 - 1) * scale
    return torch.round(values * 1e4) / 1e4


def tolist(t):
    return t.detach().tolist()


def run_case(name, cell, n_in, hidden, batch, steps, starts_at, gen):
    rnn = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(n_in, hidden)
    # Weights a little larger than torch's U(-1/sqrt(H), 1/sqrt(H)) default, so every gate
    # works away from its linear regime.
    with torch.no_grad():
        for p in (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0):
            p.copy_(draw(gen, *p.shape, scale=1.0))
    x = draw(gen, steps, batch, n_in, scale=2.0).requires_grad_(True)
    h0 = draw(gen, batch, hidden).requires_grad_(True)
    c0 = draw(gen, batch, hidden).requires_grad_(True) if cell == "lstm" else None
    starts = torch.zeros(steps, batch)
    for t, b in starts_at:
        starts[t, b] = 1.0
    d_outputs = draw(gen, steps, batch, hidden)
    d_h = draw(gen, batch, hidden)
    d_c = draw(gen, batch, hidden) if cell == "lstm" else None

    def state_in(h, c):
        return h.unsqueeze(0) if cell == "gru" else (h.unsqueeze(0), c.unsqueeze(0))

    if not starts_at:
        outputs, state = rnn(x, state_in(h0, c0))
        h_t, c_t = (state[0], None) if cell == "gru" else (state[0][0], state[1][0])
    else:
        h, c = h0, c0
        outs = []
        for t in range(steps):
            keep = (1.0 - starts[t]).view(batch, 1)
            h = keep * h
            if cell == "lstm":
                c = keep * c
            out, state = rnn(x[t : t + 1], state_in(h, c))
            outs.append(out)
            if cell == "gru":
                h = state[0]
            else:
                h, c = state[0][0], state[1][0]
        outputs = torch.cat(outs)
        h_t, c_t = h, c
    loss = (outputs * d_outputs).sum() + (h_t * d_h).sum()
    if cell == "lstm":
        loss = loss + (c_t * d_c).sum()
    loss.backward()

    case = {
        "name": name,
        "cell": cell,
        "inputs": n_in,
        "hidden": hidden,
        "batch": batch,
        "steps": steps,
        "weight_ih": tolist(rnn.weight_ih_l0),
        "weight_hh": tolist(rnn.weight_hh_l0),
        "bias_ih": tolist(rnn.bias_ih_l0),
        "bias_hh": tolist(rnn.bias_hh_l0),
        "x": tolist(x),
        "h0": tolist(h0),
        "episode_starts": [[int(v) for v in row] for row in starts.tolist()],
        "d_outputs": tolist(d_outputs),
        "d_h_T": tolist(d_h),
        "loss": loss.item(),
        "outputs": tolist(outputs),
        "h_T": tolist(h_t),
        "grad_weight_ih": tolist(rnn.weight_ih_l0.grad),
        "grad_weight_hh": tolist(rnn.weight_hh_l0.grad),
        "grad_bias_ih": tolist(rnn.bias_ih_l0.grad),
        "grad_bias_hh": tolist(rnn.bias_hh_l0.grad),
        "grad_x": tolist(x.grad),
        "grad_h0": tolist(h0.grad),
    }
    if cell == "lstm":
        case.update({"c0": tolist(c0), "d_c_T": tolist(d_c), "c_T": tolist(c_t), "grad_c0": tolist(c0.grad)})
    return case


def generate():
    gen = torch.Generator().manual_seed(SEED)
    cases = [run_case(*c, gen) for c in CASES]
    meta = {
        "file": "recurrent.json",
        "generator": "recurrent.py",
        "seed": SEED,
        "dtype": "float64",
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    return {"meta": meta, "cases": cases}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recurrent.json")
    data = generate()
    text = json.dumps(data, separators=(",", ":")) + "\n"
    if args.check:
        with open(path) as f:
            same = f.read() == text
        print("recurrent.json is up to date" if same else "recurrent.json differs from a fresh run")
        sys.exit(0 if same else 1)
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {path} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
