package postgres_test

import (
	"testing"

	"github.com/localyun/localyun/internal/storetest"
)

func TestEventConformance(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) storetest.EventStore { return openStore(t) })
}
