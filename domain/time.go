package domain

import "time"

// Precision is the resolution extguard keeps timestamps at: PostgreSQL's
// timestamptz holds microseconds. The application's clock truncates to it,
// so the answer to a create shows the same instant as every later read.
const Precision = time.Microsecond

// The domain never reads the clock: every time it stores (created_at,
// updated_at, a heartbeat) is the application's Clock reading, passed in by
// the use case, so a test that pins the clock pins every timestamp.
