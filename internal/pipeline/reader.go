package pipeline

import (
	"context"
	"encoding/json"
	"io"

	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/steward"
)

// Opener decrypts archived content. keys.Envelope implements it.
type Opener interface {
	OpenRecord(ctx context.Context, r *steward.Record) ([]byte, error)
	RecordKey(ctx context.Context, r *steward.Record) ([]byte, error)
}

// Reader opens archived records: their metadata and sealed content, and
// attachments' bytes. It does not audit: every caller that hands content
// to a person audits that read first (see Audit); callers that only use
// content internally, such as the outbound sender, do not.
type Reader struct {
	Records interface {
		RecordByID(ctx context.Context, id string) (*steward.Record, error)
	}
	Opener Opener
	Blobs  steward.BlobStore
}

// Open returns a record with its decoded metadata and content. Returns
// NotFound for an unknown id; Gone, with the record and its metadata but
// no content, if disposition destroyed its key.
func (rd *Reader) Open(ctx context.Context, id string) (*steward.Record, *steward.RecordMeta, *steward.Content, error) {
	const op steward.Op = "pipeline.Reader.Open"
	rec, err := rd.Records.RecordByID(ctx, id)
	if err != nil {
		return nil, nil, nil, steward.E(op, err)
	}
	meta, c, err := rd.OpenRecord(ctx, rec)
	if err != nil {
		// A shredded record still has its metadata: callers list it as such.
		return rec, meta, nil, steward.E(op, err)
	}
	return rec, meta, c, nil
}

// OpenRecord decodes a record already read. Returns Gone if shredded.
func (rd *Reader) OpenRecord(ctx context.Context, rec *steward.Record) (*steward.RecordMeta, *steward.Content, error) {
	const op steward.Op = "pipeline.Reader.OpenRecord"
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil {
		return nil, nil, steward.E(op, steward.Integrity, "record metadata is not JSON", err)
	}
	if rec.Shredded() {
		return &meta, nil, steward.E(op, steward.Gone, "the record's content was destroyed by disposition")
	}
	plain, err := rd.Opener.OpenRecord(ctx, rec)
	if err != nil {
		return &meta, nil, steward.E(op, err)
	}
	var c steward.Content
	if err := json.Unmarshal(plain, &c); err != nil {
		return &meta, nil, steward.E(op, steward.Internal, "sealed content is not JSON", err)
	}
	return &meta, &c, nil
}

// Attachment returns an attachment record's description and plaintext
// bytes. Returns NotFound if the record is not an attachment, Gone if
// shredded, Integrity if the stored bytes do not authenticate.
func (rd *Reader) Attachment(ctx context.Context, id string) (*steward.Record, steward.Attachment, []byte, error) {
	const op steward.Op = "pipeline.Reader.Attachment"
	var none steward.Attachment
	rec, meta, c, err := rd.Open(ctx, id)
	if err != nil && !steward.Is(steward.Gone, err) {
		return nil, none, nil, steward.E(op, err)
	}
	if rec.Kind != steward.RecordAttachment || meta.Blob == nil {
		return nil, none, nil, steward.E(op, steward.NotFound, "record is not an attachment")
	}
	if err != nil {
		return nil, none, nil, steward.E(op, err)
	}
	if len(c.Attachments) != 1 {
		return nil, none, nil, steward.E(op, steward.Internal, "attachment content malformed")
	}
	dek, err := rd.Opener.RecordKey(ctx, rec)
	if err != nil {
		return nil, none, nil, steward.E(op, err)
	}
	defer keys.Zero(dek)
	rc, err := rd.Blobs.Get(ctx, meta.Blob.Key)
	if err != nil {
		return nil, none, nil, steward.E(op, err)
	}
	sealed, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, none, nil, steward.E(op, steward.Unavailable, err)
	}
	data, err := keys.OpenBytes(dek, []byte(rec.ID+"/blob"), sealed)
	if err != nil {
		return nil, none, nil, steward.E(op, err)
	}
	return rec, c.Attachments[0], data, nil
}
