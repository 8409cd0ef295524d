package dlp

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// SyntheticCorpus returns chat messages totalling at least size bytes,
// the same for the same seed: the workload of the DLP benchmarks. The mix
// follows what public-sector staff send each other: mostly prose
// (about two messages in three), short replies, benign numbers (times,
// dates, amounts, ticket and room numbers, URLs), contact details,
// classification and CUI markings, log lines, and now and then a
// sensitive value (about one message in fifty) that a detector should
// find. It is a benchmark workload, not a quality corpus: quality is
// measured on the labelled cases in testdata/labelled.
func SyntheticCorpus(seed uint64, size int) []string {
	g := &chatGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	var msgs []string
	for total := 0; total < size; {
		m := g.message()
		msgs = append(msgs, m)
		total += len(m)
	}
	return msgs
}

type chatGen struct{ r *rand.Rand }

func (g *chatGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

var (
	chatWords = strings.Fields(`the a an to of and in for on with at by from about as into over after before
		this that these those it we you they i he she our your their my his her its
		is are was were be been will would can could should may might must do does did have has had
		please thanks thank confirm send review update check call meet schedule draft approve share
		forward attach revise sign finish start follow discuss need want think know see let get make
		meeting budget report memo briefing agenda contract vendor grant proposal policy guidance office
		team staff director manager council committee board county city state federal agency department
		deadline schedule calendar room building floor lunch training session workshop conference travel
		request form application permit invoice payment reimbursement timesheet leave holiday shift
		press release statement comment response question answer issue problem update status change
		today tomorrow yesterday morning afternoon evening week month quarter year friday monday
		draft final revised new old next last first second other same different important urgent
		public records request response portal system account access password reset laptop printer
		data file folder drive link document spreadsheet slide deck email message note minutes
		community residents constituents hearing vote motion ordinance amendment resolution
		just also still already soon now then here there again really quite very too only
		good great fine okay sure yes no not all some any each every more less most least`)
	chatNames = strings.Fields(`Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia
		Peggy Rupert Sybil Trent Victor Walter Maria Jose Wei Priya Ahmed Fatima Kenji Olga Sean Aisha`)
	chatReplies = []string{"ok", "thanks!", "on my way", "sounds good", "got it, thanks", "will do",
		"sure", "lol", "np", "👍", "thank you 🙏", "yes", "no worries", "done", "see you there",
		"running 5 min late", "can you call me?", "ack", "copy that", "looking now"}
	chatAcronyms = []string{"FOIA", "OMB", "DHS", "HR", "IT", "GAO", "FY26", "RFP", "SOW", "PIA", "ATO", "NDA"}
)

func (g *chatGen) sentence() string {
	n := 5 + g.r.IntN(14)
	ws := make([]string, n)
	for i := range ws {
		switch x := g.r.IntN(40); {
		case x == 0:
			ws[i] = g.pick(chatNames)
		case x == 1:
			ws[i] = g.pick(chatAcronyms)
		case x == 2:
			ws[i] = "I"
		default:
			ws[i] = g.pick(chatWords)
		}
	}
	ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
	if g.r.IntN(4) == 0 {
		ws[n/2] += ","
	}
	return strings.Join(ws, " ") + g.pick([]string{".", ".", ".", "?", "!"})
}

func (g *chatGen) prose(max int) string {
	n := 1 + g.r.IntN(max)
	ss := make([]string, n)
	for i := range ss {
		ss[i] = g.sentence()
	}
	return strings.Join(ss, " ")
}

// benign is a number that is not sensitive.
func (g *chatGen) benign() string {
	r := g.r
	switch r.IntN(14) {
	case 0:
		return fmt.Sprintf("at %d:%02d", 1+r.IntN(12), 5*r.IntN(12))
	case 1:
		return fmt.Sprintf("on %d/%d", 1+r.IntN(12), 1+r.IntN(28))
	case 2:
		return fmt.Sprintf("by %d-%02d-%02d", 2024+r.IntN(3), 1+r.IntN(12), 1+r.IntN(28))
	case 3:
		return fmt.Sprintf("$%d,%03d.%02d", 1+r.IntN(99), r.IntN(1000), r.IntN(100))
	case 4:
		return fmt.Sprintf("%d people", 2+r.IntN(60))
	case 5:
		return fmt.Sprintf("version %d.%d.%d", r.IntN(5), r.IntN(20), r.IntN(10))
	case 6:
		return fmt.Sprintf("room %d%c-%d", 1+r.IntN(9), 'A'+r.IntN(6), 100+r.IntN(300))
	case 7:
		return fmt.Sprintf("ticket #%d", 10000+r.IntN(90000))
	case 8:
		return fmt.Sprintf("INC%07d", r.IntN(10000000))
	case 9:
		return fmt.Sprintf("https://intranet.agency.gov/wiki/page/%d?rev=%d", r.IntN(100000), r.IntN(100))
	case 10:
		return fmt.Sprintf("%d%%", r.IntN(101))
	case 11:
		return fmt.Sprintf("section %d.%d, page %d", 1+r.IntN(12), 1+r.IntN(9), 1+r.IntN(200))
	case 12:
		return fmt.Sprintf("order %d", 100000000+r.IntN(900000000))
	default:
		return fmt.Sprintf("ext. %d", 1000+r.IntN(9000))
	}
}

func (g *chatGen) contact() string {
	r := g.r
	name := strings.ToLower(g.pick(chatNames))
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("email %s.%s@agency.gov", name, strings.ToLower(g.pick(chatNames)))
	case 1:
		return fmt.Sprintf("call me at (%d) 555-%04d", 201+r.IntN(700), r.IntN(10000))
	case 2:
		return fmt.Sprintf("my cell is %d-555-%04d", 201+r.IntN(700), r.IntN(10000))
	default:
		return "@" + name + " can you take this?"
	}
}

func (g *chatGen) marking() string {
	switch g.r.IntN(5) {
	case 0:
		return "(U) " + g.sentence()
	case 1:
		return "CUI\n" + g.sentence()
	case 2:
		return "UNCLASSIFIED//FOUO\n" + g.sentence()
	case 3:
		return "(U//FOUO) " + g.sentence()
	default:
		return "CUI//SP-PRVCY " + g.sentence()
	}
}

func (g *chatGen) sensitive() string {
	r := g.r
	switch r.IntN(10) {
	case 0:
		return fmt.Sprintf("SSN %03d-%02d-%04d", 1+r.IntN(665), 1+r.IntN(99), 1+r.IntN(9999))
	case 1:
		return "card " + luhnComplete("4"+digitString(r, 14))
	case 2:
		return "routing 021000021 account " + digitString(r, 10)
	case 3:
		return "IBAN GB82 WEST 1234 5698 7654 32"
	case 4:
		return fmt.Sprintf("passport C%08d", r.IntN(100000000))
	case 5:
		return "EDIPI " + fmt.Sprint(1000000000+r.IntN(900000000))
	case 6:
		return "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"
	case 7:
		return "db_password=Winter" + fmt.Sprint(2020+r.IntN(6)) + "!"
	case 8:
		return "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	default:
		return "SECRET//NOFORN"
	}
}

func (g *chatGen) logLine() string {
	r := g.r
	return fmt.Sprintf("error %d at /api/v1/items/%d (request id %08x-%04x)", 400+r.IntN(104), r.IntN(100000), r.Uint32(), r.IntN(65536))
}

func (g *chatGen) message() string {
	switch x := g.r.IntN(100); {
	case x < 62:
		return g.prose(3)
	case x < 70:
		return g.pick(chatReplies)
	case x < 88:
		s := g.sentence()
		return s[:len(s)-1] + " " + g.benign() + "."
	case x < 93:
		return g.prose(1) + " " + g.contact()
	case x < 96:
		return g.marking()
	case x < 98:
		return g.prose(1) + " " + g.sensitive()
	default:
		return g.logLine()
	}
}

func digitString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// luhnComplete appends the Luhn check digit to d.
func luhnComplete(d string) string {
	for c := byte('0'); c <= '9'; c++ {
		if luhn(d + string(c)) {
			return d + string(c)
		}
	}
	return d
}
