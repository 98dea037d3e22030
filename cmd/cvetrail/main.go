// Command cvetrail keeps the vulnerability history of container images in
// Git: it ingests Trivy and Grype reports into canonical ledgers, classifies
// what changed, records human decisions, and runs the daily report job.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cvetrail/cvetrail/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
