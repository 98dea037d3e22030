package render

import "github.com/cvetrail/cvetrail/internal/report"

// appendChange appends c as encoding/json's Encoder with SetIndent(prefix,
// "  ") and HTML escaping off writes it, without the final newline: the
// same bytes, a tenth of the time, which matters for diffs of millions of
// findings. TestAppendChangeMatchesEncoder holds the two together.
func appendChange(b []byte, c *jsonChange, prefix string) []byte {
	in := prefix + "  "
	b = append(b, '{', '\n')
	b = field(b, in, "class", c.Class, true)
	b = field(b, in, "id", c.ID, true)
	b = list(b, in, "aliases", c.Aliases)
	b = field(b, in, "type", c.Type, true)
	b = field(b, in, "pkg", c.Pkg, true)
	b = field(b, in, "severity", c.Severity, true)
	b = append(b, in...)
	b = append(b, `"previousSeverity": `...)
	if c.PreviousSeverity == nil {
		b = append(b, "null"...)
	} else {
		b = report.AppendJSONString(b, *c.PreviousSeverity)
	}
	b = append(b, ",\n"...)
	b = list(b, in, "versions", c.Versions)
	b = list(b, in, "fixed", c.Fixed)
	b = append(b, in...)
	if c.NeedsReview {
		b = append(b, `"needsReview": true,`...)
	} else {
		b = append(b, `"needsReview": false,`...)
	}
	b = append(b, '\n')
	if c.Why != "" {
		b = field(b, in, "why", c.Why, true)
	}
	b = append(b, in...)
	b = append(b, `"decision": `...)
	if d := c.Decision; d == nil {
		b = append(b, "null"...)
	} else {
		din := in + "  "
		b = append(b, '{', '\n')
		b = field(b, din, "id", d.ID, true)
		b = field(b, din, "status", d.Status, true)
		b = field(b, din, "justification", d.Justification, true)
		b = field(b, din, "reason", d.Reason, true)
		b = field(b, din, "severity", d.Severity, true)
		b = append(b, din...)
		b = append(b, `"expires": `...)
		if d.Expires == nil {
			b = append(b, "null"...)
		} else {
			b = report.AppendJSONString(b, *d.Expires)
		}
		b = append(b, ",\n"...)
		b = field(b, din, "ticket", d.Ticket, false)
		b = append(b, in...)
		b = append(b, '}')
	}
	b = append(b, ",\n"...)
	b = field(b, in, "title", c.Title, true)
	b = field(b, in, "url", c.URL, false)
	b = append(b, prefix...)
	return append(b, '}')
}

// field appends `in"name": "value"` and, when more follows, a comma, then a
// newline.
func field(b []byte, in, name, value string, more bool) []byte {
	b = append(b, in...)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `": `...)
	b = report.AppendJSONString(b, value)
	if more {
		b = append(b, ',')
	}
	return append(b, '\n')
}

// list appends a string array member, always followed by more members.
func list(b []byte, in, name string, vs []string) []byte {
	b = append(b, in...)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `": `...)
	if len(vs) == 0 {
		return append(b, "[],\n"...)
	}
	b = append(b, "[\n"...)
	for i, v := range vs {
		b = append(b, in...)
		b = append(b, "  "...)
		b = report.AppendJSONString(b, v)
		if i < len(vs)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, in...)
	return append(b, "],\n"...)
}
