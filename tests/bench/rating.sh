#!/usr/bin/env bash
# Longest-prefix lookup over 100,000 and 500,000 prefixes (median time per lookup, bytes per
# prefix) for the rating index next to a digit trie built from the same prefixes in the same
# run, and rating 1,000,000 calls in memory against the 100,000-prefix deck. Release build,
# one thread. Not a test: it prints figures, it asserts only that both structures agree.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release -q -p centralita-domain --example rating_bench
