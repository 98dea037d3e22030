package triage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// BlameLine is git blame's answer for one line of a file.
type BlameLine struct {
	Line        int    // 1-based line in the file as it is now
	Commit      string // all zeros (or empty) for a line not committed yet
	Author      string
	AuthorEmail string
	AuthorTime  time.Time
}

// Blamer attributes each line of a file in the working tree to the commit
// that last changed it, as git blame does. path is the File's Path.
type Blamer interface {
	Blame(ctx context.Context, path string) ([]BlameLine, error)
}

// Provenance is who made or last changed a decision, and when, according
// to git history: an audit trail nobody can forge by editing a field.
type Provenance struct {
	Author, Email string
	Date          time.Time // author date of Commit
	Commit        string
	// Uncommitted is set when some line of the entry is not committed yet
	// (or, for a decision without lines, always). Author, Email, Date and
	// Commit then describe the newest committed line, if any.
	Uncommitted bool
}

func (l *BlameLine) committed() bool {
	return strings.Trim(l.Commit, "0") != ""
}

// Provenance returns, for each decision by index, the most recent commit
// (by author date; the first such line on a tie) that touched any line of
// its entry, from Decision.Line through Decision.EndLine. A line git blame
// does not know, or knows as not committed, marks the decision
// Uncommitted. A Blamer error wrapping fs.ErrNotExist means the file is
// not in git history yet: every decision is then Uncommitted. With no
// decisions, b is not called.
func (f *File) Provenance(ctx context.Context, b Blamer) ([]Provenance, error) {
	out := make([]Provenance, len(f.Decisions))
	if len(f.Decisions) == 0 {
		return out, nil
	}
	lines, err := b.Blame(ctx, f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		lines, err = nil, nil // not in history yet: nothing is committed
	}
	if err != nil {
		return nil, fmt.Errorf("blaming %s: %w", f.Path, err)
	}
	byLine := make(map[int]*BlameLine, len(lines))
	for i := range lines {
		byLine[lines[i].Line] = &lines[i]
	}
	for i := range f.Decisions {
		d := &f.Decisions[i]
		p := &out[i]
		if d.Line <= 0 {
			p.Uncommitted = true
			continue
		}
		var best *BlameLine
		for n := d.Line; n <= max(d.Line, d.EndLine); n++ {
			bl := byLine[n]
			if bl == nil || !bl.committed() {
				p.Uncommitted = true
				continue
			}
			if best == nil || bl.AuthorTime.After(best.AuthorTime) {
				best = bl
			}
		}
		if best != nil {
			p.Author, p.Email, p.Date, p.Commit = best.Author, best.AuthorEmail, best.AuthorTime, best.Commit
		}
	}
	return out, nil
}
