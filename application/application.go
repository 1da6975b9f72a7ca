package application

import (
	"log/slog"
)

// Application is every use case the API process runs, assembled once by
// New: the HTTP adapter calls these and builds none itself, and a new use
// case is added here and in New, nowhere else. The workers' use cases are
// assembled in the worker process (workers.UseCases): it runs none of these
// and needs adapters (the marketplace fetcher, the webhook sender) the API
// has no use for.
type Application struct {
	CreateFirstAdmin CreateFirstAdmin

	// The agent API.
	AuthorizeAgent  *AuthorizeAgentRequest
	EnrollAgent     EnrollAgent
	RecordHeartbeat RecordHeartbeat
	SyncPolicy      SyncPolicy
	SubmitReport    SubmitReport

	// The admin API's callers.
	Login               *Login
	Logout              Logout
	AuthenticateSession AuthenticateSession
	AuthenticateAPIKey  *AuthenticateAPIKey // nil: API keys are not accepted
	AccessDenied        RecordAccessDenied

	CreateUser CreateUser
	UpdateUser UpdateUser
	DeleteUser DeleteUser
	GetUser    GetUser
	ListUsers  ListUsers

	CreateGroup CreateGroup
	UpdateGroup UpdateGroup
	DeleteGroup DeleteGroup
	GetGroup    GetGroup
	ListGroups  ListGroups

	CreateCatalogEntry  CreateCatalogEntry
	UpdateCatalogEntry  UpdateCatalogEntry
	DeleteCatalogEntry  DeleteCatalogEntry
	GetCatalogEntry     GetCatalogEntry
	ListCatalog         ListCatalog
	RequestRevalidation RequestRevalidation

	PutAssignment    PutAssignment
	RemoveAssignment RemoveAssignment
	ListAssignments  ListAssignments

	CreateBlocklistEntry   CreateBlocklistEntry
	UpdateBlocklistEntry   UpdateBlocklistEntry
	DeleteBlocklistEntry   DeleteBlocklistEntry
	GetBlocklistEntry      GetBlocklistEntry
	ListBlocklist          ListBlocklist
	PreviewBlocklistImpact PreviewBlocklistImpact
	PlanPolicy             PlanPolicy
	ApplyPolicy            ApplyPolicy
	ExportPolicy           ExportPolicy

	CreateAPIKey CreateAPIKey
	ListAPIKeys  ListAPIKeys
	RevokeAPIKey RevokeAPIKey

	ListAgents        ListAgents
	GetAgent          GetAgent
	DecommissionAgent DecommissionAgent
	ListReports       ListReports
	FindInstallations FindInstallations
	InventoryAt       InventoryAt
	FindExposure      FindExposure
	GroupCompliance   GroupCompliance
	FleetCompliance   FleetCompliance
	FleetOverview     FleetOverview
	ViewGroupPolicy   ViewGroupPolicy
	ExportGroupPolicy ExportGroupPolicy
	ListAuditLog      ListAuditLog

	CreateWebhook         CreateWebhook
	UpdateWebhook         UpdateWebhook
	DeleteWebhook         DeleteWebhook
	GetWebhook            GetWebhook
	ListWebhooks          ListWebhooks
	ListWebhookDeliveries ListWebhookDeliveries
	SendTestWebhook       SendTestWebhook

	// Extension requests (request_*.go): the agent's two, the admins' three.
	CreateRequest     CreateRequest
	ListAgentRequests ListAgentRequests
	ListRequests      ListRequests
	ApproveRequest    ApproveRequest
	DenyRequest       DenyRequest
	CreateThreatFeed  CreateThreatFeed
	DeleteThreatFeed  DeleteThreatFeed
	GetThreatFeed     GetThreatFeed
	ListThreatFeeds   ListThreatFeeds
	ListAdvisories    ListAdvisories
	ImportThreatFeed  ImportThreatFeed
	SuppressAdvisory  SuppressAdvisory

	ExportSBOM ExportSBOM

	// ListAgentExceptions is an agent's live exceptions (exception_list.go).
	ListAgentExceptions ListAgentExceptions
	// FeedExposure is how many agents have what a feed names (threatfeed_exposure.go).
	FeedExposure FeedExposure

	GetCatalogCapabilities GetCatalogCapabilities
}

// Clocks are the two clocks the use cases read: Precise where the order of
// events within a millisecond matters (admin changes, sessions), Coarse on
// the agent API's hot path and in API key authentication, which it serves.
type Clocks struct {
	Precise Clock
	Coarse  Clock
}

// SystemClocks are the clocks a process runs with.
func SystemClocks() Clocks { return Clocks{Precise: SystemClock{}, Coarse: CoarseClock{}} }

// Deps is every port Application is built from, one field per port, so
// that the process (through wire) and the tests assemble it the same way.
type Deps struct {
	Tx     Transactor
	Audit  AuditLog
	Clocks Clocks
	Hasher PasswordHasher
	Log    *slog.Logger

	Users        UserAccounts
	Sessions     SessionRepository
	LoginLimiter LoginLimiter
	SessionTTL   SessionTTL

	Groups      GroupRepository
	Catalog     CatalogRepository
	Assignments AssignmentRepository
	Blocklist   BlocklistRepository
	Webhooks    WebhookRepository
	URLGuard    TargetGuard
	Secrets     WebhookSecrets

	Agents        AgentRepository
	AgentLookup   AgentLookup
	AgentCache    AgentCacheInvalidator
	Fleet         FleetReader
	Installations InstallationReader
	History       HistoryReader
	Compliance    ComplianceReader
	AuditReader   AuditReader
	PolicyInputs  PolicyInputs
	// PolicyStore and VerdictInventory serve policy as code: the whole
	// policy in one read, and inventories for a plan's verdict impact.
	PolicyStore      PolicyStore
	VerdictInventory VerdictInventory
	Policies         CompiledPolicies
	Invalidator      PolicyInvalidator

	// ComplianceSeries is the overview's daily series.
	ComplianceSeries ComplianceSeries

	APIKeys           APIKeyRepository
	APIKeyLookup      APIKeyLookup
	APIKeyUsage       APIKeyUsage
	APIKeyInvalidator APIKeyInvalidator

	AgentLimiter RateLimiter
	AgentLimits  AgentRateLimits
	Heartbeats   *HeartbeatBuffer
	Reports      *ReportBatcher

	RevalidationCatalog RevalidationCatalog
	RevalidationQueue   RevalidationQueue
	Outbox              Outbox
	DeliveryLog         DeliveryLog

	Requests       RequestRepository
	ExceptionStore ExceptionRepository
	Exceptions     AgentExceptions
	ExceptionBus   ExceptionInvalidator
	RequestLimit   RequestLimit
	ThreatFeeds    ThreatFeedRepository
	Exposure       ExposureReader
	SBOM           SBOMReader
	// Capabilities holds what revalidated packages can do.
	Capabilities CapabilityStore
}

// New builds every use case from d.
func New(d Deps) (*Application, error) {
	login, err := NewLogin(Login{Tx: d.Tx, Users: d.Users, Sessions: d.Sessions, Hasher: d.Hasher,
		Limiter: d.LoginLimiter, Audit: d.Audit, Clock: d.Clocks.Precise, TTL: d.SessionTTL})
	if err != nil {
		return nil, err
	}
	app := &Application{Login: login}
	app.assembleAgentAPI(d)
	app.assemblePeople(d)
	app.assemblePolicy(d)
	app.assembleFleet(d)
	app.assembleWebhooks(d)
	app.assembleRequests(d)
	app.assembleThreatFeeds(d)
	return app, nil
}

func (app *Application) assembleAgentAPI(d Deps) {
	clock := d.Clocks.Coarse
	app.AuthenticateAPIKey = NewAuthenticateAPIKey(d.APIKeyLookup, d.APIKeyUsage, d.Tx, d.Audit, clock, d.Log)
	app.AuthorizeAgent = NewAuthorizeAgentRequest(app.AuthenticateAPIKey, d.AgentLookup, d.AgentLimiter, d.AgentLimits,
		d.Tx, d.Audit, clock, d.Log)
	app.EnrollAgent = EnrollAgent{Tx: d.Tx, Agents: d.Agents, Audit: d.Audit, Clock: clock, Policies: d.Policies,
		Invalidator: d.AgentCache}
	app.RecordHeartbeat = RecordHeartbeat{Policies: d.Policies, Exceptions: d.Exceptions, Heartbeats: d.Heartbeats, Clock: clock}
	app.SyncPolicy = SyncPolicy{Policies: d.Policies, Exceptions: d.Exceptions, Heartbeats: d.Heartbeats, Clock: clock}
	app.SubmitReport = SubmitReport{Policies: d.Policies, Exceptions: d.Exceptions, Batcher: d.Reports, Clock: clock}
}

func (app *Application) assemblePeople(d Deps) {
	tx, log, clock := d.Tx, d.Audit, d.Clocks.Precise
	app.CreateFirstAdmin = CreateFirstAdmin{Tx: tx, Users: d.Users, Hasher: d.Hasher, Audit: log, Clock: clock}
	app.Logout = Logout{Tx: tx, Sessions: d.Sessions, Audit: log, Clock: clock}
	app.AuthenticateSession = AuthenticateSession{Sessions: d.Sessions, Clock: clock}
	app.AccessDenied = RecordAccessDenied{Tx: tx, Audit: log, Clock: clock}

	app.CreateUser = CreateUser{Tx: tx, Users: d.Users, Hasher: d.Hasher, Audit: log, Clock: clock}
	app.UpdateUser = UpdateUser{Tx: tx, Users: d.Users, Sessions: d.Sessions, Hasher: d.Hasher, Audit: log, Clock: clock}
	app.DeleteUser = DeleteUser{Tx: tx, Users: d.Users, Sessions: d.Sessions, Audit: log, Clock: clock}
	app.GetUser = GetUser{Users: d.Users}
	app.ListUsers = ListUsers{Users: d.Users}
}

func (app *Application) assemblePolicy(d Deps) {
	tx, log, clock, inv := d.Tx, d.Audit, d.Clocks.Precise, d.Invalidator
	app.CreateGroup = CreateGroup{Tx: tx, Groups: d.Groups, Audit: log, Clock: clock, Invalidator: inv}
	app.UpdateGroup = UpdateGroup{Tx: tx, Groups: d.Groups, Audit: log, Clock: clock, Invalidator: inv}
	app.DeleteGroup = DeleteGroup{Tx: tx, Groups: d.Groups, Keys: d.APIKeys, KeyInvalidator: d.APIKeyInvalidator,
		Audit: log, Clock: clock, Invalidator: inv}
	app.GetGroup = GetGroup{Groups: d.Groups}
	app.ListGroups = ListGroups{Groups: d.Groups}

	app.CreateCatalogEntry = CreateCatalogEntry{Tx: tx, Catalog: d.Catalog, Guard: d.URLGuard, Audit: log, Clock: clock, Invalidator: inv}
	app.UpdateCatalogEntry = UpdateCatalogEntry{Tx: tx, Catalog: d.Catalog, Guard: d.URLGuard, Audit: log, Clock: clock, Invalidator: inv}
	app.DeleteCatalogEntry = DeleteCatalogEntry{Tx: tx, Catalog: d.Catalog, Audit: log, Clock: clock, Invalidator: inv}
	app.GetCatalogEntry = GetCatalogEntry{Catalog: d.Catalog}
	app.ListCatalog = ListCatalog{Catalog: d.Catalog}
	app.RequestRevalidation = RequestRevalidation{Catalog: d.RevalidationCatalog, Queue: d.RevalidationQueue}

	app.PutAssignment = PutAssignment{Tx: tx, Groups: d.Groups, Catalog: d.Catalog, Assignments: d.Assignments,
		Audit: log, Clock: clock, Invalidator: inv}
	app.RemoveAssignment = RemoveAssignment{Tx: tx, Assignments: d.Assignments, Audit: log, Clock: clock, Invalidator: inv}
	app.ListAssignments = ListAssignments{Groups: d.Groups, Assignments: d.Assignments}

	app.CreateBlocklistEntry = CreateBlocklistEntry{Tx: tx, Blocklist: d.Blocklist, Audit: log, Clock: clock, Invalidator: inv}
	app.UpdateBlocklistEntry = UpdateBlocklistEntry{Tx: tx, Blocklist: d.Blocklist, Audit: log, Clock: clock, Invalidator: inv}
	app.DeleteBlocklistEntry = DeleteBlocklistEntry{Tx: tx, Blocklist: d.Blocklist, Audit: log, Clock: clock, Invalidator: inv}
	app.GetBlocklistEntry = GetBlocklistEntry{Blocklist: d.Blocklist}
	app.ListBlocklist = ListBlocklist{Blocklist: d.Blocklist}
	app.PreviewBlocklistImpact = PreviewBlocklistImpact{Impact: BlockImpact{Installations: d.Installations}}
	impact := BlockImpact{Installations: d.Installations}
	var exceptions LiveExceptions
	if d.ExceptionStore != nil {
		exceptions = d.ExceptionStore
	}
	app.PlanPolicy = PlanPolicy{Store: d.PolicyStore, Groups: d.Groups, Guard: d.URLGuard, Clock: clock, Impact: impact,
		Verdicts: PolicyImpact{Inputs: d.PolicyInputs, Inventory: d.VerdictInventory, Exceptions: exceptions, Select: impact, Clock: clock}}
	app.ExportPolicy = ExportPolicy{Store: d.PolicyStore}
	app.ApplyPolicy = ApplyPolicy{Tx: tx, Store: d.PolicyStore, Groups: d.Groups, Catalog: d.Catalog, Assignments: d.Assignments,
		Blocklist: d.Blocklist, Keys: d.APIKeys, KeyInvalidator: d.APIKeyInvalidator, Guard: d.URLGuard, Audit: log, Clock: clock, Invalidator: inv}

	app.CreateAPIKey = CreateAPIKey{Tx: tx, Keys: d.APIKeys, Audit: log, Clock: clock}
	app.ListAPIKeys = ListAPIKeys{Groups: d.Groups, Keys: d.APIKeys}
	app.RevokeAPIKey = RevokeAPIKey{Tx: tx, Keys: d.APIKeys, Audit: log, Clock: clock, Invalidator: d.APIKeyInvalidator}
}

func (app *Application) assembleFleet(d Deps) {
	app.ListAgents = ListAgents{Fleet: d.Fleet}
	app.GetAgent = GetAgent{Agents: d.Agents, Fleet: d.Fleet}
	app.DecommissionAgent = DecommissionAgent{Tx: d.Tx, Agents: d.Agents, Audit: d.Audit, Clock: d.Clocks.Precise, Cache: d.AgentCache}
	app.ListReports = ListReports{Fleet: d.Fleet}
	app.FindInstallations = FindInstallations{Installations: d.Installations}
	app.InventoryAt = InventoryAt{History: d.History, Clock: d.Clocks.Precise}
	app.FindExposure = FindExposure{History: d.History, Clock: d.Clocks.Precise}
	app.GroupCompliance = GroupCompliance{Groups: d.Groups, Compliance: d.Compliance}
	app.FleetCompliance = FleetCompliance{Compliance: d.Compliance}
	app.FleetOverview = FleetOverview{Compliance: d.Compliance, Series: d.ComplianceSeries, Clock: d.Clocks.Precise}
	app.ViewGroupPolicy = ViewGroupPolicy{Inputs: d.PolicyInputs}
	app.ExportGroupPolicy = ExportGroupPolicy{Groups: d.Groups, View: app.ViewGroupPolicy}
	app.ListAuditLog = ListAuditLog{Audit: d.AuditReader}
}

func (app *Application) assembleWebhooks(d Deps) {
	tx, log, clock := d.Tx, d.Audit, d.Clocks.Precise
	app.CreateWebhook = CreateWebhook{Tx: tx, Hooks: d.Webhooks, Guard: d.URLGuard, Secrets: d.Secrets, Audit: log, Clock: clock}
	app.UpdateWebhook = UpdateWebhook{Tx: tx, Hooks: d.Webhooks, Guard: d.URLGuard, Audit: log, Clock: clock}
	app.DeleteWebhook = DeleteWebhook{Tx: tx, Hooks: d.Webhooks, Audit: log, Clock: clock}
	app.GetWebhook = GetWebhook{Hooks: d.Webhooks}
	app.ListWebhooks = ListWebhooks{Hooks: d.Webhooks}
	app.ListWebhookDeliveries = ListWebhookDeliveries{Log: d.DeliveryLog}
	app.SendTestWebhook = SendTestWebhook{Tx: tx, Outbox: d.Outbox, Clock: clock}
}

func (app *Application) assembleThreatFeeds(d Deps) {
	tx, log, clock, inv := d.Tx, d.Audit, d.Clocks.Precise, d.Invalidator
	app.CreateThreatFeed = CreateThreatFeed{Tx: tx, Feeds: d.ThreatFeeds, Guard: d.URLGuard, Audit: log, Clock: clock}
	app.DeleteThreatFeed = DeleteThreatFeed{Tx: tx, Feeds: d.ThreatFeeds, Audit: log, Clock: clock, Invalidator: inv}
	app.GetThreatFeed = GetThreatFeed{Feeds: d.ThreatFeeds}
	app.ListThreatFeeds = ListThreatFeeds{Feeds: d.ThreatFeeds}
	app.ListAdvisories = ListAdvisories{Feeds: d.ThreatFeeds}
	app.ImportThreatFeed = NewImportThreatFeed(d)
	app.GetCatalogCapabilities = GetCatalogCapabilities{Catalog: d.Catalog, Capabilities: d.Capabilities}
	app.FeedExposure = FeedExposure{Feeds: d.ThreatFeeds, Impact: BlockImpact{Installations: d.Installations}}
	app.ExportSBOM = ExportSBOM{Agents: d.Agents, Groups: d.Groups, Reader: d.SBOM, Clock: clock}
	app.SuppressAdvisory = SuppressAdvisory{Tx: tx, Feeds: d.ThreatFeeds, Groups: d.Groups, Audit: log, Clock: clock, Invalidator: inv}
}

// NewImportThreatFeed builds the import use case, which the worker's
// periodic fetch runs too.
func NewImportThreatFeed(d Deps) ImportThreatFeed {
	return ImportThreatFeed{Tx: d.Tx, Feeds: d.ThreatFeeds, Exposure: d.Exposure, Audit: d.Audit, Clock: d.Clocks.Precise,
		Invalidator: d.Invalidator}
}
