#!/usr/bin/env python3
"""Turns theta-bench's JSON and CSV curves into docs/benchmarks.md and PNG learning curves.

    python3 benchmarks/report.py --json results.json --csv-dir curves/ \
        --out docs/benchmarks.md --img-dir docs/img --command "theta-bench --scenario all ..."

Standard library only; the PNGs need gnuplot (Debian: gnuplot-nox).
"""
import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys

# Reference figures and targets of ../shared/TARGETS.md (measured on this kind of machine,
# November 2026). "speed" is the machine-checkable part of the target: (kind, value) with kind
# "steps_per_s" (at least), "wall_s" (at most) or "x1_at_2" (the steps/s of the 2-worker runs
# over those of the 1-worker runs, at least; checked on the 2-worker row); "solved" is the
# number of seeds of 5 needed.
TARGETS = {
    "ppo-cartpole-zoo": ("SB3: 17.8-19.7 s (5.1-5.6k steps/s); eval 500", 5, ("steps_per_s", 60_000)),
    "ppo-cartpole-cleanrl": ("CleanRL: 7.1k steps/s (500k steps in 70.5 s); eval 500", 5, ("steps_per_s", 300_000)),
    "ppo-pendulum-rltools": ("RLtools: 0.72-0.93 s; eval -172.7", 5, ("wall_s", 0.72)),
    "sac-pendulum-rltools": ("RLtools: 2.55-3.15 s", 0, ("wall_s", 2.55)),
    "sac-pendulum-zoo": ("SB3: 325-390 s (51-62 steps/s); eval -145 to -148", 5, ("steps_per_s", 180)),
    "a2c-cartpole-zoo": ("SB3: 48.9-59.5 s (8.4-10.2k steps/s); eval 500", 4, ("steps_per_s", 400_000)),
    "trpo-cartpole-zoo": ("sb3-contrib: 30.8-32.7 s (3.1-3.3k steps/s); eval 500", 5, ("steps_per_s", 100_000)),
    "trpo-pendulum": ("sb3-contrib (with gSDE): 36-38 s; eval -162", 4, ("steps_per_s", 100_000)),
    "reinforce-cartpole": ("PyTorch example: 67 s (3.0k steps/s); eval 500", 4, ("steps_per_s", 300_000)),
    "ppo-halfcheetah": ("CleanRL + PyTorch: 1.5-1.7k steps/s, ~10 min per 1M steps", 0, ("wall_s", 60.0)),
    # The comparators (A2C with the A3C scenario's per-worker settings) have no target of their own.
    "a3c-cartpole": ("RLlib's tuned CartPole settings, stopping when solved; A2C side by side", 5, ("steps_per_s", 0)),
    "a3c-cartpole-throughput": ("a3c-cartpole over the whole budget", 0, ("x1_at_2", 1.7)),
    "a3c-cartpole-a2c": ("A2C with a3c-cartpole's per-worker settings", 0, ("steps_per_s", 0)),
    "a3c-pendulum": ("tuned here; A2C side by side", 4, ("steps_per_s", 0)),
    "a3c-pendulum-a2c": ("A2C with a3c-pendulum's per-worker settings", 0, ("steps_per_s", 0)),
}
THRESHOLDS = {"pendulum": -200.0, "cartpole": 475.0}


def label(run):
    """The scenario, and `.wN` for a run of a per-worker scenario (theta-bench --workers)."""
    workers = run.get("workers", 0)
    return f"{run['scenario']}.w{workers}" if workers else run["scenario"]


def fmt_at(run):
    return "-" if run["solved_at_step"] is None else f"{run['solved_at_step']:,}"


def median(values):
    return statistics.median(values) if values else float("nan")


def threshold_of(scenario):
    for key, value in THRESHOLDS.items():
        if key in scenario:
            return value
    return None


def read_curve(path, column):
    points = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            value = row.get(column, "")
            if value not in ("", None):
                points.append((int(row["step"]), float(value)))
    return points


def plot(scenario, csv_paths, png, column):
    """Median and min-max range over seeds of `column` against steps."""
    curves = [read_curve(p, column) for p in csv_paths]
    curves = [c for c in curves if c]
    if not curves:
        return False
    steps = sorted({s for c in curves for s, _ in c})
    rows = []
    for s in steps:
        values = []
        for c in curves:  # last value at or before s (curves of different seeds share steps here)
            earlier = [v for cs, v in c if cs <= s]
            if earlier:
                values.append(earlier[-1])
        if len(values) == len(curves):
            rows.append((s, median(values), min(values), max(values)))
    data = png + ".dat"
    with open(data, "w") as f:
        for r in rows:
            f.write("%d %.6g %.6g %.6g\n" % r)
    threshold = threshold_of(scenario)
    script = f"""
set terminal pngcairo size 900,500 enhanced font ",11"
set output "{png}"
set title "{scenario}: {column} (median and range over {len(curves)} seeds)" noenhanced
set xlabel "environment steps"
set grid
set key bottom right
plot "{data}" using 1:3:4 with filledcurves fillcolor rgb "#a6c8e8" title "range", \\
     "{data}" using 1:2 with lines linewidth 2 linecolor rgb "#1f77b4" title "median"{", " + str(threshold) + " with lines dashtype 2 linecolor rgb '#d62728' title 'solved'" if threshold is not None else ""}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.remove(data)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", required=True)
    ap.add_argument("--csv-dir")
    ap.add_argument("--out", required=True)
    ap.add_argument("--img-dir", required=True)
    ap.add_argument("--command", required=True, help="the theta-bench command that produced the JSON")
    ap.add_argument("--note", default="", help="a paragraph about the machine and the run")
    args = ap.parse_args()

    with open(args.json) as f:
        runs = json.load(f)
    scenarios = list(dict.fromkeys(label(r) for r in runs))
    os.makedirs(args.img_dir, exist_ok=True)

    lines = ["# Benchmarks", "",
             "Produced by `benchmarks/report.py` from the output of:", "", "```", args.command, "```", ""]
    if args.note:
        lines += [args.note, ""]
    lines += ["Medians over seeds. `wall_s` is training time without the periodic evaluations; `eval` is a "
              "deterministic evaluation over 20 episodes at the end; `solved at` is the first periodic evaluation "
              "(20 episodes) at or above the threshold (CartPole 475, Pendulum -200), and `solved s` the training time "
              "when it began. `.wN`: a run with N workers (A3C) or N x the per-worker environments (its A2C "
              "comparator); `x 1 worker` is its steps/s over the 1-worker run of the same seed. Reference figures are "
              "those of TARGETS.md, measured on this kind of machine.", "",
              "| scenario | steps | wall_s | steps/s | x 1 worker | eval | solved | solved at | solved s | peak RSS | "
              "reference (measured here) | target | met |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in scenarios:
        rs = [r for r in runs if label(r) == s]
        wall = median([r["wall_s"] for r in rs])
        speed = median([r["steps_per_s"] for r in rs])
        ev = median([r["eval_return"] for r in rs])
        solved = sum(1 for r in rs if r["solved"])
        at = [r["solved_at_step"] for r in rs if r["solved_at_step"] is not None]
        at_s = [r["solved_at_s"] for r in rs if r.get("solved_at_s") is not None]
        ratios = []
        for r in rs:
            one = [o for o in runs if o["scenario"] == r["scenario"] and o["seed"] == r["seed"]
                   and o.get("workers", 0) == 1]
            if r.get("workers", 0) and one:
                ratios.append(r["steps_per_s"] / one[0]["steps_per_s"])
        rss = median([r["peak_rss_kb"] / 1024 for r in rs])
        reference, need_solved, (kind, value) = TARGETS.get(rs[0]["scenario"], ("", 0, ("steps_per_s", 0)))
        if kind == "x1_at_2":
            speed_ok = rs[0].get("workers", 0) != 2 or (bool(ratios) and median(ratios) >= value)
        else:
            speed_ok = speed >= value if kind == "steps_per_s" else wall <= value
        solved_ok = solved >= need_solved * len(rs) / 5 if need_solved else True
        target = (f"solved {need_solved}/5" if need_solved else "") + ("; " if need_solved and value else "") + (
            "" if not value else f">= {value:,.0f} steps/s" if kind == "steps_per_s"
            else f"2 workers >= {value}x 1 worker" if kind == "x1_at_2" else f"<= {value} s") or "-"
        met = "yes" if speed_ok and solved_ok else "**no**: " + ", ".join(
            x for x, ok in (("speed", speed_ok), ("solved", solved_ok)) if not ok)
        lines.append(f"| `{s}` | {rs[0]['steps']:,} | {wall:.2f} | {speed:,.0f} | "
                     f"{'-' if not ratios else f'{median(ratios):.2f}'} | {ev:.1f} | {solved}/{len(rs)} | "
                     f"{'-' if not at else f'{median(at):,.0f}'} | {'-' if not at_s else f'{median(at_s):.2f}'} | "
                     f"{rss:.1f} MB | {reference} | {target} | {met} |")
    lines += ["", "## Every run", "", "| scenario | seed | steps | wall_s | steps/s | eval | solved | solved at |",
              "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| `{label(r)}` | {r['seed']} | {r['steps']:,} | {r['wall_s']:.3f} | {r['steps_per_s']:,.0f} | "
                     f"{r['eval_return']:.1f} | {'yes' if r['solved'] else 'no'} | "
                     f"{fmt_at(r)} |")
    if args.csv_dir:
        lines += ["", "## Learning curves", "",
                  "Mean return of the last 100 training episodes (`rollout/ep_rew_mean`), median and range over seeds."]
        for s in scenarios:
            paths = sorted(os.path.join(args.csv_dir, f) for f in os.listdir(args.csv_dir)
                           if f.startswith(s + "_seed") and f.endswith(".csv"))
            png = os.path.join(args.img_dir, s + ".png")
            if paths and plot(s, paths, png, "rollout/ep_rew_mean"):
                rel = os.path.relpath(png, os.path.dirname(os.path.abspath(args.out)))
                lines += ["", f"![{s}]({rel})"]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
