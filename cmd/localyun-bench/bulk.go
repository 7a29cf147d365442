package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// sqliteBulkHosts writes the bastion hosts and their accounts straight into
// the SQLite file at path, in large transactions, with the rows and id
// sequences the store's CreateBastionHost / CreateBastionHostAccount would
// write (0002_bastionhost.sql): host h gets id h, its accounts the ids
// (h-1)*A+1 .. h*A, no credentials. This is the one place the bench writes
// SQL itself; everything else goes through the store API.
func sqliteBulkHosts(path string) bulkHosts {
	return func(ctx context.Context, w World, now time.Time, p *progress) error {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		const batch = 5_000 // hosts per transaction
		created := now.UnixMilli()
		for h0 := 1; h0 <= w.Hosts; h0 += batch {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			hs, err := tx.PrepareContext(ctx, `INSERT INTO bastion_hosts (instance_id, id, name, comment, os_type, source,
				source_instance_id, source_instance_state, instance_region_id, instance_member_id, active_address_type,
				public_address, private_address, network_domain_id, pref_kex, created_at)
				VALUES (?, ?, ?, '', 'Linux', 'Local', '', '', '', 0, 'Private', '', ?, '', '', ?)`)
			if err != nil {
				tx.Rollback()
				return err
			}
			as, err := tx.PrepareContext(ctx, `INSERT INTO bastion_host_accounts (instance_id, id, host_id, name, protocol_name,
				privilege_type, rotation_mode, host_share_key_id, private_key_fingerprint, created_at)
				VALUES (?, ?, ?, ?, 'SSH', '', '', '', '', ?)`)
			if err != nil {
				tx.Rollback()
				return err
			}
			last := min(h0+batch-1, w.Hosts)
			for h := h0; h <= last; h++ {
				if _, err := hs.ExecContext(ctx, benchBastion, h, fmt.Sprintf("host-%06d", h), fmt.Sprintf("172.16.%d.%d", h>>8&255, h&255), created); err != nil {
					tx.Rollback()
					return err
				}
				for i := 0; i < w.AccountsPerHost; i++ {
					if _, err := as.ExecContext(ctx, benchBastion, (h-1)*w.AccountsPerHost+i+1, h, fmt.Sprintf("user%02d", i), created); err != nil {
						tx.Rollback()
						return err
					}
				}
			}
			for kind, n := range map[string]int{"host": last, "host_account": last * w.AccountsPerHost} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_id_seqs (instance_id, kind, last_id) VALUES (?, ?, ?)
					ON CONFLICT (instance_id, kind) DO UPDATE SET last_id = excluded.last_id`, benchBastion, kind, n); err != nil {
					tx.Rollback()
					return err
				}
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			p.update(last * (1 + w.AccountsPerHost))
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}
}
