package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

type agentRow struct {
	bun.BaseModel `bun:"table:agents"`

	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	GroupID       uuid.UUID `bun:"group_id,type:uuid"`
	MachineID     string    `bun:"machine_id"`
	UserHash      string    `bun:"user_hash"`
	DisplayName   string    `bun:"display_name"`
	Platform      string    `bun:"platform"`
	AgentVersion  string    `bun:"agent_version"`
	LastHeartbeat time.Time `bun:"last_heartbeat,nullzero"`
	LastSync      time.Time `bun:"last_sync,nullzero"`
	Status        string    `bun:"status"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
	DeletedAt     time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

func agentRowFrom(a agent.Agent) *agentRow {
	return &agentRow{ID: uid(a.ID()), GroupID: uid(a.GroupID()), MachineID: a.MachineID(), UserHash: a.UserHash(),
		DisplayName: a.DisplayName(), Platform: a.Platform(), AgentVersion: a.AgentVersion(),
		LastHeartbeat: a.LastHeartbeat(), LastSync: a.LastSync(), Status: string(a.Status()),
		CreatedAt: a.CreatedAt(), UpdatedAt: a.UpdatedAt()}
}

func (r *agentRow) toDomain() agent.Agent {
	return agent.RehydrateAgent(agent.Record{ID: did(r.ID), GroupID: did(r.GroupID), MachineID: r.MachineID,
		UserHash: r.UserHash, DisplayName: r.DisplayName, Platform: r.Platform, AgentVersion: r.AgentVersion,
		LastHeartbeat: r.LastHeartbeat, LastSync: r.LastSync, Status: agent.Status(r.Status),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

// AgentRepository stores enrolled agents for the agent API.
type AgentRepository struct{ db *bun.DB }

var (
	_ application.AgentRepository = (*AgentRepository)(nil)
	_ application.AgentLookup     = (*AgentRepository)(nil)
)

// NewAgentRepository returns the repository on db.
func NewAgentRepository(db *bun.DB) *AgentRepository { return &AgentRepository{db: db} }

// Get reads an agent that is not deleted. The agent cache loads every
// agent through it, so its text is fixed and the id a bind parameter: bun
// formats the id into the text, and each agent was then a new statement
// that PostgreSQL parsed and pgx prepared and kept in its per-connection
// cache (40 MB of the server's heap at a million agents).
func (r *AgentRepository) Get(ctx context.Context, id domain.ID) (agent.Agent, error) {
	rows, err := sqlQuerier(ctx, r.db).QueryContext(ctx, getAgentSQL, uid(id))
	if err != nil {
		return agent.Agent{}, translate(err, "agent")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return agent.Agent{}, translate(err, "agent")
		}
		return agent.Agent{}, translate(sql.ErrNoRows, "agent")
	}
	var row agentRow
	if err := r.db.ScanRow(ctx, rows, &row); err != nil {
		return agent.Agent{}, translate(err, "agent")
	}
	return row.toDomain(), nil
}

// getAgentSQL reads the agent $1 (the columns of agentRow).
const getAgentSQL = `SELECT id, group_id, machine_id, user_hash, display_name, platform, agent_version,
    last_heartbeat, last_sync, status, created_at, updated_at, deleted_at
FROM agents WHERE id = $1 AND deleted_at IS NULL`

// FindByMachineForUpdate reads and locks the group's enrollment of machineID.
func (r *AgentRepository) FindByMachineForUpdate(ctx context.Context, groupID domain.ID, machineID string) (agent.Agent, error) {
	var row agentRow
	err := conn(ctx, r.db).NewSelect().Model(&row).
		Where("group_id = ?", uid(groupID)).Where("machine_id = ?", machineID).
		For("UPDATE").Scan(ctx)
	if err != nil {
		return agent.Agent{}, translate(err, "agent")
	}
	return row.toDomain(), nil
}

// Insert stores a new agent; a concurrent enrollment of the same machine
// is a conflict (partial unique index on group_id, machine_id).
func (r *AgentRepository) Insert(ctx context.Context, a agent.Agent) error {
	_, err := conn(ctx, r.db).NewInsert().Model(agentRowFrom(a)).Exec(ctx)
	return translate(err, "agent")
}

// Update changes the locked agent with change (see updateByID) and stores
// what UpdateEnrollment stores.
func (r *AgentRepository) Update(ctx context.Context, id domain.ID, change func(agent.Agent) (agent.Agent, error)) (agent.Agent, error) {
	return updateByID(ctx, r.db, id, "agent", infallible((*agentRow).toDomain), change, r.UpdateEnrollment)
}

// UpdateEnrollment stores a re-enrollment.
func (r *AgentRepository) UpdateEnrollment(ctx context.Context, a agent.Agent) error {
	res, err := conn(ctx, r.db).NewUpdate().Model(agentRowFrom(a)).
		Column("user_hash", "display_name", "platform", "agent_version", "status", "last_heartbeat", "updated_at").
		WherePK().Exec(ctx)
	if err != nil {
		return translate(err, "agent")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFound("agent not found")
	}
	return nil
}
