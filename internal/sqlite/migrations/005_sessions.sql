-- Web sign-in: server-side sessions of the inbox, and local passwords for
-- installations without an identity provider.

-- A session row holds only the SHA-256 of the secret in the browser's
-- cookie. Times are unix nanoseconds; idle_timeout is nanoseconds, 0 for
-- none. token_id is the inbox token a "token" session rests on.
CREATE TABLE sessions (
	id           TEXT    PRIMARY KEY,
	hash         BLOB    NOT NULL UNIQUE,
	employee_id  TEXT    NOT NULL REFERENCES employees (id),
	method       TEXT    NOT NULL,
	token_id     TEXT    REFERENCES tokens (id),
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	idle_timeout INTEGER NOT NULL
);

CREATE INDEX sessions_employee ON sessions (employee_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- One argon2id hash (PHC string: parameters, salt and hash) per employee.
CREATE TABLE local_credentials (
	employee_id TEXT    PRIMARY KEY REFERENCES employees (id),
	hash        TEXT    NOT NULL,
	updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
