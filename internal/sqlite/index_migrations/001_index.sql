-- The blind search index, in its own file (index.db) so that indexing never
-- waits for capture's write lock, nor capture for indexing. It holds no
-- plaintext: see internal/search for what each column holds.

-- One row per document. rowid is the order key: newest sent time first
-- (see searchindex.go), so that FTS5 returns hits in page order.
CREATE TABLE docs (
	rowid           INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE, -- the message's record id
	conversation_id TEXT NOT NULL,
	sent            INTEGER NOT NULL      -- milliseconds since the epoch, UTC
);

-- Contentless: FTS5 keeps only its inverted index of the hashed tokens, not
-- the tokens themselves a second time. contentless_delete lets disposition
-- and re-indexing delete rows; secure-delete (below) removes a deleted
-- row's entries from the index at once instead of leaving them until a
-- merge. The tokens are base32 hashes, so the ascii tokenizer suffices.
CREATE VIRTUAL TABLE fts USING fts5(
	text, pfx, sender, recipients, members, files, meta,
	content = '', contentless_delete = 1, tokenize = 'ascii'
);
INSERT INTO fts (fts, rank) VALUES ('secure-delete', 1);

-- Settings of the index itself: key_check identifies the key it was built
-- under (search.Keyer.Check).
CREATE TABLE index_info (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
