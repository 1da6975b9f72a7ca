package application

import "context"

// PolicyStore reads the whole policy in one snapshot and locks it for an
// apply. Writes go through the resources' own repositories, the ones the
// REST API uses, so both write the same rows the same way.
type PolicyStore interface {
	// Read answers the policy as stored now.
	Read(ctx context.Context) (PolicyState, error)
	// Lock keeps every other writer of groups, the catalog, assignments and
	// the blocklist (the REST API's included) waiting until the caller's
	// transaction ends; reads go on. Only inside a transaction.
	Lock(ctx context.Context) error
}

// ExportPolicy answers the current policy as a policy file, in natural-key
// order, so that planning it back changes nothing.
type ExportPolicy struct{ Store PolicyStore }

// Execute reads the policy. Errors: unavailable.
func (uc ExportPolicy) Execute(ctx context.Context) (_ PolicyFile, err error) {
	ctx, obs := observe(ctx, "ExportPolicy")
	defer obs.end(&err)
	s, err := uc.Store.Read(ctx)
	if err != nil {
		return PolicyFile{}, err
	}
	return s.File(), nil
}
