package steward

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
)

// ConsentText is one version of the notice an outside contact is asked to
// accept before anything flows: that the conversation will be recorded for
// records compliance. Versions are immutable; changing the text makes a new
// version, and every consent record names the version and its hash, so a
// records officer can show exactly what a contact agreed to.
//
// The text is the organization's public notice, identical for every
// contact, so it is configuration and is stored in clear; it is never
// message content.
type ConsentText struct {
	Version   string    `json:"version"`
	Text      string    `json:"text"`
	SHA256    string    `json:"sha256"` // hex digest of Text as sent
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Current   bool      `json:"current"`
}

// TextDigest returns the hex SHA-256 of a consent text.
func TextDigest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// ConsentTextStore keeps consent text versions.
type ConsentTextStore interface {
	// AddConsentText stores a new version and makes it current. Adding a
	// version whose name exists with the same text only makes it current;
	// with a different text it returns Conflict.
	AddConsentText(ctx context.Context, t *ConsentText) error
	// CurrentConsentText returns NotFound if no version was ever added.
	CurrentConsentText(ctx context.Context) (*ConsentText, error)
	// ConsentTextByVersion returns NotFound if there is no such version.
	ConsentTextByVersion(ctx context.Context, version string) (*ConsentText, error)
	// ConsentTexts lists every version, newest first.
	ConsentTexts(ctx context.Context) ([]*ConsentText, error)
}

// ConsentEvent indexes one archived consent record under its contact: a
// request sent, a reply received, or a change of state.
type ConsentEvent struct {
	ContactID string       `json:"contact_id"`
	RecordID  string       `json:"record_id"`
	Action    string       `json:"action"` // request, reply, state
	State     ConsentState `json:"state"`  // the state after the event
	Version   string       `json:"version,omitempty"`
	At        time.Time    `json:"at"`
}

// ConsentReply is what a contact's message means for consent.
type ConsentReply int

const (
	ReplyOther   ConsentReply = iota // not a consent keyword
	ReplyAccept                      // ACCEPT, YES, …
	ReplyDecline                     // DECLINE, NO, …
	ReplyStop                        // STOP, …: revoke at any time
)

// Keywords are the replies that count, in one language.
type Keywords struct {
	Accept  []string `json:"accept"`
	Decline []string `json:"decline"`
	Stop    []string `json:"stop"`
}

// DefaultKeywords are used when the configuration names none.
var DefaultKeywords = map[string]Keywords{
	"en": {Accept: []string{"ACCEPT", "YES", "Y"}, Decline: []string{"DECLINE", "NO", "N"}, Stop: []string{"STOP", "UNSUBSCRIBE"}},
	"es": {Accept: []string{"ACEPTO", "ACEPTAR", "SI", "SÍ"}, Decline: []string{"RECHAZO", "RECHAZAR", "NO"}, Stop: []string{"ALTO", "PARAR", "BAJA"}},
	"fr": {Accept: []string{"ACCEPTE", "ACCEPTER", "OUI"}, Decline: []string{"REFUSE", "REFUSER", "NON"}, Stop: []string{"ARRET", "ARRÊT", "STOP"}},
}

// MatchReply classifies a message body against the keywords of every
// language. The whole message must be the keyword, ignoring case,
// surrounding space and trailing punctuation ("Yes!", " accept. "), so
// that an ordinary sentence that merely contains "no" never decides
// consent. Stop wins over the others when a word is in two lists.
func MatchReply(body string, langs map[string]Keywords) ConsentReply {
	w := strings.TrimFunc(body, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	if w == "" || len(w) > 64 {
		return ReplyOther
	}
	in := func(list []string) bool {
		for _, k := range list {
			if strings.EqualFold(k, w) {
				return true
			}
		}
		return false
	}
	accept, decline := false, false
	for _, k := range langs {
		if in(k.Stop) {
			return ReplyStop
		}
		accept = accept || in(k.Accept)
		decline = decline || in(k.Decline)
	}
	switch {
	case accept && !decline:
		return ReplyAccept
	case decline && !accept:
		return ReplyDecline
	}
	return ReplyOther // unknown, or ambiguous across languages
}
