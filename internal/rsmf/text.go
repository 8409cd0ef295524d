package rsmf

import (
	"bytes"
	"github.com/steward-gov/steward/internal/mailfmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The text layout below is the one every Steward production shows to a
// reader: the .rsmf preview body, and the EML message and transcript
// bodies. Keeping it in one place keeps revisions shown the same way
// everywhere.
//
// An event starts with a line holding its time, sender and ID. The lines
// under it are indented by four spaces and carry a mark: "|" for text
// written by a participant, "*" for facts added by the writer (deletion,
// edits, reactions, receipts, attachments). Since every participant line
// starts with "|", no message text can pass for a fact such as a deletion
// note.

// WriteText writes a plain-text transcript of the whole manifest: the
// summary, then every event in manifest order.
func (x *Index) WriteText(w io.Writer) error {
	var b bytes.Buffer
	x.appendSummary(&b)
	for i := range x.m.Events {
		b.WriteByte('\n')
		x.appendEvent(&b, &x.m.Events[i])
		if b.Len() > 64<<10 {
			if _, err := w.Write(b.Bytes()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteSummary writes the lines that describe the conversations, their
// custodians and participants, and the events' count and time span.
func (x *Index) WriteSummary(w io.Writer) error {
	var b bytes.Buffer
	x.appendSummary(&b)
	_, err := w.Write(b.Bytes())
	return err
}

// WriteEventText writes one event in the transcript layout.
func (x *Index) WriteEventText(w io.Writer, e *Event) error {
	var b bytes.Buffer
	x.appendEvent(&b, e)
	_, err := w.Write(b.Bytes())
	return err
}

func (x *Index) appendSummary(b *bytes.Buffer) {
	for i := range x.m.Conversations {
		c := &x.m.Conversations[i]
		b.WriteString(platformName(c.Platform))
		b.WriteString(" conversation ")
		b.WriteString(strconv.Quote(cleanLine(nonEmpty(c.Display, c.ID))))
		if c.Type != "" {
			b.WriteString(" (" + string(c.Type) + ")")
		}
		b.WriteByte('\n')
		if c.Custodian != "" {
			b.WriteString("Custodian: ")
			b.WriteString(cleanLine(x.label(c.Custodian)))
			b.WriteByte('\n')
		}
		if len(c.Participants) > 0 {
			b.WriteString("Participants: ")
			for j, id := range c.Participants {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(cleanLine(x.label(id)))
			}
			b.WriteByte('\n')
		}
	}
	first, last, n := span(x.m.Events)
	b.WriteString(strconv.Itoa(n))
	if n == 1 {
		b.WriteString(" event")
	} else {
		b.WriteString(" events")
	}
	if !first.IsZero() {
		b.WriteString(" from " + timestamp(first) + " to " + timestamp(last))
	}
	b.WriteByte('\n')
}

// label names a participant with the address or account that tells
// namesakes apart.
func (x *Index) label(id string) string {
	p := x.participants[id]
	if p == nil {
		return id
	}
	name := x.Name(id)
	switch {
	case p.Email != "" && p.Email != name && validEmail(p.Email):
		return name + " <" + p.Email + ">"
	case p.AccountID != "" && p.AccountID != name:
		return name + " (" + p.AccountID + ")"
	}
	return name
}

func (x *Index) appendEvent(b *bytes.Buffer, e *Event) {
	if e.Timestamp.IsZero() {
		b.WriteString("(time unknown)")
	} else {
		b.WriteString(timestamp(e.Timestamp))
	}
	b.WriteString("  ")
	who := cleanLine(x.Name(e.Participant))
	switch e.Type {
	case Message:
		b.WriteString(who)
	case Join:
		b.WriteString(who + " joined")
	case Leave:
		b.WriteString(who + " left")
	default:
		b.WriteString("[" + cleanLine(string(e.Type)) + "]")
		if who != "" {
			b.WriteString(" " + who)
		}
	}
	if e.Direction != "" {
		b.WriteString(", " + string(e.Direction))
	}
	if e.ID != "" {
		b.WriteString("  [" + cleanLine(e.ID) + "]")
	}
	b.WriteByte('\n')
	if e.Body != "" {
		quoted(b, "    | ", e.Body)
	}
	if e.Parent != "" {
		b.WriteString("    * reply to [" + cleanLine(e.Parent) + "]\n")
	}
	if e.Deleted {
		b.WriteString("    * DELETED by the sender; the text above is as captured before deletion\n")
	}
	for i, ed := range e.Edits {
		who := ed.Participant
		if who == "" {
			who = e.Participant
		}
		b.WriteString("    * EDIT " + strconv.Itoa(i+1) + " of " + strconv.Itoa(len(e.Edits)))
		if !ed.Timestamp.IsZero() {
			b.WriteString(" at " + timestamp(ed.Timestamp))
		}
		b.WriteString(" by " + cleanLine(x.Name(who)) + "\n")
		quoted(b, "    *   before | ", ed.Previous)
		quoted(b, "    *   after  | ", ed.New)
	}
	for _, r := range e.Reactions {
		count := r.Count
		if count == 0 {
			count = len(r.Participants)
		}
		b.WriteString("    * REACTION " + cleanLine(r.Value) + " x" + strconv.Itoa(count))
		for j, id := range r.Participants {
			if j == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString(", ")
			}
			b.WriteString(cleanLine(x.Name(id)))
		}
		b.WriteByte('\n')
	}
	for _, rr := range e.ReadReceipts {
		action := string(rr.Action)
		if action == "" {
			action = "receipt"
		}
		b.WriteString("    * " + strings.ToUpper(cleanLine(action)) + " by " + cleanLine(x.Name(rr.Participant)))
		if !rr.Timestamp.IsZero() {
			b.WriteString(" at " + timestamp(rr.Timestamp))
		}
		b.WriteByte('\n')
	}
	for _, a := range e.Attachments {
		name := cleanLine(nonEmpty(a.Display, a.ID))
		if a.Open == nil {
			b.WriteString("    * ATTACHMENT MISSING AT CAPTURE: " + name + "\n")
			continue
		}
		b.WriteString("    * ATTACHMENT " + name)
		var details []string
		if a.ContentType != "" {
			details = append(details, cleanLine(a.ContentType))
		}
		if a.Size > 0 {
			details = append(details, strconv.FormatInt(a.Size, 10)+" bytes")
		}
		if len(details) > 0 {
			b.WriteString(" (" + strings.Join(details, ", ") + ")")
		}
		b.WriteByte('\n')
	}
}

// quoted writes text line by line, each line behind prefix; empty text
// still gets one (empty) line, so an edit that cleared a message shows.
func quoted(b *bytes.Buffer, prefix, text string) {
	for line := range strings.SplitSeq(normalizeNewlines(text), "\n") {
		b.WriteString(prefix)
		b.WriteString(cleanLine(line))
		b.WriteByte('\n')
	}
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// cleanLine makes s safe to print on one line: invalid UTF-8 becomes
// U+FFFD and control characters (including newlines) become their visible
// Unicode "control picture", so the text is shown, not obeyed.
func cleanLine(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = mailfmt.ToValidUTF8(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return r
		case r < 0x20:
			return 0x2400 + r
		case r == 0x7f:
			return 0x2421
		case r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029:
			return 0xfffd
		}
		return r
	}, s)
}

func platformName(p string) string {
	if p == "" {
		return "Unknown platform"
	}
	p = cleanLine(p)
	r, n := utf8.DecodeRuneInString(p)
	return string(unicode.ToUpper(r)) + p[n:]
}

// span returns the earliest and latest timestamps among the events and
// how many events there are.
func span(events []Event) (first, last time.Time, n int) {
	for i := range events {
		t := events[i].Timestamp
		if t.IsZero() {
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	return first, last, len(events)
}
