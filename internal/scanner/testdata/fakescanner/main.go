// Command fakescanner stands in for the trivy and grype binaries in the
// tests of package scanner. It records its arguments and behaves as told by
// its environment:
//
//	FAKE_ARGV    file to which each invocation appends its arguments, one JSON array per line
//	FAKE_MODE    report (default): copy FAKE_REPORT to stdout and exit 0
//	             fail: exit FAKE_EXIT (default 2)
//	             sleep: start a child that sleeps too, then sleep for an hour
//	             garbage: write text that is not JSON and exit 0
//	             empty: write nothing and exit 0
//	FAKE_STDERR  text written to stderr first
//	FAKE_VERSION file copied to stdout for "version"
//	FAKE_DB      file copied to stdout for "db status"; without it "db status" fails
//	FAKE_ENV     name of an environment variable whose value is recorded as the last argument
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

func main() {
	args := os.Args[1:]
	if name := os.Getenv("FAKE_ENV"); name != "" {
		args = append(args, name+"="+os.Getenv(name))
	}
	if path := os.Getenv("FAKE_ARGV"); path != "" {
		b, _ := json.Marshal(args)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(9)
		}
		f.Write(append(b, '\n'))
		f.Close()
	}
	fmt.Fprint(os.Stderr, os.Getenv("FAKE_STDERR"))
	switch {
	case len(os.Args) > 1 && os.Args[1] == "version":
		copyFile(os.Getenv("FAKE_VERSION"))
		return
	case len(os.Args) > 2 && os.Args[1] == "db" && os.Args[2] == "status":
		if os.Getenv("FAKE_DB") == "" {
			fmt.Fprintln(os.Stderr, "no database")
			os.Exit(1)
		}
		copyFile(os.Getenv("FAKE_DB"))
		return
	}
	switch os.Getenv("FAKE_MODE") {
	case "", "report":
		copyFile(os.Getenv("FAKE_REPORT"))
	case "fail":
		code := 2
		fmt.Sscan(os.Getenv("FAKE_EXIT"), &code)
		os.Exit(code)
	case "sleep":
		self, _ := os.Executable()
		child := exec.Command(self)
		child.Env = append(os.Environ(), "FAKE_MODE=child", "FAKE_ARGV=")
		child.Stderr = os.Stderr // holds the pipe open, as a helper process would
		child.Start()
		time.Sleep(time.Hour)
	case "child":
		time.Sleep(time.Hour)
	case "garbage":
		fmt.Println("Report Summary: everything is fine")
	case "empty":
	}
}

func copyFile(path string) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(8)
	}
	defer f.Close()
	io.Copy(os.Stdout, f)
}
