package harness

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Config is the part of cvetrail.yaml the end-to-end tests write.
type Config struct {
	SchemaVersion int           `yaml:"schemaVersion"`
	Images        []ConfigImage `yaml:"images"`
	Scanner       ConfigScanner `yaml:"scanner"`
	Forge         string        `yaml:"forge"`
}

// ConfigImage is one entry of images.
type ConfigImage struct {
	Ref  string `yaml:"ref"`
	Name string `yaml:"name,omitempty"`
}

// ConfigScanner is the scanner section.
type ConfigScanner struct {
	Name    string            `yaml:"name"`
	Path    string            `yaml:"path,omitempty"`
	Args    []string          `yaml:"args,omitempty"`
	Timeout string            `yaml:"timeout,omitempty"`
	Env     map[string]string `yaml:"env,omitempty"`
}

// Marshal renders c as cvetrail.yaml.
func (c Config) Marshal() ([]byte, error) {
	if c.SchemaVersion == 0 {
		c.SchemaVersion = 1
	}
	if c.Forge == "" {
		c.Forge = "none"
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("writing cvetrail.yaml: %w", err)
	}
	return b, nil
}
