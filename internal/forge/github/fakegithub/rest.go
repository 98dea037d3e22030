package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const docs = "https://docs.github.com/rest"

func validationFailed(errs ...map[string]string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message":           "Validation Failed",
		"errors":            errs,
		"documentation_url": docs,
		"status":            "422",
	}}
}

func notFound(doc string) reply {
	return reply{status: http.StatusNotFound, body: errorBody(404, "Not Found", doc)}
}

// rest dispatches a REST call; s.mu is held.
func (s *Server) rest(method string, segs []string, q url.Values, body []byte) reply {
	n := func(i int) (int, bool) {
		v, err := strconv.Atoi(segs[i])
		return v, err == nil
	}
	switch {
	case len(segs) == 1 && segs[0] == "pulls" && method == http.MethodGet:
		return s.listPulls(q)
	case len(segs) == 1 && segs[0] == "pulls" && method == http.MethodPost:
		return s.createPull(body)
	case len(segs) == 2 && segs[0] == "pulls" && (method == http.MethodGet || method == http.MethodPatch):
		num, ok := n(1)
		if !ok {
			break
		}
		if method == http.MethodGet {
			pr := s.pr(num)
			if pr == nil {
				return notFound(docs + "/pulls/pulls#get-a-pull-request")
			}
			return reply{status: http.StatusOK, body: s.prJSON(pr, true)}
		}
		return s.updatePull(num, body)
	case len(segs) == 3 && segs[0] == "pulls" && segs[2] == "merge" && method == http.MethodPut:
		if num, ok := n(1); ok {
			return s.mergePull(num, body)
		}
	case len(segs) == 2 && segs[0] == "labels" && method == http.MethodGet:
		l := s.label(segs[1])
		if l == nil {
			return notFound(docs + "/issues/labels#get-a-label")
		}
		return reply{status: http.StatusOK, body: s.labelJSON(l)}
	case len(segs) == 1 && segs[0] == "labels" && method == http.MethodPost:
		return s.createLabel(body)
	case len(segs) == 3 && segs[0] == "issues" && segs[2] == "labels" && method == http.MethodPost:
		if num, ok := n(1); ok {
			return s.addLabels(num, body)
		}
	case len(segs) == 4 && segs[0] == "issues" && segs[2] == "labels" && method == http.MethodDelete:
		if num, ok := n(1); ok {
			return s.removeLabel(num, segs[3])
		}
	case len(segs) == 3 && segs[0] == "issues" && segs[2] == "comments" && method == http.MethodPost:
		if num, ok := n(1); ok {
			return s.comment(num, body)
		}
	case len(segs) == 3 && segs[0] == "issues" && segs[2] == "comments" && method == http.MethodGet:
		if num, ok := n(1); ok {
			return s.listComments(num, q)
		}
	case len(segs) >= 4 && segs[0] == "git" && segs[1] == "ref" && segs[2] == "heads" && method == http.MethodGet:
		name := strings.Join(segs[3:], "/")
		b := s.branches[name]
		if b == nil {
			return notFound(docs + "/git/refs#get-a-reference")
		}
		return reply{status: http.StatusOK, body: map[string]any{
			"ref":     "refs/heads/" + name,
			"node_id": "REF_" + name,
			"url":     s.apiURL("git/refs/heads/" + name),
			"object":  map[string]any{"sha": b.sha, "type": "commit", "url": s.apiURL("git/commits/" + b.sha)},
		}}
	case len(segs) >= 4 && segs[0] == "git" && segs[1] == "refs" && segs[2] == "heads" && method == http.MethodDelete:
		name := strings.Join(segs[3:], "/")
		if s.branches[name] == nil {
			return reply{status: http.StatusUnprocessableEntity, body: errorBody(422, "Reference does not exist", docs+"/git/refs#delete-a-reference")}
		}
		s.deleteBranch(name)
		return reply{status: http.StatusNoContent, changed: true}
	}
	s.t.Errorf("fakegithub: unexpected request %s %s", method, strings.Join(segs, "/"))
	return notFound(docs)
}

func (s *Server) apiURL(p string) string {
	return s.srv.URL + "/api/v3/repos/" + s.Owner + "/" + s.Repo + "/" + p
}

var listParams = map[string]bool{"state": true, "head": true, "base": true, "sort": true, "direction": true, "per_page": true, "page": true}

func (s *Server) listPulls(q url.Values) reply {
	for k := range q {
		if !listParams[k] {
			s.t.Errorf("fakegithub: list pull requests: unknown parameter %q", k)
		}
	}
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		return validationFailed(map[string]string{"resource": "PullRequest", "field": "state", "code": "invalid"})
	}
	var headRef string
	if h := q.Get("head"); h != "" {
		owner, ref, ok := strings.Cut(h, ":")
		if !ok {
			s.t.Errorf("fakegithub: list pull requests: head %q is not user:ref-name", h)
			return reply{status: http.StatusOK, body: []any{}}
		}
		if owner != s.Owner {
			return reply{status: http.StatusOK, body: []any{}} // a fork's branch: none here
		}
		headRef = ref
	}
	sortBy := q.Get("sort")
	if sortBy != "" && sortBy != "created" && sortBy != "updated" && sortBy != "popularity" && sortBy != "long-running" {
		return validationFailed(map[string]string{"resource": "PullRequest", "field": "sort", "code": "invalid"})
	}
	dir := q.Get("direction")
	if dir == "" {
		dir = "desc"
		if sortBy != "" && sortBy != "created" {
			dir = "asc"
		}
	}
	perPage, page := 30, 1
	if v := q.Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
		perPage = min(max(perPage, 1), 100)
	}
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
		page = max(page, 1)
	}
	var match []*PR
	for _, pr := range s.prs {
		if (state == "all" || pr.State == state) && (headRef == "" || pr.Head == headRef) && (q.Get("base") == "" || pr.Base == q.Get("base")) {
			match = append(match, pr)
		}
	}
	// Creation order is number order here.
	if dir == "desc" {
		slices.Reverse(match)
	}
	out := []any{}
	for i := (page - 1) * perPage; i < len(match) && i < page*perPage; i++ {
		out = append(out, s.prJSON(match[i], false))
	}
	return reply{status: http.StatusOK, body: out}
}

func (s *Server) createPull(body []byte) reply {
	var in struct {
		Title               *string `json:"title"`
		Head                string  `json:"head"`
		HeadRepo            *string `json:"head_repo"`
		Base                string  `json:"base"`
		Body                *string `json:"body"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
		Draft               *bool   `json:"draft"`
		Issue               *int    `json:"issue"`
	}
	if err := decodeStrict(body, &in); err != nil {
		s.t.Errorf("fakegithub: create pull request: %v", err)
		return reply{status: http.StatusBadRequest, body: errorBody(400, "Problems parsing JSON", docs)}
	}
	if in.Title == nil || *in.Title == "" {
		return validationFailed(map[string]string{"resource": "PullRequest", "field": "title", "code": "missing_field"})
	}
	head := in.Head
	if owner, ref, ok := strings.Cut(head, ":"); ok {
		if owner != s.Owner {
			return validationFailed(map[string]string{"resource": "PullRequest", "field": "head", "code": "invalid"})
		}
		head = ref
	}
	hb, bb := s.branches[head], s.branches[in.Base]
	if head == "" || hb == nil {
		return validationFailed(map[string]string{"resource": "PullRequest", "field": "head", "code": "invalid"})
	}
	if in.Base == "" || bb == nil {
		return validationFailed(map[string]string{"resource": "PullRequest", "field": "base", "code": "invalid"})
	}
	if in.Body != nil && utf8.RuneCountInString(*in.Body) > 65536 {
		return validationFailed(map[string]string{"resource": "Issue", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"})
	}
	for _, pr := range s.prs {
		if pr.State == "open" && pr.Head == head && pr.Base == in.Base {
			return validationFailed(map[string]string{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for " + s.Owner + ":" + head + "."})
		}
	}
	if hb.sha == bb.sha {
		return validationFailed(map[string]string{"resource": "PullRequest", "code": "custom", "message": "No commits between " + in.Base + " and " + head})
	}
	pr := &PR{
		Number:  s.next,
		NodeID:  fmt.Sprintf("PR_kwDOfake%04d", s.next),
		State:   "open",
		Head:    head,
		Base:    in.Base,
		HeadSHA: hb.sha,
		Title:   *in.Title,
	}
	if in.Body != nil {
		pr.Body = *in.Body
	}
	s.next++
	s.prs = append(s.prs, pr)
	s.tick()
	return reply{status: http.StatusCreated, body: s.prJSON(pr, true), changed: true,
		header: http.Header{"Location": {s.apiURL("pulls/" + strconv.Itoa(pr.Number))}}}
}

func (s *Server) updatePull(num int, body []byte) reply {
	var in struct {
		Title               *string `json:"title"`
		Body                *string `json:"body"`
		State               *string `json:"state"`
		Base                *string `json:"base"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if err := decodeStrict(body, &in); err != nil {
		s.t.Errorf("fakegithub: update pull request: %v", err)
		return reply{status: http.StatusBadRequest, body: errorBody(400, "Problems parsing JSON", docs)}
	}
	pr := s.pr(num)
	if pr == nil {
		return notFound(docs + "/pulls/pulls#update-a-pull-request")
	}
	if in.Title == nil && in.Body == nil && in.State == nil && in.Base == nil && in.MaintainerCanModify == nil {
		s.t.Errorf("fakegithub: update pull request #%d: empty update", num)
	}
	changed := false
	if in.State != nil {
		switch *in.State {
		case "open":
			if pr.State == "closed" {
				if msg := s.reopenRefusal(pr); msg != "" {
					return validationFailed(map[string]string{"resource": "PullRequest", "code": "custom", "field": "state", "message": msg})
				}
				pr.State, pr.ClosedBy = "open", ""
				pr.HeadSHA = s.branches[pr.Head].sha
				changed = true
			}
		case "closed":
			if pr.State == "open" {
				pr.State, pr.ClosedBy, pr.AutoMerge = "closed", "api", ""
				changed = true
			}
		default:
			return validationFailed(map[string]string{"resource": "PullRequest", "field": "state", "code": "invalid"})
		}
	}
	if in.Title != nil {
		if *in.Title == "" {
			return validationFailed(map[string]string{"resource": "PullRequest", "field": "title", "code": "missing_field"})
		}
		changed = changed || pr.Title != *in.Title
		pr.Title = *in.Title
	}
	if in.Body != nil {
		if utf8.RuneCountInString(*in.Body) > 65536 {
			return validationFailed(map[string]string{"resource": "Issue", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"})
		}
		changed = changed || pr.Body != *in.Body
		pr.Body = *in.Body
	}
	if in.Base != nil && *in.Base != pr.Base {
		if s.branches[*in.Base] == nil {
			return validationFailed(map[string]string{"resource": "PullRequest", "field": "base", "code": "invalid"})
		}
		pr.Base = *in.Base
		changed = true
	}
	if changed {
		s.tick()
	}
	return reply{status: http.StatusOK, body: s.prJSON(pr, true), changed: changed}
}

// reopenRefusal says why GitHub would refuse to reopen pr, or "".
func (s *Server) reopenRefusal(pr *PR) string {
	if pr.Merged {
		return "state cannot be changed. The pull request has been merged."
	}
	b := s.branches[pr.Head]
	if b == nil {
		return "state cannot be changed. The " + pr.Head + " branch has been deleted."
	}
	if !slices.Contains(b.history, pr.HeadSHA) {
		return "state cannot be changed. The " + pr.Head + " branch was force-pushed or recreated."
	}
	for _, o := range s.prs {
		if o != pr && o.State == "open" && o.Head == pr.Head && o.Base == pr.Base {
			return "A pull request already exists for " + s.Owner + ":" + pr.Head + "."
		}
	}
	return ""
}

func (s *Server) mergePull(num int, body []byte) reply {
	var in struct {
		CommitTitle   *string `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           *string `json:"sha"`
		MergeMethod   *string `json:"merge_method"`
	}
	if err := decodeStrict(body, &in); err != nil {
		s.t.Errorf("fakegithub: merge pull request: %v", err)
		return reply{status: http.StatusBadRequest, body: errorBody(400, "Problems parsing JSON", docs)}
	}
	pr := s.pr(num)
	if pr == nil {
		return notFound(docs + "/pulls/pulls#merge-a-pull-request")
	}
	method := "merge"
	if in.MergeMethod != nil {
		method = *in.MergeMethod
	}
	if method != "merge" && method != "squash" && method != "rebase" {
		return validationFailed(map[string]string{"resource": "PullRequest", "field": "merge_method", "code": "invalid"})
	}
	doc := docs + "/pulls/pulls#merge-a-pull-request"
	if pr.State != "open" {
		return reply{status: http.StatusMethodNotAllowed, body: errorBody(405, "Pull Request is not mergeable", doc)}
	}
	if in.SHA != nil && *in.SHA != pr.HeadSHA {
		return reply{status: http.StatusConflict, body: errorBody(409, "Head branch was modified. Review and try the merge again.", doc)}
	}
	if s.checksPending {
		return reply{status: http.StatusMethodNotAllowed, body: errorBody(405, `Required status check "cvetrail" is expected.`, "https://docs.github.com/articles/about-protected-branches")}
	}
	s.tick()
	if why := s.mergePR(pr, method); why != "" {
		return reply{status: http.StatusMethodNotAllowed, body: errorBody(405, why, doc)}
	}
	return reply{status: http.StatusOK, changed: true, body: map[string]any{
		"sha": pr.MergeSHA, "merged": true, "message": "Pull Request successfully merged",
	}}
}

var hexColor = regexp.MustCompile(`^[0-9a-fA-F]{6}$`)

func (s *Server) createLabel(body []byte) reply {
	var in struct {
		Name        string  `json:"name"`
		Color       *string `json:"color"`
		Description *string `json:"description"`
	}
	if err := decodeStrict(body, &in); err != nil {
		s.t.Errorf("fakegithub: create label: %v", err)
		return reply{status: http.StatusBadRequest, body: errorBody(400, "Problems parsing JSON", docs)}
	}
	if in.Name == "" {
		return validationFailed(map[string]string{"resource": "Label", "field": "name", "code": "missing_field"})
	}
	if s.label(in.Name) != nil {
		return validationFailed(map[string]string{"resource": "Label", "code": "already_exists", "field": "name"})
	}
	l := &Label{Name: in.Name, Color: "ededed"}
	if in.Color != nil {
		if !hexColor.MatchString(*in.Color) {
			return validationFailed(map[string]string{"resource": "Label", "code": "invalid", "field": "color"})
		}
		l.Color = strings.ToLower(*in.Color)
	}
	if in.Description != nil {
		if utf8.RuneCountInString(*in.Description) > 100 {
			return validationFailed(map[string]string{"resource": "Label", "code": "invalid", "field": "description"})
		}
		l.Description = *in.Description
	}
	s.labels = append(s.labels, l)
	return reply{status: http.StatusCreated, body: s.labelJSON(l), changed: true}
}

// addLabels takes the shapes GitHub documents: ["a"], {"labels":["a"]},
// [{"name":"a"}] and {"labels":[{"name":"a"}]}.
func (s *Server) addLabels(num int, body []byte) reply {
	pr := s.pr(num)
	if pr == nil {
		return notFound(docs + "/issues/labels#add-labels-to-an-issue")
	}
	names, err := labelNames(body)
	if err != nil || len(names) == 0 {
		s.t.Errorf("fakegithub: add labels to #%d: body %s: %v", num, body, err)
		return validationFailed(map[string]string{"resource": "Label", "field": "labels", "code": "invalid"})
	}
	changed := false
	for _, name := range names {
		l := s.label(name)
		if l == nil { // GitHub creates missing labels, in grey
			l = &Label{Name: name, Color: "ededed"}
			s.labels = append(s.labels, l)
			changed = true
		}
		if !slices.ContainsFunc(pr.Labels, func(x string) bool { return strings.EqualFold(x, l.Name) }) {
			pr.Labels = append(pr.Labels, l.Name)
			changed = true
		}
	}
	return reply{status: http.StatusOK, body: s.issueLabels(pr), changed: changed}
}

func labelNames(body []byte) ([]string, error) {
	var raw json.RawMessage = body
	var wrapped struct {
		Labels json.RawMessage `json:"labels"`
	}
	if err := decodeStrict(body, &wrapped); err == nil && wrapped.Labels != nil {
		raw = wrapped.Labels
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err == nil {
		return names, nil
	}
	var objs []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &objs); err != nil {
		return nil, err
	}
	for _, o := range objs {
		names = append(names, o.Name)
	}
	return names, nil
}

func (s *Server) removeLabel(num int, name string) reply {
	pr := s.pr(num)
	if pr == nil {
		return notFound(docs + "/issues/labels#remove-a-label-from-an-issue")
	}
	i := slices.IndexFunc(pr.Labels, func(x string) bool { return strings.EqualFold(x, name) })
	if i < 0 {
		return reply{status: http.StatusNotFound, body: errorBody(404, "Label does not exist", docs+"/issues/labels#remove-a-label-from-an-issue")}
	}
	pr.Labels = slices.Delete(pr.Labels, i, i+1)
	return reply{status: http.StatusOK, body: s.issueLabels(pr), changed: true}
}

func (s *Server) comment(num int, body []byte) reply {
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeStrict(body, &in); err != nil {
		s.t.Errorf("fakegithub: comment: %v", err)
		return reply{status: http.StatusBadRequest, body: errorBody(400, "Problems parsing JSON", docs)}
	}
	pr := s.pr(num)
	if pr == nil {
		return notFound(docs + "/issues/comments#create-an-issue-comment")
	}
	if in.Body == "" {
		return validationFailed(map[string]string{"resource": "IssueComment", "field": "body", "code": "missing_field"})
	}
	pr.Comments = append(pr.Comments, in.Body)
	s.tick()
	return reply{status: http.StatusCreated, changed: true, body: s.commentJSON(pr, len(pr.Comments)-1)}
}

func (s *Server) commentJSON(pr *PR, i int) map[string]any {
	id := pr.Number*10000 + i + 1
	now := s.clock.Format(time.RFC3339)
	return map[string]any{
		"id": id, "node_id": fmt.Sprintf("IC_%d", id), "body": pr.Comments[i],
		"url":                s.apiURL(fmt.Sprintf("issues/comments/%d", id)),
		"html_url":           fmt.Sprintf("%s%s/%s/pull/%d#issuecomment-%d", s.URL(), s.Owner, s.Repo, pr.Number, id),
		"issue_url":          s.apiURL(fmt.Sprintf("issues/%d", pr.Number)),
		"user":               bot,
		"created_at":         now,
		"updated_at":         now,
		"author_association": "CONTRIBUTOR",
	}
}

// listComments pages the way GitHub does, with a Link header.
func (s *Server) listComments(num int, q url.Values) reply {
	for k := range q {
		if k != "per_page" && k != "page" && k != "since" {
			s.t.Errorf("fakegithub: list comments: unknown parameter %q", k)
		}
	}
	pr := s.pr(num)
	if pr == nil {
		return notFound(docs + "/issues/comments#list-issue-comments")
	}
	perPage, page := 30, 1
	if v := q.Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
		perPage = min(max(perPage, 1), 100)
	}
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
		page = max(page, 1)
	}
	out := []any{}
	for i := (page - 1) * perPage; i < len(pr.Comments) && i < page*perPage; i++ {
		out = append(out, s.commentJSON(pr, i))
	}
	rep := reply{status: http.StatusOK, body: out}
	if page*perPage < len(pr.Comments) {
		next := fmt.Sprintf("%s?per_page=%d&page=%d", s.apiURL(fmt.Sprintf("issues/%d/comments", num)), perPage, page+1)
		rep.header = http.Header{"Link": {`<` + next + `>; rel="next"`}}
	}
	return rep
}

var bot = map[string]any{"login": "github-actions[bot]", "id": 41898282, "node_id": "MDM6Qm90NDE4OTgyODI=", "type": "Bot", "site_admin": false}

func (s *Server) issueLabels(pr *PR) []any {
	out := []any{}
	for _, name := range pr.Labels {
		l := s.label(name)
		if l == nil {
			l = &Label{Name: name, Color: "ededed"}
		}
		out = append(out, s.labelJSON(l))
	}
	return out
}

func (s *Server) labelJSON(l *Label) map[string]any {
	var desc any
	if l.Description != "" {
		desc = l.Description
	}
	return map[string]any{
		"id":          len(l.Name) * 1000,
		"node_id":     "LA_" + url.PathEscape(l.Name),
		"url":         s.apiURL("labels/" + url.PathEscape(l.Name)),
		"name":        l.Name,
		"color":       l.Color,
		"default":     false,
		"description": desc,
	}
}

func (s *Server) repoJSON() map[string]any {
	return map[string]any{
		"id": 1296269, "node_id": "R_fake", "name": s.Repo, "full_name": s.Owner + "/" + s.Repo,
		"owner":    map[string]any{"login": s.Owner, "id": 1, "type": "Organization"},
		"private":  false,
		"html_url": s.URL() + s.Owner + "/" + s.Repo,
		"url":      s.srv.URL + "/api/v3/repos/" + s.Owner + "/" + s.Repo,
	}
}

func (s *Server) prJSON(pr *PR, full bool) map[string]any {
	ts := s.clock.Format(time.RFC3339)
	var body, closedAt, mergedAt, mergeSHA, autoMerge any
	if pr.Body != "" {
		body = pr.Body
	}
	if pr.State == "closed" {
		closedAt = ts
	}
	if pr.Merged {
		mergedAt, mergeSHA = ts, pr.MergeSHA
	}
	if pr.AutoMerge != "" {
		autoMerge = map[string]any{"enabled_by": bot, "merge_method": strings.ToLower(pr.AutoMerge), "commit_title": "", "commit_message": ""}
	}
	labels := s.issueLabels(pr)
	baseSHA := ""
	if b := s.branches[pr.Base]; b != nil {
		baseSHA = b.sha
	}
	out := map[string]any{
		"url":                s.apiURL("pulls/" + strconv.Itoa(pr.Number)),
		"id":                 100000 + pr.Number,
		"node_id":            pr.NodeID,
		"html_url":           fmt.Sprintf("%s%s/%s/pull/%d", s.URL(), s.Owner, s.Repo, pr.Number),
		"issue_url":          s.apiURL("issues/" + strconv.Itoa(pr.Number)),
		"number":             pr.Number,
		"state":              pr.State,
		"locked":             false,
		"title":              pr.Title,
		"user":               bot,
		"body":               body,
		"labels":             labels,
		"created_at":         ts,
		"updated_at":         ts,
		"closed_at":          closedAt,
		"merged_at":          mergedAt,
		"merge_commit_sha":   mergeSHA,
		"draft":              false,
		"author_association": "CONTRIBUTOR",
		"auto_merge":         autoMerge,
		"head":               map[string]any{"label": s.Owner + ":" + pr.Head, "ref": pr.Head, "sha": pr.HeadSHA, "user": bot, "repo": s.repoJSON()},
		"base":               map[string]any{"label": s.Owner + ":" + pr.Base, "ref": pr.Base, "sha": baseSHA, "user": bot, "repo": s.repoJSON()},
	}
	if full {
		state := "clean"
		if s.checksPending {
			state = "blocked"
		}
		out["merged"] = pr.Merged
		out["mergeable"] = pr.State == "open"
		out["mergeable_state"] = state
		out["comments"] = len(pr.Comments)
		out["commits"] = 1
		out["maintainer_can_modify"] = false
	}
	return out
}
