package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sts"
)

// credentialFlags defines the flags of instance credentials on fs.
func (c *Config) credentialFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.MetadataCredentialTTL, "metadata-credential-ttl", c.MetadataCredentialTTL,
		fmt.Sprintf("lifetime of the role credentials the metadata service issues to instances, %s to %s; 0 for %s (env LOCALYUN_METADATA_CREDENTIAL_TTL)",
			sts.MinInstanceCredentialTTL, sts.MaxInstanceCredentialTTL, sts.DefaultInstanceCredentialTTL))
	fs.StringVar(&c.Revocation, "revocation", c.Revocation,
		"credentials issued to an instance that loses its role: tail (the default) keeps them valid until they expire, strict refuses them at once (env LOCALYUN_REVOCATION)")
}

// credentialsFromEnv sets the instance credential settings whose flags
// were not given from LOCALYUN_* variables, through LoadConfig's env.
func (c *Config) credentialsFromEnv(env func(flagName, envName string, apply func(string) error) error) error {
	if err := env("metadata-credential-ttl", "LOCALYUN_METADATA_CREDENTIAL_TTL", func(v string) error {
		d, err := time.ParseDuration(v)
		c.MetadataCredentialTTL = d
		return err
	}); err != nil {
		return err
	}
	return env("revocation", "LOCALYUN_REVOCATION", func(v string) error { c.Revocation = v; return nil })
}

// checkCredentials reports instance credential settings that cannot work.
func (c *Config) checkCredentials() error {
	if ttl := c.MetadataCredentialTTL; ttl != 0 && (ttl < sts.MinInstanceCredentialTTL || ttl > sts.MaxInstanceCredentialTTL) {
		return fmt.Errorf("--metadata-credential-ttl %s: must be from %s to %s", ttl, sts.MinInstanceCredentialTTL, sts.MaxInstanceCredentialTTL)
	}
	switch c.Revocation {
	case "", server.RevocationTail, server.RevocationStrict:
		return nil
	}
	return fmt.Errorf("--revocation %q: want %s or %s", c.Revocation, server.RevocationTail, server.RevocationStrict)
}
