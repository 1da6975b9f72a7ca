package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
)

// AdminDeps is what the admin API is assembled from: ports, so that wire
// and the tests build it the same way from the same adapters.
type AdminDeps struct {
	Tx     application.Transactor
	Audit  application.AuditLog
	Clock  application.Clock
	Hasher application.PasswordHasher

	Users      application.UserAccounts
	Sessions   application.SessionRepository
	Limiter    application.LoginLimiter
	SessionTTL time.Duration

	Groups      application.GroupRepository
	Catalog     application.CatalogRepository
	Assignments application.AssignmentRepository
	Blocklist   application.BlocklistRepository
	Webhooks    application.WebhookRepository
	URLGuard    application.TargetGuard
	Secrets     application.WebhookSecrets

	Agents        application.AgentRepository
	Fleet         application.FleetReader
	Installations application.InstallationReader
	Compliance    application.ComplianceReader
	AuditReader   application.AuditReader
	PolicyInputs  application.PolicyInputs

	Policies   application.PolicyInvalidator
	AgentCache application.AgentCacheInvalidator

	APIKeys            application.APIKeyRepository
	APIKeyInvalidator  application.APIKeyInvalidator
	AuthenticateAPIKey APIKeyAuthenticator

	RevalidationCatalog application.RevalidationCatalog
	RevalidationQueue   application.RevalidationQueue
	Outbox              application.Outbox
	DeliveryLog         application.DeliveryLog
}

// NewAdminUseCases builds every admin use case from d.
func NewAdminUseCases(d AdminDeps) (AdminUseCases, error) {
	login, err := application.NewLogin(application.Login{Tx: d.Tx, Users: d.Users, Sessions: d.Sessions, Hasher: d.Hasher,
		Limiter: d.Limiter, Audit: d.Audit, Clock: d.Clock, TTL: application.SessionTTL(d.SessionTTL)})
	if err != nil {
		return AdminUseCases{}, err
	}
	tx, log, clock, inv := d.Tx, d.Audit, d.Clock, d.Policies
	return AdminUseCases{
		Login:               login,
		Logout:              application.Logout{Tx: tx, Sessions: d.Sessions, Audit: log, Clock: clock},
		AuthenticateSession: application.AuthenticateSession{Sessions: d.Sessions, Clock: clock},
		AuthenticateAPIKey:  d.AuthenticateAPIKey,
		AccessDenied:        application.RecordAccessDenied{Tx: tx, Audit: log, Clock: clock},

		CreateUser: application.CreateUser{Tx: tx, Users: d.Users, Hasher: d.Hasher, Audit: log, Clock: clock},
		UpdateUser: application.UpdateUser{Tx: tx, Users: d.Users, Sessions: d.Sessions, Hasher: d.Hasher, Audit: log, Clock: clock},
		DeleteUser: application.DeleteUser{Tx: tx, Users: d.Users, Sessions: d.Sessions, Audit: log, Clock: clock},
		GetUser:    application.GetUser{Users: d.Users},
		ListUsers:  application.ListUsers{Users: d.Users},

		CreateGroup: application.CreateGroup{Tx: tx, Groups: d.Groups, Audit: log, Clock: clock, Invalidator: inv},
		UpdateGroup: application.UpdateGroup{Tx: tx, Groups: d.Groups, Audit: log, Clock: clock, Invalidator: inv},
		DeleteGroup: application.DeleteGroup{Tx: tx, Groups: d.Groups, Keys: d.APIKeys, KeyInvalidator: d.APIKeyInvalidator,
			Audit: log, Clock: clock, Invalidator: inv},
		GetGroup:   application.GetGroup{Groups: d.Groups},
		ListGroups: application.ListGroups{Groups: d.Groups},

		CreateCatalogEntry:  application.CreateCatalogEntry{Tx: tx, Catalog: d.Catalog, Guard: d.URLGuard, Audit: log, Clock: clock, Invalidator: inv},
		UpdateCatalogEntry:  application.UpdateCatalogEntry{Tx: tx, Catalog: d.Catalog, Guard: d.URLGuard, Audit: log, Clock: clock, Invalidator: inv},
		DeleteCatalogEntry:  application.DeleteCatalogEntry{Tx: tx, Catalog: d.Catalog, Audit: log, Clock: clock, Invalidator: inv},
		GetCatalogEntry:     application.GetCatalogEntry{Catalog: d.Catalog},
		ListCatalog:         application.ListCatalog{Catalog: d.Catalog},
		RequestRevalidation: application.RequestRevalidation{Catalog: d.RevalidationCatalog, Queue: d.RevalidationQueue},

		PutAssignment: application.PutAssignment{Tx: tx, Groups: d.Groups, Catalog: d.Catalog, Assignments: d.Assignments,
			Audit: log, Clock: clock, Invalidator: inv},
		RemoveAssignment: application.RemoveAssignment{Tx: tx, Assignments: d.Assignments, Audit: log, Clock: clock, Invalidator: inv},
		ListAssignments:  application.ListAssignments{Groups: d.Groups, Assignments: d.Assignments},

		CreateBlocklistEntry: application.CreateBlocklistEntry{Tx: tx, Blocklist: d.Blocklist, Audit: log, Clock: clock, Invalidator: inv},
		UpdateBlocklistEntry: application.UpdateBlocklistEntry{Tx: tx, Blocklist: d.Blocklist, Audit: log, Clock: clock, Invalidator: inv},
		DeleteBlocklistEntry: application.DeleteBlocklistEntry{Tx: tx, Blocklist: d.Blocklist, Audit: log, Clock: clock, Invalidator: inv},
		GetBlocklistEntry:    application.GetBlocklistEntry{Blocklist: d.Blocklist},
		ListBlocklist:        application.ListBlocklist{Blocklist: d.Blocklist},

		CreateAPIKey: application.CreateAPIKey{Tx: tx, Keys: d.APIKeys, Audit: log, Clock: clock},
		ListAPIKeys:  application.ListAPIKeys{Groups: d.Groups, Keys: d.APIKeys},
		RevokeAPIKey: application.RevokeAPIKey{Tx: tx, Keys: d.APIKeys, Audit: log, Clock: clock, Invalidator: d.APIKeyInvalidator},

		ListAgents:        application.ListAgents{Fleet: d.Fleet},
		GetAgent:          application.GetAgent{Agents: d.Agents, Fleet: d.Fleet},
		DecommissionAgent: application.DecommissionAgent{Tx: tx, Agents: d.Agents, Audit: log, Clock: clock, Cache: d.AgentCache},
		ListReports:       application.ListReports{Fleet: d.Fleet},
		FindInstallations: application.FindInstallations{Installations: d.Installations},
		GroupCompliance:   application.GroupCompliance{Groups: d.Groups, Compliance: d.Compliance},
		FleetCompliance:   application.FleetCompliance{Compliance: d.Compliance},
		ViewGroupPolicy:   application.ViewGroupPolicy{Inputs: d.PolicyInputs},
		ListAuditLog:      application.ListAuditLog{Audit: d.AuditReader},

		CreateWebhook:         application.CreateWebhook{Tx: tx, Hooks: d.Webhooks, Guard: d.URLGuard, Secrets: d.Secrets, Audit: log, Clock: clock},
		UpdateWebhook:         application.UpdateWebhook{Tx: tx, Hooks: d.Webhooks, Guard: d.URLGuard, Audit: log, Clock: clock},
		DeleteWebhook:         application.DeleteWebhook{Tx: tx, Hooks: d.Webhooks, Audit: log, Clock: clock},
		GetWebhook:            application.GetWebhook{Hooks: d.Webhooks},
		ListWebhooks:          application.ListWebhooks{Hooks: d.Webhooks},
		ListWebhookDeliveries: application.ListWebhookDeliveries{Log: d.DeliveryLog},
		SendTestWebhook:       application.SendTestWebhook{Tx: tx, Outbox: d.Outbox, Clock: clock},
	}, nil
}
