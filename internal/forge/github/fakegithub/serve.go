package fakegithub

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// reply is a handler's answer.
type reply struct {
	status  int
	body    any // marshalled to JSON; a string is sent as is
	header  http.Header
	changed bool // the request changed state
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("fakegithub: reading request body: %v", err)
		return
	}
	route, segs, graphqlReq, ok := s.route(r, body)
	if !ok {
		s.t.Errorf("fakegithub: unexpected request %s %s", r.Method, r.URL.RequestURI())
		s.write(w, reply{status: http.StatusNotFound, body: errorBody(404, "Not Found", "https://docs.github.com/rest")})
		return
	}
	write := graphqlReq != nil || (r.Method != http.MethodGet && r.Method != http.MethodHead)

	if rep, ok := s.checkHeaders(r, graphqlReq != nil, len(body) > 0); !ok {
		s.record(r.Method, route, rep.status, write)
		s.write(w, rep)
		return
	}

	s.mu.Lock()
	var fault *Fault
	for _, f := range s.faults {
		if f.matches(r.Method, route) {
			fault = f
			f.fired++
			break
		}
	}
	if fault == nil && s.storm != nil {
		fault = s.storm.pick(r.Method, route)
	}
	s.mu.Unlock()
	if fault != nil && fault.Before != nil {
		fault.Before(s)
	}
	if fault != nil && fault.Status != 0 && !fault.After {
		s.record(r.Method, route, fault.Status, write)
		s.write(w, faultReply(fault))
		return
	}

	s.mu.Lock()
	s.refreshFromGit()
	var rep reply
	if graphqlReq != nil {
		rep = s.graphql(graphqlReq)
	} else {
		rep = s.rest(r.Method, segs, r.URL.Query(), body)
	}
	if rep.changed {
		s.writes++
	}
	s.mu.Unlock()

	if fault != nil && fault.Status != 0 {
		rep = faultReply(fault) // the write took effect; its answer is lost
	}
	s.record(r.Method, route, rep.status, write)
	s.write(w, rep)
}

func faultReply(f *Fault) reply {
	body := f.Body
	if body == "" {
		body = errorBody(f.Status, http.StatusText(f.Status), "https://docs.github.com/rest")
	}
	return reply{status: f.Status, body: body, header: f.Header}
}

func (s *Server) record(method, route string, status int, write bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: method, Route: route, Status: status, Write: write})
	if write {
		s.writeCalls++
	}
}

// route splits the request path below /api/v3/repos/OWNER/REPO/ into
// unescaped segments, or reads the GraphQL field being called.
func (s *Server) route(r *http.Request, body []byte) (route string, segs []string, gq *graphqlRequest, ok bool) {
	p := r.URL.EscapedPath()
	if p == "/api/graphql" && r.Method == http.MethodPost {
		gq, err := parseGraphQL(body)
		if err != nil {
			s.t.Errorf("fakegithub: %v", err)
			return "graphql:?", nil, nil, false
		}
		return "graphql:" + gq.field, nil, gq, true
	}
	prefix := "/api/v3/repos/" + url.PathEscape(s.Owner) + "/" + url.PathEscape(s.Repo) + "/"
	rest, found := strings.CutPrefix(p, prefix)
	if !found || rest == "" {
		return p, nil, nil, false
	}
	for _, seg := range strings.Split(rest, "/") {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return p, nil, nil, false
		}
		segs = append(segs, u)
	}
	return strings.Join(segs, "/"), segs, nil, true
}

// checkHeaders checks the token and the headers go-github sends.
func (s *Server) checkHeaders(r *http.Request, graphql, hasBody bool) (reply, bool) {
	s.mu.Lock()
	token := s.token
	s.mu.Unlock()
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) || value != token {
		return reply{status: http.StatusUnauthorized, body: badCredentials}, false
	}
	if hasBody && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.t.Errorf("fakegithub: %s %s: Content-Type %q, want application/json", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		return reply{status: http.StatusUnsupportedMediaType, body: errorBody(415, "Unsupported Media Type", "")}, false
	}
	if graphql {
		return reply{}, true
	}
	if v := r.Header.Get("X-Github-Api-Version"); v != apiVersion {
		s.t.Errorf("fakegithub: %s %s: X-GitHub-Api-Version %q, want %s", r.Method, r.URL.Path, v, apiVersion)
		return reply{status: http.StatusBadRequest, body: errorBody(400, "Unsupported API version", "")}, false
	}
	if a := r.Header.Get("Accept"); !strings.Contains(a, "application/vnd.github") && !strings.Contains(a, "application/json") {
		s.t.Errorf("fakegithub: %s %s: Accept %q", r.Method, r.URL.Path, a)
		return reply{status: http.StatusNotAcceptable, body: errorBody(406, "Not Acceptable", "")}, false
	}
	return reply{}, true
}

func (s *Server) write(w http.ResponseWriter, rep reply) {
	for k, vs := range rep.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("X-Ratelimit-Remaining") == "" {
		w.Header().Set("X-Ratelimit-Limit", "1000")
		w.Header().Set("X-Ratelimit-Remaining", "990")
		w.Header().Set("X-Ratelimit-Used", "10")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(s.clockNow().Add(3600e9).Unix(), 10))
		w.Header().Set("X-Ratelimit-Resource", "core")
	}
	w.Header().Set("X-Github-Api-Version-Selected", apiVersion)
	if rep.status == http.StatusNoContent || rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	var data []byte
	if b, ok := rep.body.(string); ok {
		data = []byte(b)
	} else {
		var err error
		if data, err = json.Marshal(rep.body); err != nil {
			s.t.Errorf("fakegithub: encoding answer: %v", err)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(rep.status)
	_, _ = w.Write(data)
}

func (s *Server) clockNow() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

// decodeStrict decodes a JSON body, refusing fields GitHub does not
// document for the endpoint.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
