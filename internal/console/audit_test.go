package console_test

import (
	"net/url"
	"testing"
	"time"
)

// lookupEvents returns the events of account A named name (LookupEvents
// through the official SDK), waiting up to 10 s for at least want of them:
// sign-in events are written through the audit queue, after the answer.
func (w *world) lookupEvents(name string, want int) []map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := w.sdkCall("Actiontrail", "2020-07-06", "LookupEvents", map[string]string{
			"LookupAttribute.1.Key": "EventName", "LookupAttribute.1.Value": name, "MaxResults": "50"})
		var evs []map[string]any
		if list, ok := res["Events"].([]any); ok {
			for _, e := range list {
				evs = append(evs, e.(map[string]any))
			}
		}
		if len(evs) >= want || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsoleAuditEvents: a sign-in, a refused sign-in of a known key and
// a change made from a page are in the audit trail, with the console's
// event types and the signed-in identity; a refused sign-in of an unknown
// key has no account and is not.
func TestConsoleAuditEvents(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.do("POST", signInPath, url.Values{"AccessKeyId": {rootKey}, "AccessKeySecret": {"wrong"}}, nil)
	b.do("POST", signInPath, url.Values{"AccessKeyId": {"LTAI5tNoSuchKey000000001"}, "AccessKeySecret": {"x"}}, nil)
	b.signIn(rootKey, rootSecret)
	_, page := b.get(instancesURL)
	same := map[string]string{"Origin": w.srv.URL, "Sec-Fetch-Site": "same-origin"}
	b.do("POST", "/console/instances/detach", url.Values{"csrf": {csrfOf(t, page)}, "region": {region},
		"instance": {instanceID}, "role": {roleName}}, same)
	if got := w.roleOfInstance(); got != "" {
		t.Fatalf("detach from the page left role %q", got)
	}

	signins := w.lookupEvents("ConsoleSignin", 2)
	if len(signins) != 2 {
		t.Fatalf("ConsoleSignin events: %d, want 2 (the refused unknown key has no account): %v", len(signins), signins)
	}
	var ok, refused int
	for _, ev := range signins {
		id := ev["userIdentity"].(map[string]any)
		if ev["eventType"] != "ConsoleSignin" || id["accessKeyId"] != rootKey || id["type"] != "root-account" {
			t.Errorf("sign-in event %v", ev)
		}
		switch ev["errorCode"] {
		case "":
			ok++
		case "InvalidAccessKeySecret":
			refused++
		default:
			t.Errorf("sign-in event with error %v", ev["errorCode"])
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("sign-ins: %d succeeded, %d refused; want 1 and 1", ok, refused)
	}
	detaches := w.lookupEvents("DetachInstanceRamRole", 1)
	if len(detaches) != 1 {
		t.Fatalf("DetachInstanceRamRole events: %v", detaches)
	}
	ev := detaches[0]
	if ev["eventType"] != "ConsoleOperation" || ev["userIdentity"].(map[string]any)["accessKeyId"] != rootKey ||
		ev["resourceName"] != instanceID {
		t.Errorf("console detach event %v", ev)
	}
}
