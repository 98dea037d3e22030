package gitlab

import (
	"encoding/base64"
	"net/url"
	"strconv"
)

// PushEnv returns the environment that lets `git push` to remoteURL
// authenticate with the token: one GIT_CONFIG_COUNT/KEY/VALUE entry
// setting http.<scheme>://<host>/.extraheader to a Basic authorization
// (user oauth2 for a private token, gitlab-ci-token for a job token). The
// token stays out of argv, the remote URL and .git/config. A remote that is
// not http(s) (SSH) gets nil: it authenticates by key.
//
// The entry is numbered from 0, so it replaces rather than extends any
// GIT_CONFIG_COUNT already in the environment.
func (c *Client) PushEnv(remoteURL string) []string {
	u, err := url.Parse(remoteURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	user := "oauth2"
	if c.kind == TokenJob {
		user = "gitlab-ci-token"
	}
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + c.token))
	return []string{
		"GIT_CONFIG_COUNT=" + strconv.Itoa(1),
		"GIT_CONFIG_KEY_0=http." + u.Scheme + "://" + u.Host + "/.extraheader",
		"GIT_CONFIG_VALUE_0=Authorization: Basic " + cred,
	}
}
