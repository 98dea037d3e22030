package story

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/cvetrail/cvetrail/e2e/internal/atomicfile"
	"github.com/cvetrail/cvetrail/e2e/internal/grypedb"
	"github.com/cvetrail/cvetrail/e2e/internal/imagegen"
	"github.com/cvetrail/cvetrail/e2e/internal/scanner"
	"github.com/cvetrail/cvetrail/e2e/internal/trivydb"
)

// File names inside a day's directory.
const (
	ImageFile     = "app.tar"
	TrivyCacheDir = "trivy-cache"
	TrivyReport   = "trivy.json"
	GrypeReport   = "grype.json"
	FailureFile   = "trivy.failure.json"
	ManifestFile  = "story.json"
)

// Manifest is story.json: what each day's directory holds and what the
// scanners reported, for the demo and for readers of the data.
type Manifest struct {
	SchemaVersion int           `json:"schemaVersion"`
	Image         string        `json:"image"`
	Scanners      []ScannerInfo `json:"scanners"`
	Ack           Ack           `json:"ack"`
	Days          []DayInfo     `json:"days"`
}

// ScannerInfo names a scanner version the reports were produced with.
type ScannerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Ack is the decision the story records after day 2.
type Ack struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// DayInfo describes one day's directory.
type DayInfo struct {
	Day     int    `json:"day"`
	Date    string `json:"date"`
	Story   string `json:"story"`
	Scanner string `json:"scanner"`
	// Image is the docker-archive tarball, relative to the story directory.
	Image string `json:"image"`
	// TrivyCache is a Trivy --cache-dir holding db/trivy.db and
	// db/metadata.json (copy it before use: Trivy writes into it).
	TrivyCache string `json:"trivyCache,omitempty"`
	// Report is the scanner's JSON report; Failure describes a failed scan.
	Report  string `json:"report,omitempty"`
	Failure string `json:"failure,omitempty"`
	// Findings is what the scanner reported, one "ID package version" per
	// finding, sorted.
	Findings []string `json:"findings,omitempty"`
	// Expect is the outcome of `cvetrail run` that day: its exit code and
	// the vulnerabilities new that day.
	Expect Expectation `json:"expect"`
}

// Expectation is the outcome of one day's run.
type Expectation struct {
	Exit int      `json:"exit"`
	New  []string `json:"new,omitempty"`
}

// StoryAck is the decision recorded after day 2.
var StoryAck = Ack{
	ID:     NewCVE,
	Status: "accepted",
	Reason: "ALPN is not used by the app; openssl update planned with the next base image",
}

// Expectations returns the expected outcome of `cvetrail run` on each day,
// indexed by day number.
func Expectations() map[int]Expectation {
	return map[int]Expectation{
		1: {Exit: 0},
		2: {Exit: 1, New: []string{NewCVE}},
		3: {Exit: 0},
		4: {Exit: 3},
		5: {Exit: 0},
	}
}

// Failure is a failed scanner run, as trivy.failure.json records it.
type Failure struct {
	Command  []string `json:"command"`
	ExitCode int      `json:"exitCode"`
	Stderr   string   `json:"stderr"`
}

// Scanners are the binaries Generate runs; empty paths skip the reports.
type Scanners struct {
	Trivy string
	Grype string
}

// Generate writes the story into out: per day an image tarball, the Trivy
// database (days 1–4), and the report the real scanner produced, plus
// story.json. Images and databases are byte-for-byte reproducible. A report
// is rewritten only when it differs from the existing file in more than the
// fields that change on every scan (time stamps, report ids, log times), so
// regenerating leaves an unchanged story unchanged. Without scanners only
// the images and databases are written and existing reports are kept.
func Generate(ctx context.Context, out string, sc Scanners, work string) (*Manifest, error) {
	// The reports are always those of these versions: without scanners the
	// existing ones are kept.
	m := &Manifest{SchemaVersion: 1, Image: ImageName, Ack: StoryAck, Scanners: []ScannerInfo{
		{scanner.Trivy, scanner.Versions[scanner.Trivy]},
		{scanner.Grype, scanner.Versions[scanner.Grype]},
	}}
	expect := Expectations()
	for _, d := range Days() {
		info, err := generateDay(ctx, out, work, sc, d)
		if err != nil {
			return nil, fmt.Errorf("generating day %d: %w", d.N, err)
		}
		info.Expect = expect[d.N]
		m.Days = append(m.Days, info)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("generating story manifest: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(out, ManifestFile), append(b, '\n')); err != nil {
		return nil, fmt.Errorf("generating story manifest: %w", err)
	}
	return m, nil
}

func generateDay(ctx context.Context, out, work string, sc Scanners, d Day) (DayInfo, error) {
	name := "day" + strconv.Itoa(d.N)
	dir := filepath.Join(out, name)
	info := DayInfo{Day: d.N, Date: d.Date.Format(time.DateOnly), Story: d.Story, Scanner: d.Scanner,
		Image: filepath.ToSlash(filepath.Join(name, ImageFile))}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return info, err
	}
	if err := imagegen.WriteDockerArchive(ctx, filepath.Join(dir, ImageFile), d.Image); err != nil {
		return info, err
	}
	if d.Scanner == scanner.Trivy {
		info.TrivyCache = filepath.ToSlash(filepath.Join(name, TrivyCacheDir))
		if err := WriteTrivyDB(ctx, filepath.Join(dir, TrivyCacheDir), d); err != nil {
			return info, err
		}
	}

	wd := filepath.Join(work, name)
	if err := os.MkdirAll(wd, 0o755); err != nil {
		return info, err
	}
	var res scanner.Result
	var cmd scanner.Command
	switch d.Scanner {
	case scanner.Trivy:
		info.Report = filepath.ToSlash(filepath.Join(name, TrivyReport))
		if d.CorruptDB {
			info.Report = ""
			info.Failure = filepath.ToSlash(filepath.Join(name, FailureFile))
		}
		if sc.Trivy == "" {
			return info, keepFindings(&info, out)
		}
		if err := copyTree(filepath.Join(dir, TrivyCacheDir), filepath.Join(wd, TrivyCacheDir)); err != nil {
			return info, err
		}
		cmd = scanner.Command{Path: sc.Trivy, Dir: wd, Home: wd,
			Args: scanner.TrivyArgs(TrivyCacheDir, ImageFile)}
	case scanner.Grype:
		info.Report = filepath.ToSlash(filepath.Join(name, GrypeReport))
		if sc.Grype == "" {
			return info, keepFindings(&info, out)
		}
		if err := grypedb.Write(ctx, filepath.Join(wd, "grype-cache"), d.Vulns, DBUpdated(d)); err != nil {
			return info, err
		}
		cmd = scanner.Command{Path: sc.Grype, Dir: wd, Home: wd,
			Args: scanner.GrypeArgs(ImageFile), Env: scanner.GrypeEnv("grype-cache")}
	default:
		return info, fmt.Errorf("unknown scanner %q", d.Scanner)
	}
	if err := copyFile(filepath.Join(dir, ImageFile), filepath.Join(wd, ImageFile)); err != nil {
		return info, err
	}
	res, err := scanner.Run(ctx, cmd)
	if err != nil {
		return info, err
	}
	if d.CorruptDB {
		if res.ExitCode == 0 {
			return info, fmt.Errorf("%s succeeded on a corrupt database", d.Scanner)
		}
		f := Failure{Command: append([]string{d.Scanner}, cmd.Args...), ExitCode: res.ExitCode, Stderr: string(res.Stderr)}
		b, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			return info, err
		}
		return info, writeIfChanged(filepath.Join(out, info.Failure), append(b, '\n'), sameFailure)
	}
	if res.ExitCode != 0 {
		return info, fmt.Errorf("%s exited %d: %s", d.Scanner, res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	if info.Findings, err = Findings(d.Scanner, res.Stdout); err != nil {
		return info, err
	}
	return info, writeIfChanged(filepath.Join(out, info.Report), res.Stdout, sameReport)
}

// keepFindings fills info.Findings from a report already in out.
func keepFindings(info *DayInfo, out string) error {
	if info.Report == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(out, info.Report))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	info.Findings, err = Findings(info.Scanner, b)
	return err
}

// WriteTrivyDB writes the Trivy database of day d into cacheDir (a Trivy
// --cache-dir), corrupt on the day the story wants it corrupt.
func WriteTrivyDB(ctx context.Context, cacheDir string, d Day) error {
	meta := trivydb.Metadata{UpdatedAt: DBUpdated(d), NextUpdate: DBNextUpdate, DownloadedAt: DBUpdated(d)}
	if err := trivydb.Write(ctx, cacheDir, d.Vulns, meta); err != nil {
		return err
	}
	if d.CorruptDB {
		return trivydb.Corrupt(ctx, cacheDir)
	}
	return nil
}

// volatile are the report fields that change on every scan.
var volatile = map[string][][]string{
	"trivy": {{"CreatedAt"}, {"ReportID"}},
	"grype": {{"descriptor", "timestamp"}},
}

func sameReport(old, new []byte) bool {
	var a, b map[string]any
	if json.Unmarshal(old, &a) != nil || json.Unmarshal(new, &b) != nil {
		return false
	}
	for _, paths := range volatile {
		for _, p := range paths {
			deletePath(a, p)
			deletePath(b, p)
		}
	}
	return reflect.DeepEqual(a, b)
}

func deletePath(m map[string]any, path []string) {
	for len(path) > 1 {
		next, ok := m[path[0]].(map[string]any)
		if !ok {
			return
		}
		m, path = next, path[1:]
	}
	delete(m, path[0])
}

var logTime = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:?\d\d)`)

func sameFailure(old, new []byte) bool {
	var a, b Failure
	if json.Unmarshal(old, &a) != nil || json.Unmarshal(new, &b) != nil {
		return false
	}
	a.Stderr = logTime.ReplaceAllString(a.Stderr, "T")
	b.Stderr = logTime.ReplaceAllString(b.Stderr, "T")
	return reflect.DeepEqual(a, b)
}

func writeIfChanged(path string, b []byte, same func(old, new []byte) bool) error {
	if old, err := os.ReadFile(path); err == nil && same(old, b) {
		return nil
	}
	return atomicfile.Write(path, b)
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// copyTree copies the regular files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
}
