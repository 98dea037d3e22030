// Package par spreads work on many items over the cores: runs of a slice
// on their own goroutines, a sort made of sorted runs, and runs done in
// rounds whose results are used in order. cvetrail uses it where one
// report or diff holds enough findings for goroutines to pay.
package par

import (
	"runtime"
	"slices"
	"sync"
)

// Cores is the number of goroutines that work on one thing at once.
func Cores() int { return min(runtime.GOMAXPROCS(0), 8) }

// Split cuts n items into runs of about equal length, one per core, or
// one run when n is below min: the boundaries, [0, b1, …, n].
func Split(n, min int) []int {
	k := 1
	if n >= min {
		k = Cores()
	}
	bounds := make([]int, k+1)
	for i := range bounds {
		bounds[i] = n * i / k
	}
	return bounds
}

// Do calls fn(i, lo, hi) for each run i of bounds, [bounds[i],
// bounds[i+1]), each on its own goroutine when there are several, and
// returns when all are done.
func Do(bounds []int, fn func(i, lo, hi int)) {
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

// Ordered calls work(slot, lo, hi) for runs of at most run of the n items,
// Cores() runs at a time, each on its own goroutine, and then done(slot)
// for each of them in input order before the next round. slot is below
// Cores(), so that work can keep a buffer per slot. Ordered returns the
// first error of done.
func Ordered(n, run int, work func(slot, lo, hi int), done func(slot int) error) error {
	k := Cores()
	bounds := make([]int, 0, k+1)
	for start := 0; start < n; start += k * run {
		bounds = bounds[:0]
		for lo := start; lo < n && len(bounds) < k; lo += run {
			bounds = append(bounds, lo)
		}
		bounds = append(bounds, min(start+k*run, n))
		Do(bounds, work)
		for slot := range len(bounds) - 1 {
			if err := done(slot); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sort sorts s by cmp, each run of Split(len(s), min) on its own core and
// the sorted runs merged; of equal items, the earlier comes first only
// within a run. It may return another slice than s.
func Sort[T any](s []T, min int, cmp func(a, b T) int) []T {
	bounds := Split(len(s), min)
	Do(bounds, func(_, lo, hi int) { slices.SortFunc(s[lo:hi], cmp) })
	runs := make([][]T, 0, len(bounds)-1)
	for i := range len(bounds) - 1 {
		runs = append(runs, s[bounds[i]:bounds[i+1]])
	}
	spare := make([]T, 0, len(s))
	for len(runs) > 1 {
		// Merge neighbouring runs pairwise, into spare, on all cores.
		next := make([][]T, (len(runs)+1)/2)
		out := spare[:len(s)]
		at := make([]int, len(next)+1)
		for i := range next {
			n := len(runs[2*i])
			if 2*i+1 < len(runs) {
				n += len(runs[2*i+1])
			}
			at[i+1] = at[i] + n
		}
		Do(at, func(i, lo, hi int) {
			if 2*i+1 == len(runs) {
				next[i] = out[lo:hi:hi]
				copy(next[i], runs[2*i])
				return
			}
			next[i] = mergeRuns(out[lo:lo:hi], runs[2*i], runs[2*i+1], cmp)
		})
		spare = s[:0]
		s = out
		runs = next
	}
	return s
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
