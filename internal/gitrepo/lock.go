package gitrepo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrLocked: another process holds the lock.
var ErrLocked = errors.New("locked")

// DefaultStaleAfter is the age after which a lock is taken over even when
// its holder cannot be shown to be dead (it ran on another host, or its
// file is unreadable).
const DefaultStaleAfter = 12 * time.Hour

// LockInfo is what a lock file records about its holder.
type LockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Token   string    `json:"token"` // tells this acquisition from a later one
}

// LockOptions configure AcquireLock.
type LockOptions struct {
	// Now is the time the lock is taken, recorded in the file and used to
	// judge the age of an existing lock. It is required.
	Now time.Time
	// StaleAfter is the age after which an existing lock is taken over
	// even when its holder cannot be shown dead. Zero means
	// DefaultStaleAfter.
	StaleAfter time.Duration
}

// Lock is an exclusive lock file, held until Release.
type Lock struct {
	path     string
	info     LockInfo
	replaced *LockInfo // the stale lock taken over, if any
	once     sync.Once
}

// HeldError says who holds a lock that AcquireLock could not take. It
// matches ErrLocked with errors.Is.
type HeldError struct {
	Path   string
	Holder LockInfo // zero when the file could not be read
	// Modified is the file's modification time, the only date known when
	// its content is unreadable.
	Modified time.Time
}

func (e *HeldError) Error() string {
	if e.Holder.PID == 0 {
		return fmt.Sprintf("%s exists with unreadable content (written %s); if no other process is running, remove it",
			e.Path, e.Modified.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s is held by process %d on %s since %s", e.Path, e.Holder.PID, e.Holder.Host, e.Holder.Started.UTC().Format(time.RFC3339))
}

func (e *HeldError) Is(target error) bool { return target == ErrLocked }

// held is the set of tokens of the locks this process holds or is taking,
// so that a lock naming this process's pid is known to be live only if
// this process really took it (the pid of a dead process can be reused, by
// us too). A token is added before its file is created.
var held sync.Map // token → struct{}

// AcquireLock takes the lock file name in gitDir (for example
// "cvetrail.lock" in the repository's CommonDir), created exclusively
// (hard link of a complete file, or O_EXCL) and holding the pid, host name
// and start time of this process. When another
// live process holds it, it fails at once with a *HeldError saying who
// and since when. A lock whose process is dead on this host, or that is
// older than the stale age, is taken over; the takeover is safe against
// another process doing the same at the same time.
func AcquireLock(ctx context.Context, gitDir, name string, opt LockOptions) (*Lock, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("taking lock: %w", err)
	}
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("taking lock: invalid lock file name %q", name)
	}
	if opt.Now.IsZero() {
		return nil, errors.New("taking lock: no time given")
	}
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = DefaultStaleAfter
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("taking lock: %w", err)
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("taking lock: %w", err)
	}
	l := &Lock{
		path: filepath.Join(gitDir, name),
		info: LockInfo{PID: os.Getpid(), Host: host, Started: opt.Now.UTC(), Token: hex.EncodeToString(tok)},
	}
	content, err := json.Marshal(l.info)
	if err != nil {
		return nil, fmt.Errorf("taking lock: %w", err)
	}
	content = append(content, '\n')

	held.Store(l.info.Token, struct{}{})
	taken := false
	defer func() {
		if !taken {
			held.Delete(l.info.Token)
		}
	}()
	// One takeover at most: a lock that is stale after a takeover was
	// taken by someone else in between.
	for attempt := 0; ; attempt++ {
		err := createExclusive(l.path, content, l.info.Token)
		if err == nil {
			taken = true
			removeLeftovers(l.path)
			return l, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking lock %s: %w", l.path, err)
		}
		old, readErr := os.ReadFile(l.path)
		if errors.Is(readErr, fs.ErrNotExist) && attempt == 0 {
			continue // released meanwhile
		}
		if readErr != nil {
			return nil, fmt.Errorf("taking lock %s: %w", l.path, readErr)
		}
		fi, statErr := os.Stat(l.path)
		var mod time.Time
		if statErr == nil {
			mod = fi.ModTime()
		}
		holder, ok := parseLock(old)
		if attempt > 0 || !isStale(holder, ok, mod, host, opt) {
			he := &HeldError{Path: l.path, Modified: mod}
			if ok {
				he.Holder = holder
			}
			return nil, he
		}
		if err := takeOver(l.path, old, l.info.Token); err != nil {
			return nil, fmt.Errorf("taking over stale lock %s: %w", l.path, err)
		}
		l.replaced = &holder
	}
}

// removeLeftovers removes what processes killed while taking the lock
// left next to path: the private file of createExclusive, not yet linked,
// and the stale lock takeOver had moved aside. It runs with the lock held:
// anyone else still about to link fails to, and anyone in the middle of a
// takeover finds what it moved aside gone; both then find the lock held,
// as they would have anyway.
func removeLeftovers(path string) {
	for _, pattern := range []string{path + ".new-*", path + ".stale-*"} {
		left, _ := filepath.Glob(pattern)
		for _, f := range left {
			os.Remove(f)
		}
	}
}

// createExclusive creates path with content, failing with fs.ErrExist when
// it exists. The content is written to a private file first and linked
// into place, so that no one, even after a crash, sees a lock file without
// its content; where hard links are not supported, the file is created
// with O_EXCL and then written.
func createExclusive(path string, content []byte, token string) error {
	tmp := path + ".new-" + token
	if err := writeExclusive(tmp, content); err != nil {
		return err
	}
	err := os.Link(tmp, path)
	os.Remove(tmp)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	return writeExclusive(path, content)
}

func writeExclusive(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

func parseLock(b []byte) (LockInfo, bool) {
	var info LockInfo
	if err := json.Unmarshal(b, &info); err != nil || info.PID <= 0 || info.Host == "" || info.Started.IsZero() {
		return LockInfo{}, false
	}
	return info, true
}

// isStale decides whether an existing lock may be taken over.
func isStale(holder LockInfo, readable bool, mod time.Time, host string, opt LockOptions) bool {
	if !readable {
		// Unreadable content: perhaps a holder that is still writing it.
		return !mod.IsZero() && opt.Now.Sub(mod) > opt.StaleAfter
	}
	if opt.Now.Sub(holder.Started) > opt.StaleAfter {
		return true
	}
	if holder.Host != host {
		return false // its process cannot be checked from here
	}
	if holder.PID == os.Getpid() {
		_, ours := held.Load(holder.Token)
		return !ours
	}
	return processDead(holder.PID)
}

// takeOver removes the stale lock whose content is old. It first renames
// the file aside, so that of two processes taking over at once only one
// gets it; if what it moved aside is not the stale lock (the other one
// took over and locked in between), it puts that lock back. A third
// process arriving within the microseconds the lock is aside could take
// the lock too; that needs three runs starting together over a dead one.
func takeOver(path string, old []byte, token string) error {
	aside := path + ".stale-" + token
	if err := os.Rename(path, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // someone else removed it; try to create
		}
		return err
	}
	moved, err := os.ReadFile(aside)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a new holder removed it (removeLeftovers): try to create
	}
	if err != nil {
		return err
	}
	if string(moved) != string(old) {
		// A fresh lock: restore it unless yet another appeared.
		if err := os.Link(aside, path); err != nil && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Replaced returns what the stale lock that this one took over recorded
// (zero when its content was unreadable), and whether there was one: a
// caller can say that a killed process left it.
func (l *Lock) Replaced() (LockInfo, bool) {
	if l.replaced == nil {
		return LockInfo{}, false
	}
	return *l.replaced, true
}

// Info returns what the lock file records.
func (l *Lock) Info() LockInfo { return l.info }

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release removes the lock file, if it is still this lock's (a lock taken
// over as stale by another process is left to that process). Calling it
// again does nothing.
func (l *Lock) Release() error {
	var err error
	l.once.Do(func() {
		defer held.Delete(l.info.Token)
		b, rerr := os.ReadFile(l.path)
		if errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("releasing lock %s: it was removed by someone else", l.path)
			return
		}
		if rerr != nil {
			err = fmt.Errorf("releasing lock %s: %w", l.path, rerr)
			return
		}
		if info, ok := parseLock(b); !ok || info.Token != l.info.Token {
			err = fmt.Errorf("releasing lock %s: another process took it over", l.path)
			return
		}
		if rerr := os.Remove(l.path); rerr != nil {
			err = fmt.Errorf("releasing lock %s: %w", l.path, rerr)
		}
	})
	return err
}
