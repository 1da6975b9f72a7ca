package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
)

// PolicyInputs reads everything a group's compiled policy depends on: its
// settings, its assignments with their catalog entries, the active blocklist
// and the catalog entries blocked everywhere. Errors: not_found for an
// unknown or deleted group.
type PolicyInputs interface {
	Load(ctx context.Context, groupID domain.ID) (policy.CompileInput, error)
}

// PolicyInvalidator tells every API instance that compiled policies changed.
// Use cases call it after their transaction commits (never inside it: an
// instance that recompiled before the commit would cache the old policy).
// Errors are logged by the adapter and not returned as failures of the
// change: the change is committed; caches also expire on their own.
type PolicyInvalidator interface {
	// GroupChanged: the group's settings or assignments changed.
	GroupChanged(ctx context.Context, groupID domain.ID)
	// AllGroupsChanged: the catalog or the blocklist changed, which every
	// group's policy may depend on.
	AllGroupsChanged(ctx context.Context)
}

// CompiledPolicy is a group's compiled policy and when it was compiled.
type CompiledPolicy struct {
	Policy      policy.Policy
	GeneratedAt time.Time
}

// CompiledPolicies serves groups' compiled policies from an in-process
// cache (compiled from PolicyInputs on a miss, one compilation per group at
// a time), emptied through PolicyInvalidator on every instance.
// Errors: not_found for an unknown or deleted group, unavailable.
type CompiledPolicies interface {
	Get(ctx context.Context, groupID domain.ID) (CompiledPolicy, error)
}
