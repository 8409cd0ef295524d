package loadfile

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/steward-gov/steward/internal/steward"
)

// DefaultBatesWidth is the zero padding used when Bates.Width is zero.
const DefaultBatesWidth = 6

// Bates assigns Bates numbers: Prefix followed by a zero-padded sequence
// number, one per page, such as ABC-000001. The zero value with a Prefix
// set starts at 1 with six digits. A Bates is not safe for concurrent
// use; a production numbers its documents in order.
type Bates struct {
	// Prefix starts every number, e.g. "ABC-". It may not contain
	// separators used by load files and paths: commas, semicolons,
	// quotes, slashes, backslashes or control characters.
	Prefix string
	// Width is the number of digits; zero means DefaultBatesWidth.
	Width int
	// Next is the number the next page gets; zero means 1.
	Next int
}

// Range is the Bates range of a document or family.
type Range struct {
	// Beg and End are the first and last Bates numbers, equal for a
	// one-page document.
	Beg, End string
	// First and Last are the sequence numbers behind them.
	First, Last int
}

// Format returns the Bates number for sequence number n.
func (b *Bates) Format(n int) string {
	width := b.Width
	if width <= 0 {
		width = DefaultBatesWidth
	}
	s := strconv.Itoa(n)
	if pad := width - len(s); pad > 0 {
		s = strings.Repeat("0", pad) + s
	}
	return b.Prefix + s
}

// Take assigns the next pages numbers to one document. It fails with
// steward.Invalid for a bad prefix or fewer than one page, and with
// steward.TooLarge when the numbers would outgrow Width digits, which
// would break the lexical order reviewers and tools rely on.
func (b *Bates) Take(pages int) (Range, error) {
	const op steward.Op = "loadfile.Bates.Take"
	if pages < 1 {
		return Range{}, steward.Errorf(op, steward.Invalid, "a document has at least one page, not %d", pages)
	}
	if err := checkPrefix(op, b.Prefix); err != nil {
		return Range{}, err
	}
	width := b.Width
	if width <= 0 {
		width = DefaultBatesWidth
	}
	if width > 18 {
		return Range{}, steward.Errorf(op, steward.Invalid, "Bates width %d is over 18 digits", width)
	}
	first := b.Next
	if first <= 0 {
		first = 1
	}
	last := first + pages - 1
	limit := 1
	for range width {
		limit *= 10
	}
	if last >= limit {
		return Range{}, steward.Errorf(op, steward.TooLarge, "Bates number %d does not fit in %d digits", last, width)
	}
	b.Next = last + 1
	return Range{Beg: b.Format(first), End: b.Format(last), First: first, Last: last}, nil
}

// Family numbers a family in order: pages[0] is the parent message's page
// count and the rest are its attachments'. It returns each member's range
// and the family's, which is every member's BEGATTACH and ENDATTACH. No
// numbers are used when it fails.
func (b *Bates) Family(pages ...int) (members []Range, family Range, err error) {
	const op steward.Op = "loadfile.Bates.Family"
	if len(pages) == 0 {
		return nil, Range{}, steward.Errorf(op, steward.Invalid, "a family has a parent")
	}
	saved := b.Next
	members = make([]Range, 0, len(pages))
	for _, n := range pages {
		r, err := b.Take(n)
		if err != nil {
			b.Next = saved
			return nil, Range{}, steward.E(op, err)
		}
		members = append(members, r)
	}
	last := members[len(members)-1]
	return members, Range{Beg: members[0].Beg, End: last.End, First: members[0].First, Last: last.Last}, nil
}

func checkPrefix(op steward.Op, p string) error {
	if len(p) > 64 {
		return steward.Errorf(op, steward.Invalid, "Bates prefix is over 64 bytes")
	}
	for _, r := range p {
		if unicode.IsControl(r) || strings.ContainsRune(`,;"'/\`, r) || r == 'þ' || r == '®' || r == 0xfffd {
			return steward.Errorf(op, steward.Invalid, "Bates prefix %q holds %q, which load files or paths cannot carry", p, r)
		}
	}
	return nil
}
