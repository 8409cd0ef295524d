-- eDiscovery cases and their saved searches.
--
-- No message content: a case holds its scope (custodians as a JSON list
-- of employee ids, and dates), a saved search the searcher's query text.
--
-- Times are unix nanoseconds; from_at, until_at and closed_at are NULL
-- when unset.

CREATE TABLE cases (
	id          TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL,
	custodians  TEXT    NOT NULL,
	from_at     INTEGER,
	until_at    INTEGER,
	hold_id     TEXT    NOT NULL,
	owner       TEXT    NOT NULL,
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	closed_by   TEXT    NOT NULL,
	closed_at   INTEGER,
	version     INTEGER NOT NULL
);

-- Lists are newest first, open ones alone or all.
CREATE INDEX cases_created ON cases (created_at, id);

CREATE TABLE saved_searches (
	id         TEXT    PRIMARY KEY,
	case_id    TEXT    NOT NULL REFERENCES cases (id),
	name       TEXT    NOT NULL,
	query      TEXT    NOT NULL,
	created_by TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE INDEX saved_searches_case ON saved_searches (case_id, created_at, id);
