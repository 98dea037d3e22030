package gitlab

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// PushEnv returns the environment that lets `git push` to remoteURL
// authenticate with the token: GIT_CONFIG_COUNT/KEY/VALUE entries that
// reset http.<scheme>://<host>/.extraheader and set it to a Basic
// authorization (user oauth2 for a private token, gitlab-ci-token for a
// job token). The token stays out of argv, the remote URL and
// .git/config. The entries are numbered after any GIT_CONFIG_COUNT already
// in the environment (Config.Getenv), which they extend.
//
// Only a remote on the GitLab the client talks to (the scheme and host of
// Config.BaseURL) gets the token; any other remote, and one that is not
// http(s) (SSH authenticates by key), gets nil.
func (c *Client) PushEnv(remoteURL string) []string {
	u, err := url.Parse(remoteURL)
	if err != nil || u.Host == "" {
		return nil
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || scheme != c.web.Scheme || !strings.EqualFold(u.Host, c.web.Host) {
		return nil
	}
	user := "oauth2"
	if c.kind == TokenJob {
		user = "gitlab-ci-token"
	}
	n := 0
	if v, err := strconv.Atoi(strings.TrimSpace(c.getenv("GIT_CONFIG_COUNT"))); err == nil && v > 0 {
		n = v
	}
	key := "http." + scheme + "://" + strings.ToLower(u.Host) + "/.extraheader"
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + c.token))
	idx := func(i int) string { return strconv.Itoa(n + i) }
	return []string{
		"GIT_CONFIG_KEY_" + idx(0) + "=" + key,
		"GIT_CONFIG_VALUE_" + idx(0) + "=", // an empty value resets the list
		"GIT_CONFIG_KEY_" + idx(1) + "=" + key,
		"GIT_CONFIG_VALUE_" + idx(1) + "=Authorization: Basic " + cred,
		"GIT_CONFIG_COUNT=" + strconv.Itoa(n+2),
	}
}
