package github_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cvetrail/cvetrail/internal/forge"
	"github.com/cvetrail/cvetrail/internal/forge/github"
	"github.com/cvetrail/cvetrail/internal/forge/github/fakegithub"
)

// step is one day of the daily run: git pushes, then the forge calls.
type step struct {
	push  func(*fakegithub.Server)
	forge func(context.Context, *github.Client) error
}

func syncStep(req forge.Request) func(context.Context, *github.Client) error {
	return func(ctx context.Context, c *github.Client) error {
		_, err := c.Sync(ctx, req)
		return err
	}
}

func closeStep(ctx context.Context, c *github.Client) error {
	_, err := c.Close(ctx, head, "The report is back to what main has.")
	return err
}

var scenarios = map[string]struct {
	pending bool
	steps   []step
}{
	"api": {steps: []step{
		{forge: syncStep(request(true, forge.MergeAPI, sha1))},
		{push: func(f *fakegithub.Server) { f.SetBranch(head, sha2) }, forge: syncStep(request(false, forge.MergeAPI, sha2))},
		{push: func(f *fakegithub.Server) { f.ForcePushBranch(head, sha3) }, forge: syncStep(request(true, forge.MergeAPI, sha3))},
		{forge: closeStep},
	}},
	"auto": {pending: true, steps: []step{
		{forge: syncStep(request(false, forge.MergeAuto, sha1))},
		{push: func(f *fakegithub.Server) { f.SetBranch(head, sha2) }, forge: syncStep(request(true, forge.MergeAuto, sha2))},
		{push: func(f *fakegithub.Server) { f.SetBranch(head, sha3) }, forge: syncStep(request(false, forge.MergeAuto, sha3))},
	}},
}

type finalState struct {
	PRs      []fakegithub.PR
	Labels   []fakegithub.Label
	Branches map[string]string
}

// play runs the scenario, repeating each day's forge calls until they
// succeed, as reruns of a failed daily job would.
func play(t *testing.T, name string, seed uint64, rate float64) (finalState, []time.Duration) {
	t.Helper()
	sc := scenarios[name]
	h := newHarness(t)
	h.client = h.newClient(github.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: time.Minute})
	h.fake.SetChecksPending(sc.pending)
	h.fake.Storm(seed, rate)
	ctx := context.Background()
	for i, st := range sc.steps {
		if st.push != nil {
			st.push(h.fake)
		}
		var err error
		for try := 0; try < 25; try++ {
			if err = st.forge(ctx, h.client); err == nil {
				break
			}
			noToken(t, err.Error())
		}
		if err != nil {
			t.Fatalf("seed %d: day %d never converged: %v", seed, i+1, err)
		}
	}
	h.fake.Storm(0, 0)
	fs := finalState{PRs: h.fake.PRs(), Labels: h.fake.Labels(), Branches: map[string]string{}}
	for _, b := range []string{head, base} {
		if sha, ok := h.fake.Branch(b); ok {
			fs.Branches[b] = sha
		}
	}
	return fs, h.takeSleeps()
}

func TestFaultStormsConverge(t *testing.T) {
	for name := range scenarios {
		t.Run(name, func(t *testing.T) {
			want, _ := play(t, name, 0, 0)
			if len(want.PRs) == 0 {
				t.Fatal("the calm run made no pull request")
			}
			faulted := 0
			for seed := uint64(1); seed <= 12; seed++ {
				got, sleeps := play(t, name, seed, 0.3)
				faulted += len(sleeps)
				// No duplicates: the same pull requests, numbered alike,
				// in the same final state.
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("seed %d: final state differs from the calm run (-want +got):\n%s", seed, diff)
				}
				for _, d := range sleeps {
					if d <= 0 || d > time.Minute {
						t.Errorf("seed %d: slept %v, outside (0, 1m]", seed, d)
					}
				}
			}
			if faulted == 0 {
				t.Error("the storms injected nothing")
			}
		})
	}
}
