package domain

import "time"

// Precision is the resolution extguard keeps timestamps at: PostgreSQL's
// timestamptz holds microseconds. Times are truncated to it when taken, so
// the answer to a create shows the same instant as every later read.
const Precision = time.Microsecond

// Now is the current UTC time at Precision.
func Now() time.Time { return time.Now().UTC().Truncate(Precision) }
