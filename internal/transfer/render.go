package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/eml"
	"github.com/steward-gov/steward/internal/rsmf"
	"github.com/steward-gov/steward/internal/steward"
)

// Row is one line of metadata.csv and one object of metadata.json. The
// first seven fields are NARA's minimum transfer metadata (Bulletin
// 2015-04); the rest are the record's facts. Times are RFC 3339 in UTC;
// an unknown sent time is empty.
type Row struct {
	FileName         string   `json:"file_name"`
	RecordID         string   `json:"record_id"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Creator          string   `json:"creator"`
	CreationDate     string   `json:"creation_date"`
	Rights           string   `json:"rights"`
	LeafIndex        int64    `json:"leaf_index"`
	LeafHash         string   `json:"leaf_hash"`
	Kind             string   `json:"kind"`
	EventType        string   `json:"event_type"`
	Channel          string   `json:"channel"`
	Direction        string   `json:"direction"`
	ConversationID   string   `json:"conversation_id"`
	Subject          string   `json:"subject"`
	Sender           string   `json:"sender"`
	SenderName       string   `json:"sender_name"`
	Recipients       []string `json:"recipients"`
	RecipientNames   []string `json:"recipient_names"`
	SentAt           string   `json:"sent_at"`
	CapturedAt       string   `json:"captured_at"`
	ActsOn           string   `json:"acts_on"`
	Parent           string   `json:"parent"`
	AttachmentName   string   `json:"attachment_name"`
	AttachmentType   string   `json:"attachment_type"`
	AttachmentSize   int64    `json:"attachment_size"`
	AttachmentSHA256 string   `json:"attachment_sha256"`
	ScheduleItem     string   `json:"schedule_item"`
	Schedule         string   `json:"schedule"`
	Authority        string   `json:"authority"`
}

// Columns are metadata.csv's header, in order: Row's JSON names.
var Columns = []string{"file_name", "record_id", "title", "description", "creator", "creation_date", "rights",
	"leaf_index", "leaf_hash", "kind", "event_type", "channel", "direction", "conversation_id", "subject",
	"sender", "sender_name", "recipients", "recipient_names", "sent_at", "captured_at", "acts_on", "parent",
	"attachment_name", "attachment_type", "attachment_size", "attachment_sha256", "schedule_item", "schedule", "authority"}

// fields returns the row's CSV fields in Columns order; lists are joined
// with "; ", and an attachment size is empty for records that are not
// attachments.
func (r *Row) fields() []string {
	size := ""
	if r.Kind == string(steward.RecordAttachment) {
		size = strconv.FormatInt(r.AttachmentSize, 10)
	}
	return []string{r.FileName, r.RecordID, r.Title, r.Description, r.Creator, r.CreationDate, r.Rights,
		strconv.FormatInt(r.LeafIndex, 10), r.LeafHash, r.Kind, r.EventType, r.Channel, r.Direction, r.ConversationID,
		r.Subject, r.Sender, r.SenderName, strings.Join(r.Recipients, "; "), strings.Join(r.RecipientNames, "; "),
		r.SentAt, r.CapturedAt, r.ActsOn, r.Parent, r.AttachmentName, r.AttachmentType, size, r.AttachmentSHA256,
		r.ScheduleItem, r.Schedule, r.Authority}
}

// conversation writes the .eml files of one conversation's records and
// adds their metadata rows.
func (b *builder) conversation(convID string, items []*item) error {
	for _, it := range items {
		_, c, err := b.d.Reader.OpenRecord(b.ctx, it.rec)
		if err != nil {
			return steward.E(fmt.Sprintf("record %s", it.rec.ID), err)
		}
		it.content = c
		for _, a := range it.atts {
			_, ac, err := b.d.Reader.OpenRecord(b.ctx, a.rec)
			if err != nil {
				return steward.E(fmt.Sprintf("attachment %s", a.rec.ID), err)
			}
			if len(ac.Attachments) != 1 {
				return steward.Errorf(opBuild, steward.Internal, "attachment %s: content malformed", a.rec.ID)
			}
			a.att = ac.Attachments[0]
		}
	}
	cv := &convFacts{id: convID, channel: items[0].meta.Channel, parties: map[string]steward.Party{}}
	if cv.channel == "" {
		cv.channel = "unknown"
	}
	if convID != "" {
		conv, err := b.d.Store.ConversationByID(b.ctx, convID)
		if err != nil {
			return steward.E(fmt.Sprintf("conversation %s", convID), err)
		}
		if cv.group = conv.Kind == steward.ConversationGroup; cv.group {
			ms, err := b.d.Store.Members(b.ctx, convID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				cv.members = append(cv.members, m.Address)
			}
		}
	}
	for _, it := range items {
		c := it.content
		if c.Conversation.Title != "" {
			cv.title = c.Conversation.Title // the latest wins
		}
		cv.party(it.meta.Sender, c.Sender)
		for i, a := range it.meta.Recipients {
			var p steward.Party
			if i < len(c.Recipients) && c.Recipients[i].Address == a {
				p = c.Recipients[i]
			}
			cv.party(a, p)
		}
	}
	for _, a := range cv.members {
		cv.party(a, steward.Party{})
	}

	dir := "conversations/" + dirName(convID)
	m := &rsmf.Manifest{EventCollectionID: convID}
	rc := rsmf.Conversation{ID: nonEmpty(convID, "none"), Platform: cv.channel, Display: cv.title, Type: rsmf.Direct}
	if cv.group {
		rc.Type = rsmf.Channel
	}
	addrs := make([]string, 0, len(cv.parties))
	for a := range cv.parties {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		name, email, err := b.names.resolve(steward.Channel(cv.channel), a, cv.parties[a])
		if err != nil {
			return err
		}
		m.Participants = append(m.Participants, rsmf.Participant{ID: a, Display: name, Email: email, AccountID: a})
	}
	rc.Participants = addrs
	if rc.Display == "" && !cv.group {
		// An untitled direct conversation is named by its parties, so the
		// e-mail subject says who spoke rather than an id.
		var ns []string
		for _, p := range m.Participants {
			ns = append(ns, p.Display)
		}
		rc.Display = strings.Join(ns, " and ")
	}
	m.Conversations = []rsmf.Conversation{rc}

	// Messages by the channel's id, so that events and replies find them.
	msgs := map[string]*item{}
	for _, it := range items {
		if it.rec.Kind == steward.RecordMessage && it.meta.ChannelID != "" {
			msgs[it.meta.ChannelID] = it
		}
	}
	top := map[*item]int{} // message or standalone event → its event index
	var tops []*item
	for _, it := range items {
		if it.rec.Kind == steward.RecordEvent {
			if t := msgs[it.meta.Target]; t != nil && foldable(steward.EventType(it.meta.Type)) && t.rec.LeafIndex < it.rec.LeafIndex {
				it.actsOn = t
				continue
			}
		}
		top[it] = len(m.Events)
		tops = append(tops, it)
		it.file = fmt.Sprintf("%s/%012d-%s.eml", dir, it.rec.LeafIndex, fileID(it.rec.ID))
		m.Events = append(m.Events, b.event(it, rc.ID, msgs))
	}
	reactions := map[*item][]rsmf.Reaction{}
	for _, it := range items {
		if it.actsOn == nil {
			continue
		}
		it.file = it.actsOn.file
		ev := &m.Events[top[it.actsOn]]
		who := nonEmpty(it.meta.Sender, "unknown")
		at := when(it)
		switch steward.EventType(it.meta.Type) {
		case steward.EventEdit:
			ev.Edits = append(ev.Edits, rsmf.Edit{Participant: who, Timestamp: at, Previous: ev.Body, New: it.content.Body})
			ev.Body = it.content.Body
		case steward.EventDelete:
			ev.Deleted = true
		case steward.EventReaction:
			reactions[it.actsOn] = react(reactions[it.actsOn], it.content.Emoji, who, it.content.Remove)
			ev.Reactions = reactions[it.actsOn]
		case steward.EventReceipt:
			action := rsmf.Read
			if it.content.Receipt == "delivered" {
				action = rsmf.Delivered
			}
			ev.ReadReceipts = append(ev.ReadReceipts, rsmf.ReadReceipt{Participant: who, Timestamp: at, Action: action})
		}
	}

	w, err := eml.NewWriter(m, nil)
	if err != nil {
		return steward.E(steward.Internal, fmt.Sprintf("conversation %s", convID), err)
	}
	for i, it := range tops {
		err := b.create(it.file, func(dst io.Writer) error { _, err := w.Message(dst, i); return err }, true)
		if err != nil {
			return steward.E(fmt.Sprintf("record %s", it.rec.ID), err)
		}
	}
	for _, it := range items {
		row, err := b.row(it, cv)
		if err != nil {
			return err
		}
		b.rows = append(b.rows, row)
		b.step()
		for _, a := range append(slices.Clone(it.atts), it.decisions...) {
			a.file = it.file
			ar, err := b.row(a, cv)
			if err != nil {
				return err
			}
			b.rows = append(b.rows, ar)
			b.step()
		}
	}
	return nil
}

// foldable reports whether an event of type t is shown inside the
// message it acts on.
func foldable(t steward.EventType) bool {
	switch t {
	case steward.EventEdit, steward.EventDelete, steward.EventReaction, steward.EventReceipt:
		return true
	}
	return false
}

// event is the rsmf event of a message, or of an event shown on its own.
func (b *builder) event(it *item, conv string, msgs map[string]*item) rsmf.Event {
	c := it.content
	ev := rsmf.Event{ID: it.rec.ID, Type: rsmf.Message, Participant: nonEmpty(it.meta.Sender, "unknown"), Conversation: conv,
		Timestamp: when(it), Body: c.Body}
	switch it.meta.Direction {
	case steward.DirInbound:
		ev.Direction = rsmf.Incoming
	case steward.DirOutbound:
		ev.Direction = rsmf.Outgoing
	}
	if it.rec.Kind == steward.RecordEvent {
		ev.Type, ev.Body = rsmf.Unknown, describeEvent(it, msgs)
		return ev
	}
	if p := msgs[it.meta.ReplyTo]; it.meta.ReplyTo != "" && p != nil {
		ev.Parent = p.rec.ID
	}
	for _, a := range it.atts {
		att := a.att
		var sum []byte
		if h, err := hex.DecodeString(att.SHA256); err == nil && len(h) == sha256.Size {
			sum = h
		}
		id := a.rec.ID
		ev.Attachments = append(ev.Attachments, rsmf.Attachment{ID: id + "-" + nonEmpty(att.Filename, "attachment"),
			Display: att.Filename, ContentType: att.ContentType, Size: att.Size, SHA256: sum,
			Open: func() (io.ReadCloser, error) {
				_, _, data, err := b.d.Reader.Attachment(b.ctx, id)
				if err != nil {
					return nil, err
				}
				return io.NopCloser(bytes.NewReader(data)), nil
			}})
	}
	return ev
}

// describeEvent is the body of an event shown on its own: what it did,
// and to which message.
func describeEvent(it *item, msgs map[string]*item) string {
	c := it.content
	target := it.meta.Target
	if t := msgs[target]; t != nil {
		target = "record " + t.rec.ID
	} else if target != "" {
		target = "channel message " + target + " (not in this package)"
	}
	switch steward.EventType(it.meta.Type) {
	case steward.EventEdit:
		return "Edited " + target + "; new text:\n" + c.Body
	case steward.EventDelete:
		return "Deleted " + target + " for everyone."
	case steward.EventReaction:
		if c.Remove {
			return "Removed the reaction " + c.Emoji + " from " + target + "."
		}
		return "Reacted " + c.Emoji + " to " + target + "."
	case steward.EventReceipt:
		return "Receipt (" + c.Receipt + ") for " + target + "."
	case steward.EventMembership:
		var s []string
		if len(c.MembersAdded) > 0 {
			s = append(s, "added "+partyList(c.MembersAdded))
		}
		if len(c.MembersRemoved) > 0 {
			s = append(s, "removed "+partyList(c.MembersRemoved))
		}
		return "Membership change: " + strings.Join(s, "; ") + "."
	}
	text := "Event " + it.meta.Type
	if target != "" {
		text += " on " + target
	}
	if c.Body != "" {
		text += ":\n" + c.Body
	}
	return text
}

func partyList(ps []steward.Party) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Address
		if p.Name != "" {
			s[i] = p.Name + " (" + p.Address + ")"
		}
	}
	return strings.Join(s, ", ")
}

// react applies one reaction (or its removal) to a message's reactions.
func react(rs []rsmf.Reaction, value, who string, remove bool) []rsmf.Reaction {
	if value == "" {
		return rs
	}
	i := slices.IndexFunc(rs, func(r rsmf.Reaction) bool { return r.Value == value })
	switch {
	case remove && i >= 0:
		rs[i].Participants = slices.DeleteFunc(rs[i].Participants, func(p string) bool { return p == who })
		if len(rs[i].Participants) == 0 {
			rs = slices.Delete(rs, i, i+1)
		}
	case remove:
	case i < 0:
		rs = append(rs, rsmf.Reaction{Value: value, Participants: []string{who}})
	case !slices.Contains(rs[i].Participants, who):
		rs[i].Participants = append(rs[i].Participants, who)
	}
	return rs
}

// convFacts is what one conversation's rows share.
type convFacts struct {
	id, channel, title string
	group              bool
	members            []string
	parties            map[string]steward.Party // by address: the richest capture of each
	resolved           map[string]string        // address → name, once asked
}

func (cv *convFacts) party(addr string, p steward.Party) {
	if addr == "" {
		return
	}
	old, ok := cv.parties[addr]
	if !ok || old.Name == "" && old.EmployeeID == "" && old.ContactID == "" {
		p.Address = addr
		cv.parties[addr] = p
	}
}

// recipients are the addressees of a message: for a group, every member
// but the sender; otherwise those the channel named.
func (cv *convFacts) recipients(meta *steward.RecordMeta) []string {
	if cv.group && len(cv.members) > 0 {
		return slices.DeleteFunc(slices.Clone(cv.members), func(a string) bool { return a == meta.Sender })
	}
	return slices.Clone(meta.Recipients)
}

// row is a record's metadata line.
func (b *builder) row(it *item, cv *convFacts) (Row, error) {
	src := it
	switch {
	case it.parent != nil:
		src = it.parent // an attachment is sent and addressed as its message
	case it.decisionOf != nil:
		src = it.decisionOf
	}
	meta := &src.meta
	r := Row{FileName: it.file, RecordID: it.rec.ID, LeafIndex: it.rec.LeafIndex, Kind: string(it.rec.Kind),
		Channel: cv.channel, Direction: string(meta.Direction), ConversationID: src.rec.ConversationID, Subject: cv.title,
		Sender: meta.Sender, Recipients: cv.recipients(meta), CapturedAt: stamp(it.rec.CapturedAt)}
	lh := archive.LeafHash(it.rec.Leaf)
	r.LeafHash = hex.EncodeToString(lh[:])
	if it.rec.Kind != steward.RecordAttachment {
		r.EventType = it.meta.Type // a policy decision's is "policy_decision"
	}
	if meta.SentAt != nil && !meta.SentAt.IsZero() {
		r.SentAt = stamp(*meta.SentAt)
	}
	var err error
	if r.SenderName, err = b.name(cv, meta.Sender); err != nil {
		return r, err
	}
	r.RecipientNames = make([]string, len(r.Recipients))
	for i, a := range r.Recipients {
		if r.RecipientNames[i], err = b.name(cv, a); err != nil {
			return r, err
		}
	}
	platform := platformName(cv.channel)
	r.Creator = r.Sender
	if r.SenderName != "" && r.SenderName != r.Sender {
		r.Creator = r.SenderName + " <" + r.Sender + ">"
	}
	r.CreationDate = nonEmpty(r.SentAt, r.CapturedAt)
	where := "a direct conversation"
	if cv.group {
		where = "a group conversation"
	}
	if cv.title != "" {
		where += " (" + cv.title + ")"
	}
	switch {
	case it.parent != nil:
		r.Parent = it.parent.rec.ID
		r.AttachmentName, r.AttachmentType, r.AttachmentSize, r.AttachmentSHA256 =
			it.att.Filename, it.att.ContentType, it.att.Size, it.att.SHA256
		r.Title = "Attachment " + nonEmpty(it.att.Filename, it.rec.ID)
		r.Description = fmt.Sprintf("Attachment (%d bytes) of %s message %s, in %s", it.att.Size, platform, it.parent.rec.ID, where)
	case it.decisionOf != nil:
		r.Parent = it.decisionOf.rec.ID
		r.Title = "Policy decision on " + platform + " message " + it.decisionOf.rec.ID
		r.Description = fmt.Sprintf("Steward's policy decision (%s) on message %s, in %s; its findings are not part of the message",
			nonEmpty(it.meta.Action, "none"), it.decisionOf.rec.ID, where)
	case it.rec.Kind != steward.RecordEvent:
		what := "message"
		if it.rec.Kind == steward.RecordConsent {
			what = "consent message" // the recording notice, or a reply to it
		}
		r.Title = platform + " " + what + " from " + nonEmpty(r.SenderName, r.Sender)
		r.Description = fmt.Sprintf("%s %s (%s) in %s", platform, what, nonEmpty(r.Direction, "direction unknown"), where)
		if n := len(it.atts); n > 0 {
			r.Description += fmt.Sprintf(", with %d attachment(s)", n)
		}
	default:
		r.Title = platform + " " + it.meta.Type + " by " + nonEmpty(r.SenderName, r.Sender)
		r.Description = fmt.Sprintf("%s %s event in %s", platform, it.meta.Type, where)
		if it.actsOn != nil {
			r.ActsOn = it.actsOn.rec.ID
			r.Description += ", acting on message " + r.ActsOn
		}
	}
	asg, err := b.d.Store.AssignmentByRecord(b.ctx, it.rec.ID)
	switch {
	case err == nil:
		r.ScheduleItem = asg.ItemID
	case !steward.Is(steward.NotFound, err):
		return r, err
	case it.meta.Schedule != nil:
		r.ScheduleItem = it.meta.Schedule.ItemID
	}
	if item, ok := b.sched.Item(r.ScheduleItem); ok {
		r.Schedule, r.Authority = item.Label(), item.Authority
	}
	return r, nil
}

// name is the resolved name of an address in the conversation.
func (b *builder) name(cv *convFacts, addr string) (string, error) {
	if addr == "" {
		return "", nil
	}
	if n, ok := cv.resolved[addr]; ok {
		return n, nil
	}
	name, _, err := b.names.resolve(steward.Channel(cv.channel), addr, cv.parties[addr])
	if err != nil {
		return "", err
	}
	if cv.resolved == nil {
		cv.resolved = map[string]string{}
	}
	cv.resolved[addr] = name
	return name, nil
}

// writeMetadata writes metadata.csv and metadata.json, rows in leaf
// order.
func (b *builder) writeMetadata() error {
	slices.SortFunc(b.rows, func(x, y Row) int { return cmpInt(x.LeafIndex, y.LeafIndex) })
	var buf bytes.Buffer
	cw := newCSVWriter(&buf)
	cw.Write(Columns)
	for i := range b.rows {
		cw.Write(b.rows[i].fields())
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return steward.E(steward.Internal, err)
	}
	if err := b.writeFile(MetadataCSV, buf.Bytes()); err != nil {
		return err
	}
	for i := range b.rows {
		// Empty lists are [] in JSON, not null, so every row has one shape.
		if b.rows[i].Recipients == nil {
			b.rows[i].Recipients = []string{}
		}
		if b.rows[i].RecipientNames == nil {
			b.rows[i].RecipientNames = []string{}
		}
	}
	js, err := json.MarshalIndent(b.rows, "", " ")
	if err != nil {
		return steward.E(steward.Internal, err)
	}
	return b.writeFile(MetadataJSON, append(js, '\n'))
}

// names resolves addresses to the full names 36 CFR 1236.22(a)(3) asks
// for, caching what it reads.
type names struct {
	ctx      context.Context
	store    Store
	ids      map[string]string // channel\x00address → employee id ("" for none)
	emps     map[string]*steward.Employee
	contacts map[string]*steward.Contact
}

func newNames(ctx context.Context, s Store) *names {
	return &names{ctx: ctx, store: s, ids: map[string]string{}, emps: map[string]*steward.Employee{},
		contacts: map[string]*steward.Contact{}}
}

// resolve returns the name and e-mail address to show for addr: the
// employee's directory name (the employee resolved at capture, else the
// work identity holding addr today), else the outside contact's name,
// else the name the channel gave at capture, else the address itself.
func (n *names) resolve(ch steward.Channel, addr string, captured steward.Party) (name, email string, err error) {
	empID := captured.EmployeeID
	if empID == "" {
		key := string(ch) + "\x00" + addr
		var ok bool
		if empID, ok = n.ids[key]; !ok {
			id, err := n.store.IdentityByAddress(n.ctx, ch, addr)
			switch {
			case err == nil:
				empID = id.EmployeeID
			case !steward.Is(steward.NotFound, err):
				return "", "", err
			}
			n.ids[key] = empID
		}
	}
	if empID != "" {
		e, ok := n.emps[empID]
		if !ok {
			var err error
			if e, err = n.store.EmployeeByID(n.ctx, empID); err != nil && !steward.Is(steward.NotFound, err) {
				return "", "", err
			}
			n.emps[empID] = e
		}
		if e != nil && e.DisplayName != "" {
			return e.DisplayName, e.Email, nil
		}
	}
	if captured.ContactID != "" {
		c, ok := n.contacts[captured.ContactID]
		if !ok {
			var err error
			if c, err = n.store.ContactByID(n.ctx, captured.ContactID); err != nil && !steward.Is(steward.NotFound, err) {
				return "", "", err
			}
			n.contacts[captured.ContactID] = c
		}
		if c != nil && c.DisplayName != "" {
			return c.DisplayName, "", nil
		}
	}
	if captured.Name != "" {
		return captured.Name, "", nil
	}
	return addr, "", nil
}

// when is the time a record's event happened: the channel's sent time,
// else the capture time.
func when(it *item) time.Time {
	if it.meta.SentAt != nil && !it.meta.SentAt.IsZero() {
		return *it.meta.SentAt
	}
	return it.rec.CapturedAt
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func platformName(p string) string {
	if r, n := utf8.DecodeRuneInString(p); n > 0 {
		return string(unicode.ToUpper(r)) + p[n:]
	}
	return p
}

// dirName is a conversation's directory: its id when that is a portable
// file name (Steward's ids are UUIDs), else a digest of it.
func dirName(convID string) string {
	if convID == "" {
		return "none"
	}
	if safeName(convID) {
		return convID
	}
	sum := sha256.Sum256([]byte(convID))
	return "c-" + hex.EncodeToString(sum[:16])
}

// fileID is a record id as part of a file name.
func fileID(id string) string {
	if safeName(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "r-" + hex.EncodeToString(sum[:16])
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// newCSVWriter writes NARA's pipe-delimited CSV.
func newCSVWriter(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.Comma = '|'
	return cw
}
