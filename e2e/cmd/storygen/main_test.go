package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNoScanWritesImagesAndDatabases(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-no-scan", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, f := range []string{"story.json", "day1/app.tar", "day3/app.tar", "day1/trivy-cache/db/trivy.db",
		"day4/trivy-cache/db/metadata.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "day5", "trivy-cache")); !os.IsNotExist(err) {
		t.Errorf("day 5 is a grype day and has no trivy database: %v", err)
	}
	if !strings.Contains(stdout.String(), "day 4 (2026-06-04, trivy)") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

func TestBadFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-bogus"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}
