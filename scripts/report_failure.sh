#!/usr/bin/env bash
# A scheduled check failed: open one GitHub issue titled after it, or comment on that issue while it is still open,
# with the lines of the check's log that name what failed (notebook and cell, or URL). Needs `gh` and GH_TOKEN
# (GitHub's runners have both); DRY_RUN=1 prints the title and body instead (tests/test_workflows.py).
set -euo pipefail
title=$1 log=$2
lines=$(grep -E '^(FAILED |Errors in |\[ERROR\]|[0-9]+ notebook\(s\) failed)' "$log" | head -80 || true)
[ -n "$lines" ] || lines=$(tail -40 "$log")
body=$(printf 'The scheduled check failed (%s).\n\n```text\n%s\n```\n' "${RUN_URL:-run locally}" "$lines")
if [ "${DRY_RUN:-0}" = 1 ]; then
  printf '%s\n\n%s\n' "$title" "$body"
  exit 0
fi
number=$(gh issue list --state open --search "in:title \"$title\"" --json number,title \
  --jq "map(select(.title == \"$title\"))[0].number // empty")
if [ -n "$number" ]; then
  gh issue comment "$number" --body "$body"
else
  gh issue create --title "$title" --body "$body"
fi
