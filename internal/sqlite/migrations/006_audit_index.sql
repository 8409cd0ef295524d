-- Audit records are found by the auditors' API without scanning the
-- messages around them.
CREATE INDEX records_audit ON records (leaf_index) WHERE kind = 'audit';
