// Package config reads and writes cvetrail.yaml, the configuration of a
// repository: the images to scan, the scanner, the review policy, the report
// branch, the forge and the guards. Decoding is strict: an unknown key is an
// error naming it and its line.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cvetrail/cvetrail/internal/report"
)

// SchemaVersion is the version of cvetrail.yaml this cvetrail reads.
const SchemaVersion = 1

// Config is cvetrail.yaml.
type Config struct {
	SchemaVersion int     `yaml:"schemaVersion"`
	Images        []Image `yaml:"images"`
	Scanner       Scanner `yaml:"scanner"`
	Policy        Policy  `yaml:"policy"`
	// Branch is the report branch; default cvetrail/daily-report.
	Branch string `yaml:"branch"`
	// Base is the branch reports are merged into; default: the current
	// branch.
	Base   string `yaml:"base"`
	Forge  string `yaml:"forge"` // none | github | gitlab
	Merge  Merge  `yaml:"merge"`
	Labels Labels `yaml:"labels"`
	Commit Commit `yaml:"commit"`
	Guard  Guard  `yaml:"guard"`
}

// Image is one image to scan.
type Image struct {
	// Ref is a registry reference, or docker-archive:PATH / oci:PATH.
	Ref string `yaml:"ref"`
	// Name is the stable name the ledger is kept under; default Ref.
	Name     string `yaml:"name"`
	Scanner  string `yaml:"scanner"` // overrides scanner.name for this image
	Platform string `yaml:"platform"`
}

// LedgerName is the name the image's ledger is kept under.
func (i Image) LedgerName() string {
	if i.Name != "" {
		return i.Name
	}
	return i.Ref
}

// Scanner configures the scanner binary.
type Scanner struct {
	Name    string            `yaml:"name"` // trivy | grype
	Path    string            `yaml:"path"`
	Args    []string          `yaml:"args"`
	Timeout Duration          `yaml:"timeout"`
	Env     map[string]string `yaml:"env"`
}

// Policy narrows what needs a human.
type Policy struct {
	// MinSeverity: new findings below it do not need review.
	MinSeverity string `yaml:"minSeverity"`
	// OnlyFixable: new findings without a fixed version do not need review.
	OnlyFixable bool `yaml:"onlyFixable"`
	// IgnoreWontFix: new findings the vendor will not fix do not need
	// review.
	IgnoreWontFix bool `yaml:"ignoreWontFix"`
	// BlockSeverityRise: a severity rise of an undecided finding needs
	// review (default: shown, not blocking).
	BlockSeverityRise bool `yaml:"blockSeverityRise"`
	// CVSSThreshold: a decided finding whose CVSS score rises to or past
	// it is escalated. 0 disables.
	CVSSThreshold float64 `yaml:"cvssThreshold"`
}

// Severity returns the parsed minimum severity.
func (p Policy) Severity() report.Severity {
	s, _ := report.ParseSeverity(p.MinSeverity)
	return s
}

// Merge says how clean reports are merged on a forge.
type Merge struct {
	Mode   string `yaml:"mode"`   // api | auto | none
	Method string `yaml:"method"` // merge | squash | rebase
}

// Labels names the labels cvetrail manages on a forge.
type Labels struct {
	Review string   `yaml:"review"` // default "new CVE"
	Extra  []string `yaml:"extra"`
}

// Commit configures the commits cvetrail makes.
type Commit struct {
	// Author is "Name <email>"; default the git configuration.
	Author string `yaml:"author"`
}

// Guard protects against a scanner that silently lost its database.
type Guard struct {
	// MaxDrop is the largest share of an image's findings that may
	// disappear in one run (default 50%).
	MaxDrop Percent `yaml:"maxDrop"`
	// MinFindings: an image with at least this many findings may not drop
	// to zero (default 10).
	MinFindings *int `yaml:"minFindings"`
}

// Defaults applied by Load.
const (
	DefaultBranch      = "cvetrail/daily-report"
	DefaultReviewLabel = "new CVE"
	DefaultTimeout     = 10 * time.Minute
	DefaultMaxDrop     = 0.5
	DefaultMinFindings = 10
)

// Duration is a time.Duration written as "5m", "90s".
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (like 90s, 5m, 1h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Percent is a share written as "50%" or 0.5.
type Percent struct {
	Set   bool
	Value float64 // 0..1
}

// UnmarshalYAML parses "50%" or a fraction between 0 and 1.
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	var v float64
	var err error
	if t, ok := strings.CutSuffix(s, "%"); ok {
		v, err = strconv.ParseFloat(strings.TrimSpace(t), 64)
		v /= 100
	} else {
		v, err = strconv.ParseFloat(s, 64)
	}
	if err != nil || v < 0 || v > 1 {
		return fmt.Errorf("line %d: %q is not a share (like 50%% or 0.5)", n.Line, n.Value)
	}
	*p = Percent{Set: true, Value: v}
	return nil
}

// MarshalYAML writes the share as a percentage.
func (p Percent) MarshalYAML() (any, error) {
	return strconv.FormatFloat(p.Value*100, 'f', -1, 64) + "%", nil
}

var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// Parse decodes and validates cvetrail.yaml content. name is used in
// messages.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty configuration", name)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var errs []error
			for _, e := range te.Errors {
				if m := unknownField.FindStringSubmatch(e); m != nil {
					errs = append(errs, fmt.Errorf("%s:%s: unknown key %q", name, m[1], m[2]))
				} else {
					errs = append(errs, fmt.Errorf("%s: %s", name, strings.TrimPrefix(e, "yaml: ")))
				}
			}
			return nil, errors.Join(errs...)
		}
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.applyDefaults()
	return &c, nil
}

// Load reads cvetrail.yaml from path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(path, data)
}

func (c *Config) validate() error {
	var errs []error
	if c.SchemaVersion != SchemaVersion {
		errs = append(errs, fmt.Errorf("schemaVersion %d is not supported (this cvetrail reads %d)", c.SchemaVersion, SchemaVersion))
	}
	names := map[string]int{}
	for i, im := range c.Images {
		if strings.TrimSpace(im.Ref) == "" {
			errs = append(errs, fmt.Errorf("images[%d]: ref is required", i))
			continue
		}
		if j, dup := names[im.LedgerName()]; dup {
			errs = append(errs, fmt.Errorf("images[%d]: %q is already images[%d]", i, im.LedgerName(), j))
		}
		names[im.LedgerName()] = i
		if im.Scanner != "" && !validScanner(im.Scanner) {
			errs = append(errs, fmt.Errorf("images[%d]: unknown scanner %q (trivy or grype)", i, im.Scanner))
		}
	}
	if c.Scanner.Name != "" && !validScanner(c.Scanner.Name) {
		errs = append(errs, fmt.Errorf("scanner.name: unknown scanner %q (trivy or grype)", c.Scanner.Name))
	}
	if c.Policy.MinSeverity != "" {
		if _, ok := report.ParseSeverity(c.Policy.MinSeverity); !ok {
			errs = append(errs, fmt.Errorf("policy.minSeverity: unknown severity %q (LOW, MEDIUM, HIGH, CRITICAL)", c.Policy.MinSeverity))
		}
	}
	switch c.Forge {
	case "", "none", "github", "gitlab":
	default:
		errs = append(errs, fmt.Errorf("forge: unknown forge %q (none, github or gitlab)", c.Forge))
	}
	switch c.Merge.Mode {
	case "", "api", "auto", "none":
	default:
		errs = append(errs, fmt.Errorf("merge.mode: unknown mode %q (api, auto or none)", c.Merge.Mode))
	}
	switch c.Merge.Method {
	case "", "merge", "squash", "rebase":
	default:
		errs = append(errs, fmt.Errorf("merge.method: unknown method %q (merge, squash or rebase)", c.Merge.Method))
	}
	if c.Guard.MinFindings != nil && *c.Guard.MinFindings < 0 {
		errs = append(errs, errors.New("guard.minFindings: must not be negative"))
	}
	if c.Branch != "" && (strings.ContainsAny(c.Branch, " ~^:?*[\\") || strings.Contains(c.Branch, "..") || strings.HasPrefix(c.Branch, "-")) {
		errs = append(errs, fmt.Errorf("branch: %q is not a valid branch name", c.Branch))
	}
	return errors.Join(errs...)
}

func validScanner(s string) bool { return s == "trivy" || s == "grype" }

func (c *Config) applyDefaults() {
	if c.Branch == "" {
		c.Branch = DefaultBranch
	}
	if c.Forge == "" {
		c.Forge = "none"
	}
	if c.Scanner.Name == "" {
		c.Scanner.Name = "trivy"
	}
	if c.Scanner.Timeout == 0 {
		c.Scanner.Timeout = Duration(DefaultTimeout)
	}
	if c.Merge.Mode == "" {
		c.Merge.Mode = "api"
	}
	if c.Merge.Method == "" {
		c.Merge.Method = "merge"
	}
	if c.Labels.Review == "" {
		c.Labels.Review = DefaultReviewLabel
	}
	if !c.Guard.MaxDrop.Set {
		c.Guard.MaxDrop = Percent{Set: true, Value: DefaultMaxDrop}
	}
	if c.Guard.MinFindings == nil {
		n := DefaultMinFindings
		c.Guard.MinFindings = &n
	}
}

// Default returns the configuration used when a repository has no
// cvetrail.yaml (commands that only read ledgers work without one).
func Default() *Config {
	c := &Config{SchemaVersion: SchemaVersion}
	c.applyDefaults()
	return c
}
