package e2e_test

import (
	"os"
	"testing"

	"github.com/localyun/localyun/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster (if a test started one).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
