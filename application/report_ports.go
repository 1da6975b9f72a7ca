package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// ReportFilter narrows report history; zero fields do not filter.
type ReportFilter struct {
	AgentID     domain.ID
	GroupID     domain.ID
	ExtensionID extension.ExtensionID
	Since       time.Time // inclusive
	Until       time.Time // exclusive
}

// ReportRecord is one row of report history.
type ReportRecord struct {
	ID               domain.ID
	AgentID          domain.ID
	GroupID          domain.ID
	ExtensionID      string
	UserHash         string
	Installed        bool
	InstalledVersion string
	ExtensionSHA256  string
	Editor           string
	ClientIP         string
	ReportedAt       time.Time
}

// StoredReport is a validated report with what the server adds to it.
type StoredReport struct {
	AgentID    domain.ID
	GroupID    domain.ID
	UserHash   string
	ClientIP   string // "" when unknown
	Report     report.Report
	Verdict    policy.Verdict
	PolicyETag string // of the policy the verdict was computed against
	ReceivedAt time.Time
}

// ReportStore writes reports in batches.
type ReportStore interface {
	// StoreReports writes a batch in one transaction. For each agent whose
	// report is at least as new as the stored one: its verdict, and when its
	// inventory differs from the stored one, its current inventory (replaced
	// by the report's installed items) and one history row per extension and
	// editor that appeared, changed version or digest, or disappeared
	// (installed = false); an agent's first report records its whole
	// inventory, a repeat writes no history. A report older than the stored
	// one is superseded and changes nothing. Reports of one agent in one
	// batch are applied in their order. Batched statements, never a
	// statement per row. Errors: unavailable, internal.
	StoreReports(ctx context.Context, batch []StoredReport) error
}
