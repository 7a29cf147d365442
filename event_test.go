package localyun_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/localyun/localyun"
)

func TestRedactParameters(t *testing.T) {
	in := map[string][]string{
		"AccessKeySecret": {"s1"}, "Password": {"p"}, "SecurityToken": {"t"}, "Signature": {"sig"},
		"PrivateKey": {"k"}, "Passphrase": {"pp"}, "NewPassword": {"np"}, "ClientToken": {"ct"},
		"HostAccountPassword": {"x"}, "MySecretThing": {"y"}, "x-acs-security-token": {"z"},
		"RoleName": {"r"}, "InstanceIds": {`["i-1"]`}, "Empty": {}, "Long": {strings.Repeat("a", 5000)},
	}
	out := localyun.RedactParameters(in)
	for k := range in {
		v, ok := out[k]
		switch k {
		case "RoleName", "InstanceIds":
			if v != in[k][0] {
				t.Errorf("%s = %q, want it kept", k, v)
			}
		case "Empty":
			if ok {
				t.Errorf("a parameter without a value is kept")
			}
		case "Long":
			if len(v) != 4096 {
				t.Errorf("a long value kept %d bytes", len(v))
			}
		default:
			if v != "******" {
				t.Errorf("%s = %q, want redacted", k, v)
			}
		}
	}
}

func TestEventJSON(t *testing.T) {
	ev := localyun.Event{ID: "E", Name: "CreateRole", Time: time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC), RW: localyun.EventWrite,
		Identity:  localyun.EventIdentity{Type: localyun.IdentityAssumed, UserName: "r:s", AccessKeyID: "STS.x"},
		Resources: []localyun.EventResource{{Type: "ACS::RAM::Role", Name: "a"}, {Type: "ACS::RAM::Role", Name: "b"}, {Type: "ACS::RAM::Policy", Name: "p"}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	id := m["userIdentity"].(map[string]any)
	attrs := id["sessionContext"].(map[string]any)["attributes"].(map[string]any)
	if m["eventTime"] != "2026-01-02T03:04:05Z" || m["eventVersion"] != "1" || m["eventCategory"] != "Management" ||
		m["resourceType"] != "ACS::RAM::Role,ACS::RAM::Policy" || m["resourceName"] != "a,b,p" || m["errorCode"] != "" ||
		id["type"] != "assumed-role" || attrs["mfaAuthenticated"] != "false" {
		t.Fatalf("event JSON = %s", b)
	}
}

func TestPendingEvent(t *testing.T) {
	ctx := context.Background()
	if _, ok := localyun.PendingEvent(ctx); ok {
		t.Fatal("an event without WithEvent")
	}
	ctx = localyun.WithEvent(ctx, localyun.Event{ID: "E"})
	localyun.AddEventResources(ctx, "ACS::ECS::Instance", "i-1", "i-1", "i-2")
	ev, ok := localyun.PendingEvent(ctx)
	if !ok || len(ev.Resources) != 2 {
		t.Fatalf("PendingEvent = %+v, %v", ev, ok)
	}
	if _, ok := localyun.PendingEvent(localyun.WithoutEvent(ctx)); ok {
		t.Fatal("WithoutEvent kept the event")
	}
	localyun.MarkEventWritten(localyun.WithoutEvent(ctx))
	if _, ok := localyun.EventWritten(ctx); ok {
		t.Fatal("a housekeeping write marked the request's event")
	}
	localyun.MarkEventWritten(ctx)
	if _, ok := localyun.PendingEvent(ctx); ok {
		t.Fatal("a written event is pending")
	}
	if localyun.EventTypeFromContext(ctx) != "ApiCall" ||
		localyun.EventTypeFromContext(localyun.WithEventType(ctx, localyun.EventTypeConsole)) != "ConsoleOperation" {
		t.Fatal("event types")
	}
}

// TestEventText: client bytes become printable UTF-8, cut at a character
// boundary; RedactParameters bounds what an event keeps of a request.
func TestEventText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"alice", 128, "alice"},
		{"a\x00b\x01c\x7f", 128, "abc"},
		{"\xff\xfeok", 128, "ok"},
		{strings.Repeat("界", 43), 128, strings.Repeat("界", 42)}, // 129 bytes: cut before the last character
		{"tab\there", 128, "tab\there"},
	} {
		if got := localyun.EventText(tt.in, tt.max); got != tt.want {
			t.Errorf("EventText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
	params := map[string][]string{}
	for i := range 300 {
		params[fmt.Sprintf("Z%03d", i)] = []string{strings.Repeat("v", 1000)}
	}
	params["Bad\xffName"] = []string{"x"}
	params["Password"] = []string{"hunter2"}
	params["Pass\x00word"] = []string{"chosen"}
	params["Passwor\x7fd"] = []string{"chosen"}
	got := localyun.RedactParameters(params)
	size := 0
	for k, v := range got {
		size += len(k) + len(v)
		if !utf8.ValidString(k) {
			t.Errorf("name %q is not UTF-8", k)
		}
	}
	if got["Password"] != "******" {
		t.Errorf("Password = %q after names that clean to it, want ******", got["Password"])
	}
	if len(got) > 100 || size > 64<<10 {
		t.Errorf("kept %d parameters, %d bytes; want at most 100 and 64 KiB", len(got), size)
	}
}
