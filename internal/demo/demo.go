// Package demo holds the data of `cvetrail demo`: five days of one image,
// with the images, Trivy databases and the reports the real Trivy and Grype
// produced from them (see story/README.md and e2e/cmd/storygen, which
// regenerates them).
package demo

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
)

//go:embed story
var files embed.FS

// Story is the story's files, rooted at the story directory.
func Story() fs.FS {
	sub, err := fs.Sub(files, "story")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Manifest is story/story.json.
type Manifest struct {
	SchemaVersion int    `json:"schemaVersion"`
	Image         string `json:"image"`
	Scanners      []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"scanners"`
	Ack struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"ack"`
	Days []Day `json:"days"`
}

// Day is one day of the story.
type Day struct {
	Day        int      `json:"day"`
	Date       string   `json:"date"`
	Story      string   `json:"story"`
	Scanner    string   `json:"scanner"`
	Image      string   `json:"image"`
	TrivyCache string   `json:"trivyCache"`
	Report     string   `json:"report"`
	Failure    string   `json:"failure"`
	Findings   []string `json:"findings"`
	Expect     struct {
		Exit int      `json:"exit"`
		New  []string `json:"new"`
	} `json:"expect"`
}

// Failure is a failed scanner run, as recorded in the story.
type Failure struct {
	Command  []string `json:"command"`
	ExitCode int      `json:"exitCode"`
	Stderr   string   `json:"stderr"`
}

// LoadManifest reads story.json.
func LoadManifest() (*Manifest, error) {
	b, err := fs.ReadFile(Story(), "story.json")
	if err != nil {
		return nil, fmt.Errorf("reading the demo story: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading the demo story: %w", err)
	}
	if len(m.Days) == 0 {
		return nil, fmt.Errorf("reading the demo story: no days")
	}
	return &m, nil
}
