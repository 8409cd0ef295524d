package policy

import (
	"strings"
	"time"

	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// Party is a sender, recipient, group member or group actor. The cel tags
// are the field names a condition uses (sender.employee_id, …); the
// struct is handed to CEL as it is, without copying field by field.
type Party struct {
	Address string `cel:"address"` // the channel address, e.g. an E.164 number
	Name    string `cel:"name"`    // display name
	// Inside is true for an employee of the organization (someone with a
	// work identity); the fields up to Caveats are theirs and empty for
	// outside contacts.
	Inside     bool     `cel:"inside"`
	EmployeeID string   `cel:"employee_id"`
	Department string   `cel:"department"`
	Title      string   `cel:"title"`
	Seniority  string   `cel:"seniority"`
	Roles      []string `cel:"roles"` // steward.Role names
	Capstone   bool     `cel:"capstone"`
	Caveats    []string `cel:"caveats"`
	// Consent is an outside contact's consent state (steward.ConsentState:
	// pending, active, declined, revoked, expired), or another word such as
	// "none" for a contact never asked; empty for inside parties.
	Consent string `cel:"consent"`
	// Country is the ITU calling code of an E.164 Address ("1", "44",
	// "353"), without the plus. When the caller leaves it empty it is
	// filled from Address with CountryCode, so a policy on calling codes
	// cannot be defeated by a caller that forgot.
	Country string `cel:"country"`
}

// Attachment describes one attachment of a message; policies never see
// its bytes.
type Attachment struct {
	Filename  string
	Type      string // MIME type as sent
	Size      int64  // bytes
	Scannable bool   // false when its text could not be extracted for DLP
}

// MessageInput is what a message policy judges: metadata and detector
// counts, never the text itself.
type MessageInput struct {
	Sender     Party
	Recipients []Party
	Channel    string // e.g. signal
	Direction  string // inbound, outbound or internal
	// Mode is governed (Steward sends, so it can stop a message) or
	// linked (the employee's own app sent or received it and Steward saw
	// it after the fact).
	Mode             string
	ConversationType string // direct or group
	ConversationSize int    // members, the employee included
	Length           int    // bytes of text
	Attachments      []Attachment
	// Findings counts the valid findings of each detector: built-in
	// (dlp.Detectors), custom, lexicon, and "unscannable".
	Findings map[string]int
	Time     time.Time
	// SampleKey is a stable id of the message; sample() hashes it, so a
	// message gets the same answer live, on re-evaluation and in a dry run.
	SampleKey string
}

// GroupInput is what a group policy judges.
type GroupInput struct {
	Operation string // create, add, remove or make_admin
	// Actor is who makes the change; for changes seen on the channel it
	// may be an outside contact.
	Actor          Party
	Channel        string
	GroupSize      int     // members before the operation
	OutsideMembers int     // outside members before the operation
	Members        []Party // the members being added, removed or promoted
	Time           time.Time
}

// The CEL views of inputs that are not handed over as they are. Their
// aliases (see env.go) are the type names a condition's error messages use.
type (
	attachmentView struct {
		Filename  string `cel:"filename"`
		Type      string `cel:"type"`
		Size      int64  `cel:"size"`
		Scannable bool   `cel:"scannable"`
		Extension string `cel:"extension"`
	}
	messageView struct {
		Length      int              `cel:"length"`
		Attachments []attachmentView `cel:"attachments"`
	}
	conversationView struct {
		Type string `cel:"type"`
		Size int    `cel:"size"`
	}
	groupView struct {
		Size           int `cel:"size"`
		OutsideMembers int `cel:"outside_members"`
	}
)

// extension returns the lower-cased extension of a file name without the
// dot: "pdf" for "Report.PDF", "exe" for "a.pdf.exe", "" for "README".
// Names come from outside senders, so both slash kinds end a directory.
func extension(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 { // ".bashrc" has no extension
		return ""
	}
	return strings.ToLower(name[i+1:])
}

// withCountry returns p with Country filled from Address when empty.
func withCountry(p Party) Party {
	if p.Country == "" {
		p.Country = CountryCode(p.Address)
	}
	return p
}

// partiesWithCountry returns ps, or a copy with countries filled in when
// any is missing, so the caller's slice is never written.
func partiesWithCountry(ps []Party) []Party {
	for i := range ps {
		if ps[i].Country == "" && CountryCode(ps[i].Address) != "" {
			out := make([]Party, len(ps))
			for j, p := range ps {
				out[j] = withCountry(p)
			}
			return out
		}
	}
	return ps
}

// messageVars is the activation of one message: it serves every policy of
// a set in turn. Values are converted on first use and kept, so a variable
// no policy reads costs nothing and one that fifty read is converted once.
type messageVars struct {
	in      *MessageInput
	adapter types.Adapter

	sender, recipients, conversation, message, findings ref.Val
	outside                                             types.Bool

	findingFn, sampleFn functions.LateBoundOp
}

func newMessageVars(in *MessageInput, adapter types.Adapter) *messageVars {
	v := &messageVars{in: in, adapter: adapter, outside: types.Bool(!in.Sender.Inside)}
	for i := range in.Recipients {
		if !in.Recipients[i].Inside {
			v.outside = true
			break
		}
	}
	v.findingFn = v.finding
	v.sampleFn = v.sample
	return v
}

// ResolveName implements interpreter.Activation.
func (v *messageVars) ResolveName(name string) (any, bool) {
	switch name {
	case "sender":
		if v.sender == nil {
			p := withCountry(v.in.Sender)
			v.sender = v.adapter.NativeToValue(&p)
		}
		return v.sender, true
	case "recipients":
		if v.recipients == nil {
			v.recipients = v.adapter.NativeToValue(partiesWithCountry(v.in.Recipients))
		}
		return v.recipients, true
	case "channel":
		return types.String(v.in.Channel), true
	case "direction":
		return types.String(v.in.Direction), true
	case "mode":
		return types.String(v.in.Mode), true
	case "conversation":
		if v.conversation == nil {
			v.conversation = v.adapter.NativeToValue(&conversationView{Type: v.in.ConversationType, Size: v.in.ConversationSize})
		}
		return v.conversation, true
	case "message":
		if v.message == nil {
			m := &messageView{Length: v.in.Length, Attachments: make([]attachmentView, len(v.in.Attachments))}
			for i, a := range v.in.Attachments {
				m.Attachments[i] = attachmentView{Filename: a.Filename, Type: a.Type, Size: a.Size,
					Scannable: a.Scannable, Extension: extension(a.Filename)}
			}
			v.message = v.adapter.NativeToValue(m)
		}
		return v.message, true
	case "findings":
		if v.findings == nil {
			f := v.in.Findings
			if f == nil {
				f = map[string]int{}
			}
			v.findings = v.adapter.NativeToValue(f)
		}
		return v.findings, true
	case "now":
		return types.Timestamp{Time: v.in.Time}, true
	case "outside":
		return v.outside, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *messageVars) Parent() interpreter.Activation { return nil }

// ResolveFunction implements interpreter.FunctionActivation: finding and
// sample read the message being judged, so they are bound per message.
func (v *messageVars) ResolveFunction(name string) (functions.LateBoundOp, bool) {
	switch name {
	case "finding":
		return v.findingFn, true
	case "sample":
		return v.sampleFn, true
	}
	return nil, false
}

func (v *messageVars) finding(_ string, args ...ref.Val) ref.Val {
	name, ok := args[0].(types.String)
	if !ok {
		return types.NewErr("finding: the detector name must be a string")
	}
	return types.Int(v.in.Findings[string(name)])
}

func (v *messageVars) sample(_ string, args ...ref.Val) ref.Val {
	var percent float64
	switch p := args[0].(type) {
	case types.Double:
		percent = float64(p)
	case types.Int:
		percent = float64(p)
	default:
		return types.NewErr("sample: the percentage must be a number")
	}
	hit, err := sampled(v.in.SampleKey, percent)
	if err != nil {
		return types.WrapErr(err)
	}
	return types.Bool(hit)
}

// groupVars is the activation of one group operation.
type groupVars struct {
	in                    *GroupInput
	adapter               types.Adapter
	actor, group, members ref.Val
}

// ResolveName implements interpreter.Activation.
func (v *groupVars) ResolveName(name string) (any, bool) {
	switch name {
	case "operation":
		return types.String(v.in.Operation), true
	case "actor":
		if v.actor == nil {
			p := withCountry(v.in.Actor)
			v.actor = v.adapter.NativeToValue(&p)
		}
		return v.actor, true
	case "group":
		if v.group == nil {
			v.group = v.adapter.NativeToValue(&groupView{Size: v.in.GroupSize, OutsideMembers: v.in.OutsideMembers})
		}
		return v.group, true
	case "members":
		if v.members == nil {
			v.members = v.adapter.NativeToValue(partiesWithCountry(v.in.Members))
		}
		return v.members, true
	case "channel":
		return types.String(v.in.Channel), true
	case "now":
		return types.Timestamp{Time: v.in.Time}, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *groupVars) Parent() interpreter.Activation { return nil }
