-- The overview's chart of compliance over the last 30 days: one row per day and group, written
-- set-based by the worker's compliance:daily task (an upsert of today's counts from
-- agent_verdicts, re-run every period, so the day's last run is what stays). The current verdicts
-- are the only source: report history would cost a scan per point. At most 30 rows per group are
-- read; older days are kept (a few bytes each) for whoever wants a longer trend.
CREATE TABLE compliance_daily (
    day        date    NOT NULL,
    group_id   uuid    NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    compliant  integer NOT NULL CHECK (compliant >= 0),
    total      integer NOT NULL CHECK (total >= compliant),
    PRIMARY KEY (day, group_id)
);
