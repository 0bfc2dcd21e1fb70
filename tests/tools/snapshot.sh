#!/usr/bin/env bash
# Every output the command line writes, in one folder, for a byte-for-byte comparison of two
# versions of the code (a refactoring must not change any of it):
#
#   git stash; tests/tools/snapshot.sh /tmp/before; git stash pop
#   tests/tools/snapshot.sh /tmp/after
#   python3 tests/tools/compare_snapshots.py /tmp/before /tmp/after    # "0 differences"
#
# Covers: a run of every shipped scenario (folder, figures, report), a run with --seed and
# --set, the terminal summary, two comparisons, grid, lhs and sobol sweeps, the MSEL of every
# scenario as CSV and JSON, a replayed game, validate (good and bad files), schema, and
# `tabletop report` redrawing a run folder. Run from the repository root; PYTHON chooses the
# interpreter (default .venv/bin/python).
set -u
OUT=$1
rm -rf "$OUT"
mkdir -p "$OUT"
ROOT=$PWD
T="env PYTHONPATH=$ROOT ${PYTHON:-$ROOT/.venv/bin/python} -m sim"
FILES=$(mktemp -d)
trap 'rm -rf "$FILES"' EXIT

for s in scenarios/*.yaml; do
  n=$(basename "$s" .yaml)
  $T run "$s" --out "$OUT/run-$n" --quiet > "$OUT/run-$n.stdout" 2>&1
  $T msel "$s" --format csv > "$OUT/msel-$n.csv" 2>&1
  $T msel "$s" --format json > "$OUT/msel-$n.json" 2>&1
done
$T run scenarios/baseline-corridor.yaml --out "$OUT/run-stdout" > "$OUT/run-stdout.txt" 2>&1
$T run scenarios/northern-corridor.yaml --seed 7 --set sharing.delay_scale=0.5 --out "$OUT/run-set" --no-plots > /dev/null 2>&1
$T compare scenarios/bilateral-slow.yaml scenarios/regional-hub.yaml --replications 6 --out "$OUT/cmp" > "$OUT/cmp.txt" 2>&1
$T compare scenarios/baseline-corridor.yaml scenarios/baseline-corridor.yaml --set-b sharing.delay_scale=0.5 \
  --replications 5 --out "$OUT/cmp2" > "$OUT/cmp2.txt" 2>&1

cat > "$FILES/small-grid.yaml" <<Y
scenario: $ROOT/scenarios/baseline-corridor.yaml
design: grid
parameters:
  sharing.delay_scale: [0, 0.5, 1]
  sharing.links[*].trust: [0.5, 1]
replications: 3
seed: 11
outputs: [detection_rate, late_share]
threshold: {output: detection_rate, above: 0.30, parameter: sharing.delay_scale}
Y
cat > "$FILES/lhs.yaml" <<Y
scenario: $ROOT/scenarios/baseline-corridor.yaml
design: lhs
samples: 12
parameters:
  sharing.delay_scale: {low: 0, high: 3}
  intelligence[0].covers: {low: 0.3, high: 1.0}
replications: 2
seed: 5
outputs: [detection_rate, misses.late]
Y
sed -e 's/^samples: 256/samples: 16/' -e "s#^scenario: ..#scenario: $ROOT/scenarios#" \
  scenarios/sweeps/sobol-five.yaml > "$FILES/sobol-small.yaml"
$T sweep "$FILES/small-grid.yaml" --workers 1 --out "$OUT/sweep-grid" > "$OUT/sweep-grid.txt" 2>&1
$T sweep "$FILES/lhs.yaml" --workers 1 --out "$OUT/sweep-lhs" > "$OUT/sweep-lhs.txt" 2>&1
$T sweep "$FILES/sobol-small.yaml" --workers 2 --out "$OUT/sweep-sobol" > "$OUT/sweep-sobol.txt" 2>&1

$T validate scenarios/*.yaml scenarios/sweeps/*.yaml > "$OUT/validate.txt" 2>&1
(cd "$FILES" && $T validate lhs.yaml sobol-small.yaml small-grid.yaml) > "$OUT/validate-sweeps.txt" 2>&1
$T schema > "$OUT/schema.json" 2>&1
printf 'x: [\n' > "$FILES/bad.yaml"
(cd "$FILES" && $T validate bad.yaml) > "$OUT/validate-bad.txt" 2>&1; echo "rc=$?" >> "$OUT/validate-bad.txt"
$T run scenarios/baseline-corridor.yaml --set sharing.delay_scal=1 --out "$FILES/x" > "$OUT/set-bad.txt" 2>&1
echo "rc=$?" >> "$OUT/set-bad.txt"
sed -n '/^agency: HUB/,/^```/p' docs/exercise.md | grep -v '^```' > "$FILES/decisions.yaml"
$T play scenarios/northern-corridor.yaml --as HUB --decisions "$FILES/decisions.yaml" --out "$OUT/play" \
  > "$OUT/play.txt" 2>&1
echo "rc=$?" >> "$OUT/play.txt"
cp -r "$OUT/run-baseline-corridor" "$OUT/redraw-run"
rm -rf "$OUT/redraw-run/figures" "$OUT/redraw-run/report.html"
$T report "$OUT/redraw-run" > /dev/null 2>&1

# What differs between two identical runs: timings (manifest.json) and seconds in the terminal.
find "$OUT" -name manifest.json -delete
find "$OUT" \( -name '*.txt' -o -name '*.stdout' \) -print0 | xargs -0 sed -i -E 's/[0-9.]+ ?s\b/Ns/g'
