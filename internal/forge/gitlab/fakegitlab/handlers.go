package fakegitlab

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// reply is an answer before it is written, so that a fault can replace it
// after the change was applied.
type reply struct {
	status int
	body   any
	header http.Header
}

func msg(status int, message any) reply {
	return reply{status: status, body: map[string]any{"message": message}}
}

// grapeError is how GitLab's API framework reports a missing or invalid
// parameter.
func grapeError(text string) reply {
	return reply{status: http.StatusBadRequest, body: map[string]any{"error": text}}
}

func statusMessage(status int) string {
	return fmt.Sprintf("%d %s", status, http.StatusText(status))
}

type params map[string]any

type route struct {
	name    string
	write   bool
	allowed []string // query or body parameters it takes
	handle  func(s *Server, p params, iid int64, branch string) reply
}

var (
	routeListMRs = route{name: RouteListMRs, allowed: []string{"state", "source_branch", "target_branch", "order_by", "sort", "page", "per_page"},
		handle: (*Server).listMRs}
	routeCreateMR = route{name: RouteCreateMR, write: true, allowed: []string{"title", "description", "source_branch", "target_branch", "labels", "remove_source_branch", "squash"},
		handle: (*Server).createMR}
	routeGetMR    = route{name: RouteGetMR, handle: (*Server).getMR}
	routeUpdateMR = route{name: RouteUpdateMR, write: true, allowed: []string{"title", "description", "labels", "add_labels", "remove_labels", "state_event"},
		handle: (*Server).updateMR}
	routeMerge = route{name: RouteMerge, write: true, allowed: []string{"sha", "squash", "auto_merge", "merge_when_pipeline_succeeds", "should_remove_source_branch", "merge_commit_message", "squash_commit_message"},
		handle: (*Server).mergeMR}
	routeCancel     = route{name: RouteCancelAutoMerge, write: true, handle: (*Server).cancelAutoMerge}
	routeCreateNote = route{name: RouteCreateNote, write: true, allowed: []string{"body", "internal"},
		handle: (*Server).createNote}
	routeListLabels = route{name: RouteListLabels, allowed: []string{"search", "page", "per_page", "with_counts", "include_ancestor_groups"},
		handle: (*Server).listLabels}
	routeCreateLabel = route{name: RouteCreateLabel, write: true, allowed: []string{"name", "color", "description", "priority"},
		handle: (*Server).createLabel}
	routeDeleteBranch = route{name: RouteDeleteBranch, write: true, handle: (*Server).deleteBranch}
)

// match picks the route for method and the path segments below the
// project.
func match(method string, segs []string) (r route, iid int64, branch string, ok bool) {
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n > 0
	}
	switch {
	case len(segs) == 1 && segs[0] == "merge_requests":
		switch method {
		case http.MethodGet:
			return routeListMRs, 0, "", true
		case http.MethodPost:
			return routeCreateMR, 0, "", true
		}
	case len(segs) == 2 && segs[0] == "merge_requests":
		if n, isNum := num(segs[1]); isNum {
			switch method {
			case http.MethodGet:
				return routeGetMR, n, "", true
			case http.MethodPut:
				return routeUpdateMR, n, "", true
			}
		}
	case len(segs) == 3 && segs[0] == "merge_requests":
		if n, isNum := num(segs[1]); isNum {
			switch {
			case segs[2] == "merge" && method == http.MethodPut:
				return routeMerge, n, "", true
			case segs[2] == "cancel_merge_when_pipeline_succeeds" && method == http.MethodPost:
				return routeCancel, n, "", true
			case segs[2] == "notes" && method == http.MethodPost:
				return routeCreateNote, n, "", true
			}
		}
	case len(segs) == 1 && segs[0] == "labels":
		switch method {
		case http.MethodGet:
			return routeListLabels, 0, "", true
		case http.MethodPost:
			return routeCreateLabel, 0, "", true
		}
	case len(segs) == 3 && segs[0] == "repository" && segs[1] == "branches" && method == http.MethodDelete:
		b, err := url.PathUnescape(segs[2])
		if err == nil && b != "" {
			return routeDeleteBranch, 0, b, true
		}
	}
	return route{}, 0, "", false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := r.URL.EscapedPath()
	call := Call{Method: r.Method, Path: strings.TrimPrefix(path, "/api/v4")}
	rep := s.dispatch(r, path, &call)
	call.Status = rep.status
	s.calls = append(s.calls, call)

	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	if err := json.NewEncoder(w).Encode(rep.body); err != nil {
		s.t.Errorf("fakegitlab: writing answer: %v", err)
	}
}

func (s *Server) dispatch(r *http.Request, path string, call *Call) reply {
	rest, ok := strings.CutPrefix(path, "/api/v4/projects/")
	if !ok {
		s.t.Errorf("fakegitlab: unexpected call %s %s", r.Method, path)
		return msg(http.StatusNotFound, "404 Not Found")
	}
	if r.URL.Query().Has("private_token") || r.URL.Query().Has("job_token") {
		s.t.Errorf("fakegitlab: %s %s: token in the URL", r.Method, path)
	}
	if r.Header.Get("Authorization") != "" {
		s.t.Errorf("fakegitlab: %s %s: Authorization header; GitLab tokens go in PRIVATE-TOKEN or JOB-TOKEN", r.Method, path)
	}
	authed := false
	switch pt, jt := r.Header.Get("PRIVATE-TOKEN"), r.Header.Get("JOB-TOKEN"); {
	case pt != "":
		if pt != s.Token {
			return msg(http.StatusUnauthorized, "401 Unauthorized")
		}
		authed = true
	case jt != "":
		if jt != s.JobToken {
			return msg(http.StatusUnauthorized, "401 Unauthorized")
		}
		authed = s.JobTokenAPI
	default:
		s.t.Errorf("fakegitlab: %s %s: neither PRIVATE-TOKEN nor JOB-TOKEN", r.Method, path)
	}
	if !authed {
		return msg(http.StatusNotFound, "404 Project Not Found")
	}

	segs := strings.Split(rest, "/")
	project, err := url.PathUnescape(segs[0])
	if err != nil || (project != strconv.FormatInt(s.ProjectID, 10) && project != s.ProjectPath) {
		if strings.Contains(s.ProjectPath, "/") && strings.HasPrefix(rest, strings.SplitN(s.ProjectPath, "/", 2)[0]+"/") {
			s.t.Errorf("fakegitlab: %s %s: project path not URL-encoded", r.Method, path)
		}
		return msg(http.StatusNotFound, "404 Project Not Found")
	}
	rt, iid, branch, ok := match(r.Method, segs[1:])
	if !ok {
		s.t.Errorf("fakegitlab: unexpected call %s %s", r.Method, path)
		return msg(http.StatusNotFound, "404 Not Found")
	}
	call.Route = rt.name

	p, bad := s.readParams(r, rt)
	if bad != nil {
		return *bad
	}
	f := s.takeFault(rt.name)
	if f != nil && !f.AfterApply {
		call.Fault = true
		return faultReply(f)
	}
	rep := rt.handle(s, p, iid, branch)
	call.Write = rt.write && rep.status >= 200 && rep.status < 300
	if f != nil {
		call.Fault = true
		return faultReply(f)
	}
	return rep
}

func faultReply(f *Fault) reply {
	rep := reply{status: f.Status, header: f.Header.Clone()}
	if f.Body != "" {
		rep.body = json.RawMessage(f.Body)
	} else {
		rep.body = map[string]any{"message": statusMessage(f.Status)}
	}
	return rep
}

// readParams merges query and body parameters as GitLab's API framework
// does, and refuses unknown ones.
func (s *Server) readParams(r *http.Request, rt route) (params, *reply) {
	p := params{}
	for k, v := range r.URL.Query() {
		p[k] = v[len(v)-1]
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			rep := grapeError("reading body: " + err.Error())
			return nil, &rep
		}
		if len(strings.TrimSpace(string(data))) > 0 {
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch ct {
			case "application/json":
				var body map[string]any
				dec := json.NewDecoder(strings.NewReader(string(data)))
				dec.UseNumber()
				if err := dec.Decode(&body); err != nil {
					rep := grapeError("body is not a JSON object: " + err.Error())
					return nil, &rep
				}
				for k, v := range body {
					p[k] = v
				}
			case "application/x-www-form-urlencoded":
				form, err := url.ParseQuery(string(data))
				if err != nil {
					rep := grapeError("bad form body")
					return nil, &rep
				}
				for k, v := range form {
					p[k] = v[len(v)-1]
				}
			default:
				s.t.Errorf("fakegitlab: %s %s: body of type %q", r.Method, r.URL.Path, ct)
				rep := reply{status: http.StatusUnsupportedMediaType, body: map[string]any{"error": "415 Unsupported Media Type"}}
				return nil, &rep
			}
		}
	}
	for k := range p {
		if !slices.Contains(rt.allowed, k) {
			s.t.Errorf("fakegitlab: %s: parameter %q is not implemented by the fake", rt.name, k)
			rep := grapeError(k + " does not have a valid value")
			return nil, &rep
		}
	}
	return p, nil
}

func (p params) str(k string) (string, bool) {
	switch v := p[k].(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case nil:
		return "", false
	default:
		return fmt.Sprint(v), true
	}
}

func (p params) boolean(k string) (val, present bool, ok bool) {
	switch v := p[k].(type) {
	case bool:
		return v, true, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, true, err == nil
	case nil:
		return false, false, true
	}
	return false, true, false
}

func (p params) integer(k string, def int) (int, bool) {
	v, ok := p.str(k)
	if !ok {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// list reads a label list: "a,b" or ["a","b"].
func (p params) list(k string) ([]string, bool) {
	var raw []string
	switch v := p[k].(type) {
	case nil:
		return nil, false
	case string:
		raw = strings.Split(v, ",")
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, true
			}
			raw = append(raw, s)
		}
	default:
		return nil, true
	}
	var out []string
	for _, s := range raw {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, true
}

// --- merge requests ---

func (s *Server) mrJSON(mr *MR) map[string]any {
	detailed, mergeStatus := s.detailedStatus(mr), "can_be_merged"
	if mr.Conflict {
		mergeStatus = "cannot_be_merged"
	}
	created := s.now.Add(time.Duration(mr.created) * time.Minute)
	updated := s.now.Add(time.Duration(mr.updated) * time.Minute)
	var mergedAt, closedAt any
	switch mr.State {
	case Merged:
		mergedAt = updated.Format(time.RFC3339)
	case Closed:
		closedAt = updated.Format(time.RFC3339)
	}
	var mergeCommit any
	if mr.MergeCommitSHA != "" {
		mergeCommit = mr.MergeCommitSHA
	}
	labels := mr.Labels
	if labels == nil {
		labels = []string{}
	}
	return map[string]any{
		"id":                           mr.ID,
		"iid":                          mr.IID,
		"project_id":                   s.ProjectID,
		"title":                        mr.Title,
		"description":                  mr.Description,
		"state":                        mr.State,
		"created_at":                   created.Format(time.RFC3339),
		"updated_at":                   updated.Format(time.RFC3339),
		"merged_at":                    mergedAt,
		"closed_at":                    closedAt,
		"target_branch":                mr.TargetBranch,
		"source_branch":                mr.SourceBranch,
		"source_project_id":            mr.SourceProjectID,
		"target_project_id":            s.ProjectID,
		"labels":                       labels,
		"draft":                        mr.Draft,
		"work_in_progress":             mr.Draft,
		"merge_when_pipeline_succeeds": mr.MergeWhenPipelineSucceeds,
		"merge_status":                 mergeStatus,
		"detailed_merge_status":        detailed,
		"has_conflicts":                mr.Conflict,
		"sha":                          mr.SHA,
		"merge_commit_sha":             mergeCommit,
		"squash_commit_sha":            nil,
		"squash":                       mr.Squashed,
		"user_notes_count":             len(mr.Notes),
		"should_remove_source_branch":  nil,
		"force_remove_source_branch":   false,
		"web_url":                      fmt.Sprintf("%s/-/merge_requests/%d", s.WebURL, mr.IID),
		"references": map[string]any{
			"short":    fmt.Sprintf("!%d", mr.IID),
			"relative": fmt.Sprintf("!%d", mr.IID),
			"full":     fmt.Sprintf("%s!%d", s.ProjectPath, mr.IID),
		},
		"author": map[string]any{"id": 1, "username": "cvetrail-bot", "name": "cvetrail", "state": "active"},
	}
}

func (s *Server) detailedStatus(mr *MR) string {
	switch {
	case mr.State != Opened:
		return "not_open"
	case mr.Draft:
		return "draft_status"
	case mr.Conflict:
		return "conflict"
	case mr.PipelineRunning:
		return "ci_still_running"
	}
	return "mergeable"
}

// page answers one page of items with GitLab's pagination headers.
func page[T any](p params, items []T) (reply, []T) {
	per, ok1 := p.integer("per_page", 20)
	n, ok2 := p.integer("page", 1)
	if !ok1 || !ok2 || per < 1 || n < 1 {
		return grapeError("page and per_page must be positive integers"), nil
	}
	per = min(per, 100)
	total := len(items)
	pages := max(1, (total+per-1)/per)
	lo, hi := min((n-1)*per, total), min(n*per, total)
	h := http.Header{}
	h.Set("X-Page", strconv.Itoa(n))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Next-Page", "")
	if n < pages {
		h.Set("X-Next-Page", strconv.Itoa(n+1))
	}
	h.Set("X-Prev-Page", "")
	if n > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(n-1))
	}
	return reply{status: http.StatusOK, header: h}, items[lo:hi]
}

func (s *Server) listMRs(p params, _ int64, _ string) reply {
	state, _ := p.str("state")
	if state == "" {
		state = "all"
	}
	if !slices.Contains([]string{"opened", "closed", "locked", "merged", "all"}, state) {
		return grapeError("state does not have a valid value")
	}
	orderBy, _ := p.str("order_by")
	sortDir, _ := p.str("sort")
	if orderBy != "" && orderBy != "created_at" && orderBy != "updated_at" {
		return grapeError("order_by does not have a valid value")
	}
	if sortDir != "" && sortDir != "asc" && sortDir != "desc" {
		return grapeError("sort does not have a valid value")
	}
	src, hasSrc := p.str("source_branch")
	dst, hasDst := p.str("target_branch")
	var found []*MR
	for _, mr := range s.mrs {
		if (state == "all" || mr.State == state) && (!hasSrc || mr.SourceBranch == src) && (!hasDst || mr.TargetBranch == dst) {
			found = append(found, mr)
		}
	}
	key := func(mr *MR) int64 { return mr.created }
	if orderBy == "updated_at" {
		key = func(mr *MR) int64 { return mr.updated }
	}
	slices.SortStableFunc(found, func(a, b *MR) int {
		if sortDir == "asc" {
			return int(key(a) - key(b))
		}
		return int(key(b) - key(a))
	})
	rep, items := page(p, found)
	out := []map[string]any{}
	for _, mr := range items {
		out = append(out, s.mrJSON(mr))
	}
	rep.body = out
	return rep
}

func (s *Server) getMR(_ params, iid int64, _ string) reply {
	mr := s.findMR(iid)
	if mr == nil {
		return msg(http.StatusNotFound, "404 Not found")
	}
	return reply{status: http.StatusOK, body: s.mrJSON(mr)}
}

func (s *Server) openFrom(src, dst string) *MR {
	for _, mr := range s.mrs {
		if mr.State == Opened && mr.SourceBranch == src && mr.TargetBranch == dst && mr.SourceProjectID == s.ProjectID {
			return mr
		}
	}
	return nil
}

func checkText(title, description string) *reply {
	if n := utf8.RuneCountInString(title); n > 255 {
		rep := msg(http.StatusBadRequest, map[string]any{"title": []string{"is too long (maximum is 255 characters)"}})
		return &rep
	}
	if n := utf8.RuneCountInString(description); n > 1_048_576 {
		rep := msg(http.StatusBadRequest, map[string]any{"description": []string{"is too long (maximum is 1048576 characters)"}})
		return &rep
	}
	return nil
}

func (s *Server) createMR(p params, _ int64, _ string) reply {
	title, ok := p.str("title")
	if !ok || strings.TrimSpace(title) == "" {
		return grapeError("title is missing")
	}
	src, ok := p.str("source_branch")
	if !ok || src == "" {
		return grapeError("source_branch is missing")
	}
	dst, ok := p.str("target_branch")
	if !ok || dst == "" {
		return grapeError("target_branch is missing")
	}
	desc, _ := p.str("description")
	if bad := checkText(title, desc); bad != nil {
		return *bad
	}
	if src == dst {
		return msg(http.StatusUnprocessableEntity, []string{"You can't use same project/branch for source and target"})
	}
	sha, ok := s.brs[src]
	if !ok {
		return msg(http.StatusUnprocessableEntity, []string{fmt.Sprintf("Source branch \"%s\" does not exist", src)})
	}
	if _, ok := s.brs[dst]; !ok {
		return msg(http.StatusUnprocessableEntity, []string{fmt.Sprintf("Target branch \"%s\" does not exist", dst)})
	}
	if open := s.openFrom(src, dst); open != nil {
		return msg(http.StatusConflict, []string{fmt.Sprintf("Another open merge request already exists for this source branch: !%d", open.IID)})
	}
	labels, present := p.list("labels")
	if present && labels == nil {
		return grapeError("labels is invalid")
	}
	iid := int64(1)
	for _, mr := range s.mrs {
		iid = max(iid, mr.IID+1)
	}
	mr := &MR{
		ID: 9000 + iid, IID: iid, State: Opened,
		SourceBranch: src, TargetBranch: dst, SourceProjectID: s.ProjectID,
		SHA: sha, Title: title, Description: desc,
	}
	s.applyLabels(mr, labels, nil)
	mr.created = s.nextSeq()
	mr.updated = mr.created
	s.mrs = append(s.mrs, mr)
	return reply{status: http.StatusCreated, body: s.mrJSON(mr)}
}

// applyLabels adds and removes labels on mr, creating project labels it
// is asked to add that do not exist, as GitLab does.
func (s *Server) applyLabels(mr *MR, add, remove []string) {
	for _, name := range add {
		if !slices.ContainsFunc(s.lbls, func(l *Label) bool { return l.Name == name }) {
			s.lbls = append(s.lbls, &Label{ID: 500 + s.nextSeq(), Name: name, Color: DefaultLabelColor})
		}
		if !slices.Contains(mr.Labels, name) {
			mr.Labels = append(mr.Labels, name)
		}
	}
	mr.Labels = slices.DeleteFunc(mr.Labels, func(n string) bool { return slices.Contains(remove, n) })
	slices.Sort(mr.Labels)
}

func (s *Server) updateMR(p params, iid int64, _ string) reply {
	mr := s.findMR(iid)
	if mr == nil {
		return msg(http.StatusNotFound, "404 Not found")
	}
	if len(p) == 0 {
		return grapeError("title, description, labels, add_labels, remove_labels, state_event are missing, at least one parameter must be provided")
	}
	title, hasTitle := p.str("title")
	desc, hasDesc := p.str("description")
	if hasTitle && strings.TrimSpace(title) == "" {
		return msg(http.StatusBadRequest, map[string]any{"title": []string{"can't be blank"}})
	}
	t, d := mr.Title, mr.Description
	if hasTitle {
		t = title
	}
	if hasDesc {
		d = desc
	}
	if bad := checkText(t, d); bad != nil {
		return *bad
	}
	event, hasEvent := p.str("state_event")
	if hasEvent && event != "close" && event != "reopen" {
		return grapeError("state_event does not have a valid value")
	}
	set, hasSet := p.list("labels")
	add, hasAdd := p.list("add_labels")
	remove, hasRemove := p.list("remove_labels")
	if (hasSet && set == nil) || (hasAdd && add == nil) || (hasRemove && remove == nil) {
		return grapeError("labels are invalid")
	}

	mr.Title, mr.Description = t, d
	if hasSet {
		mr.Labels = nil
		s.applyLabels(mr, set, nil)
	}
	s.applyLabels(mr, add, remove)
	switch {
	case event == "close" && mr.State == Opened:
		mr.State, mr.MergeWhenPipelineSucceeds, mr.AutoMergeSHA = Closed, false, ""
	case event == "reopen" && mr.State == Closed:
		// GitLab ignores the event when the merge request cannot be
		// reopened.
		_, srcOK := s.brs[mr.SourceBranch]
		_, dstOK := s.brs[mr.TargetBranch]
		if srcOK && dstOK && s.openFrom(mr.SourceBranch, mr.TargetBranch) == nil {
			mr.State = Opened
			mr.SHA = s.brs[mr.SourceBranch]
		}
	}
	mr.updated = s.nextSeq()
	return reply{status: http.StatusOK, body: s.mrJSON(mr)}
}

func (s *Server) mergeMR(p params, iid int64, _ string) reply {
	mr := s.findMR(iid)
	if mr == nil {
		return msg(http.StatusNotFound, "404 Not found")
	}
	auto1, _, ok1 := p.boolean("auto_merge")
	auto2, _, ok2 := p.boolean("merge_when_pipeline_succeeds")
	squash, _, ok3 := p.boolean("squash")
	if !ok1 || !ok2 || !ok3 {
		return grapeError("auto_merge, merge_when_pipeline_succeeds and squash are booleans")
	}
	auto := auto1 || auto2
	sha, hasSHA := p.str("sha")
	if s.RequireMergeSHA && !hasSHA {
		return msg(http.StatusBadRequest, "SHA must be provided when merging")
	}
	if mr.State != Opened {
		return msg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
	}
	if hasSHA && sha != mr.SHA {
		return msg(http.StatusConflict, "SHA does not match HEAD of source branch")
	}
	if mr.Draft || mr.Conflict {
		return msg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
	}
	if mr.PipelineRunning {
		if !auto {
			return msg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
		}
		mr.MergeWhenPipelineSucceeds, mr.AutoMergeSHA = true, sha
		mr.Squashed = squash
		mr.updated = s.nextSeq()
		return reply{status: http.StatusOK, body: s.mrJSON(mr)}
	}
	// Mergeable now: GitLab merges at once, auto-merge asked or not.
	s.merge(mr, squash)
	return reply{status: http.StatusOK, body: s.mrJSON(mr)}
}

func (s *Server) cancelAutoMerge(_ params, iid int64, _ string) reply {
	mr := s.findMR(iid)
	if mr == nil {
		return msg(http.StatusNotFound, "404 Not found")
	}
	if mr.State != Opened {
		return msg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
	}
	if !mr.MergeWhenPipelineSucceeds {
		return msg(http.StatusNotAcceptable, "406 Not Acceptable")
	}
	mr.MergeWhenPipelineSucceeds, mr.AutoMergeSHA = false, ""
	mr.updated = s.nextSeq()
	return reply{status: http.StatusCreated, body: s.mrJSON(mr)}
}

func (s *Server) createNote(p params, iid int64, _ string) reply {
	mr := s.findMR(iid)
	if mr == nil {
		return msg(http.StatusNotFound, "404 Not found")
	}
	body, ok := p.str("body")
	if !ok || strings.TrimSpace(body) == "" {
		return grapeError("body is missing")
	}
	mr.Notes = append(mr.Notes, body)
	id := 7000 + s.nextSeq()
	return reply{status: http.StatusCreated, body: map[string]any{
		"id": id, "type": nil, "body": body, "system": false, "internal": false,
		"noteable_id": mr.ID, "noteable_type": "MergeRequest", "noteable_iid": mr.IID,
		"created_at": s.stamp().Format(time.RFC3339), "updated_at": s.stamp().Format(time.RFC3339),
		"author": map[string]any{"id": 1, "username": "cvetrail-bot", "name": "cvetrail", "state": "active"},
	}}
}

// --- labels ---

func (s *Server) labelJSON(l *Label) map[string]any {
	return map[string]any{
		"id": l.ID, "name": l.Name, "color": l.Color, "text_color": "#FFFFFF",
		"description": l.Description, "description_html": l.Description,
		"open_issues_count": 0, "closed_issues_count": 0, "open_merge_requests_count": 0,
		"subscribed": false, "priority": nil, "is_project_label": true,
	}
}

func (s *Server) listLabels(p params, _ int64, _ string) reply {
	search, _ := p.str("search")
	var found []*Label
	for _, l := range s.lbls {
		if strings.Contains(strings.ToLower(l.Name), strings.ToLower(search)) {
			found = append(found, l)
		}
	}
	rep, items := page(p, found)
	out := []map[string]any{}
	for _, l := range items {
		out = append(out, s.labelJSON(l))
	}
	rep.body = out
	return rep
}

var colorRE = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

func (s *Server) createLabel(p params, _ int64, _ string) reply {
	name, ok := p.str("name")
	if !ok || strings.TrimSpace(name) == "" {
		return grapeError("name is missing")
	}
	color, ok := p.str("color")
	if !ok || color == "" {
		return grapeError("color is missing")
	}
	if !colorRE.MatchString(color) {
		return msg(http.StatusBadRequest, map[string]any{"color": []string{"must be a valid color code"}})
	}
	if slices.ContainsFunc(s.lbls, func(l *Label) bool { return l.Name == name }) {
		return msg(http.StatusConflict, "Label already exists")
	}
	desc, _ := p.str("description")
	l := &Label{ID: 500 + s.nextSeq(), Name: name, Color: color, Description: desc}
	s.lbls = append(s.lbls, l)
	return reply{status: http.StatusCreated, body: s.labelJSON(l)}
}

// --- branches ---

func (s *Server) deleteBranch(_ params, _ int64, branch string) reply {
	if _, ok := s.brs[branch]; !ok {
		return msg(http.StatusNotFound, "404 Branch Not Found")
	}
	delete(s.brs, branch)
	return reply{status: http.StatusNoContent}
}
