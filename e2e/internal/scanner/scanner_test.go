package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary doubles as a fake scanner: with FAKE_SCANNER set it
// prints its environment and arguments and exits with the code asked for.
func TestMain(m *testing.M) {
	if os.Getenv("FAKE_SCANNER") == "1" {
		fmt.Println(strings.Join(os.Args[1:], " "))
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
		fmt.Fprintln(os.Stderr, "fake scanner stderr")
		code := 0
		fmt.Sscan(os.Getenv("FAKE_EXIT"), &code)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func executableFile(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/false\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	fromEnv := filepath.Join(dir, "env", "trivy")
	cache := filepath.Join(dir, "tools")
	fromCache := filepath.Join(cache, "trivy-v0.74.0", "trivy")
	onPath := filepath.Join(dir, "bin", "trivy")
	notExec := filepath.Join(dir, "plain")
	executableFile(t, fromEnv)
	executableFile(t, fromCache)
	executableFile(t, onPath)
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Dir(onPath))

	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr error // nil, ErrNotFound, or errAny
	}{
		{"env wins", map[string]string{"CVETRAIL_TRIVY": fromEnv, "CVETRAIL_TOOLS": cache}, fromEnv, nil},
		{"cache before PATH", map[string]string{"CVETRAIL_TOOLS": cache}, fromCache, nil},
		{"PATH last", map[string]string{"CVETRAIL_TOOLS": filepath.Join(dir, "empty")}, onPath, nil},
		{"env not executable", map[string]string{"CVETRAIL_TRIVY": notExec}, "", errAny},
		{"env missing", map[string]string{"CVETRAIL_TRIVY": filepath.Join(dir, "nope")}, "", errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(Trivy, func(k string) string { return tt.env[k] })
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("found %s, want an error", got)
			case tt.wantErr != nil && errors.Is(err, ErrNotFound):
				t.Fatalf("a bad CVETRAIL_TRIVY must not look like a missing scanner: %v", err)
			}
			if got != tt.want {
				t.Errorf("Find = %q, want %q", got, tt.want)
			}
		})
	}

	t.Setenv("PATH", filepath.Join(dir, "empty"))
	_, err := Find(Grype, func(k string) string { return map[string]string{"CVETRAIL_TOOLS": cache}[k] })
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "CVETRAIL_GRYPE") {
		t.Errorf("missing grype: %v, want ErrNotFound naming CVETRAIL_GRYPE", err)
	}
	if _, err := Find("clair", func(string) string { return "" }); err == nil {
		t.Error("an unknown scanner was found")
	}
}

var errAny = errors.New("any error")

func TestRun(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRIVY_DB_REPOSITORY", "example.com/should-not-leak")
	home := t.TempDir()
	res, err := Run(context.Background(), Command{
		Path: self, Args: []string{"image", "--input", "app.tar"}, Dir: home, Home: home,
		Env: map[string]string{"FAKE_SCANNER": "1", "FAKE_EXIT": "7", "GRYPE_DB_AUTO_UPDATE": "false"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 {
		t.Errorf("exit code %d, want 7", res.ExitCode)
	}
	out := string(res.Stdout)
	for _, want := range []string{"image --input app.tar\n", "HOME=" + home + "\n", "GRYPE_DB_AUTO_UPDATE=false\n",
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache") + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "TRIVY_DB_REPOSITORY") {
		t.Errorf("the caller's TRIVY_* variables reached the scanner:\n%s", out)
	}
	if string(res.Stderr) != "fake scanner stderr\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}

	if _, err := Run(context.Background(), Command{Path: filepath.Join(home, "missing")}); err == nil {
		t.Error("running a missing binary gave no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Command{Path: self, Env: map[string]string{"FAKE_SCANNER": "1"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v, want context.Canceled", err)
	}
}

func TestArgs(t *testing.T) {
	got := strings.Join(TrivyArgs("cache", "app.tar"), " ")
	want := "image --cache-dir cache --skip-db-update --skip-java-db-update --offline-scan --skip-version-check --format json --scanners vuln --quiet --input app.tar"
	if got != want {
		t.Errorf("TrivyArgs = %s", got)
	}
	if got := strings.Join(GrypeArgs("app.tar"), " "); got != "docker-archive:app.tar -o json" {
		t.Errorf("GrypeArgs = %s", got)
	}
	env := GrypeEnv("cache")
	if env["GRYPE_DB_CACHE_DIR"] != "cache" || env["GRYPE_DB_AUTO_UPDATE"] != "false" || env["GRYPE_DB_VALIDATE_AGE"] != "false" {
		t.Errorf("GrypeEnv = %v", env)
	}
}

func TestToolsDir(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CVETRAIL_TOOLS": "/t", "HOME": "/h"}, "/t"},
		{map[string]string{"HOME": "/h"}, filepath.Join("/h", ".cache", "cvetrail-tools")},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := ToolsDir(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("ToolsDir(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}
