#!/usr/bin/env bash
# Prints the CPU seconds (user + system) a process has used so far: cpu-of.sh PID
set -euo pipefail
awk '{ split($0, a, ") "); split(a[2], f, " "); printf "%.2f\n", (f[12] + f[13]) / 100 }' "/proc/$1/stat"
