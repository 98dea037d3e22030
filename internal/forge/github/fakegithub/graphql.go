package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// graphqlRequest is a parsed mutation of the form githubv4 sends:
// mutation($input:TypeInput!){field(input: $input){selection}}.
type graphqlRequest struct {
	field     string
	inputType string
	selection []selection
	input     json.RawMessage
}

type selection struct {
	name string
	sub  []selection
}

var mutationRE = regexp.MustCompile(`^mutation\(\$input:([A-Za-z]+)!\)\{([A-Za-z]+)\(input:\s*\$input\)(\{.*\})\}$`)

func parseGraphQL(body []byte) (*graphqlRequest, error) {
	var in struct {
		Query     string                     `json:"query"`
		Variables map[string]json.RawMessage `json:"variables"`
	}
	if err := decodeStrict(body, &in); err != nil {
		return nil, fmt.Errorf("graphql: decoding request: %v", err)
	}
	m := mutationRE.FindStringSubmatch(in.Query)
	if m == nil {
		return nil, fmt.Errorf("graphql: unexpected operation %q", in.Query)
	}
	sel, rest, err := parseSelection(m[3])
	if err != nil || rest != "" {
		return nil, fmt.Errorf("graphql: bad selection in %q", in.Query)
	}
	return &graphqlRequest{field: m[2], inputType: m[1], selection: sel, input: in.Variables["input"]}, nil
}

// parseSelection reads "{a,b{c}}" (githubv4 separates fields with
// commas, GraphQL allows blanks too).
func parseSelection(s string) ([]selection, string, error) {
	if !strings.HasPrefix(s, "{") {
		return nil, s, fmt.Errorf("want {")
	}
	s = s[1:]
	var out []selection
	for {
		s = strings.TrimLeft(s, " ,\n\t")
		if strings.HasPrefix(s, "}") {
			return out, s[1:], nil
		}
		i := strings.IndexAny(s, "{}, \n\t")
		if i <= 0 {
			return nil, s, fmt.Errorf("want a field")
		}
		f := selection{name: s[:i]}
		s = s[i:]
		if strings.HasPrefix(s, "{") {
			sub, rest, err := parseSelection(s)
			if err != nil {
				return nil, rest, err
			}
			f.sub, s = sub, rest
		}
		out = append(out, f)
	}
}

func (s *Server) graphql(q *graphqlRequest) reply {
	var in struct {
		PullRequestID    string  `json:"pullRequestId"`
		ClientMutationID *string `json:"clientMutationId"`
		CommitHeadline   *string `json:"commitHeadline"`
		CommitBody       *string `json:"commitBody"`
		MergeMethod      *string `json:"mergeMethod"`
		AuthorEmail      *string `json:"authorEmail"`
		ExpectedHeadOid  *string `json:"expectedHeadOid"`
	}
	want := strings.ToUpper(q.field[:1]) + q.field[1:] + "Input"
	if (q.field != "enablePullRequestAutoMerge" && q.field != "disablePullRequestAutoMerge") || q.inputType != want {
		s.t.Errorf("fakegithub: unexpected GraphQL mutation %s(%s)", q.field, q.inputType)
		return gqlErrors(q.field, "NOT_IMPLEMENTED", "unexpected mutation")
	}
	if err := decodeStrict(q.input, &in); err != nil {
		s.t.Errorf("fakegithub: %s input: %v", q.field, err)
		return gqlErrors(q.field, "INVALID", err.Error())
	}
	if q.field == "disablePullRequestAutoMerge" && (in.MergeMethod != nil || in.ExpectedHeadOid != nil || in.CommitBody != nil || in.CommitHeadline != nil || in.AuthorEmail != nil) {
		s.t.Errorf("fakegithub: disablePullRequestAutoMerge takes only pullRequestId")
	}
	var pr *PR
	for _, p := range s.prs {
		if p.NodeID == in.PullRequestID {
			pr = p
		}
	}
	if pr == nil {
		return gqlErrors(q.field, "NOT_FOUND", fmt.Sprintf("Could not resolve to a node with the global id of '%s'", in.PullRequestID))
	}
	changed := false
	if q.field == "enablePullRequestAutoMerge" {
		method := "MERGE"
		if in.MergeMethod != nil {
			method = *in.MergeMethod
		}
		switch {
		case method != "MERGE" && method != "SQUASH" && method != "REBASE":
			return gqlErrors(q.field, "INVALID", fmt.Sprintf("Variable $input of type %s was provided invalid value for mergeMethod", want))
		case pr.State != "open":
			return gqlErrors(q.field, "UNPROCESSABLE", "Pull request Pull request is closed")
		case !s.autoMergeAllowed:
			return gqlErrors(q.field, "UNPROCESSABLE", "Pull request Auto merge is not allowed for this repository")
		case !s.checksPending:
			return gqlErrors(q.field, "UNPROCESSABLE", "Pull request Pull request is in clean status")
		case in.ExpectedHeadOid != nil && *in.ExpectedHeadOid != pr.HeadSHA:
			return gqlErrors(q.field, "UNPROCESSABLE", "Pull request Head sha didn't match expected head sha")
		}
		changed = pr.AutoMerge != method
		pr.AutoMerge = method
	} else {
		changed = pr.AutoMerge != ""
		pr.AutoMerge = ""
	}
	var amr any
	if pr.AutoMerge != "" {
		amr = map[string]any{"mergeMethod": pr.AutoMerge, "enabledAt": s.clock.Format("2006-01-02T15:04:05Z")}
	}
	payload := map[string]any{
		"clientMutationId": in.ClientMutationID,
		"pullRequest": map[string]any{
			"id": pr.NodeID, "number": pr.Number, "state": strings.ToUpper(pr.State),
			"autoMergeRequest": amr,
		},
	}
	data, err := s.render(q.selection, payload, q.field)
	if err != nil {
		s.t.Errorf("fakegithub: %v", err)
		return gqlErrors(q.field, "INVALID", err.Error())
	}
	return reply{status: http.StatusOK, changed: changed, body: map[string]any{"data": map[string]any{q.field: data}}}
}

// render keeps the selected fields of v, as a GraphQL server answers.
func (s *Server) render(sel []selection, v map[string]any, typ string) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range sel {
		val, ok := v[f.name]
		if !ok {
			return nil, fmt.Errorf("graphql: field %q does not exist on %s here", f.name, typ)
		}
		sub, isObj := val.(map[string]any)
		switch {
		case len(f.sub) > 0 && val == nil:
			out[f.name] = nil
		case len(f.sub) > 0 && isObj:
			r, err := s.render(f.sub, sub, f.name)
			if err != nil {
				return nil, err
			}
			out[f.name] = r
		case len(f.sub) > 0 || isObj:
			return nil, fmt.Errorf("graphql: field %q needs a selection of subfields", f.name)
		default:
			out[f.name] = val
		}
	}
	return out, nil
}

func gqlErrors(field, typ, msg string) reply {
	return reply{status: http.StatusOK, body: map[string]any{
		"data": map[string]any{field: nil},
		"errors": []any{map[string]any{
			"type": typ, "path": []string{field},
			"locations": []any{map[string]int{"line": 1, "column": 42}},
			"message":   msg,
		}},
	}}
}
