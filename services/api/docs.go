package api

import (
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flowplane/flowplane/openapi"
)

// docsPage renders the API reference from the embedded spec: every operation by tag, with its
// parameters, request body and responses. It is plain HTML with no external assets.
var docsPage = template.Must(template.New("docs").Funcs(template.FuncMap{"schema": schemaName}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h2{border-bottom:1px solid #dde2ea;padding-bottom:.2rem;margin-top:2rem}
.op{margin:1rem 0;padding:.6rem .8rem;border:1px solid #dde2ea;border-radius:6px}
.m{display:inline-block;min-width:4.2rem;font-weight:600;font-family:monospace}
.GET{color:#1a7f37}.POST{color:#2457c5}.PATCH{color:#9a6700}.DELETE{color:#cf222e}.PUT{color:#8250df}
code{font-family:ui-monospace,monospace;background:#f1f3f7;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;margin:.3rem 0}td,th{text-align:left;padding:.1rem .6rem .1rem 0;vertical-align:top}
.desc{white-space:pre-wrap}
</style></head><body>
<h1>{{.Title}} <small>v{{.Version}}</small></h1>
<p class="desc">{{.Description}}</p>
<p>Machine-readable: <a href="/openapi.yaml">/openapi.yaml</a>.</p>
{{range .Tags}}<h2 id="{{.Name}}">{{.Name}}</h2>{{if .Description}}<p>{{.Description}}</p>{{end}}
{{range .Ops}}<div class="op" id="{{.ID}}"><div><span class="m {{.Method}}">{{.Method}}</span> <code>{{.Path}}</code> — {{.Summary}}</div>
{{if .Description}}<p class="desc">{{.Description}}</p>{{end}}
{{if .Params}}<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{if .Required}}yes{{end}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<p>Request body: <code>{{.Body}}</code></p>{{end}}
<table>{{range .Responses}}<tr><td><code>{{.Status}}</code></td><td>{{.Description}}{{if .Schema}} — <code>{{.Schema}}</code>{{end}}</td></tr>{{end}}</table>
</div>{{end}}{{end}}
<h2 id="schemas">schemas</h2>
{{range .Schemas}}<div class="op" id="schema-{{.Name}}"><strong>{{.Name}}</strong>{{if .Description}} — {{.Description}}{{end}}
<table>{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{if .Required}}required{{end}}</td><td>{{.Description}}</td></tr>{{end}}</table></div>{{end}}
</body></html>`))

type docsData struct {
	Title, Version, Description string
	Tags                        []docsTag
	Schemas                     []docsSchema
}

type docsTag struct {
	Name, Description string
	Ops               []docsOp
}

type docsOp struct {
	ID, Method, Path, Summary, Description, Body string
	Params                                       []*openapi3.Parameter
	Responses                                    []docsResponse
}

type docsResponse struct{ Status, Description, Schema string }

type docsSchema struct {
	Name, Description string
	Fields            []docsField
}

type docsField struct {
	Name, Type, Description string
	Required                bool
}

func (s *server) serveDocs(w http.ResponseWriter, r *http.Request) {
	spec, err := openapi.GetSpec()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := docsPage.Execute(w, buildDocs(spec)); err != nil {
		s.log.ErrorContext(r.Context(), "render docs", "err", err)
	}
}

func buildDocs(spec *openapi3.T) docsData {
	d := docsData{Title: spec.Info.Title, Version: spec.Info.Version, Description: spec.Info.Description}
	byTag := map[string]*docsTag{}
	var order []string
	for _, t := range spec.Tags {
		byTag[t.Name] = &docsTag{Name: t.Name, Description: t.Description}
		order = append(order, t.Name)
	}
	paths := spec.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		for method, op := range spec.Paths.Value(p).Operations() {
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if byTag[tag] == nil {
				byTag[tag] = &docsTag{Name: tag}
				order = append(order, tag)
			}
			byTag[tag].Ops = append(byTag[tag].Ops, buildOp(p, method, op))
		}
	}
	for _, name := range order {
		t := byTag[name]
		sort.Slice(t.Ops, func(i, j int) bool {
			if t.Ops[i].Path != t.Ops[j].Path {
				return t.Ops[i].Path < t.Ops[j].Path
			}
			return t.Ops[i].Method < t.Ops[j].Method
		})
		d.Tags = append(d.Tags, *t)
	}
	d.Schemas = buildSchemas(spec)
	return d
}

func buildOp(path, method string, op *openapi3.Operation) docsOp {
	o := docsOp{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
	for _, p := range op.Parameters {
		if p.Value != nil {
			o.Params = append(o.Params, p.Value)
		}
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for _, mt := range op.RequestBody.Value.Content {
			o.Body = schemaName(mt.Schema)
		}
	}
	for status, resp := range op.Responses.Map() {
		if resp.Value == nil {
			continue
		}
		dr := docsResponse{Status: status}
		if resp.Value.Description != nil {
			dr.Description = *resp.Value.Description
		}
		for _, mt := range resp.Value.Content {
			dr.Schema = schemaName(mt.Schema)
		}
		o.Responses = append(o.Responses, dr)
	}
	sort.Slice(o.Responses, func(i, j int) bool { return o.Responses[i].Status < o.Responses[j].Status })
	return o
}

func buildSchemas(spec *openapi3.T) []docsSchema {
	var out []docsSchema
	for name, ref := range spec.Components.Schemas {
		if ref.Value == nil {
			continue
		}
		ds := docsSchema{Name: name, Description: ref.Value.Description}
		required := map[string]bool{}
		for _, r := range ref.Value.Required {
			required[r] = true
		}
		for field, fref := range ref.Value.Properties {
			f := docsField{Name: field, Type: schemaName(fref), Required: required[field]}
			if fref.Value != nil {
				f.Description = fref.Value.Description
			}
			ds.Fields = append(ds.Fields, f)
		}
		sort.Slice(ds.Fields, func(i, j int) bool { return ds.Fields[i].Name < ds.Fields[j].Name })
		out = append(out, ds)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// schemaName is a short type description: the $ref name, "array of X", or the primitive type.
func schemaName(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	if ref.Ref != "" {
		return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	}
	if ref.Value == nil || ref.Value.Type == nil {
		return "any"
	}
	switch {
	case ref.Value.Type.Is("array"):
		return "array of " + schemaName(ref.Value.Items)
	case len(ref.Value.Enum) > 0:
		var vals []string
		for _, e := range ref.Value.Enum {
			if s, ok := e.(string); ok {
				vals = append(vals, s)
			}
		}
		return strings.Join(vals, " | ")
	}
	return strings.Join(ref.Value.Type.Slice(), "|")
}
