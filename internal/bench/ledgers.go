package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
)

// LedgerPairOptions describe two generated ledgers of one image: an old
// one and a new one a day later.
type LedgerPairOptions struct {
	Findings int     // findings in the old ledger
	New      float64 // findings only in the new ledger, as a share of Findings
	Resolved float64 // old findings absent from the new ledger, as a share of Findings
	Changed  float64 // old findings changed in the new ledger, as a share of Findings
	Seed     uint64
	Image    string // the image both ledgers belong to; empty means DefaultImage
}

// LedgerPairStats describe what WriteLedgerPair wrote. Changed findings
// are split by what changed, which is also how cvetrail diff classifies
// them: an installed version (updated), a fixed version appearing where
// there was none (fix-available), or the severity (severity-changed).
type LedgerPairStats struct {
	Old, New                        int // findings in each ledger
	Added, Resolved                 int
	Updated, FixAvailable, Severity int
	OldBytes, NewBytes              int64
}

// Changed returns the number of findings present in both ledgers that
// differ.
func (s LedgerPairStats) Changed() int { return s.Updated + s.FixAvailable + s.Severity }

// WriteLedgerPair writes two ledgers, in cvetrail's ledger format, to
// oldW and newW. The exact numbers of new, resolved and changed findings
// are the shares of o.Findings rounded down, spread at random over the
// key space. Findings look like those of real images: mostly Debian
// packages, then npm, PyPI, Go, Maven and RubyGems ones with paths; CVE
// ids shared by the packages of one source, GHSA ids, aliases, fixed
// versions, CVSS vectors, titles and URLs.
func WriteLedgerPair(ctx context.Context, oldW, newW io.Writer, o LedgerPairOptions) (LedgerPairStats, error) {
	st, err := writeLedgerPair(ctx, oldW, newW, o)
	if err != nil {
		return LedgerPairStats{}, fmt.Errorf("generating ledgers: %w", err)
	}
	return st, nil
}

func writeLedgerPair(ctx context.Context, oldW, newW io.Writer, o LedgerPairOptions) (LedgerPairStats, error) {
	for _, f := range []float64{o.New, o.Resolved, o.Changed} {
		if f < 0 || f > 1 {
			return LedgerPairStats{}, fmt.Errorf("share %g is not between 0 and 1", f)
		}
	}
	if o.Findings < 0 {
		return LedgerPairStats{}, errors.New("negative number of findings")
	}
	if o.Resolved+o.Changed > 1 {
		return LedgerPairStats{}, errors.New("resolved and changed shares add up to more than 1")
	}
	image := o.Image
	if image == "" {
		image = DefaultImage
	}
	added := int(float64(o.Findings) * o.New)
	resolved := int(float64(o.Findings) * o.Resolved)
	changed := int(float64(o.Findings) * o.Changed)

	r := newRNG(o.Seed, 2)
	keys := newKeyStream(newRNG(o.Seed, 3), o.Findings+added)
	pick := newRNG(o.Seed, 4)
	// Selection sampling (Knuth's algorithm S) gives exact counts spread
	// at random: first which slots of the key space are new, then which
	// old findings are resolved, then which of the others changed.
	addSel := selection{want: added, of: o.Findings + added}
	resSel := selection{want: resolved, of: o.Findings}
	chgSel := selection{want: changed, of: o.Findings - resolved}

	oldE := newChunkEncoder(oldW, image)
	newE := newChunkEncoder(newW, image)
	st := LedgerPairStats{Added: added, Resolved: resolved}
	for n := 0; keys.more(); n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return LedgerPairStats{}, err
			}
		}
		f := keys.next(r)
		if addSel.take(pick) {
			if err := newE.add(f); err != nil {
				return LedgerPairStats{}, err
			}
			continue
		}
		if err := oldE.add(f); err != nil {
			return LedgerPairStats{}, err
		}
		if resSel.take(pick) {
			continue
		}
		if chgSel.take(pick) {
			g := f
			switch x := pick.intn(3); {
			case x == 1 && len(f.Fixed) == 0:
				g.Fixed = []string{bumpPatch(f.Versions[len(f.Versions)-1])}
				g.FixState = report.Fixed
				st.FixAvailable++
			case x == 2:
				g.Severity = (f.Severity + 1 + report.Severity(pick.intn(4))) % 5
				st.Severity++
			default:
				g.Versions = slices.Clone(f.Versions)
				g.Versions[len(g.Versions)-1] += "+b1"
				st.Updated++
			}
			f = g
		}
		if err := newE.add(f); err != nil {
			return LedgerPairStats{}, err
		}
	}
	var err error
	if st.OldBytes, err = oldE.close(); err != nil {
		return LedgerPairStats{}, err
	}
	if st.NewBytes, err = newE.close(); err != nil {
		return LedgerPairStats{}, err
	}
	st.Old, st.New = oldE.count, newE.count
	return st, nil
}

// selection chooses want of of items in sequence, each with the
// probability that leaves the count exact.
type selection struct{ want, of, seen, chosen int }

func (s *selection) take(r *rng) bool {
	if s.seen >= s.of {
		return false
	}
	left := s.of - s.seen
	s.seen++
	if r.intn(left) < s.want-s.chosen {
		s.chosen++
		return true
	}
	return false
}

// chunkEncoder writes a ledger with report.Encode a chunk of findings at a
// time, so that a ledger of millions of findings is never held in memory.
// The byte format is Encode's: the header once, then one line per finding.
type chunkEncoder struct {
	w     io.Writer
	image string
	buf   []report.Finding
	last  report.Key
	out   bytes.Buffer
	count int
	n     int64
	err   error
	begun bool
}

func newChunkEncoder(w io.Writer, image string) *chunkEncoder {
	return &chunkEncoder{w: w, image: image}
}

func (e *chunkEncoder) add(f report.Finding) error {
	if e.count > 0 && len(e.buf) == 0 && e.last.Compare(f.Key()) >= 0 {
		return fmt.Errorf("finding %s is not after %s", f.Key(), e.last)
	}
	e.buf = append(e.buf, f)
	e.count++
	if len(e.buf) == 4096 {
		return e.flush()
	}
	return nil
}

func (e *chunkEncoder) flush() error {
	if e.err != nil {
		return e.err
	}
	e.out.Reset()
	if err := report.Encode(&e.out, &report.Report{Header: report.Header{Image: e.image}, Findings: e.buf}); err != nil {
		e.err = err
		return err
	}
	b := e.out.Bytes()
	if e.begun {
		b = b[bytes.IndexByte(b, '\n')+1:] // the header is written once
	}
	e.begun = true
	if len(e.buf) > 0 {
		e.last = e.buf[len(e.buf)-1].Key()
	}
	e.buf = e.buf[:0]
	m, err := e.w.Write(b)
	e.n += int64(m)
	if err != nil {
		e.err = fmt.Errorf("writing ledger: %w", err)
	}
	return e.err
}

func (e *chunkEncoder) close() (int64, error) {
	if len(e.buf) > 0 || !e.begun {
		if err := e.flush(); err != nil {
			return 0, err
		}
	}
	return e.n, e.err
}

// keyStream produces findings in ledger key order: CVE ids by year and
// number, each affecting one to three packages, then GHSA ids without a
// CVE.
type keyStream struct {
	total, made int
	ghsaFrom    int // findings from here on have GHSA ids
	year, num   int
	ghsa        uint64
	pending     []report.Finding
}

func newKeyStream(r *rng, total int) *keyStream {
	return &keyStream{total: total, ghsaFrom: total - total/10, year: 2002, num: 10000, ghsa: uint64(r.intn(1000))}
}

func (k *keyStream) more() bool { return k.made < k.total }

func (k *keyStream) next(r *rng) report.Finding {
	if len(k.pending) == 0 {
		k.refill(r)
	}
	f := k.pending[0]
	k.pending = k.pending[1:]
	k.made++
	return f
}

// pkgRef is a package of a generated finding.
type pkgRef struct{ typ, name string }

var ledgerPkgs = func() (p [6][]pkgRef) {
	for _, g := range debGroups {
		for _, b := range g[min(1, len(g)-1):] {
			p[0] = append(p[0], pkgRef{"deb", b})
		}
	}
	for _, n := range npmPkgs {
		p[1] = append(p[1], pkgRef{"npm", n})
	}
	for _, n := range pypiPkgs {
		p[2] = append(p[2], pkgRef{"pypi", report.CanonicalPkg("pypi", n)})
	}
	for _, n := range goPkgs {
		p[3] = append(p[3], pkgRef{"golang", n})
	}
	for _, n := range mavenPkgs {
		p[4] = append(p[4], pkgRef{"maven", n})
	}
	for _, n := range gemPkgs {
		p[5] = append(p[5], pkgRef{"gem", n})
	}
	return p
}()

// refill makes the findings of the next id.
func (k *keyStream) refill(r *rng) {
	var id string
	var eco int
	if k.made >= k.ghsaFrom {
		k.ghsa += 1 + uint64(r.intn(40))
		id = ghsaID(k.ghsa)
		eco = 1 + r.intn(5)
	} else {
		// Five-digit numbers keep byte order equal to numeric order.
		k.num += 1 + r.intn(5)
		if k.num > 99999 {
			k.year++
			k.num = 10000 + r.intn(50)
		}
		id = "CVE-" + strconv.Itoa(k.year) + "-" + strconv.Itoa(k.num)
		eco = 0
		if r.chance(0.4) {
			eco = 1 + r.intn(5)
		}
	}
	n := 1
	if eco == 0 {
		n = pick(r, []int{1, 1, 2, 2, 3})
	} else if r.chance(0.15) {
		n = 2
	}
	n = min(n, k.total-k.made)
	pool := ledgerPkgs[eco]
	start := r.intn(len(pool))
	k.pending = k.pending[:0]
	for i := range n {
		p := pool[(start+i)%len(pool)]
		k.pending = append(k.pending, ledgerFinding(r, id, p))
	}
	slices.SortFunc(k.pending, func(a, b report.Finding) int { return a.Key().Compare(b.Key()) })
	// Two entries of one pool never collide: n is below the pool's size.
}

// ghsaID spells n as a GHSA id whose byte order is n's order.
func ghsaID(n uint64) string {
	var d [12]byte
	for i := 11; i >= 0; i-- {
		d[i] = ghsaAlphabet[n%20]
		n /= 20
	}
	return "GHSA-" + string(d[0:4]) + "-" + string(d[4:8]) + "-" + string(d[8:12])
}

func ledgerFinding(r *rng, id string, p pkgRef) report.Finding {
	v := strconv.Itoa(r.intn(9)) + "." + strconv.Itoa(r.intn(30)) + "." + strconv.Itoa(r.intn(20))
	f := report.Finding{ID: id, Type: p.typ, Pkg: p.name, FixState: report.NotFixed}
	switch p.typ {
	case "deb":
		v += "-" + strconv.Itoa(1+r.intn(4)) + "+deb12u" + strconv.Itoa(1+r.intn(5))
	case "golang":
		v = "v" + v
	case "npm":
		f.Paths = []string{"app/node_modules/" + p.name + "/package.json"}
		if r.chance(0.1) {
			f.Paths = append(f.Paths, "usr/local/lib/node_modules/npm/node_modules/"+p.name+"/package.json")
		}
	case "pypi":
		f.Paths = []string{"usr/local/lib/python3.11/site-packages/" + p.name + "-" + v + ".dist-info/METADATA"}
	case "maven":
		_, art, _ := strings.Cut(p.name, ":")
		f.Paths = []string{"app/lib/" + art + "-" + v + ".jar"}
	}
	f.Versions = []string{v}
	if r.chance(0.05) {
		f.Versions = append(f.Versions, v+".1")
	}
	switch x := r.intn(10); {
	case x < 6:
		f.Fixed = []string{bumpPatch(v)}
		f.FixState = report.Fixed
	case x == 6:
		f.FixState = report.WontFix
	case x == 7:
		f.FixState = report.FixUnknown
	}
	if strings.HasPrefix(id, "CVE-") && p.typ != "deb" && r.chance(0.5) {
		f.Aliases = []string{ghsaID(r.next() % (1 << 50))}
	}
	f.Severity = report.Severity(pick(r, []int{1, 2, 2, 3, 3, 4, 0}))
	f.SeveritySource = pick(r, []string{"nvd", "debian", "ghsa", "redhat"})
	if r.chance(0.85) {
		f.CVSS = &report.CVSS{Score: float64(r.between(10, 100)) / 10, Vector: pick(r, cvssV3), Source: pick(r, []string{"nvd", "redhat", "ghsa"})}
	}
	if r.chance(0.9) {
		f.Title = p.name + ": " + titleText(r)
	}
	if strings.HasPrefix(id, "GHSA-") {
		f.URL = "https://github.com/advisories/" + id
	} else {
		f.URL = "https://avd.aquasec.com/nvd/" + strings.ToLower(id)
	}
	f.Published = strconv.Itoa(2014+r.intn(12)) + "-" + pad2(1+r.intn(12)) + "-" + pad2(1+r.intn(28))
	return f
}

func titleText(r *rng) string {
	n := r.between(30, 110)
	b := make([]byte, 0, n+16)
	for len(b) < n {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		if r.intn(200) == 0 {
			b = append(b, `"quoted"`...)
			continue
		}
		b = append(b, pick(r, words)...)
	}
	return string(b)
}
