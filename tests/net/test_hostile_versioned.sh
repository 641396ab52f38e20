#!/usr/bin/env bash
# Every hostile request of test_hostile.sh again, on Docker's versioned paths (/v1.47/...), which
# is how the docker CLI and the berth client send them: the same status, the same message, the
# ruleset and the store unchanged.
API_PREFIX=/v1.47 exec bash "$(dirname "$0")/test_hostile.sh"
