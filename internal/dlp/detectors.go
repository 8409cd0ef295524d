package dlp

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
)

// builtins is the built-in detector set, in the order Detectors lists it.
var builtins = []detector{
	{
		name:     "us_ssn",
		patterns: []pattern{{re: regexp.MustCompile(`\b\d{3}[- ]?\d{2}[- ]?\d{4}\b`), find: inRuns(setDigitSep, ssnShape), check: checkSSN}},
		context:  []string{"ssn", "ssns", "social security", "ss#", "ssa", "taxpayer", "tin"},
	},
	{
		name:     "payment_card",
		patterns: []pattern{{re: regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`), find: inRuns(setDigitSep, cardShape), check: checkCard}},
		context: []string{"card", "credit", "debit", "visa", "mastercard", "amex", "american express",
			"discover", "jcb", "diners", "cc", "ccn", "pan", "exp", "expiry", "cvv", "payment"},
	},
	{
		name:     "aba_routing",
		patterns: []pattern{{re: regexp.MustCompile(`\b\d{9}\b`), find: digitWord(9, false), check: checkABA}},
		context:  []string{"routing", "aba", "rtn", "transit", "bank", "ach", "wire"},
	},
	{
		name:     "iban",
		patterns: []pattern{{re: regexp.MustCompile(`\b[A-Z]{2}\d{2} ?[A-Z0-9]{4}`), find: findIBAN, check: checkIBAN}},
		context:  []string{"iban", "account", "bank", "swift", "bic", "transfer", "wire"},
	},
	{
		name:     "us_passport",
		patterns: []pattern{{re: regexp.MustCompile(`\b(?:[A-Z]\d{8}|\d{9})\b`), find: digitWord(9, true), check: checkPassport}},
		context:  []string{"passport", "passports", "passport no", "travel document"},
	},
	{
		name: "phone",
		patterns: []pattern{
			{re: regexp.MustCompile(`\+[1-9][0-9 ().-]{6,22}\d`), find: findE164, check: checkE164},
			{re: regexp.MustCompile(`(?:\b1[ .-]?)?(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b`),
				find: inRuns(setPhone, nanpShape), check: checkNANP},
		},
		context: []string{"phone", "tel", "telephone", "call", "mobile", "cell", "fax", "contact", "text", "sms"},
	},
	{
		name: "email",
		patterns: []pattern{{re: regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}\b`),
			find: findEmail, check: checkEmail}},
		context: []string{"email", "e-mail", "mail", "contact", "address"},
	},
	{
		name:     "edipi",
		patterns: []pattern{{re: regexp.MustCompile(`\b\d{10}\b`), find: digitWord(10, false), check: checkEDIPI}},
		context:  []string{"edipi", "dod id", "dodid", "dod id number", "cac", "dod identification"},
	},
	{
		name: "cui_marking",
		patterns: []pattern{{re: regexp.MustCompile(
			`\b(?:CONTROLLED UNCLASSIFIED INFORMATION|CUI(?:/{1,2}[A-Z0-9]+(?:-[A-Z0-9]+)*)*)\b`), find: findCUI, check: checkCUI}},
		context: []string{"controlled", "marking", "markings", "banner", "dissemination", "category", "designation"},
	},
	{
		name: "classification",
		patterns: []pattern{
			{re: regexp.MustCompile(`\b(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)` +
				`(?://(?:REL TO [A-Z]{3,4}(?:, ?[A-Z]{3,4})*|[A-Z0-9]+(?:[-/][A-Z0-9]+)*))*\b`),
				find: inLiteralRuns(setBanner, litSecret, litConfidential, litUnclassified), check: checkBanner},
			{re: regexp.MustCompile(`\((?:TS|S|C|U)(?://[A-Z0-9]+(?:[-/][A-Z0-9]+)*)*\)`), find: findPortion, check: checkPortion},
		},
		context: []string{"classified", "classification", "marking", "markings", "banner", "derived from",
			"declassify on", "classified by", "portion"},
	},
	{
		name: "secret",
		patterns: []pattern{
			{re: regexp.MustCompile(`\bAKIA[A-Z0-9]{16}\b`), find: awsKey(litAKIA), check: checkAWS},
			{re: regexp.MustCompile(`\bASIA[A-Z0-9]{16}\b`), find: awsKey(litASIA), check: checkAWS},
			{re: regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`), find: findGCP, check: checkGCP},
			{re: regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----`),
				find: findPEM, check: checkPEM},
			{re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`), find: findJWT, check: checkJWT},
			{re: regexp.MustCompile(`(?i)(?:\b|_)(?:password|passwd|pwd|passphrase)["']?[ \t]{0,3}(?::=|[:=])[ \t]{0,3}` +
				`("[^"\r\n]{1,256}"|'[^'\r\n]{1,256}'|[^\s"'&,;]{1,256})`), find: findPassword, check: checkPassword},
		},
		context: []string{"key", "keys", "secret", "token", "aws", "gcp", "credential", "credentials", "api",
			"login", "username", "user", "database", "db"},
	},
}

// ---- us_ssn ----

func checkSSN(text string, m []int) candidate {
	s, e := m[0], m[1]
	if !isolated(text, s, e) {
		return candidate{drop: true}
	}
	raw := text[s:e]
	c := candidate{start: s, end: e}
	switch len(raw) {
	case 9:
		c.conf = 0.45
	case 11:
		if raw[3] != raw[6] {
			return c // mixed separators
		}
		c.conf = 0.8
		if raw[3] == ' ' {
			c.conf = 0.65
		}
	default:
		return c // one separator but not the other
	}
	c.valid = validSSN(digitsOf(raw))
	return c
}

// validSSN applies the SSA's rules to nine digits: area 001-899 except 666,
// group 01-99, serial 0001-9999, and not one of the voided advertising
// numbers.
func validSSN(d string) bool {
	if len(d) != 9 {
		return false
	}
	area, group, serial := d[:3], d[3:5], d[5:]
	switch {
	case area == "000", area == "666", area[0] == '9', group == "00", serial == "0000":
		return false
	case d == "078051120", d == "219099999":
		return false
	}
	return true
}

// ---- payment_card ----

func checkCard(text string, m []int) candidate {
	s, e := m[0], m[1]
	if !isolated(text, s, e) {
		return candidate{drop: true}
	}
	raw := text[s:e]
	c := candidate{start: s, end: e, conf: 0.9}
	hasSpace, hasDash := strings.Contains(raw, " "), strings.Contains(raw, "-")
	if hasSpace && hasDash {
		return c
	}
	d := digitsOf(raw)
	c.valid = luhn(d) && cardBrand(d) != ""
	return c
}

// luhn reports whether the digit string passes the Luhn (mod 10) check.
func luhn(d string) bool {
	if len(d) < 2 {
		return false
	}
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// cardBrand returns the card network whose IIN range and lengths the digits
// fit, or "".
func cardBrand(d string) string {
	n := len(d)
	if n < 13 || n > 19 {
		return ""
	}
	p := func(k int) int {
		v := 0
		for i := 0; i < k; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (p(2) >= 51 && p(2) <= 55 || p(4) >= 2221 && p(4) <= 2720) && n == 16:
		return "mastercard"
	case (p(2) == 34 || p(2) == 37) && n == 15:
		return "amex"
	case (p(4) == 6011 || p(2) == 65 || p(3) >= 644 && p(3) <= 649) && n >= 16:
		return "discover"
	case p(4) >= 3528 && p(4) <= 3589 && n >= 16:
		return "jcb"
	case (p(3) >= 300 && p(3) <= 305 || p(2) == 36 || p(2) == 38) && n >= 14:
		return "diners"
	}
	return ""
}

// ---- aba_routing ----

func checkABA(text string, m []int) candidate {
	s, e := m[0], m[1]
	if !isolated(text, s, e) {
		return candidate{drop: true}
	}
	return candidate{start: s, end: e, conf: 0.5, valid: validABA(text[s:e])}
}

// validABA checks an ABA routing number's Federal Reserve prefix (00-12,
// 21-32, 61-72, 80) and its 3-7-1 checksum.
func validABA(d string) bool {
	if len(d) != 9 {
		return false
	}
	prefix := int(d[0]-'0')*10 + int(d[1]-'0')
	if !(prefix <= 12 || prefix >= 21 && prefix <= 32 || prefix >= 61 && prefix <= 72 || prefix == 80) {
		return false
	}
	if d == "000000000" {
		return false
	}
	w := [9]int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += w[i] * int(d[i]-'0')
	}
	return sum%10 == 0
}

// ---- iban ----

// ibanLengths is the IBAN length of each country that uses one.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
	"FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
	"HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
	"LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27,
	"MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24,
	"RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23,
	"TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

func checkIBAN(text string, m []int) candidate {
	s := m[0]
	want, ok := ibanLengths[text[s:s+2]]
	if !ok {
		return candidate{drop: true}
	}
	// Collect want alphanumerics from s, allowing a single space only
	// between groups of four, as IBANs are printed.
	var b strings.Builder
	i := s
	for b.Len() < want && i < len(text) {
		c := text[i]
		switch {
		case c >= 'A' && c <= 'Z' || isDigit(c):
			b.WriteByte(c)
			i++
		case c == ' ' && b.Len()%4 == 0 && i+1 < len(text) && isAlnum(text[i+1]):
			i++
		default:
			return candidate{drop: true} // too short
		}
	}
	if b.Len() < want || i < len(text) && isAlnum(text[i]) {
		return candidate{drop: true} // too short or too long
	}
	return candidate{start: s, end: i, conf: 0.85, valid: ibanMod97(b.String())}
}

// ibanMod97 reports whether a compact upper-case IBAN passes ISO 13616's
// mod-97 check.
func ibanMod97(iban string) bool {
	if len(iban) < 5 {
		return false
	}
	r := iban[4:] + iban[:4]
	mod := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case isDigit(c):
			mod = (mod*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			mod = (mod*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return mod == 1
}

// ---- us_passport ----

func checkPassport(text string, m []int) candidate {
	s, e := m[0], m[1]
	if !isolated(text, s, e) {
		return candidate{drop: true}
	}
	d := text[s:e]
	if d[0] < '0' || d[0] > '9' {
		d = d[1:]
	}
	return candidate{start: s, end: e, conf: 0.7, noContextConf: 0.15, valid: !allSame(d)}
}

func allSame(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// ---- phone ----

func checkE164(text string, m []int) candidate {
	s, e := m[0], m[1]
	if s > 0 && (isAlnum(text[s-1]) || text[s-1] == '+') || e < len(text) && isDigit(text[e]) {
		return candidate{drop: true}
	}
	raw := text[s:e]
	c := candidate{start: s, end: e, conf: 0.7}
	depth := 0
	prevSep := false
	for i := 1; i < len(raw); i++ {
		switch ch := raw[i]; ch {
		case '(':
			depth++
			if depth > 1 {
				return c
			}
		case ')':
			depth--
			if depth < 0 {
				return c
			}
		case ' ', '.', '-':
			if prevSep {
				return c
			}
			prevSep = true
			continue
		}
		prevSep = false
	}
	d := digitsOf(raw)
	if depth != 0 || len(d) < 8 || len(d) > 15 {
		return c
	}
	if d[0] == '1' {
		c.valid = len(d) == 11 && validNANP(d[1:])
		return c
	}
	c.valid = true
	return c
}

func checkNANP(text string, m []int) candidate {
	s, e := m[0], m[1]
	if !isolated(text, s, e) {
		return candidate{drop: true}
	}
	raw := text[s:e]
	if strings.Count(raw, "(") != strings.Count(raw, ")") {
		return candidate{drop: true}
	}
	d := digitsOf(raw)
	if len(d) == 11 {
		d = d[1:]
	}
	return candidate{start: s, end: e, conf: 0.6, valid: validNANP(d)}
}

// validNANP checks a ten-digit North American number: area code and
// exchange start with 2-9 and are not N11 service codes, and the area code's
// middle digit is not 9 (reserved).
func validNANP(d string) bool {
	if len(d) != 10 {
		return false
	}
	area, exch := d[:3], d[3:6]
	if area[0] < '2' || area[1] == '9' || area[1:] == "11" {
		return false
	}
	if exch[0] < '2' || exch[1:] == "11" {
		return false
	}
	return true
}

// ---- email ----

func checkEmail(text string, m []int) candidate {
	s, e := m[0], m[1]
	for s < e && (text[s] == '.' || text[s] == '-') {
		s++
	}
	at := strings.IndexByte(text[s:e], '@')
	if at <= 0 {
		return candidate{drop: true}
	}
	local, domain := text[s:s+at], text[s+at+1:e]
	c := candidate{start: s, end: e, conf: 0.9}
	if len(local) > 64 || len(text[s:e]) > 254 || strings.Contains(local, "..") || strings.HasSuffix(local, ".") {
		return c
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return c
		}
	}
	if fileExtensions[strings.ToLower(domain[strings.LastIndexByte(domain, '.')+1:])] {
		return c // "logo@2x.png": a file name, not an address
	}
	c.valid = true
	return c
}

// fileExtensions are common file name extensions that are not top-level
// domains, so that an "address" ending in one is a file name.
var fileExtensions = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true,
	"bmp": true, "ico": true, "tif": true, "tiff": true, "heic": true, "pdf": true, "txt": true, "csv": true,
	"docx": true, "xlsx": true, "pptx": true}

// ---- edipi ----

func checkEDIPI(text string, m []int) candidate {
	s, e := m[0], m[1]
	if !isolated(text, s, e) {
		return candidate{drop: true}
	}
	return candidate{start: s, end: e, conf: 0.75, noContextInvalid: true, valid: !allSame(text[s:e])}
}

// ---- cui_marking ----

func checkCUI(text string, m []int) candidate {
	s, e := m[0], m[1]
	if s > 0 && (text[s-1] == '/' || text[s-1] == '-') || e < len(text) && text[e] == '-' {
		return candidate{drop: true}
	}
	raw := text[s:e]
	c := candidate{start: s, end: e, valid: true}
	switch {
	case strings.HasPrefix(raw, "CUI/"):
		c.conf = 0.95
	case raw != "CUI":
		c.conf = 0.9
	case aloneOnLine(text, s, e):
		c.conf = 0.9
	case e+1 < len(text) && text[e] == ' ' && text[e+1] >= 'a' && text[e+1] <= 'z':
		c.conf = 0.4 // "CUI training", "the CUI program": the topic, not a marking
	default:
		c.conf = 0.6
	}
	return c
}

// lineLook bounds how far aloneOnLine and atLineStart look for a line's
// edges, so that a long line with many markings stays linear to scan.
const lineLook = 160

// aloneOnLine reports whether text[s:e] is the only non-blank content of
// its line, as a banner marking is.
func aloneOnLine(text string, s, e int) bool {
	if !atLineStart(text, s) {
		return false
	}
	rest := text[e:min(len(text), e+lineLook)]
	if le := strings.IndexByte(rest, '\n'); le >= 0 {
		rest = rest[:le]
	} else if e+lineLook < len(text) {
		return false
	}
	return strings.TrimSpace(rest) == ""
}

// atLineStart reports whether only blanks precede s on its line.
func atLineStart(text string, s int) bool {
	lo := max(0, s-lineLook)
	before := text[lo:s]
	if ls := strings.LastIndexByte(before, '\n'); ls >= 0 {
		before = before[ls+1:]
	} else if lo > 0 {
		return false
	}
	return strings.TrimSpace(before) == ""
}

// ---- classification ----

func checkBanner(text string, m []int) candidate {
	s, e := m[0], m[1]
	if s > 0 && (text[s-1] == '/' || text[s-1] == '-') || e < len(text) && text[e] == '-' {
		return candidate{drop: true}
	}
	raw := text[s:e]
	if raw == "UNCLASSIFIED" && strings.HasSuffix(text[:s], "CONTROLLED ") && strings.HasPrefix(text[e:], " INFORMATION") {
		return candidate{drop: true} // the CUI banner spelled out: cui_marking's
	}
	c := candidate{start: s, end: e, valid: true}
	switch {
	case strings.Contains(raw, "//"):
		c.conf = 0.95
	case aloneOnLine(text, s, e):
		c.conf = 0.9
	case raw == "TOP SECRET":
		c.conf = 0.8
	case raw == "UNCLASSIFIED":
		c.conf = 0.7
	default:
		c.conf = 0.55
	}
	return c
}

func checkPortion(text string, m []int) candidate {
	s, e := m[0], m[1]
	if s > 0 && (isAlnum(text[s-1]) || text[s-1] == '_') || e < len(text) && isAlnum(text[e]) {
		return candidate{drop: true} // "ITEM(S)", "(S)HIP"
	}
	raw := text[s:e]
	c := candidate{start: s, end: e, valid: true}
	switch raw {
	case "(TS)":
		c.conf = 0.8
	case "(S)", "(U)":
		c.conf = 0.65
	case "(C)":
		c.conf = 0.5
		rest := strings.TrimLeft(text[e:], " ")
		before, after := contextAround(text, s, e, DefaultContextWindow)
		switch {
		case rest != "" && isDigit(rest[0]) || hasAnyWord(before, []string{"copyright"}) || hasAnyWord(after, []string{"copyright"}):
			c.conf = 0.05
		case hasAnyWord(before, []string{"(a)", "(b)"}):
			c.conf = 0.05 // the third item of a list: "(A), (B) or (C)"
		}
	default:
		c.conf = 0.95
	}
	if atLineStart(text, s) && c.conf < 0.9 && c.conf > 0.1 {
		c.conf += 0.2
	}
	return c
}

// ---- secret ----

func checkAWS(text string, m []int) candidate {
	s, e := m[0], m[1]
	c := candidate{start: s, end: e, conf: 0.9, valid: true}
	for i := s + 4; i < e; i++ {
		if ch := text[i]; !(ch >= 'A' && ch <= 'Z' || ch >= '2' && ch <= '7') {
			c.valid = false
		}
	}
	return c
}

func isB64URL(c byte) bool { return setB64URL.has(c) }

func checkGCP(text string, m []int) candidate {
	s, e := m[0], m[1]
	if s > 0 && isB64URL(text[s-1]) || e < len(text) && isB64URL(text[e]) {
		return candidate{drop: true}
	}
	return candidate{start: s, end: e, conf: 0.9, valid: true}
}

// pemEnd matches a private key's END line at the start of a string.
var pemEnd = regexp.MustCompile(`^-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----`)

// pemMax bounds how far past a BEGIN line its END line is looked for, so
// that many unterminated BEGIN lines cannot make a scan quadratic. An
// 8192-bit RSA key is about 6.5 KiB.
const pemMax = 16 << 10

// checkPEM extends a private key's BEGIN line to its END line, if one
// follows before any other BEGIN line, and requires a non-empty body.
func checkPEM(text string, m []int) candidate {
	s, e := m[0], m[1]
	c := candidate{start: s, end: e, conf: 0.8, valid: true}
	win := text[e:min(len(text), e+pemMax)]
	if nb := strings.Index(win, "-----BEGIN "); nb >= 0 {
		win = win[:nb]
	}
	if i := strings.Index(win, "-----END "); i >= 0 {
		if em := pemEnd.FindStringIndex(win[i:]); em != nil {
			c.end = e + i + em[1]
			c.conf = 0.99
			c.valid = strings.TrimSpace(win[:i]) != ""
		}
	}
	return c
}

func checkJWT(text string, m []int) candidate {
	s, e := m[0], m[1]
	if e < len(text) && (isB64URL(text[e]) || text[e] == '.') {
		return candidate{drop: true}
	}
	parts := strings.Split(text[s:e], ".")
	c := candidate{start: s, end: e, conf: 0.8}
	var header map[string]any
	if len(parts) != 3 || !decodeJSON(parts[0], &header) {
		return c
	}
	if _, ok := header["alg"].(string); !ok {
		return c
	}
	c.valid = true
	var payload map[string]any
	if decodeJSON(parts[1], &payload) {
		c.conf = 0.95
	}
	return c
}

func decodeJSON(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	return err == nil && json.Unmarshal(b, v) == nil
}

func checkPassword(text string, m []int) candidate {
	s, e := m[2], m[3]
	v := text[s:e]
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
		s, e = s+1, e-1
		v = text[s:e]
	}
	c := candidate{start: s, end: e, conf: 0.7}
	c.valid = !placeholder(v)
	return c
}

// placeholder reports whether a password value is obviously not a real
// password: too short, masked, templated, code, or a well-known dummy.
func placeholder(v string) bool {
	if len(v) < 4 || allSame(v) {
		return true
	}
	switch v[0] {
	case '$', '<', '{', '%', '[', '*':
		return true
	}
	if strings.ContainsAny(v, "()") {
		return true
	}
	switch strings.ToLower(v) {
	case "password", "passwd", "none", "null", "nil", "true", "false", "required", "redacted", "hidden", "secret",
		"xxxx", "xxxxxxxx", "your_password", "yourpassword":
		return true
	}
	return false
}

// Patterns returns the source of every built-in pattern's regexp, in
// detector order: what benchmarks give other engines to compare with.
func Patterns() []string {
	var ps []string
	for _, d := range builtins {
		for _, p := range d.patterns {
			ps = append(ps, p.re.String())
		}
	}
	return ps
}
