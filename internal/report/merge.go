package report

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// mergeAndSort merges the findings of each package that share an id or
// alias into one, and returns them sorted by key, in a new slice.
//
// It sorts small keys, not the findings, which are large and spread over
// memory: a key holds the first 16 bytes of the id, which decide nearly
// every comparison without reading the finding. Findings to merge are
// found in key order: the same key twice is next to itself, an alias that
// is another finding's id is looked up, and an alias two findings share
// is seen in a map. Only the findings so joined are merged (mergeLinked).
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
	// Each set of joined findings, of one package and linked by shared
	// ids, becomes one finding; those are sorted and merged into the
	// findings left alone, which are in order already. The order is made
	// of pointers first, and the findings copied into it on all cores.
	groups := map[int][]*Finding{}
	var roots []int
	for i, k := range keys {
		if r := u.find(i); r != i || u.size[i] > 1 {
			if _, ok := groups[r]; !ok {
				roots = append(roots, r)
			}
			groups[r] = append(groups[r], k.f)
		}
	}
	merged := make([]Finding, 0, len(roots))
	for _, r := range roots {
		merged = append(merged, mergeLinked(groups[r]))
	}
	slices.SortFunc(merged, compareFindings)
	order := make([]*Finding, 0, len(keys))
	m := 0
	var next sortKey // the key of merged[m]
	if len(merged) > 0 {
		next = keyOf(&merged[0])
	}
	for i, k := range keys {
		if u.find(i) != i || u.size[i] > 1 {
			continue
		}
		for m < len(merged) && compareSortKeys(next, k) < 0 {
			order = append(order, &merged[m])
			if m++; m < len(merged) {
				next = keyOf(&merged[m])
			}
		}
		order = append(order, k.f)
	}
	for ; m < len(merged); m++ {
		order = append(order, &merged[m])
	}
	out = out[:len(order)]
	parallel(split(len(order)), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = *order[i]
		}
	})
	return out
}

// mergeLinked merges findings of one package that shared ids link into
// one: the union of their lists, the most fixed state, the highest
// severity and CVSS, the smallest texts; its id is the canonical one of all
// their ids.
func mergeLinked(g []*Finding) Finding {
	f := *g[0]
	// mergeInto appends; the lists must not grow into another finding's.
	f.Aliases, f.Versions, f.Paths, f.Fixed = slices.Clip(f.Aliases), slices.Clip(f.Versions), slices.Clip(f.Paths), slices.Clip(f.Fixed)
	for _, o := range g[1:] {
		mergeInto(&f, o)
	}
	all := sortedSet(f.IDs())
	f.ID = CanonicalID(minString(all), all)
	f.Aliases = slices.DeleteFunc(all, func(a string) bool { return a == f.ID })
	if len(f.Aliases) == 0 {
		f.Aliases = nil
	}
	return f
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
