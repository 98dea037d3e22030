package github_test

import (
	"fmt"
	"strings"

	"github.com/cvetrail/cvetrail/internal/forge/github"
)

func ExampleParseRemote() {
	for _, remote := range []string{
		"https://github.com/acme/images.git",
		"git@github.com:acme/images.git",
		"ssh://git@ghe.example.com:2222/acme/images",
	} {
		host, owner, repo, err := github.ParseRemote(remote)
		fmt.Println(host, owner, repo, err)
	}
	// Output:
	// github.com acme images <nil>
	// github.com acme images <nil>
	// ghe.example.com acme images <nil>
}

func ExampleClient_PushEnv() {
	env := map[string]string{"GITHUB_TOKEN": "ghs_example", "GITHUB_REPOSITORY": "acme/images", "GIT_CONFIG_COUNT": "1"}
	cfg, err := github.ConfigFromEnv(func(k string) string { return env[k] }, "")
	if err != nil {
		panic(err)
	}
	c, err := github.New(cfg)
	if err != nil {
		panic(err)
	}
	// Append these to the environment of `git push`.
	for _, kv := range c.PushEnv("https://github.com/acme/images.git") {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(v, "AUTHORIZATION:") {
			v = "AUTHORIZATION: basic …"
		}
		fmt.Printf("%s=%s\n", k, v)
	}
	// Output:
	// GIT_CONFIG_KEY_1=http.https://github.com/.extraheader
	// GIT_CONFIG_VALUE_1=
	// GIT_CONFIG_KEY_2=http.https://github.com/.extraheader
	// GIT_CONFIG_VALUE_2=AUTHORIZATION: basic …
	// GIT_CONFIG_COUNT=3
}
