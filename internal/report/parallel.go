package report

import (
	"runtime"
	"slices"
	"sync"
)

// parallelMin is the number of findings from which Normalize spreads its
// work over the cores; below it, starting goroutines costs more than it
// saves. Tests change it.
var parallelMin = 8192

// split cuts n items into runs of about equal length, one per core (up to
// 8), or one run when n is small: the boundaries, [0, b1, …, n].
func split(n int) []int {
	k := 1
	if n >= parallelMin {
		k = cores()
	}
	bounds := make([]int, k+1)
	for i := range bounds {
		bounds[i] = n * i / k
	}
	return bounds
}

// cores is the number of goroutines that work on a large report at once.
func cores() int { return min(runtime.GOMAXPROCS(0), 8) }

// parallel calls fn(i, lo, hi) for each run i of bounds, [bounds[i],
// bounds[i+1]), each on its own goroutine when there are several, and
// returns when all are done.
func parallel(bounds []int, fn func(i, lo, hi int)) {
	if len(bounds) == 2 {
		fn(0, bounds[0], bounds[1])
		return
	}
	var wg sync.WaitGroup
	for i := range len(bounds) - 1 {
		wg.Go(func() { fn(i, bounds[i], bounds[i+1]) })
	}
	wg.Wait()
}

// sortParallel sorts ps by cmp: each run of split on its own core, then
// the sorted runs merged. It may return another slice than ps.
func sortParallel[T any](ps []T, cmp func(a, b T) int) []T {
	bounds := split(len(ps))
	parallel(bounds, func(_, lo, hi int) { slices.SortFunc(ps[lo:hi], cmp) })
	runs := make([][]T, 0, len(bounds)-1)
	for i := range len(bounds) - 1 {
		runs = append(runs, ps[bounds[i]:bounds[i+1]])
	}
	spare := make([]T, 0, len(ps))
	for len(runs) > 1 {
		// Merge neighbouring runs pairwise, into spare, on all cores.
		next := make([][]T, (len(runs)+1)/2)
		out := spare[:len(ps)]
		at := make([]int, len(next)+1)
		for i := range next {
			n := len(runs[2*i])
			if 2*i+1 < len(runs) {
				n += len(runs[2*i+1])
			}
			at[i+1] = at[i] + n
		}
		parallel(at, func(i, lo, hi int) {
			if 2*i+1 == len(runs) {
				next[i] = out[lo:hi:hi]
				copy(next[i], runs[2*i])
				return
			}
			next[i] = mergeRuns(out[lo:lo:hi], runs[2*i], runs[2*i+1], cmp)
		})
		spare = ps[:0]
		ps = out
		runs = next
	}
	return ps
}

// mergeRuns appends the merge of the sorted runs a and b to dst; of equal
// items, those of a come first.
func mergeRuns[T any](dst, a, b []T, cmp func(a, b T) int) []T {
	for len(a) > 0 && len(b) > 0 {
		if cmp(b[0], a[0]) < 0 {
			dst = append(dst, b[0])
			b = b[1:]
		} else {
			dst = append(dst, a[0])
			a = a[1:]
		}
	}
	dst = append(dst, a...)
	return append(dst, b...)
}
