package localyun_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/localyun/localyun"
)

// RetryOnConflict runs a round again only while it fails with a conflict,
// gives up after 50 rounds with ErrTooManyConflicts (a conflict, keeping
// the last one), and stops when its context ends.
func TestRetryOnConflict(t *testing.T) {
	ctx := context.Background()
	lost := fmt.Errorf("round lost: %w", localyun.ErrConflict)
	other := errors.New("not a conflict")
	for _, tc := range []struct {
		name   string
		fail   int   // rounds that lose before the outcome
		result error // the outcome of the round after them
		rounds int
		want   []error // what the error returned wraps; none: nil
	}{
		{"first round wins", 0, nil, 1, nil},
		{"won after losses", 3, nil, 4, nil},
		{"other error", 2, other, 3, []error{other}},
		{"every round lost", 1 << 30, nil, 50, []error{localyun.ErrTooManyConflicts, localyun.ErrConflict, lost}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rounds := 0
			err := localyun.RetryOnConflict(ctx, func() error {
				rounds++
				if rounds <= tc.fail {
					return lost
				}
				return tc.result
			})
			if rounds != tc.rounds || (err == nil) != (len(tc.want) == 0) {
				t.Fatalf("%d rounds, %v; want %d rounds, %v", rounds, err, tc.rounds, tc.want)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Fatalf("%v does not wrap %v", err, w)
				}
			}
		})
	}
	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		rounds := 0
		err := localyun.RetryOnConflict(ctx, func() error {
			rounds++
			cancel()
			return lost
		})
		if rounds != 1 || !errors.Is(err, context.Canceled) {
			t.Fatalf("%d rounds, %v; want 1, context.Canceled", rounds, err)
		}
	})
}
