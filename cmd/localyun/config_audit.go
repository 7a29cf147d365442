package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/localyun/localyun/internal/server"
)

// DefaultAuditRetention is how long the audit trail keeps an event by
// default: ActionTrail's event history keeps 90 days.
const DefaultAuditRetention = 90 * 24 * time.Hour

// auditFlags defines the flags of the audit trail on fs.
func (c *Config) auditFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention,
		"how long the audit trail (ActionTrail LookupEvents) keeps an event, e.g. 720h; 0 for 2160h (90 days); a long one, e.g. 876000h, keeps them for good (env LOCALYUN_AUDIT_RETENTION)")
}

// auditFromEnv sets --audit-retention from LOCALYUN_AUDIT_RETENTION when
// the flag was not given, then checks it.
func (c *Config) auditFromEnv(env func(flagName, envName string, apply func(string) error) error) error {
	if err := env("audit-retention", "LOCALYUN_AUDIT_RETENTION", func(v string) error {
		d, err := time.ParseDuration(v)
		c.AuditRetention = d
		return err
	}); err != nil {
		return err
	}
	if c.AuditRetention < 0 {
		return fmt.Errorf("--audit-retention %s: must not be negative", c.AuditRetention)
	}
	return nil
}

// auditRetention is --audit-retention with its default applied.
func (c *Config) auditRetention() time.Duration {
	if c.AuditRetention == 0 {
		return DefaultAuditRetention
	}
	return c.AuditRetention
}

// withAudit starts the deletion of srv's events older than the configured
// retention, until ctx ends, keeps srv so that Close writes its queued
// events before closing the store, and returns srv.
func (m *Main) withAudit(ctx context.Context, srv *server.Server) *server.Server {
	srv.StartAuditRetention(ctx, m.Config.auditRetention())
	m.api = srv
	return srv
}
