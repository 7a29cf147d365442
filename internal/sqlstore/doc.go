// Package sqlstore holds the Go the SQLite and PostgreSQL stores share: everything but dialect SQL.
package sqlstore
