// Package fakegitlab is a stateful stand-in for the parts of GitLab's REST
// API (v4) that cvetrail calls, for tests. It keeps merge requests, project
// labels, branches and notes; checks the PRIVATE-TOKEN / JOB-TOKEN header,
// the project (numeric ID or URL-encoded path), the query parameters and
// body fields each endpoint takes and the required ones; answers with the
// shapes and status codes GitLab documents; counts writes; and injects
// faults (5xx, 429 with Retry-After, answers lost after the write was
// applied, a seeded storm of them).
//
// Any call outside the implemented endpoints, or with a parameter the
// fake does not know, fails the test: a client change that starts calling
// something new must extend the fake on purpose.
//
// Implemented (all under /api/v4/projects/:id):
//
//	GET    /merge_requests                                   list (state, source_branch, target_branch, order_by, sort, page, per_page)
//	POST   /merge_requests                                   create
//	GET    /merge_requests/:iid                              read one
//	PUT    /merge_requests/:iid                              update (title, description, labels, add_labels, remove_labels, state_event)
//	PUT    /merge_requests/:iid/merge                        merge or set auto-merge
//	POST   /merge_requests/:iid/cancel_merge_when_pipeline_succeeds
//	POST   /merge_requests/:iid/notes                        comment
//	GET    /labels                                           list (search, page, per_page, with_counts, include_ancestor_groups)
//	POST   /labels                                           create
//	DELETE /repository/branches/:branch                      delete a branch
//
// The project is private: a request whose token GitLab would not use (no
// token, or a job token on an endpoint job tokens cannot reach) is
// anonymous and gets 404 Project Not Found, as on GitLab.
package fakegitlab

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Routes name the implemented endpoints, for faults and call records.
const (
	RouteListMRs         = "list merge requests"
	RouteCreateMR        = "create merge request"
	RouteGetMR           = "get merge request"
	RouteUpdateMR        = "update merge request"
	RouteMerge           = "merge merge request"
	RouteCancelAutoMerge = "cancel auto-merge"
	RouteCreateNote      = "create note"
	RouteListLabels      = "list labels"
	RouteCreateLabel     = "create label"
	RouteDeleteBranch    = "delete branch"
)

// Merge request states.
const (
	Opened = "opened"
	Closed = "closed"
	Merged = "merged"
)

// The tokens a new Server accepts.
const (
	DefaultToken    = "glpat-FAKEfakeFAKE0123456789"
	DefaultJobToken = "glcbt-FAKEjobtoken9876543210"
)

// DefaultLabelColor is the colour GitLab gives a label it creates because
// a merge request names it.
const DefaultLabelColor = "#6699cc"

// MR is a merge request as the fake keeps it.
type MR struct {
	ID, IID         int64
	State           string
	SourceBranch    string
	TargetBranch    string
	SourceProjectID int64 // the project's ID unless the merge request comes from a fork
	SHA             string
	MergeCommitSHA  string
	Title           string
	Description     string
	Labels          []string
	// MergeWhenPipelineSucceeds is auto-merge; AutoMergeSHA is the sha it
	// was set for, and a push of another head cancels it, as on GitLab.
	MergeWhenPipelineSucceeds bool
	AutoMergeSHA              string
	PipelineRunning           bool
	Conflict                  bool
	Draft                     bool
	Squashed                  bool
	Notes                     []string
	created, updated          int64
}

// Label is a project label.
type Label struct {
	ID          int64
	Name        string
	Color       string
	Description string
}

// Call is one request the fake answered.
type Call struct {
	Method string
	Path   string // escaped, below /api/v4
	Route  string // "" for an unexpected call
	Status int    // what the client saw
	// Write is true when the call changed state (even if a fault then
	// hid the answer from the client).
	Write bool
	Fault bool // the answer was injected
}

// Fault is an injected answer.
type Fault struct {
	Route  string // "" matches every route
	Status int
	Times  int         // how many requests it answers; 0 means 1
	Header http.Header // for example Retry-After
	Body   string      // JSON; empty means {"message":"<status> <text>"}
	// AfterApply lets the request take effect, then answers Status: the
	// client loses the answer of a write that happened.
	AfterApply bool
}

// Server is the fake. Its exported fields may be changed before the first
// request; state is read and changed through its methods.
type Server struct {
	// URL is the API root, http://127.0.0.1:port/api/v4.
	URL string
	// Token is the accepted PRIVATE-TOKEN; JobToken the CI job token.
	Token    string
	JobToken string
	// JobTokenAPI lets the job token reach these endpoints, as a GitLab
	// whose fine-grained job token permissions allowed it would. Off by
	// default: today's GitLab ignores a job token here.
	JobTokenAPI bool
	// RequireMergeSHA refuses a merge without sha (the "require a commit
	// SHA" setting of GitLab 19.2).
	RequireMergeSHA bool
	ProjectID       int64
	ProjectPath     string
	WebURL          string // the project's web address, for web_url

	t     testing.TB
	srv   *httptest.Server
	mu    sync.Mutex
	mrs   []*MR
	lbls  []*Label
	brs   map[string]string
	calls []Call
	fault []*Fault
	storm *storm
	seq   int64 // ids, creation order, merge commits
	now   time.Time
}

// New starts a fake for project (a path like "group/project", or a
// numeric ID) and stops it when the test ends.
func New(t testing.TB, project string) *Server {
	t.Helper()
	s := &Server{
		Token:       DefaultToken,
		JobToken:    DefaultJobToken,
		ProjectID:   4242,
		ProjectPath: project,
		t:           t,
		brs:         map[string]string{},
		now:         time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC),
	}
	if id, err := strconv.ParseInt(project, 10, 64); err == nil {
		s.ProjectID, s.ProjectPath = id, "cvetrail/project"
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/api/v4"
	s.WebURL = s.srv.URL + "/" + s.ProjectPath
	return s
}

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) nextSeq() int64 { s.seq++; return s.seq }

func (s *Server) stamp() time.Time { return s.now.Add(time.Duration(s.seq) * time.Minute) }

// SHA returns a deterministic fake commit id for name.
func SHA(name string) string {
	sum := sha1.Sum([]byte(name))
	return hex.EncodeToString(sum[:])
}

// SetBranch points branch at sha, as a push does. Open merge requests from
// the branch follow it; auto-merge set for another sha is cancelled.
func (s *Server) SetBranch(branch, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.brs[branch] = sha
	for _, mr := range s.mrs {
		if mr.State == Opened && mr.SourceBranch == branch && mr.SourceProjectID == s.ProjectID && mr.SHA != sha {
			mr.SHA = sha
			if mr.MergeWhenPipelineSucceeds && mr.AutoMergeSHA != "" && mr.AutoMergeSHA != sha {
				mr.MergeWhenPipelineSucceeds, mr.AutoMergeSHA = false, ""
			}
			mr.updated = s.nextSeq()
		}
	}
}

// Branch returns the head of branch.
func (s *Server) Branch(branch string) (sha string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok = s.brs[branch]
	return sha, ok
}

// AddMR stores m as it is (IID and ID assigned when zero) and returns its
// IID: a merge request made by someone else, from a fork, merged long ago.
func (s *Server) AddMR(m MR) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	mr := m
	if mr.IID == 0 {
		mr.IID = int64(len(s.mrs)) + 1
	}
	if mr.ID == 0 {
		mr.ID = 9000 + mr.IID
	}
	if mr.SourceProjectID == 0 {
		mr.SourceProjectID = s.ProjectID
	}
	if mr.State == "" {
		mr.State = Opened
	}
	mr.Labels = slices.Clone(m.Labels)
	mr.created, mr.updated = s.nextSeq(), s.seq
	s.mrs = append(s.mrs, &mr)
	return mr.IID
}

// MRs returns copies of all merge requests, in creation order.
func (s *Server) MRs() []MR {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MR, 0, len(s.mrs))
	for _, mr := range s.mrs {
		out = append(out, copyMR(mr))
	}
	return out
}

// OpenMRs returns copies of the open merge requests from head.
func (s *Server) OpenMRs(head string) []MR {
	var out []MR
	for _, mr := range s.MRs() {
		if mr.State == Opened && mr.SourceBranch == head {
			out = append(out, mr)
		}
	}
	return out
}

// MR returns a copy of merge request iid.
func (s *Server) MR(iid int64) (MR, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mr := s.findMR(iid); mr != nil {
		return copyMR(mr), true
	}
	return MR{}, false
}

func copyMR(mr *MR) MR {
	c := *mr
	c.Labels = slices.Clone(mr.Labels)
	c.Notes = slices.Clone(mr.Notes)
	return c
}

func (s *Server) findMR(iid int64) *MR {
	for _, mr := range s.mrs {
		if mr.IID == iid {
			return mr
		}
	}
	return nil
}

// Update changes merge request iid in place, as a human or GitLab would
// (mark it draft, give it conflicts, …).
func (s *Server) Update(iid int64, f func(*MR)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mr := s.findMR(iid)
	if mr == nil {
		s.t.Errorf("fakegitlab: no merge request !%d", iid)
		return
	}
	f(mr)
	mr.updated = s.nextSeq()
}

// CloseByHuman closes merge request iid as a person in the web UI would.
func (s *Server) CloseByHuman(iid int64) {
	s.Update(iid, func(mr *MR) {
		mr.State, mr.MergeWhenPipelineSucceeds, mr.AutoMergeSHA = Closed, false, ""
	})
}

// SetPipeline starts (running=true) or ends the pipeline of merge request
// iid. A pipeline that ends with success merges a request set to
// auto-merge, as GitLab does.
func (s *Server) SetPipeline(iid int64, running, success bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mr := s.findMR(iid)
	if mr == nil {
		s.t.Errorf("fakegitlab: no merge request !%d", iid)
		return
	}
	mr.PipelineRunning = running
	if !running && success && mr.State == Opened && mr.MergeWhenPipelineSucceeds {
		s.merge(mr, false)
	}
	mr.updated = s.nextSeq()
}

// Labels returns copies of the project labels.
func (s *Server) Labels() []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Label, 0, len(s.lbls))
	for _, l := range s.lbls {
		out = append(out, *l)
	}
	return out
}

// Label returns the project label name.
func (s *Server) Label(name string) (Label, bool) {
	for _, l := range s.Labels() {
		if l.Name == name {
			return l, true
		}
	}
	return Label{}, false
}

// AddLabel creates a project label as a human would.
func (s *Server) AddLabel(l Label) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l.ID = 500 + s.nextSeq()
	s.lbls = append(s.lbls, &l)
}

// DeleteLabelByHand deletes a project label; GitLab removes it from every
// merge request too.
func (s *Server) DeleteLabelByHand(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lbls = slices.DeleteFunc(s.lbls, func(l *Label) bool { return l.Name == name })
	for _, mr := range s.mrs {
		if slices.Contains(mr.Labels, name) {
			mr.Labels = slices.DeleteFunc(mr.Labels, func(n string) bool { return n == name })
			mr.updated = s.nextSeq()
		}
	}
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Writes counts the calls that changed state.
func (s *Server) Writes() int {
	n := 0
	for _, c := range s.Calls() {
		if c.Write {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls answered so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Fail queues a fault; faults answer in the order queued.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.fault = append(s.fault, &f)
}

// PendingFaults counts the fault answers not yet given.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.fault {
		n += f.Times
	}
	return n
}

type storm struct {
	rng  *rand.Rand
	rate float64
	hits int
}

// Storm makes a random share (rate, 0..1) of requests fail, chosen by a
// generator seeded with seed: 500, 502 after the write was applied, 503,
// or 429 with Retry-After: 1. Storm(0, 0) stops it.
func (s *Server) Storm(seed uint64, rate float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rate <= 0 {
		s.storm = nil
		return
	}
	s.storm = &storm{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rate: rate}
}

// StormHits counts the faults the storm injected.
func (s *Server) StormHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.storm == nil {
		return 0
	}
	return s.storm.hits
}

// takeFault returns the fault answering a request to route, if any.
// Called with s.mu held.
func (s *Server) takeFault(route string) *Fault {
	for i, f := range s.fault {
		if f.Route == "" || f.Route == route {
			f.Times--
			if f.Times <= 0 {
				s.fault = slices.Delete(s.fault, i, i+1)
			}
			return f
		}
	}
	if st := s.storm; st != nil && st.rng.Float64() < st.rate {
		st.hits++
		switch st.rng.IntN(4) {
		case 0:
			return &Fault{Status: http.StatusInternalServerError}
		case 1:
			return &Fault{Status: http.StatusBadGateway, AfterApply: true}
		case 2:
			return &Fault{Status: http.StatusServiceUnavailable}
		default:
			return &Fault{Status: http.StatusTooManyRequests, Header: http.Header{
				"Retry-After":     {"1"},
				"Ratelimit-Reset": {strconv.FormatInt(s.stamp().Add(time.Second).Unix(), 10)},
			}}
		}
	}
	return nil
}

func (s *Server) mergeCommit(mr *MR) string {
	return SHA(fmt.Sprintf("merge !%d %s into %s", mr.IID, mr.SHA, mr.TargetBranch))
}

// merge merges mr. Called with s.mu held.
func (s *Server) merge(mr *MR, squash bool) {
	mr.State = Merged
	mr.MergeWhenPipelineSucceeds, mr.AutoMergeSHA = false, ""
	mr.Squashed = squash
	mr.MergeCommitSHA = s.mergeCommit(mr)
	s.brs[mr.TargetBranch] = mr.MergeCommitSHA
	mr.updated = s.nextSeq()
}
