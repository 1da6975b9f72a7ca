package postgres

import (
	"github.com/google/uuid"

	"github.com/extguard/extguard/domain"
)

// uid converts a domain id to a uuid.UUID for bun; the nil id becomes the nil
// UUID, which nullzero columns store as NULL.
func uid(id domain.ID) uuid.UUID { return uuid.UUID(id) }

// did converts back.
func did(u uuid.UUID) domain.ID { return domain.ID(u) }
