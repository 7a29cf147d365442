package sqlite

import (
	"testing"

	"github.com/localyun/localyun"
)

func TestOnlyRoleChanged(t *testing.T) {
	orig := []localyun.Instance{{ID: "i-1", Seq: 1, Name: "a"}, {ID: "i-2", Seq: 2, Name: "b", RAMRoleName: "R"}}
	role := func(in localyun.Instance, r string) localyun.Instance { in.RAMRoleName = r; return in }
	for _, c := range []struct {
		name    string
		changed []localyun.Instance
		want    bool
	}{
		{"one role for all", []localyun.Instance{role(orig[0], "X"), role(orig[1], "X")}, true},
		{"a subset", []localyun.Instance{role(orig[1], "")}, true},
		{"two roles", []localyun.Instance{role(orig[0], "X"), role(orig[1], "Y")}, false},
		{"another field", []localyun.Instance{{ID: "i-1", Seq: 1, Name: "renamed", RAMRoleName: "X"}}, false},
		{"not locked", []localyun.Instance{{ID: "i-3", Seq: 3, RAMRoleName: "X"}}, false},
		{"a duplicate", []localyun.Instance{role(orig[0], "X"), role(orig[0], "X")}, false},
		{"more than locked", []localyun.Instance{role(orig[0], "X"), role(orig[1], "X"), role(orig[0], "X")}, false},
	} {
		if _, got := onlyRoleChanged(orig, c.changed); got != c.want {
			t.Errorf("%s: onlyRoleChanged = %v, want %v", c.name, got, c.want)
		}
	}
}
