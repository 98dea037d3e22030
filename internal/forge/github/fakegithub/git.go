package fakegithub

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// UseGitRepo backs the branches with the git repository at dir, a bare
// repository standing in for the remote that the code under test pushes
// to. Before each request the server reads its branches (a push that
// fast-forwards keeps a closed pull request reopenable, a force push does
// not); deleting a branch deletes the ref; merges write real commits
// (git merge-tree, then commit-tree: a merge commit for "merge", one
// commit on the base for "squash" and, simplified, for "rebase") and a
// conflict answers 405 "Pull Request is not mergeable". Needs git 2.38 or
// later.
func (s *Server) UseGitRepo(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gitDir = dir
	s.branches = map[string]*branch{}
	s.refreshFromGit()
}

func (s *Server) git(args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", s.gitDir}, args...)...)
	date := s.clock.Format(time.RFC3339)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=GitHub", "GIT_AUTHOR_EMAIL=noreply@github.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com", "GIT_COMMITTER_DATE="+date,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// refreshFromGit brings the branches in line with the repository; s.mu
// is held.
func (s *Server) refreshFromGit() {
	if s.gitDir == "" {
		return
	}
	out, err := s.git("for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", "refs/heads/")
	if err != nil {
		s.t.Errorf("fakegithub: reading branches: %v", err)
		return
	}
	seen := map[string]bool{}
	for line := range strings.SplitSeq(out, "\n") {
		name, sha, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		seen[name] = true
		b := s.branches[name]
		switch {
		case b == nil:
			s.branches[name] = &branch{sha: sha, history: []string{sha}}
		case b.sha == sha:
			continue
		case s.isAncestor(b.sha, sha):
			b.sha = sha
			b.history = append(b.history, sha)
		default:
			s.branches[name] = &branch{sha: sha, history: []string{sha}}
		}
		s.follow(name)
	}
	for name := range s.branches {
		if !seen[name] {
			s.forgetBranch(name)
		}
	}
}

func (s *Server) isAncestor(old, new string) bool {
	_, err := s.git("merge-base", "--is-ancestor", old, new)
	return err == nil
}

// gitMerge writes the merge of pr onto base; s.mu is held.
func (s *Server) gitMerge(pr *PR, method, base string) (sha, why string) {
	out, err := s.git("merge-tree", "--write-tree", base, pr.HeadSHA)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return "", "Pull Request is not mergeable"
	}
	if err != nil {
		s.t.Errorf("fakegithub: merging #%d: %v", pr.Number, err)
		return "", "Pull Request is not mergeable"
	}
	tree, _, _ := strings.Cut(out, "\n")
	args := []string{"commit-tree", tree, "-p", base}
	msg := fmt.Sprintf("%s (#%d)", pr.Title, pr.Number)
	if method == "merge" {
		args = append(args, "-p", pr.HeadSHA)
		msg = fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", pr.Number, s.Owner, pr.Head, pr.Title)
	}
	sha, err = s.git(append(args, "-m", msg)...)
	if err == nil {
		_, err = s.git("update-ref", "refs/heads/"+pr.Base, sha, base)
	}
	if err != nil {
		s.t.Errorf("fakegithub: merging #%d: %v", pr.Number, err)
		return "", "Base branch was modified. Review and try the merge again."
	}
	return sha, ""
}
