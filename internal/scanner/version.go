package scanner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cvetrail/cvetrail/internal/report"
)

// Version asks the scanner for its version and its vulnerability
// database's version and build date:
//
//	trivy version --format json [--cache-dir C]
//	grype version -o json, then grype db status -o json
//
// Trivy's VulnerabilityDB gives DBVersion (its schema version) and
// DBUpdated (UpdatedAt, RFC 3339 in UTC). Grype's version command says
// nothing about the database, so Version also asks `grype db status`; when
// that fails (no database yet) the DB fields stay empty, since a Grype
// report carries its database's status in descriptor.db anyway.
func Version(ctx context.Context, spec Spec) (report.ScanInfo, error) {
	name, err := checkName(spec.Name)
	if err != nil {
		return report.ScanInfo{}, err
	}
	info := report.ScanInfo{Scanner: name}
	if name == "trivy" {
		args := []string{"version", "--format", "json"}
		if spec.CacheDir != "" {
			args = append(args, "--cache-dir", spec.CacheDir)
		}
		out, err := output(ctx, spec, name, args)
		if err != nil {
			return report.ScanInfo{}, err
		}
		var v struct {
			Version         string
			VulnerabilityDB *struct {
				Version   int
				UpdatedAt time.Time
			}
		}
		if err := decodeJSON(out, &v); err != nil {
			return report.ScanInfo{}, &Error{Scanner: name, Kind: Unparsable, Err: fmt.Errorf("trivy version: %w", err)}
		}
		info.ScannerVersion = v.Version
		if db := v.VulnerabilityDB; db != nil {
			if db.Version != 0 {
				info.DBVersion = strconv.Itoa(db.Version)
			}
			if !db.UpdatedAt.IsZero() {
				info.DBUpdated = db.UpdatedAt.UTC().Format(time.RFC3339)
			}
		}
		return info, nil
	}
	out, err := output(ctx, spec, name, []string{"version", "-o", "json"})
	if err != nil {
		return report.ScanInfo{}, err
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := decodeJSON(out, &v); err != nil {
		return report.ScanInfo{}, &Error{Scanner: name, Kind: Unparsable, Err: fmt.Errorf("grype version: %w", err)}
	}
	info.ScannerVersion = v.Version
	if out, err := output(ctx, spec, name, []string{"db", "status", "-o", "json"}); err == nil {
		var st struct {
			SchemaVersion json.RawMessage `json:"schemaVersion"`
			Built         string          `json:"built"`
		}
		if decodeJSON(out, &st) == nil {
			info.DBVersion = rawScalar(st.SchemaVersion)
			if t, err := time.Parse(time.RFC3339Nano, st.Built); err == nil {
				info.DBUpdated = t.UTC().Format(time.RFC3339)
			}
		}
	} else if ctx.Err() != nil {
		return report.ScanInfo{}, err
	}
	return info, nil
}

// output runs the scanner with args and returns its standard output (at
// most its first MiB: version information is small).
func output(ctx context.Context, spec Spec, name string, args []string) ([]byte, error) {
	out := &headBuffer{max: 1 << 20}
	if _, err := run(ctx, spec, name, "", args, out); err != nil {
		return nil, err
	}
	return out.buf, nil
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	max int
	buf []byte
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// decodeJSON decodes the JSON object in out, ignoring anything before its
// first "{" (a scanner may print a notice first).
func decodeJSON(out []byte, v any) error {
	i := bytes.IndexByte(out, '{')
	if i < 0 {
		return errors.New("no JSON object in the output")
	}
	return json.NewDecoder(bytes.NewReader(out[i:])).Decode(v)
}

// rawScalar renders a JSON string or number as text.
func rawScalar(b json.RawMessage) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		return n.String()
	}
	return ""
}
