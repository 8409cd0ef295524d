package steward

import (
	"context"
	"time"
)

// RecordKind says what an archive record captures. The set is open: later
// issues add kinds, and verify treats every kind alike.
type RecordKind string

const (
	RecordMessage    RecordKind = "message"     // a message, either direction
	RecordEvent      RecordKind = "event"       // edit, delete, reaction, membership, receipt
	RecordAttachment RecordKind = "attachment"  // attachment metadata; bytes live in the blob store
	RecordConsent    RecordKind = "consent"     // a consent request, reply or state change
	RecordPolicy     RecordKind = "policy"      // a policy decision about another record
	RecordAudit      RecordKind = "audit"       // an administrative action or a content read
	RecordCaptureGap RecordKind = "capture_gap" // a period in which a source was not captured
	RecordDeadLetter RecordKind = "dead_letter" // source input that could not be understood, kept sealed for inspection
)

// ValidRecordKind reports whether k is a kind this version knows.
func ValidRecordKind(k RecordKind) bool {
	switch k {
	case RecordMessage, RecordEvent, RecordAttachment, RecordConsent, RecordPolicy, RecordAudit, RecordCaptureGap, RecordDeadLetter:
		return true
	}
	return false
}

// Hash is a SHA-256 value: a leaf hash, an interior tree hash or a root.
type Hash [32]byte

// Record is one entry of the archive log. Its content is sealed under a data
// key of its own (envelope encryption); only Meta is plaintext, and Meta
// never holds message text, attachment names or other content.
//
// A Record is immutable once appended. Edits and deletions of messages are
// new records that point at the old one. The single exception is
// WrappedKey, which disposition destroys (crypto-shredding); the leaf does
// not depend on it, so the log still verifies afterwards.
type Record struct {
	ID             string     // UUIDv7, assigned before append
	LeafIndex      int64      // position in the log; -1 until appended
	Kind           RecordKind //
	IdempotencyKey string     // channel plus the channel's id; unique across the log
	ConversationID string     // copy of Meta's conversation_id, indexed; "" for records of no conversation
	CapturedAt     time.Time  // when Steward committed it, UTC
	Meta           []byte     // canonical JSON of RecordMeta, exactly as hashed into the leaf
	Sealed         []byte     // nonce || AES-256-GCM(content) under the data key
	KeyID          string     // which key-encryption key wrapped the data key
	WrappedKey     []byte     // the wrapped data key; nil once shredded
	Leaf           []byte     // the leaf encoding (see docs/archive-format.md)
	TreeHashes     []byte     // the tlog stored hashes this append produced, 32 bytes each
}

// Shredded reports whether the record's data key has been destroyed.
func (r *Record) Shredded() bool { return len(r.WrappedKey) == 0 }

// RecordMeta is the plaintext metadata of a record. It identifies who, when
// and where, so that records can be found and governed without decrypting
// them; it never carries what was said.
type RecordMeta struct {
	Channel        string     `json:"channel,omitempty"`
	ChannelID      string     `json:"channel_id,omitempty"` // the channel's own message id
	Type           string     `json:"type,omitempty"`       // message or event type
	Direction      Direction  `json:"direction,omitempty"`
	ConversationID string     `json:"conversation_id,omitempty"`
	Sender         string     `json:"sender,omitempty"`
	Recipients     []string   `json:"recipients,omitempty"`
	Target         string     `json:"target,omitempty"` // channel id of the message an event acts on
	ReplyTo        string     `json:"reply_to,omitempty"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	ReceivedAt     *time.Time `json:"received_at,omitempty"`
	Parent         string     `json:"parent,omitempty"`      // record id of the message an attachment belongs to
	Attachments    []string   `json:"attachments,omitempty"` // record ids of a message's attachments
	Blob           *BlobRef   `json:"blob,omitempty"`        // where an attachment's sealed bytes live
	Actor          string     `json:"actor,omitempty"`       // who did an audited action
	Action         string     `json:"action,omitempty"`      // what the audited action was
	Subject        string     `json:"subject,omitempty"`     // what the action was done to
	// Schedule is the retention assignment made at capture (a message, its
	// attachments and its policy decision share one); nil if none was made.
	Schedule *Assignment `json:"schedule,omitempty"`
}

// BlobRef locates an attachment's sealed bytes in the blob store and commits
// to them: SHA256 is the digest of the stored ciphertext, never of the
// plaintext, so it confirms no guess about the content.
type BlobRef struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// RecordRef is the short answer to a capture: where the record sits.
type RecordRef struct {
	ID        string     `json:"record_id"`
	LeafIndex int64      `json:"leaf_index"`
	Kind      RecordKind `json:"kind,omitempty"`
}

// Checkpoint is a signed statement of the log's size and root hash, in the
// C2SP signed-note format.
type Checkpoint struct {
	Size      int64
	Root      Hash
	Note      []byte // the full signed note, exactly as issued
	CreatedAt time.Time
}

// LogStore persists the archive log: records, their data keys, the Merkle
// tree's stored hashes, and checkpoints.
//
// Appends happen only inside AppendTx, which gives the caller an exclusive
// write transaction. The transaction is committed when AppendTx returns
// nil, and durable once a later Sync returns nil; it leaves no trace when
// AppendTx returns an error. Splitting commit from sync lets one fsync
// serve many batches while the next one is being built. Any number of
// processes may read concurrently.
type LogStore interface {
	// AppendTx runs fn in one exclusive write transaction and commits it.
	// Returns Unavailable if the store cannot take writes (locked too long,
	// disk full, closed).
	AppendTx(ctx context.Context, fn func(tx LogTx) error) error

	// Sync makes every append committed before the call durable. Nothing
	// appended may be acknowledged to a source before Sync returns nil.
	// Returns Unavailable if the store cannot sync.
	Sync(ctx context.Context) error

	// LogSize returns the number of committed records.
	LogSize(ctx context.Context) (int64, error)

	// RecordByID returns a record with its key (if not shredded).
	// Returns NotFound if no record has that id.
	RecordByID(ctx context.Context, id string) (*Record, error)

	// RecordAt returns the record at a leaf index. Returns NotFound past the end.
	RecordAt(ctx context.Context, index int64) (*Record, error)

	// ScanRecords calls fn for each record from leaf index `from` on, in
	// order, until fn returns an error or the log ends. fn may keep the
	// record it is given; the store does not reuse it.
	ScanRecords(ctx context.Context, from int64, fn func(*Record) error) error

	// ReadHashes returns the stored tree hashes at the given tlog storage
	// indexes. Returns NotFound if any is missing.
	ReadHashes(ctx context.Context, indexes []int64) ([]Hash, error)

	// RecordsByKind returns up to limit records of a rare kind (dead
	// letters, capture gaps) with leaf index below before (-1: no bound),
	// newest first. Common kinds may be slow: they are not indexed.
	RecordsByKind(ctx context.Context, kind RecordKind, before int64, limit int) ([]*Record, error)

	// FindByIdempotencyKeys returns the committed records for whichever of
	// keys are in the log. Sources use it to skip work for a replay; the
	// authoritative check is the one inside the append transaction.
	FindByIdempotencyKeys(ctx context.Context, keys []string) (map[string]RecordRef, error)

	// ShredKey destroys a record's wrapped data key so its content can never
	// be read again. Shredding twice is not an error. Returns NotFound if no
	// record has that id.
	ShredKey(ctx context.Context, id string) error

	// AddCheckpoint stores a checkpoint. A checkpoint for a size already
	// stored is ignored.
	AddCheckpoint(ctx context.Context, cp *Checkpoint) error

	// Checkpoints returns every checkpoint, smallest size first.
	Checkpoints(ctx context.Context) ([]*Checkpoint, error)

	// LatestCheckpoint returns the checkpoint of the largest size.
	// Returns NotFound if none has been issued.
	LatestCheckpoint(ctx context.Context) (*Checkpoint, error)
}

// LogTx is the view of the log inside an append transaction.
type LogTx interface {
	// Size returns the number of records committed, including those
	// inserted earlier in this transaction.
	Size() (int64, error)

	// FindByIdempotencyKeys returns the existing records for whichever of
	// keys are already in the log.
	FindByIdempotencyKeys(keys []string) (map[string]RecordRef, error)

	// ReadHashes is LogStore.ReadHashes seen from inside the transaction.
	ReadHashes(indexes []int64) ([]Hash, error)

	// InsertRecords appends rs in order; each r.LeafIndex must equal
	// Size() at its turn, so the indexes run on from the current size.
	// Returns Conflict if an ID or IdempotencyKey is already present; the
	// transaction must then be abandoned.
	InsertRecords(rs []*Record) error
}
