package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/localyun/localyun"
)

// The API versions the console calls.
const (
	ecsVersion         = "2014-05-26"
	ramVersion         = "2015-05-01"
	bastionhostVersion = "2019-12-09"
	actiontrailVersion = "2020-07-06"
	localyunVersion    = "2026-11-30"
)

// layoutData is what the layout template renders: the visit (nil on the
// sign-in page), the page's name and its data.
type layoutData struct {
	V    *visit
	Page string
	Data any
}

// parsePages parses the layout with each page template.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"tree": tree, "join": strings.Join, "root": func() string { return Root },
		"add": func(a, b int) int { return a + b }}
	pages := map[string]*template.Template{}
	names, _ := templateFS.ReadDir("templates")
	for _, e := range names {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/"+e.Name()))
	}
	return pages
}

// render writes page name in the layout. A template error is a bug: it is
// logged and answered 500, never half a page.
func (c *Console) render(w http.ResponseWriter, status int, name string, v *visit, data any) {
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, layoutData{V: v, Page: name, Data: data}); err != nil {
		c.log.Error("console template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// call runs one API action as the visit's principal and decodes its JSON
// answer into out. An API error is added to the page's flashes and
// returned.
func (c *Console) call(v *visit, version, action string, params url.Values, out any) error {
	err := c.invoke(v, version, action, params, out)
	if err != nil {
		v.Flashes = append(v.Flashes, flash{Error: true, Text: action + ": " + errorText(err, true)})
	}
	return err
}

// invoke is call without the flash.
func (c *Console) invoke(v *visit, version, action string, params url.Values, out any) error {
	body, _, err := c.api.Invoke(v.r.Context(), v.Principal, Call{Version: version, Action: action, Params: params,
		SourceIP: clientIP(v.r), UserAgent: v.r.UserAgent(), Secure: v.r.TLS != nil})
	if err != nil {
		c.logInternal(action, err)
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		c.log.Error("console call: unreadable answer", "action", action, "err", err)
		return err
	}
	return nil
}

// optional runs an action that this server may not serve (a product
// another build adds): its decoded answer, or nil when the action does
// not exist; other errors are flashed.
func (c *Console) optional(v *visit, version, action string, params url.Values) any {
	var out any
	err := c.invoke(v, version, action, params, &out)
	if notServed(err) {
		return nil
	}
	if err != nil {
		v.Flashes = append(v.Flashes, flash{Error: true, Text: action + ": " + errorText(err, true)})
		return nil
	}
	return out
}

// notServed reports whether err says the action does not exist here.
func notServed(err error) bool {
	code := apiCode(err)
	return code == "InvalidVersion" || code == "InvalidAction.NotFound"
}

// logInternal logs an error that is not an API error (the page shows only
// a generic message for it).
func (c *Console) logInternal(action string, err error) {
	var e *localyun.Error
	if !errors.As(err, &e) {
		c.log.Error("console call", "action", action, "err", err)
	}
}

// errorText is how an error shows on a page: an API error's code and
// message (and the statement of a denial when detail is set); anything
// else a generic text, its cause only in the log.
func errorText(err error, detail bool) string {
	var e *localyun.Error
	if !errors.As(err, &e) {
		return "InternalError: the request failed inside the server."
	}
	s := e.Code + ": " + e.Message
	if detail && e.Detail != nil {
		s += fmt.Sprintf(" (AuthAction %s, %s)", e.Detail.AuthAction, e.Detail.NoPermissionType)
	}
	return s
}

// apiCode returns the code of an API error, "" for any other error.
func apiCode(err error) string {
	var e *localyun.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// clientIP is the browser's address without its port.
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// tree renders any decoded JSON value as nested HTML: an object as a
// definition list, a list of objects as a table of their keys, any other
// list as a list, a scalar as text. Every string is escaped; it is how the
// console shows answers whose shape it does not depend on (the explain
// views).
func tree(v any) template.HTML {
	var b strings.Builder
	writeTree(&b, v)
	return template.HTML(b.String())
}

func writeTree(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		b.WriteString(`<dl class="tree">`)
		for _, k := range sortedKeys(x) {
			b.WriteString("<dt>" + template.HTMLEscapeString(k) + "</dt><dd>")
			writeTree(b, x[k])
			b.WriteString("</dd>")
		}
		b.WriteString("</dl>")
	case []any:
		if cols, ok := tableColumns(x); ok {
			writeTable(b, x, cols)
			return
		}
		b.WriteString(`<ul class="tree">`)
		for _, e := range x {
			b.WriteString("<li>")
			writeTree(b, e)
			b.WriteString("</li>")
		}
		b.WriteString("</ul>")
	case nil:
		b.WriteString(`<span class="muted">—</span>`)
	default:
		b.WriteString(template.HTMLEscapeString(fmt.Sprint(x)))
	}
}

// tableColumns returns the union of the keys of a non-empty list of
// objects, in first-seen order; ok is false for any other list.
func tableColumns(list []any) (cols []string, ok bool) {
	if len(list) == 0 {
		return nil, false
	}
	for _, e := range list {
		m, isMap := e.(map[string]any)
		if !isMap {
			return nil, false
		}
		for _, k := range sortedKeys(m) {
			if !slices.Contains(cols, k) {
				cols = append(cols, k)
			}
		}
	}
	return cols, true
}

func writeTable(b *strings.Builder, list []any, cols []string) {
	b.WriteString(`<table class="tree"><thead><tr>`)
	for _, c := range cols {
		b.WriteString("<th>" + template.HTMLEscapeString(c) + "</th>")
	}
	b.WriteString("</tr></thead><tbody>")
	for _, e := range list {
		m := e.(map[string]any)
		b.WriteString("<tr>")
		for _, c := range cols {
			b.WriteString("<td>")
			writeTree(b, m[c])
			b.WriteString("</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
