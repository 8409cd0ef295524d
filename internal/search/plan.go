package search

import (
	"fmt"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// CondOp says what a Cond is.
type CondOp uint8

const (
	CondAll    CondOp = iota + 1 // every document: Tokens is a token that ColMeta of every document holds
	CondPhrase                   // Tokens consecutively in any one of Columns
	CondNear                     // Kids[0] and Kids[1], phrases in ColText, within N words as Match defines
	CondAnd                      // every one of Kids
	CondOr                       // any of Kids
	CondAndNot                   // Kids[0] and not Kids[1]
)

// Cond is a condition on hashed tokens, the form of a query a blind index
// evaluates. It maps one to one onto SQLite FTS5's query syntax (AND, OR,
// NOT, NEAR, column filters); a backend without NEAR must still give it
// Match's meaning, which searchtest checks.
type Cond struct {
	Op      CondOp
	Columns ColumnSet // CondAll, CondPhrase
	Tokens  []string  // CondAll, CondPhrase: hashed tokens
	N       int       // CondNear
	Kids    []*Cond   // CondNear, CondAnd, CondOr, CondAndNot
}

// Plan is a query and a filter in the form a blind index evaluates: a
// condition on hashed tokens and a range of sent times.
type Plan struct {
	Root *Cond
	// Since and Until bound the documents' sent times, in milliseconds
	// since the epoch, to [Since, Until): the filter's range narrowed by
	// the query's top-level before:, after: and on: conditions.
	Since, Until int64
	// Verify says that Root matches a superset of the query's documents,
	// because a wildcard's stem is longer than MaxHashedPrefix runes and
	// was hashed only up to it. The index must then check each candidate
	// with Match on the document Filter.Load returns.
	Verify bool
}

// Empty reports whether the plan's time range holds no instant, so that
// no document can match.
func (p *Plan) Empty() bool { return p.Since >= p.Until }

// Plan translates q within f into a condition on hashed tokens. Returns
// Invalid if f fails Filter.Check, or if the plan needs a verifier and
// f.Load is nil.
func (k *Keyer) Plan(q *Query, f Filter) (*Plan, error) {
	const op steward.Op = "search.Keyer.Plan"
	if err := f.Check(); err != nil {
		return nil, steward.E(op, err)
	}
	p := &planner{k: k}
	pl := &Plan{Since: MinTime.UnixMilli(), Until: MaxTime.UnixMilli()}
	if !f.Since.IsZero() {
		pl.Since = max(pl.Since, ceilMilli(f.Since))
	}
	if !f.Until.IsZero() {
		pl.Until = min(pl.Until, ceilMilli(f.Until))
	}
	// Top-level date conditions become the time range, which an index
	// answers from its order rather than from tokens.
	top := []*Node{q.root}
	if q.root.Op == OpAnd {
		top = q.root.Kids
	}
	var conds []*Cond
	for _, n := range top {
		if n.Op == OpField && isDate(n.Field) {
			lo, hi := dateRange(n)
			pl.Since, pl.Until = max(pl.Since, lo.UnixMilli()), min(pl.Until, hi.UnixMilli())
			continue
		}
		conds = append(conds, p.node(n))
	}
	for _, a := range []struct {
		space byte
		ids   []string
	}{{spaceCust, f.Custodians}, {spaceConv, f.Conversations}} {
		if len(a.ids) == 0 {
			continue
		}
		var alts []*Cond
		for _, id := range a.ids {
			alts = append(alts, p.phrase(setOf(ColMeta), k.hash(a.space, id)))
		}
		conds = append(conds, p.or(alts))
	}
	pl.Root, pl.Verify = p.and(conds), p.verify
	if pl.Verify && f.Load == nil {
		return nil, steward.Errorf(op, steward.Invalid, "a wildcard of more than %d letters needs the records opened to verify it", MaxHashedPrefix)
	}
	return pl, nil
}

func isDate(f Field) bool { return f == FieldBefore || f == FieldAfter || f == FieldOn }

// dateRange returns the instants [lo, hi) a date condition admits.
func dateRange(n *Node) (lo, hi time.Time) {
	day := n.day()
	switch n.Field {
	case FieldBefore:
		return MinTime, day
	case FieldAfter:
		return day.AddDate(0, 0, 1), MaxTime
	}
	return day, day.AddDate(0, 0, 1)
}

// planner builds a Plan's conditions, simplifying as it goes so that NOT
// only ever appears as "this and not that", the form FTS5 has.
type planner struct {
	k      *Keyer
	verify bool
}

func (p *planner) all() *Cond {
	return &Cond{Op: CondAll, Columns: setOf(ColMeta), Tokens: []string{p.k.all}}
}

func (p *planner) none() *Cond { return p.not(p.all()) }

func (p *planner) phrase(cols ColumnSet, tokens ...string) *Cond {
	return &Cond{Op: CondPhrase, Columns: cols, Tokens: tokens}
}

// hashes hashes each of words in space.
func (p *planner) hashes(space byte, words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = p.k.hash(space, w)
	}
	return out
}

// negated returns c's operand if c is "all and not x", else nil.
func negated(c *Cond) *Cond {
	if c.Op == CondAndNot && c.Kids[0].Op == CondAll {
		return c.Kids[1]
	}
	return nil
}

func (p *planner) not(c *Cond) *Cond {
	if x := negated(c); x != nil {
		return x
	}
	return &Cond{Op: CondAndNot, Kids: []*Cond{p.all(), c}}
}

// and returns the conjunction of conds: the positive ones, if any, and
// not any of the negated ones.
func (p *planner) and(conds []*Cond) *Cond {
	var pos, neg []*Cond
	var walk func([]*Cond)
	walk = func(cs []*Cond) {
		for _, c := range cs {
			switch x := negated(c); {
			case c.Op == CondAnd:
				walk(c.Kids)
			case c.Op == CondAll:
			case x != nil:
				neg = append(neg, x)
			default:
				pos = append(pos, c)
			}
		}
	}
	walk(conds)
	var c *Cond
	switch len(pos) {
	case 0:
		c = p.all()
	case 1:
		c = pos[0]
	default:
		c = &Cond{Op: CondAnd, Kids: pos}
	}
	if len(neg) == 0 {
		return c
	}
	return &Cond{Op: CondAndNot, Kids: []*Cond{c, p.or(neg)}}
}

func (p *planner) or(conds []*Cond) *Cond {
	var kids []*Cond
	for _, c := range conds {
		switch c.Op {
		case CondAll:
			return c
		case CondOr:
			kids = append(kids, c.Kids...)
		default:
			kids = append(kids, c)
		}
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &Cond{Op: CondOr, Kids: kids}
}

func (p *planner) node(n *Node) *Cond {
	switch n.Op {
	case OpPhrase:
		return p.phrase(setOf(ColText), p.hashes(spaceText, n.Words)...)
	case OpPrefix:
		stem := n.Words[0]
		if runeLen(stem) > MaxHashedPrefix {
			// Every word the stem begins is longer than MaxHashedPrefix,
			// so its prefix of that length is a proper one, indexed.
			p.verify = true
			return p.phrase(setOf(ColPrefix), p.k.hash(spacePrefix, runePrefix(stem, MaxHashedPrefix)))
		}
		// A longer word has the stem as a proper prefix; the stem itself
		// as a word is in the text.
		return p.or([]*Cond{
			p.phrase(setOf(ColPrefix), p.k.hash(spacePrefix, stem)),
			p.phrase(setOf(ColText), p.k.hash(spaceText, stem)),
		})
	case OpNear:
		a, b := p.node(n.Kids[0]), p.node(n.Kids[1])
		return &Cond{Op: CondNear, N: n.N, Kids: []*Cond{a, b}}
	case OpAnd, OpOr:
		kids := make([]*Cond, len(n.Kids))
		for i, k := range n.Kids {
			kids[i] = p.node(k)
		}
		if n.Op == OpAnd {
			return p.and(kids)
		}
		return p.or(kids)
	case OpNot:
		return p.not(p.node(n.Kids[0]))
	}
	return p.field(n)
}

func (p *planner) field(n *Node) *Cond {
	meta := func(space byte, v string) *Cond { return p.phrase(setOf(ColMeta), p.k.hash(space, v)) }
	flag := func(name string) *Cond {
		if n.flag() {
			return meta(spaceFlag, name)
		}
		return p.not(meta(spaceFlag, name))
	}
	switch n.Field {
	case FieldFrom:
		return p.party(n.Value, setOf(ColSender))
	case FieldTo:
		return p.party(n.Value, setOf(ColRecipients))
	case FieldParticipant:
		return p.party(n.Value, setOf(ColSender, ColRecipients, ColMembers))
	case FieldCustodian:
		return meta(spaceCust, n.Value)
	case FieldConversation:
		return meta(spaceConv, n.Value)
	case FieldChannel:
		return meta(spaceChannel, n.Value)
	case FieldDirection:
		return meta(spaceDir, n.Value)
	case FieldDLP:
		return meta(spaceDLP, n.Value)
	case FieldHas:
		return meta(spaceFlag, "attachment")
	case FieldDeleted:
		return flag("deleted")
	case FieldEdited:
		return flag("edited")
	case FieldFilename:
		return p.phrase(setOf(ColFiles), p.hashes(spaceFile, Tokens(n.Value))...)
	}
	// A date inside OR or NOT: the buckets that cover its days.
	lo, hi := dateRange(n)
	var alts []*Cond
	for _, b := range cover(lo, hi) {
		alts = append(alts, meta(spaceDate, b))
	}
	if len(alts) == 0 {
		return p.none()
	}
	return p.or(alts)
}

// party matches a from:, to: or participant: value as partyMatches does:
// the whole address, or the words in a run within an address or a name
// (the separators in the columns keep a run from spanning two).
func (p *planner) party(v string, cols ColumnSet) *Cond {
	return p.or([]*Cond{
		p.phrase(cols, p.k.hash(spaceAddress, normAddress(v))),
		p.phrase(cols, p.hashes(spaceWord, Tokens(v))...),
	})
}

// String renders c for debugging and tests, in FTS5-like syntax.
func (c *Cond) String() string {
	var b strings.Builder
	c.print(&b)
	return b.String()
}

func (c *Cond) print(b *strings.Builder) {
	switch c.Op {
	case CondAll:
		b.WriteString("ALL")
	case CondPhrase:
		for col := range NumColumns {
			if c.Columns.Has(col) {
				b.WriteString(col.String())
				b.WriteByte('|')
			}
		}
		b.WriteString(`:"`)
		b.WriteString(strings.Join(c.Tokens, " "))
		b.WriteByte('"')
	case CondNear:
		b.WriteString("NEAR(")
		c.Kids[0].print(b)
		b.WriteByte(' ')
		c.Kids[1].print(b)
		fmt.Fprintf(b, ", %d)", c.N)
	default:
		sep := map[CondOp]string{CondAnd: " AND ", CondOr: " OR ", CondAndNot: " NOT "}[c.Op]
		b.WriteByte('(')
		for i, k := range c.Kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.print(b)
		}
		b.WriteByte(')')
	}
}
