#!/usr/bin/env bash
# The README's demo transcript against a real run of scripts/demo.sh:
# every line it shows must still be what the demo prints (numbers, hex and
# spacing aside). About 2 minutes: three hosts and two kernel nodes boot.
set -euo pipefail
cd "$(dirname "$0")/../.."
timeout 900 python3 -u scripts/readme-check.py
