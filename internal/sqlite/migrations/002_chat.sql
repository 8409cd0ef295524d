-- Chat: conversation membership and the records of a conversation, the
-- consent lifecycle of contacts, consent texts, and the outbound outbox.

-- A plaintext copy of the record's conversation_id (from its metadata), so
-- that a conversation's records are found without decoding every record.
-- It is an index, not part of the leaf: the log verifies without it.
-- NULL for records of no conversation.
ALTER TABLE records ADD COLUMN conversation_id TEXT;

-- Records appended before this migration carry their conversation in their
-- metadata only; copy it out. meta is JSON text stored as a blob.
UPDATE records SET conversation_id = NULLIF(json_extract(CAST(meta AS TEXT), '$.conversation_id'), '')
	WHERE json_valid(CAST(meta AS TEXT));

CREATE INDEX records_conversation ON records (conversation_id, leaf_index)
	WHERE conversation_id IS NOT NULL;

CREATE TABLE conversation_members (
	conversation_id TEXT    NOT NULL REFERENCES conversations (id),
	address         TEXT    NOT NULL,
	admin           INTEGER NOT NULL,
	added_at        INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, address)
);

CREATE INDEX conversation_members_address ON conversation_members (address);

ALTER TABLE contacts ADD COLUMN requested_at INTEGER;       -- NULL if no request was ever sent
ALTER TABLE contacts ADD COLUMN consent_changed_at INTEGER; -- NULL if the state never changed
ALTER TABLE contacts ADD COLUMN consent_reason TEXT NOT NULL DEFAULT '';

CREATE INDEX contacts_address ON contacts (channel, address);

-- The expiry sweep's query: pending contacts by request time.
CREATE INDEX contacts_pending ON contacts (requested_at) WHERE consent_state = 'pending';

-- An index of the archived consent records, by contact.
CREATE TABLE consent_events (
	contact_id TEXT    NOT NULL REFERENCES contacts (id),
	record_id  TEXT    NOT NULL UNIQUE,
	action     TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	version    TEXT    NOT NULL,
	at         INTEGER NOT NULL
);

CREATE INDEX consent_events_contact ON consent_events (contact_id);

CREATE TABLE consent_texts (
	version    TEXT    PRIMARY KEY,
	text       TEXT    NOT NULL,
	sha256     TEXT    NOT NULL, -- hex
	created_at INTEGER NOT NULL,
	created_by TEXT    NOT NULL,
	current    INTEGER NOT NULL DEFAULT 0 -- 1 for the current version, 0 for the others
);

-- At most one version is current.
CREATE UNIQUE INDEX consent_texts_current ON consent_texts (current) WHERE current = 1;

-- The outbox. It holds no content: the sender opens the archived record.
CREATE TABLE deliveries (
	id                 TEXT    PRIMARY KEY,
	record_id          TEXT    NOT NULL UNIQUE,
	channel            TEXT    NOT NULL,
	account            TEXT    NOT NULL,
	op                 TEXT    NOT NULL,
	conversation_id    TEXT    NOT NULL,
	state              TEXT    NOT NULL,
	attempts           INTEGER NOT NULL,
	next_attempt_at    INTEGER NOT NULL,
	last_error         TEXT    NOT NULL,
	challenge          TEXT    NOT NULL,
	channel_message_id TEXT,          -- NULL until sent
	results            TEXT,          -- JSON array of recipient statuses; NULL when none
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL
);

CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_channel_id ON deliveries (channel, channel_message_id);

ALTER TABLE tokens ADD COLUMN employee_id TEXT; -- whom an inbox token acts for; NULL otherwise
