package gitrepo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var lockNow = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)

func TestLockExclusive(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := AcquireLock(ctx, dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatal(err)
	}
	var info LockInfo
	b, err := os.ReadFile(filepath.Join(dir, "cvetrail.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("lock file %q: %v", b, err)
	}
	host, _ := os.Hostname()
	if info.PID != os.Getpid() || info.Host != host || !info.Started.Equal(lockNow) || info.Token == "" {
		t.Errorf("lock file records %+v", info)
	}
	if old, ok := l.Replaced(); ok {
		t.Errorf("a fresh lock says it replaced %+v", old)
	}

	_, err = AcquireLock(ctx, dir, "cvetrail.lock", LockOptions{Now: lockNow.Add(time.Minute)})
	var he *HeldError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &he) {
		t.Fatalf("second AcquireLock: %v, want a HeldError", err)
	}
	for _, want := range []string{fmt.Sprint(os.Getpid()), host, "2026-03-01T06:00:00Z"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cvetrail.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file still there after Release: %v", err)
	}
	l2, err := AcquireLock(ctx, dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatalf("AcquireLock after Release: %v", err)
	}
	l2.Release()
}

// writeLock writes a lock file as another process would have.
func writeLock(t *testing.T, path string, info LockInfo) {
	t.Helper()
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLockHeldByLiveProcess(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	path := filepath.Join(dir, "cvetrail.lock")
	// The parent of the test process is alive as long as the test runs.
	writeLock(t, path, LockInfo{PID: os.Getppid(), Host: host, Started: lockNow.Add(-time.Hour), Token: "other"})
	_, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(os.Getppid())) {
		t.Errorf("AcquireLock over a live holder: %v", err)
	}
	// Another host cannot be checked: held until it is old.
	writeLock(t, path, LockInfo{PID: 1, Host: "elsewhere.example", Started: lockNow.Add(-time.Hour), Token: "other"})
	if _, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow}); !errors.Is(err, ErrLocked) {
		t.Errorf("AcquireLock over a recent lock of another host: %v", err)
	}
	l, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow, StaleAfter: 30 * time.Minute})
	if err != nil {
		t.Fatalf("AcquireLock over an old lock of another host: %v", err)
	}
	l.Release()
}

func TestLockRecoversDeadProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	dir := t.TempDir()
	host, _ := os.Hostname()
	path := filepath.Join(dir, "cvetrail.lock")
	writeLock(t, path, LockInfo{PID: dead, Host: host, Started: lockNow.Add(-time.Minute), Token: "dead"})
	l, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatalf("AcquireLock over the lock of exited pid %d: %v", dead, err)
	}
	if l.Info().PID != os.Getpid() {
		t.Errorf("lock info %+v", l.Info())
	}
	if old, ok := l.Replaced(); !ok || old.PID != dead || old.Token != "dead" || !old.Started.Equal(lockNow.Add(-time.Minute)) {
		t.Errorf("Replaced() = %+v, %v; want the lock of pid %d", old, ok, dead)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}

func TestLockOwnPIDNotHeldHere(t *testing.T) {
	// A run killed in a container can leave a lock with the pid this
	// process now has; it is stale because this process never took it.
	dir := t.TempDir()
	host, _ := os.Hostname()
	writeLock(t, filepath.Join(dir, "cvetrail.lock"), LockInfo{PID: os.Getpid(), Host: host, Started: lockNow.Add(-time.Minute), Token: "previous run"})
	l, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatalf("AcquireLock over a lock naming our pid: %v", err)
	}
	l.Release()
}

func TestLockGarbage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cvetrail.lock")
	if err := os.WriteFile(path, []byte("\x00garbage{"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Fresh garbage may be a holder still writing: not taken over.
	if err := os.Chtimes(path, lockNow.Add(-time.Minute), lockNow.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "unreadable") {
		t.Errorf("AcquireLock over a fresh unreadable lock: %v", err)
	}
	old := lockNow.Add(-DefaultStaleAfter - time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatalf("AcquireLock over an old unreadable lock: %v", err)
	}
	if old, ok := l.Replaced(); !ok || old != (LockInfo{}) {
		t.Errorf("Replaced() = %+v, %v; want an unknown holder", old, ok)
	}
	l.Release()
}

func TestLockReleaseAfterTakeover(t *testing.T) {
	dir := t.TempDir()
	l, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatal(err)
	}
	// Another process decided the lock was stale and took it.
	host, _ := os.Hostname()
	path := filepath.Join(dir, "cvetrail.lock")
	writeLock(t, path, LockInfo{PID: os.Getppid(), Host: host, Started: lockNow, Token: "theirs"})
	if err := l.Release(); err == nil {
		t.Error("Release of a lock taken over succeeded")
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Release removed the other process's lock: %v", err)
	}
}

func TestLockArguments(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"", "../x.lock", "a/b.lock", ".hidden"} {
		if _, err := AcquireLock(context.Background(), dir, name, LockOptions{Now: lockNow}); err == nil {
			t.Errorf("AcquireLock accepted the name %q", name)
		}
	}
	if _, err := AcquireLock(context.Background(), dir, "x.lock", LockOptions{}); err == nil {
		t.Error("AcquireLock without a time succeeded")
	}
}

// TestLockKilledHolder kills a real holder with SIGKILL and takes its lock
// over.
func TestLockKilledHolder(t *testing.T) {
	if os.Getenv("GITREPO_LOCK_HELPER") != "" {
		t.Skip("helper")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "GITREPO_LOCK_HELPER="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	_, err = AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(cmd.Process.Pid)) {
		t.Errorf("AcquireLock while the helper holds the lock: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatalf("AcquireLock after the holder was killed: %v", err)
	}
	l.Release()
}

// TestLockHelperProcess is the holder of TestLockKilledHolder: it takes
// the lock, says so and waits to be killed.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv("GITREPO_LOCK_HELPER")
	if dir == "" {
		t.Skip("run by TestLockKilledHolder")
	}
	if _, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {}
}

// TestLockConcurrentTakeover lets two takers race over a stale lock: one
// gets it, the other is told it is held.
func TestLockConcurrentTakeover(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for i := range 50 {
		dir := t.TempDir()
		writeLock(t, filepath.Join(dir, "cvetrail.lock"), LockInfo{PID: cmd.Process.Pid, Host: host, Started: lockNow, Token: "dead"})
		results := make(chan error, 2)
		locks := make(chan *Lock, 2)
		for range 2 {
			go func() {
				l, err := AcquireLock(context.Background(), dir, "cvetrail.lock", LockOptions{Now: lockNow})
				if err == nil {
					locks <- l
				}
				results <- err
			}()
		}
		won, held := 0, 0
		for range 2 {
			switch err := <-results; {
			case err == nil:
				won++
			case errors.Is(err, ErrLocked):
				held++
			default:
				t.Errorf("round %d: %v", i, err)
			}
		}
		if won != 1 || held != 1 {
			t.Fatalf("round %d: %d took the lock, %d were refused; want 1 and 1", i, won, held)
		}
		l := <-locks
		if err := l.Release(); err != nil {
			t.Errorf("round %d: %v", i, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("round %d: files left: %v", i, entries)
		}
	}
}

// TestLockRemovesLeftovers: a process killed between writing its private
// lock file and linking it leaves that file; the next one to take the lock
// removes it, and only files of that lock.
func TestLockRemovesLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	left := filepath.Join(dir, "cvetrail.lock.new-0123456789abcdef0123456789abcdef")
	aside := filepath.Join(dir, "cvetrail.lock.stale-0123456789abcdef0123456789abcdef")
	other := filepath.Join(dir, "other.lock.new-0123456789abcdef0123456789abcdef")
	for _, f := range []string{left, aside, other} {
		if err := os.WriteFile(f, []byte(`{"pid":1}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := AcquireLock(ctx, dir, "cvetrail.lock", LockOptions{Now: lockNow})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for _, f := range []string{left, aside} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s, left by a killed process, is still there: %v", filepath.Base(f), err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another lock's file was removed: %v", err)
	}
}
