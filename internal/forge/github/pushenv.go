package github

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// PushEnv returns the variables to append to git push's environment so
// that it authenticates to remoteURL the way actions/checkout does: an
// "AUTHORIZATION: basic base64(x-access-token:TOKEN)" extra header for
// that host, passed through GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/
// GIT_CONFIG_VALUE_n. The token is thus never in git's arguments, the
// remote URL or .git/config.
//
// The entries continue after a GIT_CONFIG_COUNT already in the
// environment (read through Config.Getenv), and first reset the header
// list for that URL so a header persisted by actions/checkout is not sent
// twice. A remote that is not https (or http) on the configured GitHub
// host gets nothing: the token is never offered to another server.
func (c *Client) PushEnv(remoteURL string) []string {
	u, err := url.Parse(remoteURL)
	if err != nil || u.Host == "" {
		return nil
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "https" && scheme != "http") || !strings.EqualFold(u.Host, c.web.Host) || scheme != strings.ToLower(c.web.Scheme) {
		return nil
	}
	n := 0
	if v, err := strconv.Atoi(strings.TrimSpace(c.cfg.Getenv("GIT_CONFIG_COUNT"))); err == nil && v > 0 {
		n = v
	}
	key := "http." + scheme + "://" + strings.ToLower(u.Host) + "/.extraheader"
	header := "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+c.cfg.Token))
	idx := func(i int) string { return strconv.Itoa(n + i) }
	return []string{
		"GIT_CONFIG_KEY_" + idx(0) + "=" + key,
		"GIT_CONFIG_VALUE_" + idx(0) + "=", // an empty value resets the list
		"GIT_CONFIG_KEY_" + idx(1) + "=" + key,
		"GIT_CONFIG_VALUE_" + idx(1) + "=" + header,
		"GIT_CONFIG_COUNT=" + strconv.Itoa(n+2),
	}
}
