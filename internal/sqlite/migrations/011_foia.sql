-- Freedom of Information Act requests and their histories.
--
-- No message content. A request is agency business: the requester's
-- description of the records sought, and the requester's name,
-- organisation, email and postal address, which are personal data shown
-- only to those who work the request.
--
-- Times are unix nanoseconds; first_received_at is NULL when unknown.

-- The request: intake fields, and the snapshot of its history that
-- package foia derives (track, status, disposition, appeal_outcome,
-- version, updated_at).
CREATE TABLE foia_requests (
	id                 TEXT    PRIMARY KEY,
	requester_name     TEXT    NOT NULL,
	requester_org      TEXT    NOT NULL,
	requester_email    TEXT    NOT NULL,
	requester_address  TEXT    NOT NULL,
	description        TEXT    NOT NULL,
	fee_category       TEXT    NOT NULL,
	received_at        INTEGER NOT NULL,
	first_received_at  INTEGER,
	expedite_requested INTEGER NOT NULL,
	initial_track      TEXT    NOT NULL,
	track              TEXT    NOT NULL,
	status             TEXT    NOT NULL,
	disposition        TEXT    NOT NULL,
	appeal_outcome     TEXT    NOT NULL,
	version            INTEGER NOT NULL,
	case_id            TEXT    NOT NULL,
	created_at         INTEGER NOT NULL,
	created_by         TEXT    NOT NULL,
	updated_at         INTEGER NOT NULL
);

-- Lists page in id order, alone, by status or by case.
CREATE INDEX foia_requests_status ON foia_requests (status, id);
CREATE INDEX foia_requests_case ON foia_requests (case_id, id) WHERE case_id != '';

-- Each request's events in the order appended: seq is the request's
-- version once the event was applied, 1 for the first.
CREATE TABLE foia_events (
	request_id     TEXT    NOT NULL REFERENCES foia_requests (id),
	seq            INTEGER NOT NULL,
	id             TEXT    NOT NULL UNIQUE,
	kind           TEXT    NOT NULL,
	at             INTEGER NOT NULL,
	actor          TEXT    NOT NULL,
	recorded_at    INTEGER NOT NULL,
	toll           TEXT    NOT NULL,
	days           INTEGER NOT NULL,
	circumstance   TEXT    NOT NULL,
	track          TEXT    NOT NULL,
	disposition    TEXT    NOT NULL,
	appeal_outcome TEXT    NOT NULL,
	PRIMARY KEY (request_id, seq)
) WITHOUT ROWID;
