package console_test

import (
	"html"
	"net/url"
	"strings"
	"testing"
)

// TestExplainPage: the explain page sends the form's parameters to
// ExplainAccess and shows the decision and the statement that made it, as
// `localyun explain` prints them.
func TestExplainPage(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	arn := "acs:ecs:" + region + ":" + account + ":instance/" + instanceID
	for _, tt := range []struct{ action, want string }{
		{"ecs:DescribeInstances", "DECIDED BY Allow statement 0 of AliyunECSReadOnlyAccess (System, v1, via User)"},
		{"ecs:DetachInstanceRamRole", "PassRole step (role " + roleName + ")"},
	} {
		q := url.Values{"action": {"ExplainAccess"}, "UserName": {viewerName}, "AuthAction": {tt.action}, "AuthResource": {arn}}
		res, page := b.get("/console/explain?" + q.Encode())
		if res.StatusCode != 200 || !strings.Contains(html.UnescapeString(page), tt.want) {
			t.Errorf("%s: %d, page without %q:\n%s", tt.action, res.StatusCode, tt.want, page)
		}
	}
}
