package searchtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/steward"
)

// The corpus is a quarter's messages of a city government's staff with
// residents, vendors and the press, in 20 conversations on four channels.
// It is generated from a fixed seed, so every run and every backend sees
// the same documents, and it is seeded with the cases that break indexes:
// words repeated, phrases across punctuation and across attachments,
// words at exactly N apart, short tokens under wildcards, times a
// millisecond either side of midnight UTC, mixed case and diacritics.

// base is the corpus's first sent time.
var base = time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)

type person struct {
	emp     string // employee id; "" for outside parties
	address string
	name    string
}

var people = []person{
	{"emp-01", "+12025550101", "Alice Martin"},
	{"emp-02", "+12025550102", "Bob Okafor"},
	{"emp-03", "+12025550103", "Zoë Nguyen"},
	{"emp-04", "+12025550104", "José Álvarez"},
	{"emp-05", "mayor.office@city.gov", "Mayor's Office"},
	{"", "jane.doe@city.gov", "Jane Doe"},
	{"", "+44 20 7946 0958", "Press Desk"},
	{"", "sales@acme-paving.com", "ACME Sales"},
	{"", "+12025550199", ""},
	{"", "signal-user-7f3a", "Σίσυφος Παππάς"},
}

// vocabulary is what messages are made of: government business, some
// word families for wildcards, and short words that share prefixes.
var vocabulary = strings.Fields(`the a of to and please thanks confirm update tomorrow morning
	budget grant council vendor contract invoice payment transfer account approval review draft
	statement press release agenda meeting minutes hearing subpoena records request deadline
	flood relief fund road paving permit zoning mayor office schedule call
	negotiate negotiated negotiating negotiation negotiations renegotiate
	tax taxes taxi tab ta tablet
	café naïve résumé Straße İstanbul 東京 ΣΊΣΥΦΟΣ`)

// conversation is a chat among fixed members on one channel.
type conversation struct {
	id      string
	channel string
	members []int // indexes into people
}

func conversations() []conversation {
	channels := []string{"signal", "whatsapp", "SMS", "api"}
	var out []conversation
	for i := range 20 {
		emp := i % 5
		other := 5 + i%5
		m := []int{emp, other}
		if i%3 == 0 {
			m = append(m, (emp+1)%5) // a second employee
		}
		if i%4 == 0 {
			m = append(m, 5+(i+2)%5) // a second outside party
		}
		out = append(out, conversation{id: fmt.Sprintf("conv-%02d", i), channel: channels[i%4], members: m})
	}
	return out
}

// Corpus returns the corpus: n documents (Run uses 480), the same for the
// same n, plus a few with fixed contents the query table relies on.
func Corpus(n int) []*search.Doc {
	r := rand.New(rand.NewPCG(7, 11))
	convs := conversations()
	var docs []*search.Doc
	for i := range n {
		c := convs[r.IntN(len(convs))]
		from := c.members[r.IntN(len(c.members))]
		d := &search.Doc{
			ID:             fmt.Sprintf("doc-%04d", i),
			ConversationID: c.id,
			Channel:        c.channel,
			// Every 3h17m: the quarter, at every hour of the day.
			Sent: base.Add(time.Duration(i) * (3*time.Hour + 17*time.Minute)),
		}
		d.From = party(from)
		for _, m := range c.members {
			if m == from {
				continue
			}
			if len(d.To) == 0 || r.IntN(2) == 0 {
				d.To = append(d.To, party(m))
			} else {
				d.Participants = append(d.Participants, party(m))
			}
		}
		d.Direction = direction(people[from], d.To)
		for _, m := range c.members {
			if people[m].emp != "" {
				d.Custodians = append(d.Custodians, people[m].emp)
			}
		}
		d.Text = []string{body(r, i)}
		if i%7 == 0 {
			d.HasAttachment = true
			names := []string{"FY24 Budget draft.pdf", "minutes-2024-03.docx", "Zoë notes.txt", "paving_contract_v2.PDF", "scan.jpg"}
			d.Filenames = []string{names[i/7%len(names)]}
			if i%14 == 0 {
				d.Text = append(d.Text, words(r, 10+r.IntN(20)))
			}
		}
		d.Deleted = i%23 == 0
		d.Edited = i%29 == 0
		if i%31 == 0 {
			d.DLP = append(d.DLP, "us_ssn")
		}
		if i%37 == 0 {
			d.DLP = append(d.DLP, "payment_card", "email")
		}
		docs = append(docs, d)
	}
	return append(docs, fixed()...)
}

func party(i int) search.Party {
	return search.Party{Address: people[i].address, Name: people[i].name}
}

func direction(from person, to []search.Party) steward.Direction {
	outside := false
	for _, p := range to {
		for _, q := range people {
			if q.address == p.Address && q.emp == "" {
				outside = true
			}
		}
	}
	switch {
	case from.emp == "":
		return steward.DirInbound
	case outside:
		return steward.DirOutbound
	}
	return steward.DirInternal
}

func words(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[r.IntN(len(vocabulary))]
	}
	return strings.Join(w, " ")
}

// body is a message's text: random words, with one of the planted
// patterns in most messages.
func body(r *rand.Rand, i int) string {
	text := words(r, 4+r.IntN(16))
	switch i % 11 {
	case 0:
		text += " flood-relief fund"
	case 1:
		text += " Flood, relief. " + words(r, 2)
	case 2:
		// contract and vendor exactly 1 to 6 words apart, in either order.
		gap := strings.Repeat("please ", i/11%6)
		if i%2 == 0 {
			text = "contract " + gap + "vendor " + text
		} else {
			text = "vendor " + gap + "contract " + text
		}
	case 3:
		text += " budget budget"
	case 4:
		text += " write to Jane.Doe@City.gov or call +1 (202) 555-0143"
	case 5:
		text = strings.ToUpper(text) + " ZOË CAFÉ"
	case 6:
		text += " zoe\u0308 cafe\u0301 strasse naive istanbul σίσυφος"
	}
	return text
}

// fixed returns documents with exact contents and times.
func fixed() []*search.Doc {
	alice, jane := party(0), party(5)
	mk := func(id, text string, sent time.Time) *search.Doc {
		return &search.Doc{
			ID: id, ConversationID: "conv-fixed", Text: []string{text}, From: alice, To: []search.Party{jane},
			Custodians: []string{"emp-01"}, Channel: "signal", Sent: sent, Direction: steward.DirOutbound,
		}
	}
	ny, _ := time.LoadLocation("America/New_York")
	midnight := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	docs := []*search.Doc{
		mk("fix-last-ms", "boundary before midnight", midnight.Add(-time.Millisecond)),
		mk("fix-midnight", "boundary at midnight", midnight),
		mk("fix-day-start", "boundary at the start of the day before", midnight.AddDate(0, 0, -1)),
		mk("fix-sub-ms", "boundary a microsecond before midnight", midnight.Add(-time.Microsecond)),
		mk("fix-new-york", "boundary in the evening in New York", time.Date(2024, 3, 5, 20, 0, 0, 0, ny)),
		mk("fix-zero-time", "a phone with no clock", time.Time{}),
		mk("fix-far-future", "a phone in the year 2300", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)),
		mk("fix-long-word", "negotiations negotiator renegotiation", base.Add(time.Hour)),
		mk("fix-near-overlap", "alpha beta gamma", base.Add(2*time.Hour)),
		mk("fix-twice", "tango tango", base.Add(3*time.Hour)),
		mk("fix-once", "tango foxtrot", base.Add(3*time.Hour)), // the same millisecond as fix-twice
	}
	// Phrases must not run from the body into an attachment.
	across := mk("fix-across", "the last word is contract", base.Add(4*time.Hour))
	across.Text = append(across.Text, "vendor is the first word here")
	across.HasAttachment, across.Filenames = true, []string{"budget.pdf", "draft notes.txt"}
	return append(docs, across)
}
