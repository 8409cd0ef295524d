package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// CaptureRequest is the JSON body of POST /api/v1/capture: one message or
// event from a custom connector. api/openapi.yaml documents each field.
type CaptureRequest struct {
	IdempotencyKey   string            `json:"idempotency_key,omitempty"`
	Type             string            `json:"type,omitempty"`
	Channel          string            `json:"channel"`
	ChannelMessageID string            `json:"channel_message_id"`
	Conversation     *ConversationJSON `json:"conversation,omitempty"`
	Direction        string            `json:"direction"`
	Sender           PartyJSON         `json:"sender"`
	Recipients       []PartyJSON       `json:"recipients,omitempty"`
	Body             string            `json:"body,omitempty"`
	Attachments      []AttachmentJSON  `json:"attachments,omitempty"`
	ReplyTo          string            `json:"reply_to,omitempty"`
	Target           string            `json:"target,omitempty"`
	Emoji            string            `json:"emoji,omitempty"`
	Remove           bool              `json:"remove,omitempty"`
	MembersAdded     []PartyJSON       `json:"members_added,omitempty"`
	MembersRemoved   []PartyJSON       `json:"members_removed,omitempty"`
	Receipt          string            `json:"receipt,omitempty"`
	SentAt           *time.Time        `json:"sent_at,omitempty"`
	ReceivedAt       *time.Time        `json:"received_at,omitempty"`
	Extra            map[string]any    `json:"extra,omitempty"`
}

// PartyJSON is an address on the channel with an optional display name.
type PartyJSON struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

// ConversationJSON names the channel's conversation (a group id).
type ConversationJSON struct {
	ID    string `json:"id,omitempty"`
	Kind  string `json:"kind,omitempty"`
	Title string `json:"title,omitempty"`
}

// AttachmentJSON carries a file inline as standard base64.
type AttachmentJSON struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Data        string `json:"data"`
}

// CaptureResponse answers a capture: 201 when stored, 200 with the same
// body when the idempotency key was already captured.
type CaptureResponse struct {
	RecordID    string              `json:"record_id"`
	LeafIndex   int64               `json:"leaf_index"`
	Attachments []steward.RecordRef `json:"attachments,omitempty"`
}

// DecodeCapture parses a capture body strictly: unknown fields, trailing
// data, bad base64 and malformed times are Invalid; a body over max bytes
// is TooLarge. It checks shape only; the pipeline checks meaning.
func DecodeCapture(r io.Reader, max int64) (*steward.Item, error) {
	const op steward.Op = "httpapi.DecodeCapture"
	var req CaptureRequest
	if err := decodeJSON(r, max, &req); err != nil {
		return nil, steward.E(op, err)
	}
	it := &steward.Item{
		IdempotencyKey: req.IdempotencyKey, Type: steward.EventType(req.Type), Channel: steward.Channel(req.Channel),
		ChannelMessageID: req.ChannelMessageID, Direction: steward.Direction(req.Direction),
		Sender: party(req.Sender), Recipients: parties(req.Recipients), Body: req.Body, ReplyTo: req.ReplyTo,
		Target: req.Target, Emoji: req.Emoji, Remove: req.Remove, MembersAdded: parties(req.MembersAdded),
		MembersRemoved: parties(req.MembersRemoved), Receipt: req.Receipt, Extra: req.Extra,
	}
	if req.Conversation != nil {
		it.Conversation = steward.ConversationRef{ID: req.Conversation.ID,
			Kind: steward.ConversationKind(req.Conversation.Kind), Title: req.Conversation.Title}
	}
	if req.SentAt != nil {
		it.SentAt = *req.SentAt
	}
	if req.ReceivedAt != nil {
		it.ReceivedAt = *req.ReceivedAt
	}
	for i, a := range req.Attachments {
		att, err := a.decode(i)
		if err != nil {
			return nil, steward.E(op, err)
		}
		it.Attachments = append(it.Attachments, att)
	}
	return it, nil
}

// decode turns the i-th inline attachment into an Attachment.
func (a AttachmentJSON) decode(i int) (steward.Attachment, error) {
	data, err := base64.StdEncoding.DecodeString(a.Data)
	if err != nil {
		return steward.Attachment{}, steward.Errorf("", steward.Invalid, "attachments[%d].data is not standard base64", i)
	}
	return steward.Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(data)), Data: data}, nil
}

// decodeJSON decodes exactly one JSON object from r into v, strictly:
// unknown fields and trailing data are Invalid, more than max bytes is
// TooLarge. Every JSON request body goes through it.
func decodeJSON(r io.Reader, max int64, v any) error {
	const op steward.Op = "httpapi.decodeJSON"
	lr := &io.LimitedReader{R: r, N: max + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errTrailing
		}
	}
	switch {
	case err == nil:
		return nil
	case lr.N <= 0:
		return steward.Errorf(op, steward.TooLarge, "request body exceeds %d bytes", max)
	case err == errTrailing:
		return steward.E(op, steward.Invalid, "malformed JSON: unexpected data after the object")
	}
	return steward.E(op, steward.Invalid, "malformed JSON: "+jsonErr(err))
}

var errTrailing = errors.New("trailing data")

// jsonErr turns a decoder error into a message that names the problem
// without echoing input.
func jsonErr(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + itoa64(se.Offset)
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ended early"
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return "a time is not RFC 3339"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func party(p PartyJSON) steward.Party { return steward.Party{Address: p.Address, Name: p.Name} }

func parties(ps []PartyJSON) []steward.Party {
	if len(ps) == 0 {
		return nil
	}
	out := make([]steward.Party, len(ps))
	for i, p := range ps {
		out[i] = party(p)
	}
	return out
}

// capture is POST /api/v1/capture. It answers only after durable capture.
func (s *Server) capture(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.capture"
	max := s.MaxCaptureBody
	if max <= 0 {
		max = 64 << 20
	}
	it, err := DecodeCapture(r.Body, max)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Pipeline.Capture(r.Context(), it)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	status := http.StatusCreated
	if c.Replayed {
		status = http.StatusOK
	}
	writeJSON(w, status, CaptureResponse{RecordID: c.Ref.ID, LeafIndex: c.Ref.LeafIndex, Attachments: refsOnly(c.Attachments)})
}

func refsOnly(refs []steward.RecordRef) []steward.RecordRef {
	out := make([]steward.RecordRef, len(refs))
	for i, r := range refs {
		out[i] = steward.RecordRef{ID: r.ID, LeafIndex: r.LeafIndex}
	}
	return out
}
