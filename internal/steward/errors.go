package steward

import (
	"errors"
	"fmt"
	"strings"
)

// Op names the operation that failed, usually "package.Method", so that an
// error read in a log or an audit entry says where it came from.
type Op string

// Kind classifies an error so that callers, and the HTTP layer's single
// status table, can act on it without parsing messages.
//
// Kinds are append-only: do not reorder or remove them, since their string
// forms are part of the API's error contract.
type Kind uint8

const (
	Other           Kind = iota // unclassified; treated as Internal at the edge
	Invalid                     // the caller sent something malformed
	NotFound                    // the named thing does not exist
	Conflict                    // the request clashes with current state
	Unauthenticated             // no or bad credentials
	Permission                  // authenticated but not allowed
	Unavailable                 // temporarily cannot serve: store down, disk full, shutting down
	Internal                    // a bug or an invariant broken; never shown raw
	TooLarge                    // the input exceeds a configured bound
	ConsentRequired             // the outside party has not consented to be recorded
	Gone                        // the thing existed but was destroyed, e.g. content shredded by disposition
	Integrity                   // stored data failed an integrity check: it was altered or corrupted
)

var kindNames = [...]string{
	Other:           "internal",
	Invalid:         "invalid",
	NotFound:        "not_found",
	Conflict:        "conflict",
	Unauthenticated: "unauthenticated",
	Permission:      "permission_denied",
	Unavailable:     "unavailable",
	Internal:        "internal",
	TooLarge:        "too_large",
	ConsentRequired: "consent_required",
	Gone:            "gone",
	Integrity:       "integrity",
}

// String returns the stable machine-readable code of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Error is Steward's error value. Op and Kind are always meaningful; Msg is
// safe to show to the caller for every kind except Internal and Other; Err
// is the wrapped cause, which may hold internal detail and is only logged.
type Error struct {
	Op   Op
	Kind Kind
	Msg  string
	Err  error
}

// E builds an *Error from its arguments, in any order:
//
//	Op     the operation
//	Kind   the classification
//	string a message safe to show the caller
//	error  the underlying cause
//
// If no Kind is given and the cause is an *Error, its Kind is inherited, so
// wrapping never loses the classification.
func E(args ...any) error {
	e := &Error{}
	for _, a := range args {
		switch v := a.(type) {
		case Op:
			e.Op = v
		case Kind:
			e.Kind = v
		case string:
			e.Msg = v
		case error:
			e.Err = v
		case nil:
		default:
			panic(fmt.Sprintf("steward.E: bad argument of type %T", a))
		}
	}
	if e.Kind == Other && e.Err != nil {
		e.Kind = KindOf(e.Err)
	}
	return e
}

// Errorf is shorthand for E(op, kind, fmt.Sprintf(format, args...)).
func Errorf(op Op, kind Kind, format string, args ...any) error {
	return &Error{Op: op, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(string(e.Op))
		b.WriteString(": ")
	}
	if e.Msg != "" {
		b.WriteString(e.Msg)
	} else if e.Kind != Other {
		b.WriteString(e.Kind.String())
	}
	if e.Err != nil {
		if e.Msg != "" || e.Kind != Other {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the outermost *Error in err's chain that has
// one, or Other.
func KindOf(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// Is reports whether err has the given kind.
func Is(kind Kind, err error) bool { return err != nil && KindOf(err) == kind }

// PublicMessage returns the text that may be shown to an API caller: the
// first non-empty Msg in the chain for non-internal kinds, and a fixed
// phrase for internal ones so that no detail leaks.
func PublicMessage(err error) string {
	k := KindOf(err)
	if k == Other || k == Internal {
		return "internal error"
	}
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			break
		}
		if e.Msg != "" {
			return e.Msg
		}
		err = e.Err
	}
	return k.String()
}
