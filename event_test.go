package localyun_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

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
