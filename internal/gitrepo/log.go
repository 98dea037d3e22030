package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Commit is a commit as git log shows it.
type Commit struct {
	ID             string
	Parents        []string
	Author         string
	AuthorEmail    string
	AuthorDate     time.Time
	Committer      string
	CommitterEmail string
	CommitterDate  time.Time
	Subject        string
	Body           string // the message after the subject, trailers included
	// Trailers are the "Key: value" lines at the end of the message, as
	// git interpret-trailers reads them, keyed as written. Use Trailer to
	// look one up regardless of case.
	Trailers map[string][]string
	// Patch is the diff the commit made to the path, filled in by
	// FileHistory with HistoryOptions.Patch.
	Patch string
}

// Trailer returns the values of the trailer key, compared without regard
// to case as git does, in the order they appear for each spelling.
func (c *Commit) Trailer(key string) []string {
	var out []string
	for k, v := range c.Trailers {
		if strings.EqualFold(k, key) {
			out = append(out, v...)
		}
	}
	return out
}

// logFormat prints the fields of a commit separated by NUL; with -z, git
// ends each commit with another NUL. Commit messages cannot hold NUL, so
// the output has no ambiguity.
const logFormat = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%s%x00%b%x00%(trailers:only,unfold)"

const logFields = 11

// Log lists the commits reachable from rev, newest first, limited to those
// that change one of paths when paths are given. rev "HEAD" of a branch
// without commits gives an error wrapping ErrNotFound.
func (r *Repo) Log(ctx context.Context, rev string, paths ...string) ([]Commit, error) {
	return r.log(ctx, rev, nil, paths)
}

// HistoryOptions select the commits of FileHistory.
type HistoryOptions struct {
	// Pickaxe keeps the commits that change the number of occurrences of
	// this string in the file (git log -S).
	Pickaxe string
	// Regex keeps the commits whose diff adds or removes a line matching
	// this extended regular expression (git log -G). A change of one
	// finding's line is seen by Regex but not by Pickaxe.
	Regex string
	// Patch fills Commit.Patch with each commit's diff of the file.
	Patch bool
}

// FileHistory lists the commits reachable from rev that changed path,
// newest first, narrowed by opt.
func (r *Repo) FileHistory(ctx context.Context, rev, path string, opt HistoryOptions) ([]Commit, error) {
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	var extra []string
	if opt.Pickaxe != "" {
		extra = append(extra, "-S", opt.Pickaxe)
	}
	if opt.Regex != "" {
		extra = append(extra, "-G", opt.Regex) // always an extended regexp
	}
	if opt.Patch {
		extra = append(extra, "--patch", "--no-color", "--no-ext-diff", "--no-textconv")
	}
	return r.log(ctx, rev, extra, []string{path})
}

// patchMark starts each commit's record when patches follow the fields,
// since a patch is free text that -z does not delimit; patchMarkFormat
// prints it.
const (
	patchMark       = "\x00\x01cvetrail-commit\x01"
	patchMarkFormat = "%x00%x01cvetrail-commit%x01"
)

func (r *Repo) log(ctx context.Context, rev string, extra, paths []string) ([]Commit, error) {
	if err := checkRev(rev); err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	for _, p := range paths {
		if err := checkPath(p); err != nil {
			return nil, fmt.Errorf("reading history: %w", err)
		}
	}
	patch := false
	for _, e := range extra {
		patch = patch || e == "--patch"
	}
	args := []string{"log", "--no-show-signature", "--no-decorate"}
	if patch {
		args = append(args, "--format="+patchMarkFormat+logFormat+"%x00")
	} else {
		args = append(args, "-z", "--format="+logFormat)
	}
	args = append(args, extra...)
	args = append(args, "--end-of-options", rev, "--")
	args = append(args, paths...)
	out, err := r.run(ctx, cmdOpts{}, args...)
	if err != nil {
		return nil, fmt.Errorf("reading history of %s: %w", rev, r.classifyRev(ctx, rev, err))
	}
	if patch {
		return parsePatchLog(out)
	}
	return parseLog(out)
}

func parseLog(out []byte) ([]Commit, error) {
	fields := bytes.Split(out, []byte{0})
	if n := len(fields); n > 0 && len(fields[n-1]) == 0 {
		fields = fields[:n-1]
	}
	if len(fields)%logFields != 0 {
		return nil, fmt.Errorf("reading history: git log printed %d fields, not a multiple of %d", len(fields), logFields)
	}
	var commits []Commit
	for i := 0; i < len(fields); i += logFields {
		c, err := parseCommit(fields[i : i+logFields])
		if err != nil {
			return nil, err
		}
		commits = append(commits, c)
	}
	return commits, nil
}

func parsePatchLog(out []byte) ([]Commit, error) {
	var commits []Commit
	for _, rec := range bytes.Split(out, []byte(patchMark)) {
		if len(rec) == 0 {
			continue
		}
		f := bytes.SplitN(rec, []byte{0}, logFields+1)
		if len(f) != logFields+1 {
			return nil, fmt.Errorf("reading history: unexpected git log record %.60q", rec)
		}
		c, err := parseCommit(f[:logFields])
		if err != nil {
			return nil, err
		}
		c.Patch = strings.TrimLeft(string(f[logFields]), "\n")
		commits = append(commits, c)
	}
	return commits, nil
}

func parseCommit(f [][]byte) (Commit, error) {
	c := Commit{
		ID:             string(f[0]),
		Parents:        strings.Fields(string(f[1])),
		Author:         string(f[2]),
		AuthorEmail:    string(f[3]),
		Committer:      string(f[5]),
		CommitterEmail: string(f[6]),
		Subject:        string(f[8]),
		Body:           strings.TrimRight(string(f[9]), "\n"),
	}
	if !isOID(c.ID) {
		return Commit{}, fmt.Errorf("reading history: unexpected commit id %q", c.ID)
	}
	var err error
	if c.AuthorDate, err = time.Parse(time.RFC3339, string(f[4])); err != nil {
		return Commit{}, fmt.Errorf("reading history: commit %s: author date: %w", c.ID, err)
	}
	if c.CommitterDate, err = time.Parse(time.RFC3339, string(f[7])); err != nil {
		return Commit{}, fmt.Errorf("reading history: commit %s: committer date: %w", c.ID, err)
	}
	for _, line := range strings.Split(string(f[10]), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		if c.Trailers == nil {
			c.Trailers = map[string][]string{}
		}
		k = strings.TrimSpace(k)
		c.Trailers[k] = append(c.Trailers[k], strings.TrimSpace(v))
	}
	return c, nil
}

// BlameLine is one line of a file with the commit that last changed it.
type BlameLine struct {
	Line        int    // 1-based line number in the blamed version
	Commit      string // all zeros for a line not committed yet
	Author      string
	AuthorEmail string
	AuthorTime  time.Time
	Summary     string // subject of Commit
	Text        string // the line, without its newline
}

// Committed reports whether the line comes from a commit rather than from
// uncommitted changes of the working tree.
func (l *BlameLine) Committed() bool { return !isZeroOID(l.Commit) }

// Blame attributes every line of path at rev to the commit that last
// changed it. A path absent at rev gives an error wrapping fs.ErrNotExist.
func (r *Repo) Blame(ctx context.Context, rev, path string) ([]BlameLine, error) {
	if err := checkRev(rev); err != nil {
		return nil, fmt.Errorf("blaming %s: %w", path, err)
	}
	return r.blame(ctx, rev, path)
}

// BlameWorktree blames the file at path as it is in the working tree:
// lines changed since HEAD have a Commit of all zeros (Committed is
// false). path must be tracked at HEAD.
func (r *Repo) BlameWorktree(ctx context.Context, path string) ([]BlameLine, error) {
	return r.blame(ctx, "", path)
}

func (r *Repo) blame(ctx context.Context, rev, path string) ([]BlameLine, error) {
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("blaming: %w", err)
	}
	args := []string{"blame", "--porcelain"}
	if rev != "" {
		// git blame does not take --end-of-options; checkRev keeps rev
		// from looking like an option.
		args = append(args, rev)
	}
	out, err := r.run(ctx, cmdOpts{}, append(args, "--", path)...)
	if err != nil {
		where := "the working tree"
		if rev != "" {
			where = rev
		}
		if strings.Contains(stderrOf(err), "no such path") || strings.Contains(stderrOf(err), "No such file") {
			return nil, fmt.Errorf("blaming %s at %s: %w (%w)", path, where, fs.ErrNotExist, err)
		}
		if rev != "" {
			err = r.classifyRev(ctx, rev, err)
		}
		return nil, fmt.Errorf("blaming %s at %s: %w", path, where, err)
	}
	lines, err := parseBlame(out)
	if err != nil {
		return nil, fmt.Errorf("blaming %s: %w", path, err)
	}
	return lines, nil
}

type blameCommit struct {
	author, mail, summary string
	time                  int64
	tz                    string
}

// parseBlame reads git blame --porcelain: for each line a header
// "<commit> <orig-line> <final-line> [<count>]", the commit's details the
// first time that commit appears, then the line itself after a tab.
func parseBlame(out []byte) ([]BlameLine, error) {
	commits := map[string]*blameCommit{}
	var lines []BlameLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<30)
	var cur *BlameLine
	var info *blameCommit
	for sc.Scan() {
		line := sc.Text()
		if cur == nil {
			f := strings.Fields(line)
			if len(f) < 3 || !isOID(f[0]) {
				return nil, fmt.Errorf("unexpected git blame line %q", line)
			}
			n, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, fmt.Errorf("unexpected git blame line %q", line)
			}
			cur = &BlameLine{Line: n, Commit: f[0]}
			if info = commits[f[0]]; info == nil {
				info = &blameCommit{}
				commits[f[0]] = info
			}
			continue
		}
		if text, ok := strings.CutPrefix(line, "\t"); ok {
			cur.Author, cur.AuthorEmail, cur.Summary = info.author, info.mail, info.summary
			cur.AuthorTime = unixInZone(info.time, info.tz)
			cur.Text = text
			lines = append(lines, *cur)
			cur = nil
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "author":
			info.author = v
		case "author-mail":
			info.mail = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		case "author-time":
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("unexpected git blame line %q", line)
			}
			info.time = t
		case "author-tz":
			info.tz = v
		case "summary":
			info.summary = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, errors.New("git blame output ends inside an entry")
	}
	return lines, nil
}

// unixInZone returns the time of a unix timestamp in a git time zone such
// as "+0200".
func unixInZone(sec int64, tz string) time.Time {
	t := time.Unix(sec, 0).UTC()
	if len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') {
		return t
	}
	h, err1 := strconv.Atoi(tz[1:3])
	m, err2 := strconv.Atoi(tz[3:5])
	if err1 != nil || err2 != nil {
		return t
	}
	off := (h*60 + m) * 60
	if tz[0] == '-' {
		off = -off
	}
	return t.In(time.FixedZone(tz, off))
}
