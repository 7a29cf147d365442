package postgres_test

import (
	"testing"

	"github.com/localyun/localyun/internal/storetest"
)

func TestClientTokenConformance(t *testing.T) {
	storetest.RunClientTokens(t, func(t *testing.T) storetest.ClientTokenStore { return openStore(t) })
}
