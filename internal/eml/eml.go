package eml

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/steward-gov/steward/internal/mailfmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/rsmf"
	"github.com/steward-gov/steward/internal/steward"
)

// Options tune a Writer. The zero value is ready to use.
type Options struct {
	// Domain is the domain of Message-IDs and of the addresses made up for
	// participants without an e-mail address; empty means
	// "steward.invalid", a name that can never be delivered to (RFC 2606).
	Domain string
	// From is the From header of a transcript of a conversation without a
	// custodian; empty means "Steward <transcripts@<Domain>>".
	From string
	// Location sets the calendar day named in a transcript's subject; nil
	// means UTC. Times in headers and text are always UTC.
	Location *time.Location
}

// Result describes a written message.
type Result struct {
	// Bytes is the size of the .eml file.
	Bytes int64
	// RecordIDs are the IDs of the events the message shows, in order.
	RecordIDs []string
	// Attachments counts the MIME attachments written.
	Attachments int
	// Warnings name what could not be written as given, such as an
	// attachment whose content was missing at capture.
	Warnings []string
}

// Writer renders the events of one manifest as e-mail. It is safe for
// concurrent use once built, provided the manifest is not modified.
type Writer struct {
	x    *rsmf.Index
	opts Options
	from *mail.Address
}

// NewWriter prepares to write the events of m. It fails with
// steward.Invalid when m is inconsistent (see rsmf.NewIndex) or the
// options are malformed.
func NewWriter(m *rsmf.Manifest, opts *Options) (*Writer, error) {
	const op steward.Op = "eml.NewWriter"
	w := &Writer{}
	if opts != nil {
		w.opts = *opts
	}
	if w.opts.Domain == "" {
		w.opts.Domain = "steward.invalid"
	}
	if !validDomain(w.opts.Domain) {
		return nil, steward.Errorf(op, steward.Invalid, "bad domain %q", w.opts.Domain)
	}
	if w.opts.Location == nil {
		w.opts.Location = time.UTC
	}
	from := w.opts.From
	if from == "" {
		from = "Steward <transcripts@" + w.opts.Domain + ">"
	}
	var err error
	if w.from, err = mail.ParseAddress(from); err != nil {
		return nil, steward.E(op, steward.Invalid, "bad From address", err)
	}
	if w.x, err = rsmf.NewIndex(m); err != nil {
		return nil, steward.E(op, err)
	}
	return w, nil
}

// Message writes event i of the manifest as one RFC 5322 message:
//   - From is the sender and To the conversation's other participants
//     (or the conversation itself when it lists nobody else), each with
//     the participant's e-mail address or, lacking one, an address made
//     from the platform account under Options.Domain;
//   - Date is the event's time, Message-ID derives from the event and
//     conversation IDs, and a reply carries In-Reply-To and References
//     pointing at its parent's Message-ID;
//   - X-Steward-Record-ID, -Conversation-ID, -Platform, -Event-Type,
//     -Direction, -Custodian, -Deleted, -Edit-Count and one -Edit per
//     revision state the facts for machines;
//   - the body shows the text, the deletion and every revision, reactions,
//     receipts and attachments, in rsmf's transcript layout;
//   - attachments with content follow as base64 MIME parts.
//
// Errors: steward.Invalid when i is out of range; steward.Integrity when
// attachment content does not match its size or digest; otherwise the
// error writing to dst. After an error dst holds a partial message.
func (w *Writer) Message(dst io.Writer, i int) (*Result, error) {
	const op steward.Op = "eml.Writer.Message"
	m := w.x.Manifest()
	if i < 0 || i >= len(m.Events) {
		return nil, steward.Errorf(op, steward.Invalid, "no event %d", i)
	}
	e := &m.Events[i]
	conv := w.x.Conversation(e.Conversation)

	var text bytes.Buffer
	if err := w.x.WriteEventText(&text, e); err != nil {
		return nil, steward.E(op, err)
	}
	var h bytes.Buffer
	date := e.Timestamp
	if date.IsZero() {
		date = time.Unix(0, 0)
	}
	mailfmt.WriteHeader(&h, "Date", date.UTC().Format(time.RFC1123Z))
	if e.Participant != "" {
		mailfmt.WriteFolded(&h, "From", w.address(e.Participant, conv).String())
	} else {
		mailfmt.WriteFolded(&h, "From", w.conversationAddress(conv).String())
	}
	var to []*mail.Address
	for _, id := range conv.Participants {
		if id != e.Participant {
			to = append(to, w.address(id, conv))
		}
	}
	if len(to) == 0 {
		to = append(to, w.conversationAddress(conv))
	}
	mailfmt.WriteFolded(&h, "To", addressList(to))
	mailfmt.WriteHeader(&h, "Subject", subject(conv))
	mailfmt.WriteHeader(&h, "Message-ID", w.messageID(conv.ID, e.ID, i))
	if e.Parent != "" {
		parent := w.messageID(conv.ID, e.Parent, -1)
		mailfmt.WriteHeader(&h, "In-Reply-To", parent)
		mailfmt.WriteHeader(&h, "References", parent)
	}
	mailfmt.WriteHeader(&h, "X-Steward-Record-ID", e.ID)
	mailfmt.WriteHeader(&h, "X-Steward-Conversation-ID", conv.ID)
	mailfmt.WriteHeader(&h, "X-Steward-Platform", conv.Platform)
	mailfmt.WriteHeader(&h, "X-Steward-Event-Type", string(e.Type))
	if e.Direction != "" {
		mailfmt.WriteHeader(&h, "X-Steward-Direction", string(e.Direction))
	}
	if conv.Custodian != "" {
		mailfmt.WriteHeader(&h, "X-Steward-Custodian", w.x.Name(conv.Custodian))
	}
	if e.Deleted {
		mailfmt.WriteHeader(&h, "X-Steward-Deleted", "true")
	}
	if len(e.Edits) > 0 {
		mailfmt.WriteHeader(&h, "X-Steward-Edit-Count", strconv.Itoa(len(e.Edits)))
		for j, ed := range e.Edits {
			who := ed.Participant
			if who == "" {
				who = e.Participant
			}
			v := strconv.Itoa(j+1) + "; "
			if !ed.Timestamp.IsZero() {
				v += ed.Timestamp.UTC().Format(time.RFC3339Nano) + "; "
			}
			// Only the name is encoded, so the number and time stay
			// readable to tools that do not decode RFC 2047.
			mailfmt.WriteFolded(&h, "X-Steward-Edit", v+"by "+mailfmt.Word(w.x.Name(who)))
		}
	}
	res := &Result{RecordIDs: []string{e.ID}}
	err := w.write(dst, &h, text.Bytes(), []*rsmf.Event{e}, res)
	if err != nil {
		return res, steward.E(op, err)
	}
	return res, nil
}

// Transcript writes every event of the manifest, which must hold exactly
// one conversation, as one message: the conversation-day transcript. The
// body lists each event with its time and sender, deletions and every
// revision, and all attachments with content follow as MIME parts. From
// is the custodian (or Options.From) and To the conversation's
// participants. Errors are as for Message, plus steward.Invalid when the
// manifest holds more or fewer than one conversation.
func (w *Writer) Transcript(dst io.Writer) (*Result, error) {
	const op steward.Op = "eml.Writer.Transcript"
	m := w.x.Manifest()
	if len(m.Conversations) != 1 {
		return nil, steward.Errorf(op, steward.Invalid, "a transcript covers one conversation, not %d", len(m.Conversations))
	}
	conv := &m.Conversations[0]
	var text bytes.Buffer
	if err := w.x.WriteText(&text); err != nil {
		return nil, steward.E(op, err)
	}

	var first, last time.Time
	var deleted, edited int
	events := make([]*rsmf.Event, len(m.Events))
	res := &Result{RecordIDs: make([]string, 0, len(m.Events))}
	for i := range m.Events {
		e := &m.Events[i]
		events[i] = e
		res.RecordIDs = append(res.RecordIDs, e.ID)
		if !e.Timestamp.IsZero() {
			if first.IsZero() || e.Timestamp.Before(first) {
				first = e.Timestamp
			}
			if e.Timestamp.After(last) {
				last = e.Timestamp
			}
		}
		if e.Deleted {
			deleted++
		}
		if len(e.Edits) > 0 {
			edited++
		}
	}
	date := last
	if date.IsZero() {
		date = time.Unix(0, 0)
	}

	var h bytes.Buffer
	mailfmt.WriteHeader(&h, "Date", date.UTC().Format(time.RFC1123Z))
	from := w.from
	if conv.Custodian != "" {
		from = w.address(conv.Custodian, conv)
	}
	mailfmt.WriteFolded(&h, "From", from.String())
	to := make([]*mail.Address, 0, len(conv.Participants))
	for _, id := range conv.Participants {
		to = append(to, w.address(id, conv))
	}
	if len(to) == 0 {
		to = append(to, w.conversationAddress(conv))
	}
	mailfmt.WriteFolded(&h, "To", addressList(to))
	days := "undated"
	if !first.IsZero() {
		days = first.In(w.opts.Location).Format(time.DateOnly)
		if d := last.In(w.opts.Location).Format(time.DateOnly); d != days {
			days += " to " + d
		}
	}
	mailfmt.WriteHeader(&h, "Subject", fmt.Sprintf("%s, transcript %s (%d events)", subject(conv), days, len(m.Events)))
	sum := sha256.Sum256(text.Bytes())
	mailfmt.WriteHeader(&h, "Message-ID", "<transcript."+atom(conv.ID)+"."+hex.EncodeToString(sum[:8])+"@"+w.opts.Domain+">")
	mailfmt.WriteHeader(&h, "X-Steward-Conversation-ID", conv.ID)
	mailfmt.WriteHeader(&h, "X-Steward-Platform", conv.Platform)
	if conv.Custodian != "" {
		mailfmt.WriteHeader(&h, "X-Steward-Custodian", w.x.Name(conv.Custodian))
	}
	mailfmt.WriteHeader(&h, "X-Steward-Event-Count", strconv.Itoa(len(m.Events)))
	if !first.IsZero() {
		mailfmt.WriteHeader(&h, "X-Steward-Begin", first.UTC().Format(time.RFC3339Nano))
		mailfmt.WriteHeader(&h, "X-Steward-End", last.UTC().Format(time.RFC3339Nano))
	}
	mailfmt.WriteHeader(&h, "X-Steward-Deleted-Count", strconv.Itoa(deleted))
	mailfmt.WriteHeader(&h, "X-Steward-Edited-Count", strconv.Itoa(edited))
	if err := w.write(dst, &h, text.Bytes(), events, res); err != nil {
		return res, steward.E(op, err)
	}
	return res, nil
}

// write finishes a message: MIME headers, the quoted-printable text, then
// the attachments of events as base64 parts.
func (w *Writer) write(dst io.Writer, h *bytes.Buffer, text []byte, events []*rsmf.Event, res *Result) error {
	var body bytes.Buffer
	body.Grow(len(text) + len(text)/8)
	qp := quotedprintable.NewWriter(&body)
	qp.Write(text) // writes to a bytes.Buffer cannot fail
	qp.Close()

	var attachments []*rsmf.Attachment
	for _, e := range events {
		for j := range e.Attachments {
			a := &e.Attachments[j]
			if a.Open == nil {
				name := a.Display
				if name == "" {
					name = a.ID
				}
				res.Warnings = append(res.Warnings, fmt.Sprintf("event %q: attachment %q is missing", e.ID, name))
				mailfmt.WriteHeader(h, "X-Steward-Attachment-Missing", name)
				continue
			}
			attachments = append(attachments, a)
		}
	}
	mailfmt.WriteHeader(h, "MIME-Version", "1.0")

	cw := &mailfmt.CountWriter{W: dst}
	bw := bufio.NewWriterSize(cw, 4<<10)
	defer func() { res.Bytes = cw.N }()
	const textHeaders = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
	if len(attachments) == 0 {
		bw.Write(h.Bytes())
		bw.WriteString(textHeaders + "\r\n")
		bw.Write(body.Bytes())
		bw.WriteString("\r\n")
		return bw.Flush()
	}

	// The boundary derives from a digest of the text, so output is
	// reproducible and no text can be written to contain it; base64 has
	// no '-', so attachments cannot either.
	sum := sha256.Sum256(body.Bytes())
	boundary := "eml-" + hex.EncodeToString(sum[:12])
	mailfmt.WriteHeader(h, "Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
	bw.Write(h.Bytes())
	bw.WriteString("\r\n--" + boundary + "\r\n" + textHeaders + "\r\n")
	bw.Write(body.Bytes())
	for _, a := range attachments {
		name := a.Display
		if name == "" {
			name = a.ID
		}
		var ph bytes.Buffer
		ph.WriteString("\r\n--" + boundary + "\r\n")
		mailfmt.WriteFolded(&ph, "Content-Type", mediaType(a.ContentType, name))
		mailfmt.WriteFolded(&ph, "Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName(name)}))
		ph.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		if _, err := bw.Write(ph.Bytes()); err != nil {
			return err
		}
		lw := &mailfmt.LineWriter{W: bw}
		enc := base64.NewEncoder(base64.StdEncoding, lw)
		if _, err := a.WriteTo(enc); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
		if err := lw.End(); err != nil {
			return err
		}
		res.Attachments++
	}
	bw.WriteString("\r\n--" + boundary + "--\r\n")
	return bw.Flush()
}

// address is the participant as an RFC 5322 mailbox: the display name
// with the e-mail address, or with one made from the platform account,
// e.g. "+15550001111@signal.steward.invalid".
func (w *Writer) address(id string, conv *rsmf.Conversation) *mail.Address {
	p := w.x.Participant(id)
	name := w.x.Name(id)
	if p != nil && validEmail(p.Email) {
		return &mail.Address{Name: name, Address: p.Email}
	}
	local := id
	if p != nil && p.AccountID != "" {
		local = p.AccountID
	}
	if name == local {
		name = ""
	}
	return &mail.Address{Name: name, Address: atom(local) + "@" + label(conv.Platform) + "." + w.opts.Domain}
}

// conversationAddress stands for a whole conversation where a mailbox is
// needed and no participant fits.
func (w *Writer) conversationAddress(c *rsmf.Conversation) *mail.Address {
	name := c.Display
	if name == "" {
		name = c.ID
	}
	return &mail.Address{Name: name, Address: "conversation-" + atom(c.ID) + "@" + label(c.Platform) + "." + w.opts.Domain}
}

// messageID is the Message-ID of an event; i disambiguates events without
// an ID and is -1 for references to a parent.
func (w *Writer) messageID(conv, event string, i int) string {
	if event == "" {
		event = "event-" + strconv.Itoa(i)
	}
	return "<" + atom(event) + "." + atom(conv) + "@" + w.opts.Domain + ">"
}

func subject(c *rsmf.Conversation) string {
	name := c.Display
	if name == "" {
		name = c.ID
	}
	p := c.Platform
	if r, n := utf8.DecodeRuneInString(p); n > 0 {
		p = string(unicode.ToUpper(r)) + p[n:]
	}
	return p + ": " + name
}

func addressList(as []*mail.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}
