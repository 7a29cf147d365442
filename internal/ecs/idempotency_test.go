package ecs_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/ecs"
)

// A ClientToken binds its instances for ClientTokenRetention, that instant
// included; after it the same request creates new instances.
func TestClientTokenRetention(t *testing.T) {
	st := openRaceWorld(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := 0
	svc := ecs.NewService(st, ecs.Options{Now: func() time.Time { return now },
		NewID: func(string) string { n++; return fmt.Sprintf("i-new-%d", n) }})
	in := ecs.RunInstancesInput{InstanceSpec: ecs.InstanceSpec{RegionID: seedRegion, ImageID: "img", InstanceType: "t"}, Amount: 1, ClientToken: "tok"}
	first, err := svc.RunInstances(rootCtx, in)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(ecs.ClientTokenRetention)
	if again, err := svc.RunInstances(rootCtx, in); err != nil || !reflect.DeepEqual(again, first) {
		t.Fatalf("retry at the end of the retention = %v, %v; want %v", again, err, first)
	}
	now = now.Add(time.Millisecond)
	later, err := svc.RunInstances(rootCtx, in)
	if err != nil || reflect.DeepEqual(later, first) {
		t.Fatalf("use after the retention = %v, %v; want new instances", later, err)
	}
	insts, total, err := st.FindInstances(rootCtx, localyun.InstanceFilter{AccountID: seedAccount, RegionID: seedRegion})
	if err != nil || total != 4 { // i-1, i-2 of the world and two created
		t.Fatalf("instances = %+v (%d), %v", insts, total, err)
	}
}
