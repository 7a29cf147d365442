package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/localyun/localyun"
)

// BenchmarkWithTxUpdate is one small UPDATE (a row that changes) in a write transaction: alone
// (serial) and from many goroutines (parallel), in memory and on disk.
func BenchmarkWithTxUpdate(b *testing.B) {
	for _, where := range []string{"memory", "file"} {
		ctx := context.Background()
		path := ":memory:"
		if where == "file" {
			path = filepath.Join(b.TempDir(), "bench.db")
		}
		st, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.CreateAccount(ctx, localyun.Account{ID: "1234567890123456", Name: "bench"}); err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64 // a new name each time: SQLite writes nothing for an unchanged row
		update := func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE accounts SET name = ? WHERE id = '1234567890123456'`, n.Add(1))
			return err
		}
		b.Run(where+"/serial", func(b *testing.B) {
			for b.Loop() {
				if err := st.withTx(ctx, update); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(where+"/parallel", func(b *testing.B) {
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := st.withTx(ctx, update); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		st.Close()
	}
}
