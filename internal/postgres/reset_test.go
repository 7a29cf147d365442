package postgres_test

import (
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/storetest"
)

func TestResetConformance(t *testing.T) {
	storetest.RunReset(t, func(t *testing.T) localyun.Store { return openStore(t) })
}
