-- Records management: the file plan, assignment rules, each record's
-- schedule assignment, cutoff events, legal holds and their notices,
-- disposition batches, tombstones and certificates.
--
-- None of these tables holds message content. They hold ids, schedule
-- terms, states and times, and some free text that is agency business:
-- item titles and notes, rule conditions, reassignment and cancellation
-- reasons, hold names, reasons and search queries, eligibility reasons.
--
-- Times are unix nanoseconds; list columns are JSON arrays.

-- Every version of every schedule item, so that an assignment or a
-- disposition can be explained by the item as it stood.
CREATE TABLE schedule_item_versions (
	id               TEXT    NOT NULL,
	version          INTEGER NOT NULL,
	schedule         TEXT    NOT NULL,
	item             TEXT    NOT NULL,
	title            TEXT    NOT NULL,
	authority        TEXT    NOT NULL,
	permanent        INTEGER NOT NULL,
	retention_years  INTEGER NOT NULL,
	retention_months INTEGER NOT NULL,
	retention_days   INTEGER NOT NULL,
	cutoff_period    TEXT    NOT NULL,
	cutoff_event     TEXT    NOT NULL,
	action           TEXT    NOT NULL,
	notes            TEXT    NOT NULL,
	to_be_confirmed  INTEGER NOT NULL,
	deleted          INTEGER NOT NULL,
	updated_by       TEXT    NOT NULL,
	updated_at       INTEGER NOT NULL,
	PRIMARY KEY (id, version)
) WITHOUT ROWID;

-- The current version of each item.
CREATE TABLE schedule_items (
	id      TEXT    PRIMARY KEY,
	version INTEGER NOT NULL,
	deleted INTEGER NOT NULL,
	FOREIGN KEY (id, version) REFERENCES schedule_item_versions (id, version)
);

-- The schedule version: one row, bumped by every save of any item and
-- captured in each assignment.
CREATE TABLE schedule_set (
	one     INTEGER PRIMARY KEY CHECK (one = 1),
	version INTEGER NOT NULL
);

INSERT INTO schedule_set (one, version) VALUES (1, 0);

-- Assignment rules, versioned as items are.
CREATE TABLE assignment_rule_versions (
	id          TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL,
	condition   TEXT    NOT NULL,
	item_id     TEXT    NOT NULL,
	priority    INTEGER NOT NULL,
	enabled     INTEGER NOT NULL,
	deleted     INTEGER NOT NULL,
	updated_by  TEXT    NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (id, version)
) WITHOUT ROWID;

-- The current version of each rule. Name, item, enabled and deleted repeat
-- the current version's: the first index holds a name to one live rule,
-- the second answers "does an enabled rule still name this item?" when
-- the item is deleted.
CREATE TABLE assignment_rules (
	id      TEXT    PRIMARY KEY,
	version INTEGER NOT NULL,
	name    TEXT    NOT NULL,
	item_id TEXT    NOT NULL,
	enabled INTEGER NOT NULL,
	deleted INTEGER NOT NULL,
	FOREIGN KEY (id, version) REFERENCES assignment_rule_versions (id, version)
);

CREATE UNIQUE INDEX assignment_rules_live_name ON assignment_rules (name) WHERE deleted = 0;
CREATE INDEX assignment_rules_enabled_item ON assignment_rules (item_id) WHERE deleted = 0 AND enabled = 1;

CREATE TABLE assignment_rule_set (
	one     INTEGER PRIMARY KEY CHECK (one = 1),
	version INTEGER NOT NULL
);

INSERT INTO assignment_rule_set (one, version) VALUES (1, 0);

-- Every assignment each record has had: seq 1 is the one made at
-- capture, and each reassignment adds the next. current marks the latest.
-- There is no foreign key to records: the contract does not ask callers
-- to append a record before assigning it.
CREATE TABLE record_assignments (
	record_id        TEXT    NOT NULL,
	seq              INTEGER NOT NULL,
	current          INTEGER NOT NULL,
	item_id          TEXT    NOT NULL,
	rule_id          TEXT    NOT NULL,
	rule_name        TEXT    NOT NULL,
	rule_version     INTEGER NOT NULL,
	schedule_version INTEGER NOT NULL,
	unscheduled      INTEGER NOT NULL,
	error            TEXT    NOT NULL,
	assigned_at      INTEGER NOT NULL,
	assigned_by      TEXT    NOT NULL,
	reason           TEXT    NOT NULL,
	PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;

-- Current assignments page in record-id order, alone, on one item, or
-- unscheduled. The first index also keeps one current row per record.
CREATE UNIQUE INDEX record_assignments_current ON record_assignments (record_id) WHERE current = 1;
CREATE INDEX record_assignments_item ON record_assignments (item_id, record_id) WHERE current = 1;
CREATE INDEX record_assignments_unscheduled ON record_assignments (record_id) WHERE current = 1 AND unscheduled = 1;

-- Dates of the events that cut files off. An event happens once per
-- subject.
CREATE TABLE cutoff_events (
	id          TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL,
	subject     TEXT    NOT NULL,
	at          INTEGER NOT NULL,
	recorded_by TEXT    NOT NULL,
	recorded_at INTEGER NOT NULL,
	UNIQUE (name, subject)
);

CREATE INDEX cutoff_events_subject ON cutoff_events (subject, at, id);

-- Legal holds. custodians and conversations are JSON arrays of ids; the
-- bounds are NULL when open; released_at is NULL until released.
CREATE TABLE holds (
	id             TEXT    PRIMARY KEY,
	name           TEXT    NOT NULL,
	reason         TEXT    NOT NULL,
	owner          TEXT    NOT NULL,
	custodians     TEXT    NOT NULL,
	conversations  TEXT    NOT NULL,
	from_at        INTEGER,
	until_at       INTEGER,
	query          TEXT    NOT NULL,
	created_by     TEXT    NOT NULL,
	created_at     INTEGER NOT NULL,
	released_by    TEXT    NOT NULL,
	released_at    INTEGER,
	release_reason TEXT    NOT NULL
);

CREATE INDEX holds_created ON holds (created_at, id);

-- One notice per hold and custodian; the ids point at the archived notice
-- and acknowledgement records.
CREATE TABLE hold_notices (
	hold_id          TEXT    NOT NULL REFERENCES holds (id),
	custodian        TEXT    NOT NULL,
	sent_at          INTEGER NOT NULL,
	notice_record_id TEXT    NOT NULL,
	acknowledged_at  INTEGER,
	ack_record_id    TEXT    NOT NULL,
	PRIMARY KEY (hold_id, custodian)
) WITHOUT ROWID;

-- Disposition batches. The state machine's fields are stored as given:
-- internal/records validates every transition. approvals is a JSON array
-- of {"by", "at"}.
CREATE TABLE disposition_batches (
	id                 TEXT    PRIMARY KEY,
	action             TEXT    NOT NULL,
	required_approvals INTEGER NOT NULL,
	state              TEXT    NOT NULL,
	requested_by       TEXT    NOT NULL,
	created_at         INTEGER NOT NULL,
	approvals          TEXT    NOT NULL,
	executed_by        TEXT    NOT NULL,
	executed_at        INTEGER,
	cancelled_by       TEXT    NOT NULL,
	cancelled_at       INTEGER,
	cancel_reason      TEXT    NOT NULL,
	updated_at         INTEGER NOT NULL
);

CREATE INDEX disposition_batches_created ON disposition_batches (created_at, id);
CREATE INDEX disposition_batches_state ON disposition_batches (state, created_at, id);

-- A batch's records, up to 100,000 of them, in the order proposed. reason
-- is the eligibility verdict's explanation; due_at is NULL when unknown.
CREATE TABLE batch_records (
	batch_id  TEXT    NOT NULL REFERENCES disposition_batches (id),
	seq       INTEGER NOT NULL,
	record_id TEXT    NOT NULL,
	item_id   TEXT    NOT NULL,
	authority TEXT    NOT NULL,
	reason    TEXT    NOT NULL,
	due_at    INTEGER,
	PRIMARY KEY (batch_id, seq)
) WITHOUT ROWID;

-- What remains of a disposed record. leaf_hash is 32 bytes.
CREATE TABLE tombstones (
	record_id   TEXT    PRIMARY KEY,
	leaf_index  INTEGER NOT NULL,
	leaf_hash   BLOB    NOT NULL,
	item_id     TEXT    NOT NULL,
	authority   TEXT    NOT NULL,
	action      TEXT    NOT NULL,
	disposed_at INTEGER NOT NULL,
	batch_id    TEXT    NOT NULL
);

-- One signed certificate per batch. note is the signed note, whose text
-- lists record ids, leaf hashes, authorities and approvers.
CREATE TABLE disposition_certificates (
	batch_id   TEXT    PRIMARY KEY REFERENCES disposition_batches (id),
	note       BLOB    NOT NULL,
	record_id  TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
