package search

import (
	"strconv"
	"strings"
	"time"
)

// Bounds of a query, so that no query text can cost unbounded work.
const (
	MaxQueryLen     = 4096 // bytes of query text
	MaxDepth        = 32   // nested parentheses and NOTs
	MaxTerms        = 256  // words and field conditions in a query
	MaxProximity    = 50   // the largest N of w/N
	MinPrefix       = 3    // runes before * in a wildcard
	MaxHashedPrefix = 8    // the longest stem the blind index answers exactly
)

// Op says what a Node is.
type Op uint8

const (
	OpPhrase Op = iota + 1 // Words in sequence; a single word is a plain term
	OpPrefix               // a word beginning with Words[0]
	OpNear                 // Kids[0] and Kids[1], two phrases, within N words
	OpAnd                  // every one of Kids (two or more)
	OpOr                   // any of Kids (two or more)
	OpNot                  // not Kids[0]
	OpField                // Field has Value
)

// Field names a field condition. Its value's meaning is in the package
// documentation.
type Field string

const (
	FieldFrom         Field = "from"
	FieldTo           Field = "to"
	FieldParticipant  Field = "participant"
	FieldCustodian    Field = "custodian"
	FieldChannel      Field = "channel"
	FieldConversation Field = "conversation"
	FieldHas          Field = "has"
	FieldFilename     Field = "filename"
	FieldDLP          Field = "dlp"
	FieldBefore       Field = "before"
	FieldAfter        Field = "after"
	FieldOn           Field = "on"
	FieldDirection    Field = "direction"
	FieldDeleted      Field = "deleted"
	FieldEdited       Field = "edited"
)

var fields = map[Field]bool{
	FieldFrom: true, FieldTo: true, FieldParticipant: true, FieldCustodian: true, FieldChannel: true,
	FieldConversation: true, FieldHas: true, FieldFilename: true, FieldDLP: true, FieldBefore: true,
	FieldAfter: true, FieldOn: true, FieldDirection: true, FieldDeleted: true, FieldEdited: true,
}

// Node is a node of a parsed query. Nodes are not changed after Parse.
type Node struct {
	Op    Op
	Words []string // OpPhrase: normalized tokens (see Tokens); OpPrefix: the stem
	N     int      // OpNear: within N words
	Kids  []*Node  // OpNear, OpAnd, OpOr, OpNot
	Field Field    // OpField
	// Value is an OpField's value in canonical form: lower case for
	// channel, dlp, direction, has, deleted and edited; YYYY-MM-DD for
	// dates; trimmed but otherwise as written for the rest.
	Value string
	Pos   int // where the node starts in the query text: a 1-based rune index
}

// Query is a parsed query: build one with Parse.
type Query struct {
	root *Node
}

// Root returns the top node of the query.
func (q *Query) Root() *Node { return q.root }

// String returns the canonical text of q, which parses back to the same
// query: operators in upper case, AND written out, terms normalized.
func (q *Query) String() string {
	var b strings.Builder
	q.root.print(&b)
	return b.String()
}

// day returns the date of a date field's value.
func (n *Node) day() time.Time {
	t, _ := time.Parse(time.DateOnly, n.Value)
	return t
}

// flag returns a boolean field's value.
func (n *Node) flag() bool { return n.Value == "true" }

func (n *Node) print(b *strings.Builder) {
	switch n.Op {
	case OpPhrase:
		if len(n.Words) == 1 {
			b.WriteString(n.Words[0])
		} else {
			// Words hold only letters, digits and marks: nothing to escape.
			b.WriteByte('"')
			b.WriteString(strings.Join(n.Words, " "))
			b.WriteByte('"')
		}
	case OpPrefix:
		b.WriteString(n.Words[0])
		b.WriteByte('*')
	case OpNear:
		n.Kids[0].print(b)
		b.WriteString(" w/")
		b.WriteString(strconv.Itoa(n.N))
		b.WriteByte(' ')
		n.Kids[1].print(b)
	case OpAnd, OpOr:
		sep := " AND "
		if n.Op == OpOr {
			sep = " OR "
		}
		for i, k := range n.Kids {
			if i > 0 {
				b.WriteString(sep)
			}
			// AND binds tighter than OR; the parser merges nested ANDs and
			// nested ORs, so only an OR under an AND needs parentheses.
			k.printGrouped(b, n.Op == OpAnd && k.Op == OpOr)
		}
	case OpNot:
		b.WriteString("NOT ")
		k := n.Kids[0]
		k.printGrouped(b, k.Op == OpAnd || k.Op == OpOr)
	case OpField:
		b.WriteString(string(n.Field))
		b.WriteByte(':')
		b.WriteString(quoteValue(n.Value))
	}
}

func (n *Node) printGrouped(b *strings.Builder, group bool) {
	if group {
		b.WriteByte('(')
	}
	n.print(b)
	if group {
		b.WriteByte(')')
	}
}

// quoteValue returns a field value as the lexer reads it back: bare if it
// holds no space, parenthesis, quote or backslash.
func quoteValue(v string) string {
	if v != "" && !strings.ContainsFunc(v, func(r rune) bool { return isSpace(r) || strings.ContainsRune(`()"\`, r) }) {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
