#!/usr/bin/env bash
# P2 Tables 2–3 with the shipped profiles, certified at 1e-6 on one shared point set per Nmax
# (docs/2prr_injection.md), and the dependence of Table 3 on the 2PRR resolution N of the η file.
# Usage: OUT=/tmp/inject bash benchmarks/inject_tables.sh [profiles|resolution|table3|table2|table2-1e7|table3-jmax20]...
set -euo pipefail
OUT=${OUT:-inject-tables}
mkdir -p "$OUT"
for step in ${*:-profiles resolution table3 table2 table2-1e7 table3-jmax20}; do
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
        --jmin-list -1,0,2,4,6,8,10 --nmax 8,10,12 --rounds 1 --per-round 64 --out "$OUT/table2" ;;
    table2-1e7)   # Table 2 on the second SVD rung (Nmax 10 certified)
      smatrix inject --eta data/2prr/c0-40pi.eta.json --objective max-c0 --jmin-list -1,0,2,4,6,8,10 \
        --nmax 10,12 --svd-cutoff 1e-7 --rounds 2 --per-round 64 --out "$OUT/table2-1e7" ;;
    table3-jmax20)   # Table 3 at Nmax 12 with J ≤ 20 imposed (the spin cut)
      smatrix inject --eta data/2prr/c0-28pi.eta.json --objective min-c2 --c0 28pi --jmin-list -1,0,2,4,6,8,10 \
        --nmax 12 --jmax 20 --rounds 2 --per-round 64 --out "$OUT/table3-jmax20" ;;
    resolution)   # min c2 at 28π, J_min = 10, Nmax 8 (grid and η nodes, no refinement), with the η of each N
      for f in "$OUT/eta-28pi-n32.json" "$OUT/eta-28pi-n40.json" data/2prr/c0-28pi.eta.json; do
        smatrix inject --eta "$f" --objective min-c2 --c0 28pi --jmin-list 10 --nmax 8 --rounds 0 \
          --out "$OUT/resolution-$(basename "$f" .json)"
      done ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
