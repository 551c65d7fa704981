#!/usr/bin/env bash
# Mutation score of one core module against its fast unit tests (README, "Mutation scores").
#
#   bench/mutation.sh settle|config|ab|records
#
# mutmut 3 reads one [mutmut] section and writes mutants/ in its working directory, so each
# run happens in a throwaway copy of this tree whose setup.cfg names the module and its tests:
# two modules never share a mutants/ directory and the checkout is left as it was. The end-to-end
# tests are never selected: mutmut reruns the selection for every mutant. Prints mutmut's
# counts (JSON) and the surviving mutants; KEEP=1 keeps the copy for `mutmut show NAME`.
# The tests flush their Redis database: set SERVO_TEST_REDIS_URL to yours.
set -euo pipefail

case "${1:-}" in
    settle) mutate="worker/aws/settle.py"; tests="tests/test_settle.py" ;;
    config) mutate="worker/contract/config.py worker/contract/params.py"; tests="tests/test_config.py" ;;
    ab) mutate="worker/load/ab.py"; tests="tests/test_ab_parse.py" ;;
    records) mutate="worker/contract/records.py"; tests="tests/test_records.py" ;;
    *) echo "usage: bench/mutation.sh settle|config|ab|records" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/servo-mutation-$1.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "copy kept in $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

rsync -a --exclude .venv --exclude .git --exclude mutants --exclude __pycache__ \
    --exclude .hypothesis --exclude .mypy_cache --exclude .ruff_cache "$root/" "$work/"
ln -s "$root/.venv" "$work/.venv"
"$root/.venv/bin/python" - "$work/setup.cfg" "$mutate" "$tests" <<'PY'
import configparser
import sys

path, mutate, tests = sys.argv[1:]
cfg = configparser.ConfigParser(interpolation=None)
cfg.read(path)
cfg["mutmut"] = {
    "source_paths": "worker/",
    "only_mutate": "\n" + "\n".join(mutate.split()),
    "pytest_add_cli_args_test_selection": "\n" + "\n".join(tests.split()),
    "pytest_add_cli_args": "-p no:cacheprovider -q",
    # mutmut runs the tests inside mutants/: the rest of the project and the shipped config too
    "also_copy": "\nproducer/\nemulator/\nconfig.yaml",
}
with open(path, "w") as f:
    cfg.write(f)
PY

cd "$work"
# PYTHONPATH would import the unmutated tree instead of mutants/
env -u PYTHONPATH nice -n 10 .venv/bin/mutmut run --max-children 1 >mutmut-run.log 2>&1 \
    || { tail -30 mutmut-run.log >&2; exit 1; }
env -u PYTHONPATH .venv/bin/mutmut export-cicd-stats >/dev/null
echo "$1 ($mutate against $tests):"
cat mutants/mutmut-cicd-stats.json; echo
env -u PYTHONPATH .venv/bin/mutmut results
