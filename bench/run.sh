#!/usr/bin/env bash
# Every Osprey benchmark, one after the other (see bench/README.md for what each measures).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python bench/api_leads.py
.venv/bin/python bench/breakdown.py
.venv/bin/python bench/similar_contacts.py
.venv/bin/python bench/pipeline_board.py
.venv/bin/python bench/lead_flow.py
.venv/bin/python bench/orders.py
.venv/bin/python bench/feed_stream.py
# about 25 minutes, 7 of them loading a million leads, contacts and accounts
.venv/bin/python bench/million.py
deploy/local/install-browser.sh >/dev/null
.venv/bin/python bench/web/web_bench.py
# The quick benchmark's baseline changes only with a full run like this one.
.venv/bin/python bench/quick.py --write-baseline
