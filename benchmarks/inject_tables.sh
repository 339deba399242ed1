#!/usr/bin/env bash
# P2 Tables 2–3 with the shipped profiles, certified at 1e-6 (|S_J|² − 1 and |S_J|² − 1 + η_J) on one
# shared point set and spin cut per Nmax (docs/2prr_injection.md); the dependence of Table 3 on the
# 2PRR resolution N of the η file; the feasibility of the 2PRR amplitude for the injected problem.
# Usage: OUT=/tmp/inject bash benchmarks/inject_tables.sh [profiles|table3|table2|table2-n12|table3-n12|compare40|primal|nmax14|resolution|feasibility]...
set -euo pipefail
OUT=${OUT:-inject-tables}
mkdir -p "$OUT"
for step in ${*:-profiles table3 table2 table2-n12 primal nmax14 resolution feasibility}; do
  case $step in
    table3)     # with the comparison against the 2PRR amplitude (Figs. 29–31; needs the profiles step)
      /usr/bin/time -f "%e s" smatrix inject --eta data/2prr/c0-28pi.eta.json --objective min-c2 --c0 28pi \
        --jmin-list -1,0,2,4,6,8,10 --nmax 8,10,12 --rounds 4 --per-round 64 \
        --solution "$OUT/2prr-28pi-n48/solution.npz" --out "$OUT/table3" ;;
    table2)
      /usr/bin/time -f "%e s" smatrix inject --eta data/2prr/c0-40pi.eta.json --objective max-c0 \
        --jmin-list -1,0,2,4,6,8,10 --nmax 8,10,12 --rounds 4 --per-round 64 --out "$OUT/table2" ;;
    table2-n12)   # Table 2 at Nmax 12 with the spin limit raised to 40 (the tail above J = 36)
      /usr/bin/time -f "%e s" smatrix inject --eta data/2prr/c0-40pi.eta.json --objective max-c0 \
        --jmin-list -1,0,2,4,6,8,10 --nmax 12 --jmax 32 --jmax-limit 40 --rounds 3 --per-round 64 \
        --out "$OUT/table2-n12" ;;
    table3-n12)   # Table 3 at Nmax 12 alone, with the high-spin check and spin bands (eighth session)
      /usr/bin/time -f "%e s" smatrix inject --eta data/2prr/c0-28pi.eta.json --objective min-c2 --c0 28pi \
        --jmin-list -1,0,2,4,6,8,10 --nmax 12 --rounds 4 --per-round 64 --out "$OUT/table3-n12" ;;
    compare40)  # P2 Figs. 29–31 at P2's coupling: min c2 at 40π with the 40π profile, against its 2PRR amplitude
      smatrix 2prr --c0 40pi --n 48 --ladder 48 --out "$OUT/2prr-40pi-n48" --no-plots --json > "$OUT/2prr-40pi-n48.json"
      /usr/bin/time -f "%e s" smatrix inject --eta data/2prr/c0-40pi.eta.json --objective min-c2 --c0 40pi \
        --jmin-list -1,0,2,4,6,8,10 --nmax 8,10,12 --rounds 4 --per-round 64 \
        --solution "$OUT/2prr-40pi-n48/solution.npz" --out "$OUT/compare40" ;;
    nmax14)     # Table 3's last row at Nmax 14 (J ≤ 32 imposed from the start; Clarabel needs the 1e-6 rung)
      for cutoff in 1e-8 1e-6; do
        /usr/bin/time -f "%e s" smatrix inject --eta data/2prr/c0-28pi.eta.json --objective min-c2 --c0 28pi \
          --jmin-list 10 --nmax 14 --jmax 32 --rounds 4 --per-round 64 --svd-cutoff "$cutoff" --out "$OUT/nmax14-$cutoff" || true
      done ;;
    primal)     # the J_min = 0 row of Table 2 by the single-row command
      /usr/bin/time -f "%e s" smatrix primal --model full --objective max-c0 --nmax 10 \
        --inelasticity data/2prr/c0-40pi.eta.json --jmin 0 --json > "$OUT/primal-jmin0.json" ;;
    profiles)   # η files of the 28π amplitude at N = 32, 40 (N = 48 is the shipped file), and its N = 48 solution
      for n in 32 40; do
        /usr/bin/time -f "%e s" smatrix 2prr --c0 28pi --n "$n" --eta-out "$OUT/eta-28pi-n$n.json" --json \
          > "$OUT/2prr-28pi-n$n.json"
      done
      smatrix 2prr --c0 28pi --n 48 --ladder 48 --out "$OUT/2prr-28pi-n48" --no-plots --json > "$OUT/2prr-28pi-n48.json" ;;
    resolution)   # min c2 at 28π, J_min = 10, Nmax 8 (grid and η nodes, no refinement), with the η of each N
      for f in "$OUT/eta-28pi-n32.json" "$OUT/eta-28pi-n40.json" data/2prr/c0-28pi.eta.json; do
        smatrix inject --eta "$f" --objective min-c2 --c0 28pi --jmin-list 10 --nmax 8 --rounds 0 \
          --out "$OUT/resolution-$(basename "$f" .json)"
      done ;;
    feasibility)   # the 2PRR amplitude's own 1 − |S_J|² injected (needs the profiles step)
      for n in 8 10 12; do
        python benchmarks/inject_feasibility.py "$OUT/2prr-28pi-n48/solution.npz" "$n"
      done | tee "$OUT/feasibility.txt" ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
