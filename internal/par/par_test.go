package par

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

type item struct{ key, seq int }

func TestSort(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	byKey := func(a, b item) int { return cmp.Compare(a.key, b.key) }
	for _, procs := range []int{1, 2, 3, 5, 8} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 3, 7, 100, 1001} {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(procs)))
			s := make([]item, n)
			for i := range s {
				s[i] = item{rng.IntN(n + 1), i}
			}
			got := Sort(slices.Clone(s), 1, byKey)
			want := slices.Clone(s)
			slices.SortStableFunc(want, byKey)
			if len(got) != n {
				t.Fatalf("GOMAXPROCS %d, %d items: %d back", procs, n, len(got))
			}
			seen := map[int]bool{}
			for i := range got {
				if got[i].key != want[i].key {
					t.Fatalf("GOMAXPROCS %d, %d items: item %d has key %d, want %d", procs, n, i, got[i].key, want[i].key)
				}
				seen[got[i].seq] = true
			}
			if len(seen) != n {
				t.Fatalf("GOMAXPROCS %d, %d items: %d distinct items back", procs, n, len(seen))
			}
		}
	}
}

// TestOrdered checks that every item is worked on once, in runs of at most
// the run length, and that done sees the runs in input order.
func TestOrdered(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 5, 10, 11, 100} {
			runs := make([][2]int, Cores())
			var got [][2]int
			err := Ordered(n, 3, func(slot, lo, hi int) {
				runs[slot] = [2]int{lo, hi}
			}, func(slot int) error {
				got = append(got, runs[slot])
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			next := 0
			for _, r := range got {
				if r[0] != next || r[1] <= r[0] || r[1]-r[0] > 3 {
					t.Fatalf("GOMAXPROCS %d, %d items: runs %v", procs, n, got)
				}
				next = r[1]
			}
			if next != n {
				t.Fatalf("GOMAXPROCS %d, %d items: runs %v end at %d", procs, n, got, next)
			}
		}
	}
	stop := fmt.Errorf("stop")
	calls := 0
	if err := Ordered(100, 3, func(int, int, int) {}, func(int) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("Ordered = %v after %d calls, want the first error of done", err, calls)
	}
}
