package localyun

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrTooManyConflicts is what RetryOnConflict returns, wrapped with the
// last conflict, when every round lost to a concurrent change. It wraps
// ErrConflict. Every product answers it with the same 409
// OperationConflict (protocol.ErrOperationConflict).
var ErrTooManyConflicts = fmt.Errorf("lost every round to concurrent changes: %w", ErrConflict)

// conflictRounds bounds the rounds of a read-decide-write change: a round
// whose compare-and-set finds what it read changed since (another request
// won the race) reads again and decides again. Every lost round is another
// request's change, so the system as a whole always progresses; the bound
// only keeps one unlucky request from waiting long. Sixteen workers racing
// over a dozen ECS instances on two nodes (e2e/multinode_test.go) won about
// 3 rounds in 4 and needed at most 10 rounds in 3,200 changes; 50 rounds
// pause at most 0.75 s in all.
const conflictRounds = 50

// RetryOnConflict runs round, one read-decide-write of a change ending in a
// compare-and-set, until it returns an error that does not wrap
// ErrConflict (or nil), and returns that. Between rounds it pauses a
// random moment (up to 1, 2, 4, 8, then 16 ms) so that racing requests
// spread out. It gives up after 50 rounds with ErrTooManyConflicts, and
// with ctx's error when ctx has ended after a lost round or ends during a
// pause.
func RetryOnConflict(ctx context.Context, round func() error) error {
	for i := 1; ; i++ {
		err := round()
		if !errors.Is(err, ErrConflict) {
			return err
		}
		if i == conflictRounds {
			return fmt.Errorf("%w (%d rounds), the last: %w", ErrTooManyConflicts, i, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(1 + rand.Int64N(int64(time.Millisecond)<<min(i-1, 4)))):
		}
	}
}
