#!/usr/bin/env bash
# Plots a training CSV (written by theta::CsvLogger) to a PNG learning curve with gnuplot.
#
#   benchmarks/plot_learning_curve.sh run.csv curve.png [column] [title]
#
# column defaults to rollout/ep_rew_mean (the mean return of recent training episodes); the
# x axis is the environment step. Needs gnuplot (Debian: gnuplot-nox).
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 run.csv curve.png [column] [title]" >&2
  exit 2
fi
csv="$1"
png="$2"
column="${3:-rollout/ep_rew_mean}"
title="${4:-$(basename "$csv" .csv)}"
command -v gnuplot >/dev/null || { echo "$0: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -s "$csv" ] || { echo "$0: '$csv' is missing or empty" >&2; exit 1; }
head -n 1 "$csv" | tr ',' '\n' | grep -qx "$column" || { echo "$0: '$csv' has no column '$column'" >&2; exit 1; }
gnuplot <<GNUPLOT
set terminal pngcairo size 900,540 enhanced font ",11"
set output "$png"
set datafile separator ","
set title "$title" noenhanced
set xlabel "environment steps"
set ylabel "$column" noenhanced
set grid
set key off
plot "$csv" using "step":"$column" with lines linewidth 2 linecolor rgb "#1f77b4"
GNUPLOT
echo "wrote $png"
