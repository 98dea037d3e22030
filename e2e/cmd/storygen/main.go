// Command storygen writes the data of cvetrail's five-day story (images,
// Trivy databases and the reports of the real scanners) into a directory,
// by default ../internal/demo/story when run from e2e/.
//
//	go run ./cmd/storygen -out ../internal/demo/story
//
// It needs the real Trivy and Grype (see internal/scanner for how they are
// found); with -no-scan it only rewrites images and databases.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/cvetrail/cvetrail/e2e/internal/scanner"
	"github.com/cvetrail/cvetrail/e2e/internal/story"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("storygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "../internal/demo/story", "story directory to write")
	noScan := fs.Bool("no-scan", false, "write images and databases only; keep existing reports")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var sc story.Scanners
	if !*noScan {
		var err error
		if sc.Trivy, err = scanner.Find(scanner.Trivy, os.Getenv); err != nil {
			fmt.Fprintf(stderr, "storygen: %v\n", err)
			return 3
		}
		if sc.Grype, err = scanner.Find(scanner.Grype, os.Getenv); err != nil {
			fmt.Fprintf(stderr, "storygen: %v\n", err)
			return 3
		}
	}
	work, err := os.MkdirTemp("", "storygen-")
	if err != nil {
		fmt.Fprintf(stderr, "storygen: %v\n", err)
		return 3
	}
	defer os.RemoveAll(work)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "storygen: %v\n", err)
		return 3
	}
	m, err := story.Generate(ctx, *out, sc, work)
	if err != nil {
		fmt.Fprintf(stderr, "storygen: %v\n", err)
		return 3
	}
	for _, d := range m.Days {
		fmt.Fprintf(stdout, "day %d (%s, %s): %d findings\n", d.Day, d.Date, d.Scanner, len(d.Findings))
		for _, f := range d.Findings {
			fmt.Fprintf(stdout, "  %s\n", f)
		}
		if d.Failure != "" {
			fmt.Fprintf(stdout, "  scanner failed: see %s\n", d.Failure)
		}
	}
	return 0
}
