// Package fakegithub is a stateful stand-in for the parts of GitHub's REST
// and GraphQL APIs that cvetrail calls, for tests. It keeps pull requests,
// repository labels and branches as state, answers with the request and
// response shapes of GitHub's documentation, checks the token and the
// headers go-github sends, fails the test on any call it does not
// implement, counts writes, and injects faults: 5xx answers (also after
// the write took effect), 429 and 403 rate limits with their headers,
// permission errors, and human actions between or during runs.
//
// The server lays out its API the way GitHub Enterprise Server does:
// REST under /api/v3/ and GraphQL at /api/graphql. A client reaches it
// with github.Config{APIURL: s.APIURL(), Token: fakegithub.Token, …}, or
// a cvetrail process through GITHUB_API_URL=s.APIURL(),
// GITHUB_TOKEN=fakegithub.Token and GITHUB_REPOSITORY=owner/repo. With
// UseGitRepo the branches are those of a real bare repository the code
// under test pushes to.
package fakegithub

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the token the server accepts unless Server.Token is changed.
const Token = "ghs_fakeTokenValue0123456789abcdefABCDEF"

// The API version go-github sends, which the server requires.
const apiVersion = "2022-11-28"

// PR is a pull request as the server keeps it.
type PR struct {
	Number      int
	NodeID      string
	State       string // "open" or "closed"
	Merged      bool
	MergeMethod string // how it was merged
	MergeSHA    string
	Head, Base  string
	HeadSHA     string
	Title, Body string
	Labels      []string
	// AutoMerge is the merge method of the enabled auto-merge (MERGE,
	// SQUASH, REBASE), empty when it is off.
	AutoMerge string
	Comments  []string
	// ClosedBy is "api" when closed through the API, "human" when closed
	// with Server.ClosePR, "branch" when its head branch was deleted.
	ClosedBy string
}

// Label is a repository label.
type Label struct {
	Name, Color, Description string
}

// Call is one request the server received.
type Call struct {
	Method string
	Route  string // path below /repos/OWNER/REPO/, unescaped; "graphql:FIELD" for GraphQL
	Status int
	Write  bool // a write method (or a GraphQL mutation)
}

type branch struct {
	sha     string
	history []string // every sha the branch pointed at since it was created
}

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	t           testing.TB
	srv         *httptest.Server
	Owner, Repo string

	mu               sync.Mutex
	token            string
	prs              []*PR
	labels           []*Label
	branches         map[string]*branch
	next             int
	merges           int
	checksPending    bool
	autoMergeAllowed bool
	deleteOnMerge    bool
	faults           []*Fault
	storm            *storm
	writes           int
	writeCalls       int
	calls            []Call
	clock            time.Time
	gitDir           string
}

// New starts a fake for owner/repo with a "main" branch; it is closed,
// and unused faults reported, when the test ends.
func New(t testing.TB, owner, repo string) *Server {
	t.Helper()
	s := &Server{
		t:                t,
		Owner:            owner,
		Repo:             repo,
		token:            Token,
		branches:         map[string]*branch{},
		next:             1,
		autoMergeAllowed: true,
		clock:            time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	s.branches["main"] = &branch{sha: strings.Repeat("b", 40), history: []string{strings.Repeat("b", 40)}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, f := range s.faults {
			if f.left() > 0 {
				t.Errorf("fakegithub: fault %s was not used up (%d left)", f, f.left())
			}
		}
	})
	return s
}

// APIURL is the REST base to configure the client with.
func (s *Server) APIURL() string { return s.srv.URL + "/api/v3/" }

// URL is the server's root, its "web" URL.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetToken changes the accepted token.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetBranch points branch at sha as a fast-forward push: a closed pull
// request from it can still be reopened. Open pull requests follow.
func (s *Server) SetBranch(name, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.branches[name]
	if b == nil {
		b = &branch{}
		s.branches[name] = b
	}
	b.sha = sha
	b.history = append(b.history, sha)
	s.follow(name)
}

// ForcePushBranch points branch at sha, forgetting its history: GitHub
// then refuses to reopen a pull request closed before.
func (s *Server) ForcePushBranch(name, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.branches[name] = &branch{sha: sha, history: []string{sha}}
	s.follow(name)
}

func (s *Server) follow(name string) {
	for _, pr := range s.prs {
		if pr.Head == name && pr.State == "open" {
			pr.HeadSHA = s.branches[name].sha
		}
	}
}

// Branch returns the sha branch points at.
func (s *Server) Branch(name string) (sha string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshFromGit()
	if b := s.branches[name]; b != nil {
		return b.sha, true
	}
	return "", false
}

// DeleteBranch deletes a branch by hand; its open pull requests close.
func (s *Server) DeleteBranch(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteBranch(name)
}

func (s *Server) deleteBranch(name string) {
	if s.gitDir != "" {
		if _, err := s.git("update-ref", "-d", "refs/heads/"+name); err != nil {
			s.t.Errorf("fakegithub: deleting branch %s: %v", name, err)
		}
	}
	s.forgetBranch(name)
}

func (s *Server) forgetBranch(name string) {
	delete(s.branches, name)
	for _, pr := range s.prs {
		if pr.Head == name && pr.State == "open" {
			pr.State, pr.ClosedBy, pr.AutoMerge = "closed", "branch", ""
		}
	}
}

// ClosePR closes a pull request the way a human would.
func (s *Server) ClosePR(number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pr := s.pr(number); pr != nil {
		pr.State, pr.ClosedBy, pr.AutoMerge = "closed", "human", ""
	}
}

// AddPRLabel puts a label on a pull request by hand, creating it in the
// repository when missing.
func (s *Server) AddPRLabel(number int, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.pr(number)
	if pr == nil {
		return
	}
	if s.label(name) == nil {
		s.labels = append(s.labels, &Label{Name: name, Color: "ededed"})
	}
	if !slices.ContainsFunc(pr.Labels, func(l string) bool { return strings.EqualFold(l, name) }) {
		pr.Labels = append(pr.Labels, name)
	}
}

// RemovePRLabel removes a label from a pull request by hand.
func (s *Server) RemovePRLabel(number int, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pr := s.pr(number); pr != nil {
		pr.Labels = slices.DeleteFunc(pr.Labels, func(l string) bool { return strings.EqualFold(l, name) })
	}
}

// AddLabel adds a repository label, as if created by hand.
func (s *Server) AddLabel(l Label) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.labels = append(s.labels, &l)
}

// DeleteLabel deletes a repository label by hand; like GitHub it also
// disappears from every pull request.
func (s *Server) DeleteLabel(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.labels = slices.DeleteFunc(s.labels, func(l *Label) bool { return strings.EqualFold(l.Name, name) })
	for _, pr := range s.prs {
		pr.Labels = slices.DeleteFunc(pr.Labels, func(l string) bool { return strings.EqualFold(l, name) })
	}
}

// SetChecksPending says whether required status checks are still running
// on the base branch's protection: merges then answer 405 and auto-merge
// can be enabled; without pending checks GraphQL refuses auto-merge
// ("clean status"), as GitHub does.
func (s *Server) SetChecksPending(pending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checksPending = pending
}

// CompleteChecks lets the pending checks pass: every open pull request
// with auto-merge enabled is merged, as GitHub would.
func (s *Server) CompleteChecks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checksPending = false
	for _, pr := range s.prs {
		if pr.State == "open" && pr.AutoMerge != "" {
			if why := s.mergePR(pr, strings.ToLower(pr.AutoMerge)); why != "" {
				s.t.Errorf("fakegithub: auto-merging #%d: %s", pr.Number, why)
			}
		}
	}
}

// SetAutoMergeAllowed mirrors the repository's "Allow auto-merge" setting
// (on by default here).
func (s *Server) SetAutoMergeAllowed(allowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoMergeAllowed = allowed
}

// SetDeleteBranchOnMerge mirrors "Automatically delete head branches".
func (s *Server) SetDeleteBranchOnMerge(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteOnMerge = on
}

// PRs returns copies of all pull requests, by number.
func (s *Server) PRs() []PR {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PR, 0, len(s.prs))
	for _, pr := range s.prs {
		out = append(out, clonePR(pr))
	}
	return out
}

// PR returns a copy of pull request number.
func (s *Server) PR(number int) (PR, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pr := s.pr(number); pr != nil {
		return clonePR(pr), true
	}
	return PR{}, false
}

func clonePR(pr *PR) PR {
	c := *pr
	c.Labels = slices.Clone(pr.Labels)
	c.Comments = slices.Clone(pr.Comments)
	return c
}

// Labels returns the repository labels.
func (s *Server) Labels() []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Label, 0, len(s.labels))
	for _, l := range s.labels {
		out = append(out, *l)
	}
	return out
}

// Writes counts the requests that changed state.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// WriteCalls counts the write requests received, failed ones included.
func (s *Server) WriteCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeCalls
}

// Calls returns the requests received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) pr(number int) *PR {
	for _, pr := range s.prs {
		if pr.Number == number {
			return pr
		}
	}
	return nil
}

func (s *Server) label(name string) *Label {
	for _, l := range s.labels {
		if strings.EqualFold(l.Name, name) {
			return l
		}
	}
	return nil
}

// tick advances the fake's clock, which stamps created_at and friends.
func (s *Server) tick() time.Time {
	s.clock = s.clock.Add(time.Second)
	return s.clock
}

// mergePR merges pr, or says why it cannot.
func (s *Server) mergePR(pr *PR, method string) string {
	b := s.branches[pr.Base]
	if b == nil {
		return "Base branch does not exist"
	}
	var sha string
	if s.gitDir != "" {
		var why string
		if sha, why = s.gitMerge(pr, method, b.sha); why != "" {
			return why
		}
	} else {
		s.merges++
		sha = fmt.Sprintf("%040x", 0xfeed0000+s.merges)
	}
	pr.State, pr.Merged, pr.MergeMethod, pr.MergeSHA, pr.AutoMerge, pr.ClosedBy = "closed", true, method, sha, "", "merge"
	b.sha = sha
	b.history = append(b.history, sha)
	if s.deleteOnMerge {
		s.deleteBranch(pr.Head)
	}
	return ""
}
