#!/usr/bin/env bash
# bench/compare.sh measures cvetrail on large generated inputs, side by side
# with the alternative a user would pick, and checks the performance
# targets. It exits 1 when a target is missed, 2 when it cannot run.
#
#   bench/compare.sh           # the full run (under 10 minutes on 2 cores)
#   bench/compare.sh --quick   # a tenth of the sizes, one repetition, no checks
#
# Every input is generated from a seed by the hidden command
# 'cvetrail bench gen', so anyone can rerun the same comparison. Times are
# medians of repeated runs measured with /usr/bin/time -v, which also gives
# the peak resident memory. Generated files go to a temporary directory
# (CVETRAIL_BENCH_DIR to choose it), removed at the end; the results are
# printed and kept in bench/out/.
#
# Targets:
#   ingest of a 100 MB Trivy report (cvetrail scan --from) at least 20 times
#     faster than the jq normalization
#     jq --raw-output '.Results | del(.[].Vulnerabilities[].Layer) | del(.[].Vulnerabilities[].LastModifiedDate)'
#   peak memory of that ingest at most 2x the file size; of a 200 MB report at most 3x
#   cvetrail diff OLD NEW on two ledgers of 1,000,000 findings: at most 2 s and 1.5 GB
# Reported without a target: the per-image overhead of cvetrail run --from-dir
# over 500 reports of 1 MB, a diff against the previous commit of a generated
# repository of 100 images, and how every cost grows with size.
set -euo pipefail

quick=0
case "${1:-}" in
--quick) quick=1 ;;
"") ;;
*)
	echo "usage: bench/compare.sh [--quick]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$(date +%s)

need() { # need COMMAND DEBIAN-PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "compare.sh: $1 is missing; installing the Debian package $2" >&2
	local sudo=()
	[ "$(id -u)" = 0 ] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq >&2 && "${sudo[@]}" apt-get install -y -qq "$2" >&2 || {
		echo "compare.sh: cannot install $2; install it and rerun" >&2
		exit 2
	}
}
need jq jq
[ -x /usr/bin/time ] || need /usr/bin/time time
need git git
need go golang

work=${CVETRAIL_BENCH_DIR:-}
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/cvetrail-bench.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work" bench/out
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=bench/out/compare-$stamp.txt
exec > >(tee "$results") 2>&1

# Reproducible git for the repositories the benchmark creates.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

if [ $quick = 1 ]; then
	mb=(1 5 10 20) findings=(10000 50000 100000) reports=50 reps=1 jqreps=1
else
	mb=(10 50 100 200) findings=(100000 500000 1000000) reports=500 reps=7 jqreps=3
fi
heavy_reps=$(((reps + 1) / 2)) # repetitions of the runs that take seconds

echo "== cvetrail performance comparison, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(free -h | awk '/^Mem:/{print $2}') memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cvetrail $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(go version | cut -d' ' -f3), $(jq --version)"
echo "work directory: $work"
echo

bin=$work/cvetrail
go build -o "$bin" ./cmd/cvetrail

# measure NAME REPS PREP -- COMMAND...: runs PREP (a shell function, or
# true) and then COMMAND REPS times, and keeps the median wall time (s),
# processor time (user+system, s) and peak resident memory (bytes) of all
# the runs of NAME so far in WALL[NAME], CPU[NAME] and RSS[NAME]. It first
# runs COMMAND once untimed to warm up (as hyperfine --warmup does: the
# first run after writing large files pays for their write-back, and the
# first after another program's long run is often slower) the first time
# for a NAME, or every time when warm_each is 1. COMMAND's output goes to
# $work/out. show NAME prints the medians.
declare -A WALL CPU RSS SAMPLES_W SAMPLES_C SAMPLES_R RUNS
warm_each=0
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
measure() {
	local name=$1 n=$2 prep=$3
	shift 4
	local i
	if [ -z "${RUNS[$name]:-}" ] || [ "$warm_each" = 1 ]; then
		$prep
		"$@" >"$work/out" 2>"$work/err" || true
		RUNS[$name]=${RUNS[$name]:-0}
	fi
	for ((i = 0; i < n; i++)); do
		$prep
		local code=0
		/usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out" 2>"$work/err" || code=$?
		if [ $code != 0 ]; then
			echo "compare.sh: $name: exit $code: $*" >&2
			tail -5 "$work/err" >&2
			exit 2
		fi
		SAMPLES_W[$name]+="$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/time.txt") "
		SAMPLES_C[$name]+="$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$work/time.txt") "
		SAMPLES_R[$name]+="$(awk -F': ' '/Maximum resident set size/{print $2*1024}' "$work/time.txt") "
		RUNS[$name]=$((RUNS[$name] + 1))
	done
	# shellcheck disable=SC2086 # the samples are words
	WALL[$name]=$(median ${SAMPLES_W[$name]})
	# shellcheck disable=SC2086
	CPU[$name]=$(median ${SAMPLES_C[$name]})
	# shellcheck disable=SC2086
	RSS[$name]=$(median ${SAMPLES_R[$name]})
}
show() {
	printf '  %-34s %8.3f s wall %8.3f s cpu %8.1f MB peak   (median of %d: %s s)\n' \
		"$1" "${WALL[$1]}" "${CPU[$1]}" "$(awk -v r="${RSS[$1]}" 'BEGIN{print r/1e6}')" "${RUNS[$1]}" "${SAMPLES_W[$1]% }"
}

calc() { awk "BEGIN{printf \"%.2f\", $1}"; }
ok=1
verdicts=()
check() { # check DESCRIPTION VALUE OP LIMIT
	local verdict=PASS
	if [ $quick = 1 ]; then
		verdict="not checked (--quick)"
	elif ! awk -v v="$2" -v l="$4" "BEGIN{exit !(v $3 l)}"; then
		verdict=FAIL
		ok=0
	fi
	verdicts+=("$(printf '%-62s %10s %s %-8s %s' "$1" "$2" "$3" "$4" "$verdict")")
}

fresh_repo() { # an empty git repository, so no outer repository is touched
	rm -rf "$work/repo"
	git init -q -b main "$work/repo"
}

# --- Ingest -----------------------------------------------------------------
echo "== ingest: cvetrail scan --from REPORT (first ingest into an empty repository)"
declare -A SIZE FINDINGS
for m in "${mb[@]}"; do
	f=$work/trivy-${m}MB.json
	line=$("$bin" bench gen trivy --size "${m}MB" --seed 1 -o "$f")
	sync # write the generated file back now, not while it is measured
	SIZE[$m]=$(stat -c %s "$f")
	FINDINGS[$m]=$(sed 's/.*findings=//' <<<"$line")
	name="scan ${m} MB (${FINDINGS[$m]} findings)"
	if [ "$m" = "${mb[2]}" ]; then
		# The report compared with jq: its runs alternate with jq's below,
		# so that both see the machine in the same state.
		SCANREF=("$name" fresh_repo -- "$bin" --repo "$work/repo" scan --from "$f" --image bench/app)
		continue
	fi
	measure "$name" "$reps" fresh_repo -- "$bin" --repo "$work/repo" scan --from "$f" --image bench/app
	show "$name"
	WALL[scan$m]=${WALL[$name]} CPU[scan$m]=${CPU[$name]} RSS[scan$m]=${RSS[$name]}
done
ref=${mb[2]} # the 100 MB report
filter='.Results | del(.[].Vulnerabilities[].Layer) | del(.[].Vulnerabilities[].LastModifiedDate)'
echo "== the ${ref} MB report: cvetrail and the same normalization with jq, in turns ($jqreps rounds)"
per=$(((reps + jqreps - 1) / jqreps)) # cvetrail runs a round
warm_each=1                           # each side warms up again after the other's runs
for ((round = 0; round < jqreps; round++)); do
	measure "${SCANREF[0]}" "$per" "${SCANREF[@]:1}"
	measure "jq ${ref} MB" 1 true -- sh -c 'jq --raw-output "$1" "$2" >"$3"' jq "$filter" "$work/trivy-${ref}MB.json" "$work/jq.json"
done
warm_each=0
show "${SCANREF[0]}"
show "jq ${ref} MB"
WALL[scan$ref]=${WALL[${SCANREF[0]}]} CPU[scan$ref]=${CPU[${SCANREF[0]}]} RSS[scan$ref]=${RSS[${SCANREF[0]}]}
speedup=$(calc "${WALL[jq ${ref} MB]} / ${WALL[scan$ref]}")
cpu_speedup=$(calc "${CPU[jq ${ref} MB]} / ${CPU[scan$ref]}")
echo
echo "  ingest of ${ref} MB: cvetrail ${speedup}x faster than jq (wall), ${cpu_speedup}x less processor time"
echo "  growth with size (cvetrail scan):"
for m in "${mb[@]}"; do
	printf '    %4s MB %7s findings: %7.2f ms/MB wall %7.2f ms/MB cpu %6.2f us/finding cpu, peak %5.2fx the file\n' "$m" "${FINDINGS[$m]}" \
		"$(calc "${WALL[scan$m]} * 1000 / ($m)")" "$(calc "${CPU[scan$m]} * 1000 / ($m)")" "$(calc "${CPU[scan$m]} * 1e6 / ${FINDINGS[$m]}")" \
		"$(calc "${RSS[scan$m]} / ${SIZE[$m]}")"
done
check "ingest ${ref} MB: times faster than jq (wall, median)" "$speedup" ">=" 20
check "ingest ${ref} MB: peak memory / file size" "$(calc "${RSS[scan$ref]} / ${SIZE[$ref]}")" "<=" 2
big=${mb[3]}
check "ingest ${big} MB: peak memory / file size" "$(calc "${RSS[scan$big]} / ${SIZE[$big]}")" "<=" 3
rm -f "$work"/trivy-*.json "$work/jq.json"
echo

# --- Diff -------------------------------------------------------------------
echo "== diff: cvetrail diff OLD NEW --format json (10% new, 10% resolved, 10% changed)"
for n in "${findings[@]}"; do
	d=$work/ledgers-$n
	"$bin" bench gen ledgers --findings "$n" --new 0.1 --resolved 0.1 --changed 0.1 --seed 1 -o "$d" >/dev/null
	sync
	SIZE[l$n]=$(($(stat -c %s "$d/old.jsonl") + $(stat -c %s "$d/new.jsonl")))
	r=$heavy_reps
	[ "$n" = "${findings[2]}" ] && r=$reps
	fresh_repo
	measure "diff $n findings" "$r" true -- "$bin" --repo "$work/repo" diff "$d/old.jsonl" "$d/new.jsonl" --format json
	show "diff $n findings"
	rm -rf "$d"
done
echo "  growth with size (cvetrail diff, per finding of both ledgers):"
for n in "${findings[@]}"; do
	printf '    %8s findings, %5d MB of ledgers: %6.2f us/finding wall %6.2f us/finding cpu, peak %6.1f MB\n' "$n" "$((SIZE[l$n] / 1000000))" \
		"$(calc "${WALL[diff $n findings]} * 1e6 / (2 * $n)")" "$(calc "${CPU[diff $n findings]} * 1e6 / (2 * $n)")" "$(calc "${RSS[diff $n findings]} / 1e6")"
done
top=${findings[2]}
check "diff $top findings: seconds (wall, median)" "${WALL[diff $top findings]}" "<=" 2
check "diff $top findings: peak memory, GB" "$(calc "${RSS[diff $top findings]} / 1e9")" "<=" 1.5
echo

# --- Diff against git history ------------------------------------------------
if [ $quick = 1 ]; then images=10 perimage=1000 days=3; else images=100 perimage=1000 days=10; fi
echo "== diff --base HEAD~1 in a generated repository: $images images of $perimage findings, $days daily commits"
"$bin" bench gen repo --images "$images" --days "$days" --findings "$perimage" --seed 1 -o "$work/history" >/dev/null
sync
measure "diff --base HEAD~1 ($((images * perimage)) findings)" "$reps" true -- "$bin" --repo "$work/history" diff --base HEAD~1 --format json
show "diff --base HEAD~1 ($((images * perimage)) findings)"
rm -rf "$work/history"
echo

# --- Daily run ----------------------------------------------------------------
rdir=$work/reports
rsize=1MB
[ $quick = 0 ] || rsize=100KB
echo "== daily run: cvetrail run --from-dir over $reports reports of $rsize (forge: none, merged locally)"
"$bin" bench gen reports --count "$reports" --size "$rsize" --seed 1 -o "$rdir" >/dev/null
sync
rbytes=$(du -sb "$rdir" | cut -f1)
fresh_config_repo() {
	fresh_repo
	printf 'schemaVersion: 1\nforge: none\n' >"$work/repo/cvetrail.yaml"
	git -C "$work/repo" add cvetrail.yaml
	git -C "$work/repo" commit -q -m "configure cvetrail"
}
measure "scan --from DIR ($reports reports)" "$heavy_reps" fresh_repo -- "$bin" --repo "$work/repo" scan --from "$rdir"
show "scan --from DIR ($reports reports)"
measure "run --from-dir ($reports reports)" "$heavy_reps" fresh_config_repo -- "$bin" --repo "$work/repo" run --from-dir "$rdir" --baseline
show "run --from-dir ($reports reports)"
grep -q "merged into main" "$work/out" || {
	echo "compare.sh: the run did not merge: $(cat "$work/out")" >&2
	exit 2
}
echo "  $((rbytes / 1000000)) MB of reports"
echo "  per image: run $(calc "${WALL[run --from-dir ($reports reports)]} * 1000 / $reports") ms wall, $(calc "${CPU[run --from-dir ($reports reports)]} * 1000 / $reports") ms cpu;" \
	"ingest alone $(calc "${WALL[scan --from DIR ($reports reports)]} * 1000 / $reports") ms wall"
echo "  overhead of the run over the ingest: $(calc "(${WALL[run --from-dir ($reports reports)]} - ${WALL[scan --from DIR ($reports reports)]}) * 1000 / $reports") ms per image (wall)," \
	"$(calc "(${CPU[run --from-dir ($reports reports)]} - ${CPU[scan --from DIR ($reports reports)]}) * 1000 / $reports") ms (cpu)"
echo

echo "== targets"
printf '%s\n' "${verdicts[@]}"
echo
echo "total time $(($(date +%s) - started)) s; results in $results"
[ $ok = 1 ] || exit 1
