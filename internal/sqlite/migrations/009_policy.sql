-- Policies, custom detectors, the compliance review queue and approvals.
--
-- None of these tables holds message content. Policies and detectors are
-- configuration; review items, counters, suppressions and approvals hold
-- ids, addresses, states and times. A review item names the record under
-- review: the message is read through the archive, and reviewers' notes
-- are sealed into the audit log. Exact-data-match detectors keep keyed
-- digests of the sensitive values, never the values.
--
-- Times are unix nanoseconds; list columns are JSON arrays of strings.

-- Every version of every policy, so that any past decision can be
-- explained by the rule as it stood.
CREATE TABLE policy_versions (
	id          TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	condition   TEXT    NOT NULL,
	action      TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	redact      TEXT    NOT NULL, -- JSON: detector names
	enabled     INTEGER NOT NULL,
	deleted     INTEGER NOT NULL,
	updated_by  TEXT    NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (id, version)
) WITHOUT ROWID;

-- The current version of each policy. Name and deleted repeat the current
-- version's, so that the index below can hold a name to one live policy.
CREATE TABLE policies (
	id      TEXT    PRIMARY KEY,
	version INTEGER NOT NULL,
	name    TEXT    NOT NULL,
	deleted INTEGER NOT NULL,
	FOREIGN KEY (id, version) REFERENCES policy_versions (id, version)
);

CREATE UNIQUE INDEX policies_live_name ON policies (name) WHERE deleted = 0;

-- The policy-set version: one row, bumped by every save of any policy, so
-- that evaluators can tell cheaply whether their compiled set is stale.
CREATE TABLE policy_set (
	one     INTEGER PRIMARY KEY CHECK (one = 1),
	version INTEGER NOT NULL
);

INSERT INTO policy_set (one, version) VALUES (1, 0);

-- Custom detectors, versioned as policies are.
CREATE TABLE detector_versions (
	id         TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	pattern    TEXT    NOT NULL,
	keywords   TEXT    NOT NULL, -- JSON
	context    TEXT    NOT NULL, -- JSON
	confidence REAL    NOT NULL,
	enabled    INTEGER NOT NULL,
	deleted    INTEGER NOT NULL,
	updated_by TEXT    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (id, version)
) WITHOUT ROWID;

-- edm_values counts the detector's rows in edm_digests, kept here so that
-- listing detectors does not count a million digests each time.
CREATE TABLE detectors (
	id         TEXT    PRIMARY KEY,
	version    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	deleted    INTEGER NOT NULL,
	edm_values INTEGER NOT NULL DEFAULT 0,
	FOREIGN KEY (id, version) REFERENCES detector_versions (id, version)
);

CREATE UNIQUE INDEX detectors_live_name ON detectors (name) WHERE deleted = 0;

-- Keyed digests (HMAC) of an exact-data-match detector's values.
CREATE TABLE edm_digests (
	detector_id TEXT NOT NULL REFERENCES detectors (id),
	digest      BLOB NOT NULL,
	PRIMARY KEY (detector_id, digest)
) WITHOUT ROWID;

-- The review queue: metadata about a record under review, one item per
-- policy decision.
CREATE TABLE review_items (
	id              TEXT    PRIMARY KEY,
	record_id       TEXT    NOT NULL,
	decision_id     TEXT    NOT NULL UNIQUE,
	conversation_id TEXT    NOT NULL,
	channel         TEXT    NOT NULL,
	direction       TEXT    NOT NULL,
	employee_id     TEXT    NOT NULL,
	action          TEXT    NOT NULL,
	policies        TEXT    NOT NULL, -- JSON: policy ids, as given
	source          TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	quarantine      TEXT    NOT NULL,
	assignee        TEXT    NOT NULL,
	outcome         TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	resolved_by     TEXT    NOT NULL,
	resolved_at     INTEGER           -- NULL until resolved
);

-- Pages walk (created_at, id), alone or after an equality on one column.
CREATE INDEX review_items_created ON review_items (created_at, id);
CREATE INDEX review_items_state ON review_items (state, created_at, id);
CREATE INDEX review_items_quarantine ON review_items (quarantine, created_at, id);
CREATE INDEX review_items_assignee ON review_items (assignee, created_at, id);
CREATE INDEX review_items_record ON review_items (record_id, created_at, id);

-- Which policies raised each item, for the queue's policy filter and the
-- per-rule statistics. created_at repeats the item's, so that a policy's
-- items page in order, and count from a date, on this table's key alone.
CREATE TABLE review_item_policies (
	policy_id  TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	item_id    TEXT    NOT NULL REFERENCES review_items (id) ON DELETE CASCADE,
	PRIMARY KEY (policy_id, created_at, item_id)
) WITHOUT ROWID;

CREATE INDEX review_item_policies_item ON review_item_policies (item_id);
CREATE INDEX review_item_policies_created ON review_item_policies (created_at);

-- Per policy and UTC day, how often it was evaluated and matched.
CREATE TABLE policy_counts (
	policy_id TEXT    NOT NULL,
	day       TEXT    NOT NULL, -- YYYY-MM-DD
	evaluated INTEGER NOT NULL,
	matched   INTEGER NOT NULL,
	PRIMARY KEY (policy_id, day)
) WITHOUT ROWID;

CREATE INDEX policy_counts_day ON policy_counts (day);

-- value is a sender address, a conversation id or a keyed digest (hex) of
-- a matched value: never the value itself.
CREATE TABLE suppressions (
	id         TEXT    PRIMARY KEY,
	policy_id  TEXT    NOT NULL, -- '*' for every policy
	kind       TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	created_by TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER           -- NULL for never
);

-- Changes waiting for someone else's yes. payload holds addresses and
-- ids, never message content.
CREATE TABLE approvals (
	id           TEXT    PRIMARY KEY,
	kind         TEXT    NOT NULL,
	subject      TEXT    NOT NULL,
	requested_by TEXT    NOT NULL,
	approver     TEXT    NOT NULL,
	payload      TEXT,            -- JSON object; NULL when none
	reason       TEXT    NOT NULL,
	state        TEXT    NOT NULL,
	decided_by   TEXT    NOT NULL,
	decided_at   INTEGER,         -- NULL while pending
	created_at   INTEGER NOT NULL
);

CREATE INDEX approvals_created ON approvals (created_at, id);
CREATE INDEX approvals_state ON approvals (state, created_at, id);
CREATE INDEX approvals_approver ON approvals (approver, created_at, id);
