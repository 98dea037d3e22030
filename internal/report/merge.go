package report

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// mergeAndSort merges the findings of each package that share an id or
// alias, as mergeGroup does, and returns them sorted by key, in a new
// slice.
//
// It sorts small keys, not the findings, which are large and spread over
// memory: a key holds the first 16 bytes of the id, which decide nearly
// every comparison without reading the finding. Findings to merge are
// found in key order: the same key twice is next to itself, an alias that
// is another finding's id is looked up, and an alias two findings share
// is seen in a map. Only the findings so joined go through mergeGroup.
func mergeAndSort(fs []Finding) []Finding {
	if len(fs) == 0 {
		return fs
	}
	keys := make([]sortKey, len(fs))
	parallel(split(len(fs)), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			keys[i] = keyOf(&fs[i])
		}
	})
	keys = sortParallel(keys, compareSortKeys)

	u := joins{}
	for i := 1; i < len(keys); i++ {
		a, b := &keys[i-1], &keys[i]
		if a.hi == b.hi && a.lo == b.lo && a.f.Key() == b.f.Key() {
			u.join(i-1, i, len(keys))
		}
	}
	var owner map[Key]int // an alias in a package, and the first finding with it
	for i, k := range keys {
		if !k.aliases {
			continue
		}
		f := k.f
		for _, a := range f.Aliases {
			ak := Key{ID: a, Type: f.Type, Pkg: f.Pkg}
			if j, ok := findKey(keys, ak); ok {
				u.join(i, j, len(keys))
			}
			if owner == nil {
				owner = map[Key]int{}
			}
			if j, ok := owner[ak]; ok {
				u.join(i, j, len(keys))
			} else {
				owner[ak] = i
			}
		}
	}

	out := make([]Finding, 0, len(keys))
	if u.parent == nil { // nothing to merge
		out = out[:len(keys)]
		parallel(split(len(keys)), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = *keys[i].f
			}
		})
		return out
	}
	// Each set of joined findings becomes what mergeGroup makes of it;
	// those are sorted and merged into the findings left alone, which are
	// in order already.
	groups := map[int][]Finding{}
	var roots []int
	for i, k := range keys {
		if r := u.find(i); r != i || u.size[i] > 1 {
			if _, ok := groups[r]; !ok {
				roots = append(roots, r)
			}
			groups[r] = append(groups[r], *k.f)
		}
	}
	var merged []Finding
	for _, r := range roots {
		merged = append(merged, mergeGroup(groups[r])...)
	}
	slices.SortFunc(merged, compareFindings)
	var next sortKey // the key of merged[0]
	if len(merged) > 0 {
		next = keyOf(&merged[0])
	}
	for i, k := range keys {
		if u.find(i) != i || u.size[i] > 1 {
			continue
		}
		for len(merged) > 0 && compareSortKeys(next, k) < 0 {
			out = append(out, merged[0])
			if merged = merged[1:]; len(merged) > 0 {
				next = keyOf(&merged[0])
			}
		}
		out = append(out, *k.f)
	}
	return append(out, merged...)
}

// sortKey is what mergeAndSort sorts: a finding and the first 16 bytes of
// its id, big-endian, zero-padded, so that comparing them orders as
// comparing the ids does, up to a tie.
// It also tells whether the finding has aliases, so that the findings
// without are not read again to look.
type sortKey struct {
	hi, lo  uint64
	f       *Finding
	aliases bool
}

func keyOf(f *Finding) sortKey {
	var b [16]byte
	copy(b[:], f.ID)
	return sortKey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), f, len(f.Aliases) > 0}
}

func compareSortKeys(a, b sortKey) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	if c := cmp.Compare(a.lo, b.lo); c != 0 {
		return c
	}
	return a.f.Key().Compare(b.f.Key())
}

// findKey returns the index in keys, sorted, of the finding with key k.
func findKey(keys []sortKey, k Key) (int, bool) {
	t := keyOf(&Finding{ID: k.ID, Type: k.Type, Pkg: k.Pkg})
	return slices.BinarySearchFunc(keys, t, compareSortKeys)
}

// joins is a union-find over the indexes of a slice, allocated at the
// first join.
type joins struct {
	parent, size []int
}

func (u *joins) find(i int) int {
	if u.parent == nil {
		return i
	}
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *joins) join(i, j, n int) {
	if u.parent == nil {
		u.parent, u.size = make([]int, n), make([]int, n)
		for k := range u.parent {
			u.parent[k], u.size[k] = k, 1
		}
	}
	a, b := u.find(i), u.find(j)
	if a == b {
		return
	}
	if a > b {
		a, b = b, a
	}
	u.parent[b] = a
	u.size[a] += u.size[b]
}
