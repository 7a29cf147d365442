package bastionhost

import (
	"github.com/localyun/localyun/internal/protocol"
)

// Register adds the Bastionhost actions to m: one route row per action, in
// the file of its family.
func Register(m *protocol.Mux, s *Service) {
	registerInstances(m, s)
	registerHosts(m, s)
	registerHostAccounts(m, s)
	registerUsers(m, s)
	registerGroups(m, s)
	registerGrants(m, s)
	registerOperations(m, s)
}
