#!/usr/bin/env bash
# Stop a Kamailio started by start.sh: TERM the pid from the pid file, KILL after 10 s.
# Takes the same --run-dir / --pid-file options and KAM_* environment as start.sh.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/start.sh" "$@" stop
