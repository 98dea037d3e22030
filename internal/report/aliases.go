package report

import "strings"

// AdoptAliases carries the aliases an earlier report of the same image
// knew into r, then normalizes r again. Scanners differ in which aliases
// they know: Grype reports a GHSA advisory with its CVE, while Trivy may
// report the same advisory by its GHSA id alone. Without the earlier
// aliases a switch of scanners would change the finding's canonical id, and
// decisions recorded under the CVE would silently stop covering it.
//
// A finding adopts the ids of an earlier finding of the same package (type
// and name) that shares any id with it. Findings of other packages are
// never touched, so no unrelated alias leaks in.
func (r *Report) AdoptAliases(prev *Report) {
	if prev == nil || len(prev.Findings) == 0 || len(r.Findings) == 0 {
		return
	}
	type pkgID struct{ typ, pkg, id string }
	known := make(map[pkgID]*Finding)
	for i := range prev.Findings {
		f := &prev.Findings[i]
		if len(f.Aliases) == 0 {
			continue
		}
		for _, id := range f.IDs() {
			known[pkgID{f.Type, f.Pkg, strings.ToUpper(id)}] = f
		}
	}
	if len(known) == 0 {
		return
	}
	changed := false
	for i := range r.Findings {
		f := &r.Findings[i]
		for _, id := range f.IDs() {
			old, ok := known[pkgID{f.Type, f.Pkg, strings.ToUpper(id)}]
			if !ok {
				continue
			}
			before := len(f.Aliases)
			f.Aliases = sortedSet(append(append(f.Aliases, old.ID), old.Aliases...))
			f.Aliases = deleteFold(f.Aliases, f.ID)
			if len(f.Aliases) != before {
				changed = true
			}
			break
		}
	}
	if changed {
		r.Normalize()
	}
}

// deleteFold removes id from s, ignoring case.
func deleteFold(s []string, id string) []string {
	out := s[:0]
	for _, v := range s {
		if !strings.EqualFold(v, id) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
