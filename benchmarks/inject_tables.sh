#!/usr/bin/env bash
# P2 Tables 2–3 with the shipped profiles, certified at 1e-6 on one shared point set per Nmax
# (docs/2prr_injection.md), and the dependence of Table 3 on the 2PRR resolution N of the η file.
# Usage: OUT=/tmp/inject bash benchmarks/inject_tables.sh [profiles|table3|table2|resolution]...
set -euo pipefail
OUT=${OUT:-inject-tables}
mkdir -p "$OUT"
for step in ${*:-profiles table3 table2 resolution}; do
  case $step in
    profiles)   # η files of the 28π amplitude at N = 32, 40 (N = 48 is the shipped file)
      for n in 32 40; do
        /usr/bin/time -f "%e s" smatrix 2prr --c0 28pi --n "$n" --eta-out "$OUT/eta-28pi-n$n.json" --json \
          > "$OUT/2prr-28pi-n$n.json"
      done ;;
    table3)
      smatrix inject --eta data/2prr/c0-28pi.eta.json --objective min-c2 --c0 28pi \
        --jmin-list -1,0,2,4,6,8,10 --nmax 8,10,12 --rounds 1 --per-round 64 --out "$OUT/table3" ;;
    table2)
      smatrix inject --eta data/2prr/c0-40pi.eta.json --objective max-c0 \
        --jmin-list -1,0,2,4,6,8,10 --nmax ${TABLE2_NMAX:-8,10,12} --rounds 1 --per-round 64 --out "$OUT/table2" ;;
    resolution)   # min c2 at 28π, J_min = 10, Nmax 8 (grid and η nodes, no refinement), with the η of each N
      for f in "$OUT/eta-28pi-n32.json" "$OUT/eta-28pi-n40.json" data/2prr/c0-28pi.eta.json; do
        smatrix inject --eta "$f" --objective min-c2 --c0 28pi --jmin-list 10 --nmax 8 --rounds 0 \
          --out "$OUT/resolution-$(basename "$f" .json)"
      done ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
