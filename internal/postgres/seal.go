package postgres

import "github.com/localyun/localyun/internal/seal"

// Sealer encrypts secrets at rest; see package seal (the same format as the
// SQLite store, so a migrated database opens with the same master key).
type Sealer = seal.Sealer

func sealWith(s Sealer, secret string) (string, error) { return seal.Seal(s, secret) }

func unsealWith(s Sealer, stored string) (string, error) { return seal.Open(s, stored) }
