-- Who takes over a departed employee's conversations and group admin
-- rights when it is not their manager. Kept apart from employees so that
-- SCIM provisioning, which replaces employee rows, never clears it.
CREATE TABLE successors (
	employee_id  TEXT    PRIMARY KEY REFERENCES employees (id),
	successor_id TEXT    NOT NULL REFERENCES employees (id),
	set_at       INTEGER NOT NULL
);

CREATE INDEX successors_successor ON successors (successor_id);
