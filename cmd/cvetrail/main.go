// Command cvetrail keeps the vulnerability history of container images in
// Git: it ingests Trivy and Grype reports into canonical ledgers, classifies
// what changed, records human decisions, and runs the daily report job.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/cvetrail/cvetrail/internal/cli"
)

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// A cvetrail process is short and keeps most of what it allocates (the
// findings it reads), so the default, which collects each time the heap
// doubles, marks the same findings over and over while they are read:
// collecting at five times the live heap does a fraction of that work. The
// peak heap stays bounded by the input (see BENCHMARKS.md).
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
