#!/bin/sh
# Runs every native Go fuzz target of the signer module for a bounded time
# each, on top of its committed seed corpus (testdata/fuzz/<FuzzName>/).
# Targets are discovered with `go test -list '^Fuzz'`, so a new fuzzer is
# included without editing anything.
#
#   FUZZTIME=20s signer/fuzz.sh            # every target, 20s each
#   FUZZTIME=5s signer/fuzz.sh FuzzKeys    # only the targets named
#
# A failing input is written by go test to the package's
# testdata/fuzz/<FuzzName>/ directory: commit it as a regression seed once
# the bug is fixed. -fuzzminimizetime is bounded because minimising with a
# fresh cache can otherwise take longer than the fuzzing itself.
set -eu

FUZZTIME=${FUZZTIME:-20s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}

cd "$(dirname "$0")"

# "package target" lines. go test -list prints a package's matching names,
# then "ok <package> <time>".
targets=$(go test -list '^Fuzz' ./... | awk '
	/^Fuzz/ { names[n++] = $1; next }
	/^ok/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }')
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

count=$(echo "$targets" | wc -l)
echo ">> fuzzing $count targets for $FUZZTIME each (minimize at most $FUZZMINIMIZETIME)"
failed=
start=$(date +%s)
while read -r pkg name; do
	if [ "$#" -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	t0=$(date +%s)
	if out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" 2>&1); then
		execs=$(echo "$out" | sed -n 's/.*execs: \([0-9]*\).*/\1/p' | tail -n 1)
		echo "   ok   $name ($pkg): ${execs:-?} execs in $(($(date +%s) - t0))s"
	else
		echo "   FAIL $name ($pkg)"
		echo "$out" | sed 's/^/        /'
		failed="$failed $name"
	fi
done <<EOF
$targets
EOF
echo ">> fuzzing took $(($(date +%s) - start))s"
if [ -n "$failed" ]; then
	echo "fuzz: failing targets:$failed (inputs saved under testdata/fuzz/)" >&2
	exit 1
fi
