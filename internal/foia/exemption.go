package foia

import (
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// Exemption is one of the nine exemptions of 5 U.S.C. 552(b), or one of the
// six parts of exemption 7. Reviewers code withheld material with it, a
// release prints its Code at each redaction, and the exemption log lists
// it.
type Exemption struct {
	Code        string `json:"code"`           // canonical, e.g. "(b)(6)", "(b)(7)(C)"
	Number      int    `json:"number"`         // 1 to 9
	Part        string `json:"part,omitempty"` // "A" to "F" for exemption 7
	Label       string `json:"label"`          // a few words for a picker
	Description string `json:"description"`    // the statute's test, paraphrased
}

// exemptions is the table, in statutory order. Exemption 7 appears only as
// its parts: the statute withholds law-enforcement records "only to the
// extent" one of (A)–(F) applies, so a bare (b)(7) says nothing a
// requester could challenge.
var exemptions = []Exemption{
	{"(b)(1)", 1, "", "Classified national security information",
		"Matters specifically authorized under criteria established by an Executive order to be kept secret in the interest of national defense or foreign policy, and in fact properly classified under that order."},
	{"(b)(2)", 2, "", "Internal personnel rules and practices",
		"Matters related solely to the internal personnel rules and practices of an agency."},
	{"(b)(3)", 3, "", "Exempted by another statute",
		"Matters specifically exempted from disclosure by a statute that leaves no discretion on withholding or sets particular criteria for it, and, if enacted after the OPEN FOIA Act of 2009, cites 5 U.S.C. 552(b)(3). The log names the statute."},
	{"(b)(4)", 4, "", "Trade secrets and confidential commercial information",
		"Trade secrets, and commercial or financial information obtained from a person that is privileged or confidential."},
	{"(b)(5)", 5, "", "Privileged inter- or intra-agency communications",
		"Inter-agency or intra-agency memoranda or letters that would not be available by law to a party in litigation with the agency: deliberative process (not for records 25 years old or more), attorney work product, attorney-client privilege."},
	{"(b)(6)", 6, "", "Personal privacy",
		"Personnel and medical files and similar files whose disclosure would constitute a clearly unwarranted invasion of personal privacy."},
	{"(b)(7)(A)", 7, "A", "Law enforcement: interference with proceedings",
		"Records or information compiled for law enforcement purposes whose production could reasonably be expected to interfere with enforcement proceedings."},
	{"(b)(7)(B)", 7, "B", "Law enforcement: fair trial",
		"Records or information compiled for law enforcement purposes whose production would deprive a person of a right to a fair trial or an impartial adjudication."},
	{"(b)(7)(C)", 7, "C", "Law enforcement: personal privacy",
		"Records or information compiled for law enforcement purposes whose production could reasonably be expected to constitute an unwarranted invasion of personal privacy."},
	{"(b)(7)(D)", 7, "D", "Law enforcement: confidential source",
		"Records or information compiled for law enforcement purposes whose production could reasonably be expected to disclose the identity of a confidential source, or, in a criminal or lawful national security intelligence investigation, information a confidential source furnished."},
	{"(b)(7)(E)", 7, "E", "Law enforcement: techniques and procedures",
		"Records or information compiled for law enforcement purposes whose production would disclose techniques and procedures for law enforcement investigations or prosecutions, or guidelines for them if disclosure could reasonably be expected to risk circumvention of the law."},
	{"(b)(7)(F)", 7, "F", "Law enforcement: life or physical safety",
		"Records or information compiled for law enforcement purposes whose production could reasonably be expected to endanger the life or physical safety of any individual."},
	{"(b)(8)", 8, "", "Financial institution supervision",
		"Matters contained in or related to examination, operating or condition reports prepared by, on behalf of, or for the use of an agency responsible for regulating or supervising financial institutions."},
	{"(b)(9)", 9, "", "Geological information on wells",
		"Geological and geophysical information and data, including maps, concerning wells."},
}

// Exemptions returns the exemption table in statutory order: (b)(1) to
// (b)(6), the six parts of (b)(7), (b)(8) and (b)(9). The slice is the
// caller's to keep.
func Exemptions() []Exemption {
	return append([]Exemption(nil), exemptions...)
}

// ValidExemption reports whether code is the canonical code of an entry in
// the table, exactly as Exemptions gives it. Stored coding uses canonical
// codes; ParseExemption turns what people type into one.
func ValidExemption(code string) bool {
	_, ok := lookup(code)
	return ok
}

func lookup(code string) (Exemption, bool) {
	for _, e := range exemptions {
		if e.Code == code {
			return e, true
		}
	}
	return Exemption{}, false
}

// maxExemptionInput bounds what ParseExemption reads; the longest form it
// accepts is well under it.
const maxExemptionInput = 64

// ParseExemption reads an exemption citation as reviewers and officers
// write it and returns its table entry. Case, spaces and a leading
// "5 U.S.C. §552" are ignored; the accepted forms are
//
//	(b)(6)  b6  b(6)  (b)(7)(C)  b7C  b7(c)  Exemption 6  Exemption 7(C)  Ex. 7C
//
// It returns Invalid for anything else, naming (b)(7) without a part among
// them, and TooLarge for input over 64 bytes.
func ParseExemption(s string) (Exemption, error) {
	const op steward.Op = "foia.ParseExemption"
	if len(s) > maxExemptionInput {
		return Exemption{}, steward.Errorf(op, steward.TooLarge, "exemption citation longer than %d bytes", maxExemptionInput)
	}
	bad := func() (Exemption, error) {
		return Exemption{}, steward.E(op, steward.Invalid, "not a FOIA exemption: "+quote(s)+"; use a code such as (b)(6) or (b)(7)(C)")
	}
	t := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u00a0', '§':
			return -1
		}
		return r
	}, strings.ToLower(s))
	for _, p := range []string{"5u.s.c.", "5usc", "u.s.c.", "usc"} {
		t = strings.TrimPrefix(t, p)
	}
	t = strings.TrimPrefix(t, "552")
	switch {
	case strings.HasPrefix(t, "exemption"):
		t = t[len("exemption"):]
	case strings.HasPrefix(t, "ex."):
		t = t[len("ex."):]
	case strings.HasPrefix(t, "(b)"):
		t = t[len("(b)"):]
	case strings.HasPrefix(t, "b"):
		t = t[1:]
	default:
		return bad()
	}
	num, t, ok := token(t, func(c byte) bool { return c >= '1' && c <= '9' })
	if !ok {
		return bad()
	}
	part := ""
	if t != "" {
		if part, t, ok = token(t, func(c byte) bool { return c >= 'a' && c <= 'f' }); !ok || t != "" {
			return bad()
		}
	}
	code := "(b)(" + num + ")"
	if part != "" {
		code += "(" + strings.ToUpper(part) + ")"
	}
	if num == "7" && part == "" {
		return Exemption{}, steward.E(op, steward.Invalid, "exemption (b)(7) is claimed under one of its parts, (b)(7)(A) to (b)(7)(F)")
	}
	e, ok := lookup(code)
	if !ok {
		return bad()
	}
	return e, nil
}

// token reads one character that satisfies want, alone or in parentheses,
// from the start of s and returns it and the rest.
func token(s string, want func(byte) bool) (tok, rest string, ok bool) {
	switch {
	case len(s) >= 3 && s[0] == '(' && want(s[1]) && s[2] == ')':
		return s[1:2], s[3:], true
	case len(s) >= 1 && want(s[0]):
		return s[:1], s[1:], true
	}
	return "", s, false
}
