package server

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/sqlite"
)

// TestRouteInputsAreTyped holds every served action to one lane: its
// parameters are parsed once into a struct (the typed input its Resources
// and Serve both take), never handed on as the wire request.
func TestRouteInputsAreTyped(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wire := reflect.TypeFor[*protocol.Request]()
	var bad []string
	routes := New(Options{Store: st}).Mux().Routes()
	for _, rt := range routes {
		switch {
		case rt.Input == nil:
			bad = append(bad, rt.Product.Version+"/"+rt.Action+": no input type")
		case rt.Input == wire:
			bad = append(bad, rt.Product.Version+"/"+rt.Action+": reads the wire request (*protocol.Request)")
		case rt.Input.Kind() != reflect.Struct:
			bad = append(bad, rt.Product.Version+"/"+rt.Action+": input "+rt.Input.String()+" is not a struct")
		}
	}
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d routes have no typed input:\n\t%s", len(bad), len(routes), strings.Join(bad, "\n\t"))
	}
}
