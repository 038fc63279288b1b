#!/usr/bin/env bash
# Compiles every shared module for the kernel target with Embedded Swift, so
# host-only Swift in shared code fails CI the day it is written.
set -euo pipefail
exec scripts/embedded-check.sh
