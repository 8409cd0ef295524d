-- Times are unix nanoseconds (UTC); text ids are UUIDv7 strings.

-- The archive log. leaf_index is the rowid, so appends go to the end of the
-- table's b-tree and a leaf is found without a second index.
CREATE TABLE records (
	leaf_index  INTEGER PRIMARY KEY,
	id          TEXT    NOT NULL UNIQUE,
	kind        TEXT    NOT NULL,
	idem_key    TEXT    NOT NULL UNIQUE,
	captured_at INTEGER NOT NULL,
	meta        BLOB    NOT NULL,
	sealed      BLOB    NOT NULL,
	key_id      TEXT    NOT NULL,
	leaf        BLOB    NOT NULL,
	tree_hashes BLOB    NOT NULL -- the tlog stored hashes this leaf's append produced, 32 bytes each
);

-- Wrapped data keys live apart from their records so that crypto-shredding
-- is the deletion of one row (overwritten in the file: secure_delete is on)
-- and never a rewrite of an immutable record.
CREATE TABLE record_keys (
	leaf_index INTEGER PRIMARY KEY REFERENCES records (leaf_index),
	wrapped    BLOB    NOT NULL
);

CREATE TABLE checkpoints (
	size       INTEGER PRIMARY KEY,
	root       BLOB    NOT NULL,
	note       BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE employees (
	id           TEXT    PRIMARY KEY,
	external_id  TEXT    UNIQUE, -- NULL when the employee has none
	user_name    TEXT    NOT NULL UNIQUE,
	display_name TEXT    NOT NULL,
	email        TEXT    NOT NULL,
	department   TEXT    NOT NULL,
	title        TEXT    NOT NULL,
	seniority    TEXT    NOT NULL,
	active       INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);

CREATE TABLE identities (
	id          TEXT    PRIMARY KEY,
	employee_id TEXT    NOT NULL REFERENCES employees (id),
	channel     TEXT    NOT NULL,
	address     TEXT    NOT NULL,
	mode        TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (channel, address)
);

CREATE INDEX identities_employee ON identities (employee_id);

CREATE TABLE contacts (
	id              TEXT    PRIMARY KEY,
	employee_id     TEXT    NOT NULL REFERENCES employees (id),
	channel         TEXT    NOT NULL,
	address         TEXT    NOT NULL,
	display_name    TEXT    NOT NULL,
	consent_state   TEXT    NOT NULL,
	consent_version TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (employee_id, channel, address)
);

CREATE TABLE conversations (
	id         TEXT    PRIMARY KEY,
	channel    TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	title      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (channel, key)
);

CREATE TABLE tokens (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL UNIQUE,
	scopes       TEXT    NOT NULL, -- space-separated
	hash         BLOB    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	revoked_at   INTEGER,
	last_used_at INTEGER
);
