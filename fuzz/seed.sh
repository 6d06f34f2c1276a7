#!/bin/sh
# Seeds fuzz/corpus/ from the repository: every scenario file for `scenario`, every expression
# (`expr = '...'`, `when = '...'`) written in them for `expr`. Run from anywhere.
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/scenario corpus/expr
for f in ../scenarios/*.toml ../tests/bad_scenarios/*.toml ../tests/it/data/*.toml; do
    cp "$f" "corpus/scenario/$(basename "$(dirname "$f")")_$(basename "$f")"
done
n=0
grep -hoE "^[[:space:]]*(expr|when)[[:space:]]*=[[:space:]]*'[^']*'" \
        ../scenarios/*.toml ../tests/bad_scenarios/*.toml |
    sed -E "s/^[^']*'//; s/'\$//" | sort -u |
    while IFS= read -r e; do
        n=$((n + 1))
        printf '%s' "$e" > "corpus/expr/seed_$n"
    done
cp seeds/expr/* corpus/expr/
echo "scenario: $(ls corpus/scenario | wc -l) files, expr: $(ls corpus/expr | wc -l) files"
