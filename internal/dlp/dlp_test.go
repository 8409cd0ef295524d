package dlp

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

var (
	testJWT    = b64(`{"alg":"HS256","typ":"JWT"}`) + "." + b64(`{"sub":"1234567890","name":"J"}`) + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	badJWT     = b64(`{"typ":"JWT"}`) + "." + b64(`{"sub":"1"}`) + ".abc"
	notJSONJWT = "eyJub3QganNvbg." + b64(`{"sub":"1"}`) + ".abc"
	gcpKey     = "AIza" + strings.Repeat("aB3_", 8) + "xYz"
	pemKey     = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----"
)

// matches scans text with one detector and returns the matched substrings.
func matches(text, detector string, includeInvalid bool) (valid, invalid []string) {
	for _, f := range Scan(text, Options{Detectors: []string{detector}, IncludeInvalid: includeInvalid}) {
		if f.Detector != detector {
			panic("wrong detector " + f.Detector)
		}
		if f.Valid {
			valid = append(valid, text[f.Start:f.End])
		} else {
			invalid = append(invalid, text[f.Start:f.End])
		}
	}
	return valid, invalid
}

func TestDetectors(t *testing.T) {
	tests := []struct {
		name, detector, text string
		want                 []string // valid findings, in order
		wantInvalid          []string // with IncludeInvalid
	}{
		// us_ssn
		{"ssn dashes", "us_ssn", "SSN: 123-45-6789.", []string{"123-45-6789"}, nil},
		{"ssn spaces", "us_ssn", "ssn 123 45 6789", []string{"123 45 6789"}, nil},
		{"ssn bare", "us_ssn", "ssn 123456789", []string{"123456789"}, nil},
		{"ssn area 666", "us_ssn", "SSN 666-12-3456", nil, []string{"666-12-3456"}},
		{"ssn area 000", "us_ssn", "SSN 000-12-3456", nil, []string{"000-12-3456"}},
		{"ssn area 9xx", "us_ssn", "SSN 912-12-3456", nil, []string{"912-12-3456"}},
		{"ssn group 00", "us_ssn", "SSN 123-00-3456", nil, []string{"123-00-3456"}},
		{"ssn serial 0000", "us_ssn", "SSN 123-45-0000", nil, []string{"123-45-0000"}},
		{"ssn woolworth", "us_ssn", "SSN 078-05-1120", nil, []string{"078-05-1120"}},
		{"ssn mixed separators", "us_ssn", "SSN 123-45 6789", nil, []string{"123-45 6789"}},
		{"ssn in longer number", "us_ssn", "ref 123-45-6789-01 and 9123-45-6789", nil, nil},
		{"ssn in decimal", "us_ssn", "pi is 3.123456789", nil, nil},

		// payment_card
		{"visa spaces", "payment_card", "card 4111 1111 1111 1111 exp 12/29", []string{"4111 1111 1111 1111"}, nil},
		{"visa bare", "payment_card", "4111111111111111", []string{"4111111111111111"}, nil},
		{"mastercard dashes", "payment_card", "5555-5555-5555-4444", []string{"5555-5555-5555-4444"}, nil},
		{"mastercard 2-series", "payment_card", "2223003122003222", []string{"2223003122003222"}, nil},
		{"amex", "payment_card", "amex 3782 822463 10005", []string{"3782 822463 10005"}, nil},
		{"discover", "payment_card", "6011111111111117", []string{"6011111111111117"}, nil},
		{"jcb", "payment_card", "3530111333300000", []string{"3530111333300000"}, nil},
		{"diners", "payment_card", "30569309025904 and 38520000023237", []string{"30569309025904", "38520000023237"}, nil},
		{"card bad luhn", "payment_card", "4111111111111112", nil, []string{"4111111111111112"}},
		{"card luhn but no IIN", "payment_card", "1234567812345670", nil, []string{"1234567812345670"}},
		{"card mixed separators", "payment_card", "4111-1111 1111-1111", nil, []string{"4111-1111 1111-1111"}},
		{"card amex wrong length", "payment_card", "3782822463100050", nil, []string{"3782822463100050"}},
		{"card too long", "payment_card", "41111111111111111111111", nil, nil},

		// aba_routing
		{"aba", "aba_routing", "routing 021000021", []string{"021000021"}, nil},
		{"aba fed", "aba_routing", "ABA 011000015, acct 1234", []string{"011000015"}, nil},
		{"aba bad checksum", "aba_routing", "routing 021000022", nil, []string{"021000022"}},
		{"aba bad prefix", "aba_routing", "routing 131000021", nil, []string{"131000021"}},
		{"aba in url", "aba_routing", "https://x.gov/a/021000021b", nil, nil},

		// iban
		{"iban grouped", "iban", "IBAN GB82 WEST 1234 5698 7654 32 please", []string{"GB82 WEST 1234 5698 7654 32"}, nil},
		{"iban compact", "iban", "DE89370400440532013000.", []string{"DE89370400440532013000"}, nil},
		{"iban fr", "iban", "FR1420041010050500013M02606", []string{"FR1420041010050500013M02606"}, nil},
		{"iban nl", "iban", "to NL91ABNA0417164300 today", []string{"NL91ABNA0417164300"}, nil},
		{"iban bad mod97", "iban", "GB82 WEST 1234 5698 7654 33", nil, []string{"GB82 WEST 1234 5698 7654 33"}},
		{"iban too long", "iban", "DE8937040044053201300099", nil, nil},
		{"iban unknown country", "iban", "ZZ89370400440532013000", nil, nil},
		{"iban trailing word", "iban", "GB82 WEST 1234 5698 7654 32 AND MORE", []string{"GB82 WEST 1234 5698 7654 32"}, nil},

		// us_passport
		{"passport letter", "us_passport", "Passport No. C03005988", []string{"C03005988"}, nil},
		{"passport digits", "us_passport", "passport: 912345678", []string{"912345678"}, nil},
		{"passport all same", "us_passport", "passport 111111111", nil, []string{"111111111"}},
		{"passport too short", "us_passport", "passport C0300598", nil, nil},

		// phone
		{"phone e164", "phone", "call +442079460958 now", []string{"+442079460958"}, nil},
		{"phone e164 spaced", "phone", "tel +44 20 7946 0958", []string{"+44 20 7946 0958"}, nil},
		{"phone nanp parens", "phone", "(202) 555-0143", []string{"(202) 555-0143"}, nil},
		{"phone nanp dashes", "phone", "cell 202-555-0143.", []string{"202-555-0143"}, nil},
		{"phone nanp dots", "phone", "202.555.0143", []string{"202.555.0143"}, nil},
		{"phone +1", "phone", "+1 202-555-0143", []string{"+1 202-555-0143"}, nil},
		{"phone area 1xx", "phone", "123-456-7890", nil, []string{"123-456-7890"}},
		{"phone exchange N11", "phone", "202-411-1234", nil, []string{"202-411-1234"}},
		{"phone bare digits", "phone", "2025550143", nil, nil},
		{"phone e164 too short", "phone", "+12345", nil, nil},
		{"phone date", "phone", "2024-01-15", nil, nil},

		// email
		{"email", "email", "write to jane.doe@agency.gov.", []string{"jane.doe@agency.gov"}, nil},
		{"email plus", "email", "<j+tag@mail.example.co.uk>", []string{"j+tag@mail.example.co.uk"}, nil},
		{"email double dot", "email", "jane..doe@agency.gov", nil, []string{"jane..doe@agency.gov"}},
		{"email bad label", "email", "jane@-agency.gov", nil, []string{"jane@-agency.gov"}},
		{"email no tld", "email", "user@localhost", nil, nil},
		{"email file name", "email", "use logo@2x.png or icon@3x.WEBP", nil, []string{"logo@2x.png", "icon@3x.WEBP"}},

		// edipi
		{"edipi", "edipi", "EDIPI: 1234567890", []string{"1234567890"}, nil},
		{"edipi dod id", "edipi", "DoD ID 1234567890", []string{"1234567890"}, nil},
		{"edipi cac", "edipi", "his CAC number is 1234567890", []string{"1234567890"}, nil},
		{"edipi no context", "edipi", "order 1234567890 shipped", nil, []string{"1234567890"}},
		{"edipi 11 digits", "edipi", "EDIPI 12345678901", nil, nil},

		// cui_marking
		{"cui banner", "cui_marking", "CUI\nBody text", []string{"CUI"}, nil},
		{"cui category", "cui_marking", "CUI//SP-PRVCY", []string{"CUI//SP-PRVCY"}, nil},
		{"cui multi", "cui_marking", "CUI//SP-PRVCY/SP-TAX//NOFORN here", []string{"CUI//SP-PRVCY/SP-TAX//NOFORN"}, nil},
		{"cui words", "cui_marking", "CONTROLLED UNCLASSIFIED INFORMATION", []string{"CONTROLLED UNCLASSIFIED INFORMATION"}, nil},
		{"cui in prose", "cui_marking", "this memo is CUI.", []string{"CUI"}, nil},
		{"cuisine", "cui_marking", "CUIsine and CUISINE and xCUI", nil, nil},
		{"cui lowercase", "cui_marking", "cui", nil, nil},
		{"cui hyphenated", "cui_marking", "CUI-related training", nil, nil},

		// classification
		{"ts sci", "classification", "TOP SECRET//SCI", []string{"TOP SECRET//SCI"}, nil},
		{"secret noforn", "classification", "SECRET//NOFORN\ntext", []string{"SECRET//NOFORN"}, nil},
		{"secret rel to", "classification", "SECRET//REL TO USA, FVEY", []string{"SECRET//REL TO USA, FVEY"}, nil},
		{"confidential", "classification", "CONFIDENTIAL", []string{"CONFIDENTIAL"}, nil},
		{"u fouo", "classification", "UNCLASSIFIED//FOUO", []string{"UNCLASSIFIED//FOUO"}, nil},
		{"portions", "classification", "(S) One. (TS) Two. (C) Three. (U) Four.",
			[]string{"(S)", "(TS)", "(C)", "(U)"}, nil},
		{"portion compound", "classification", "(TS//SI) a (S//NF) b (U//FOUO)", []string{"(TS//SI)", "(S//NF)", "(U//FOUO)"}, nil},
		{"portion lowercase", "classification", "send the item(s) and (s) or (ts)", nil, nil},
		{"portion glued", "classification", "ITEM(S) and (S)HIP", nil, nil},
		{"secretary", "classification", "SECRETARY and Secret and secret", nil, nil},
		{"cui spelled out", "classification", "CONTROLLED UNCLASSIFIED INFORMATION", nil, nil},

		// secret
		{"aws akia", "secret", "key=AKIAIOSFODNN7EXAMPLE;", []string{"AKIAIOSFODNN7EXAMPLE"}, nil},
		{"aws asia", "secret", "ASIAY34FZKBOKMUTVV7A", []string{"ASIAY34FZKBOKMUTVV7A"}, nil},
		{"aws not base32", "secret", "AKIAIOSFODNN7EXAMPL1", nil, []string{"AKIAIOSFODNN7EXAMPL1"}},
		{"aws too short", "secret", "AKIAIOSFODNN7EXAMP", nil, nil},
		{"gcp", "secret", "k: " + gcpKey + "\n", []string{gcpKey}, nil},
		{"gcp too long", "secret", gcpKey + "Q", nil, nil},
		{"pem", "secret", "x\n" + pemKey + "\ny", []string{pemKey}, nil},
		{"pem header only", "secret", "-----BEGIN PRIVATE KEY-----\nMIIE", []string{"-----BEGIN PRIVATE KEY-----"}, nil},
		{"pem empty body", "secret", "-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----", nil,
			[]string{"-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----"}},
		{"pem two headers", "secret", "-----BEGIN PRIVATE KEY-----\n" + pemKey, []string{"-----BEGIN PRIVATE KEY-----", pemKey}, nil},
		{"pem public", "secret", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", nil, nil},
		{"jwt", "secret", "Authorization: Bearer " + testJWT + "\n", []string{testJWT}, nil},
		{"jwt no alg", "secret", badJWT, nil, []string{badJWT}},
		{"jwt header not json", "secret", notJSONJWT, nil, []string{notJSONJWT}},
		{"password assign", "secret", "password=hunter2!x&user=bob", []string{"hunter2!x"}, nil},
		{"password quoted", "secret", `db_password: "s3cr3t P@ss"`, []string{"s3cr3t P@ss"}, nil},
		{"pwd colon", "secret", "PWD: Tr0ub4dor&3", []string{"Tr0ub4dor"}, nil},
		{"password go", "secret", `password := "correct horse"`, []string{"correct horse"}, nil},
		{"password template", "secret", "password=${DB_PASS}", nil, []string{"${DB_PASS}"}},
		{"password masked", "secret", "password: ********", nil, []string{"********"}},
		{"password prose", "secret", "the password is long; mypassword=abc", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := matches(tt.text, tt.detector, false)
			if !slices.Equal(got, tt.want) {
				t.Errorf("valid = %q, want %q", got, tt.want)
			}
			gotV, gotI := matches(tt.text, tt.detector, true)
			if !slices.Equal(gotV, tt.want) {
				t.Errorf("with invalid: valid = %q, want %q", gotV, tt.want)
			}
			if !slices.Equal(gotI, tt.wantInvalid) {
				t.Errorf("invalid = %q, want %q", gotI, tt.wantInvalid)
			}
		})
	}
}

func TestValidators(t *testing.T) {
	// The near-miss cases above only test what they claim if the other
	// checks would pass.
	if !luhn("1234567812345670") || cardBrand("1234567812345670") != "" || cardBrand("3782822463100050") != "" {
		t.Error("near-miss card fixtures are wrong")
	}
	w := [9]int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for i, c := range "131000021" {
		sum += w[i] * int(c-'0')
	}
	if sum%10 != 0 {
		t.Error("131000021 should pass the checksum, failing only on prefix")
	}
	for _, ok := range []string{"GB82WEST12345698765432", "DE89370400440532013000", "NL91ABNA0417164300"} {
		if !ibanMod97(ok) || len(ok) != ibanLengths[ok[:2]] {
			t.Errorf("%s should be valid", ok)
		}
	}
	if ibanMod97("GB82WEST12345698765433") || ibanMod97("GB") {
		t.Error("bad IBAN passed mod-97")
	}
	if validSSN("12345678") || !validSSN("899999999") || validSSN("900000001") {
		t.Error("validSSN edge cases")
	}
}

func TestSpansAndOrder(t *testing.T) {
	text := "SECRET//NOFORN\n(S) Contact jane@agency.gov or (202) 555-0143; SSN 123-45-6789, card 4111-1111-1111-1111.\n"
	got := Scan(text, Options{})
	type span struct{ det, s string }
	var spans []span
	for i, f := range got {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			t.Fatalf("bad span %+v", f)
		}
		if i > 0 && got[i-1].Start > f.Start {
			t.Fatalf("not in span order: %+v then %+v", got[i-1], f)
		}
		if !f.Valid || f.Confidence <= 0 || f.Confidence > 1 {
			t.Errorf("finding %+v: want valid with confidence in (0,1]", f)
		}
		spans = append(spans, span{f.Detector, text[f.Start:f.End]})
	}
	want := []span{
		{"classification", "SECRET//NOFORN"},
		{"classification", "(S)"},
		{"email", "jane@agency.gov"},
		{"phone", "(202) 555-0143"},
		{"us_ssn", "123-45-6789"},
		{"payment_card", "4111-1111-1111-1111"},
	}
	if !slices.Equal(spans, want) {
		t.Errorf("spans:\n got %v\nwant %v", spans, want)
	}
	if got[0].Start != 0 || got[0].End != len("SECRET//NOFORN") {
		t.Errorf("banner span = [%d,%d)", got[0].Start, got[0].End)
	}
	sum := Summary(got)
	if sum["classification"] != 2 || sum["email"] != 1 || len(sum) != 5 {
		t.Errorf("summary = %v", sum)
	}
	for _, f := range got {
		if f.Count != sum[f.Detector] {
			t.Errorf("%s: Count = %d, summary %d", f.Detector, f.Count, sum[f.Detector])
		}
	}
}

func TestNoOverlapWithinDetector(t *testing.T) {
	text := "+1 202-555-0143 and +1 (202) 555-0144"
	got := Scan(text, Options{Detectors: []string{"phone"}})
	if len(got) != 2 || text[got[0].Start:got[0].End] != "+1 202-555-0143" || text[got[1].Start:got[1].End] != "+1 (202) 555-0144" {
		t.Errorf("got %+v", got)
	}
}

func confOf(t *testing.T, text, detector, value string) float64 {
	t.Helper()
	for _, f := range Scan(text, Options{Detectors: []string{detector}}) {
		if text[f.Start:f.End] == value {
			return f.Confidence
		}
	}
	t.Fatalf("%s: %q not found in %q", detector, value, text)
	return 0
}

func TestConfidence(t *testing.T) {
	plain := confOf(t, "ref 123-45-6789", "us_ssn", "123-45-6789")
	ctx := confOf(t, "Employee SSN: 123-45-6789", "us_ssn", "123-45-6789")
	neg := confOf(t, "for example 123-45-6789", "us_ssn", "123-45-6789")
	if !(ctx > plain && plain > neg) {
		t.Errorf("ssn confidence: context %v, plain %v, negative %v", ctx, plain, neg)
	}
	if far := confOf(t, "SSN"+strings.Repeat(" ", 60)+"123-45-6789", "us_ssn", "123-45-6789"); far != plain {
		t.Errorf("context beyond the window counted: %v", far)
	}
	if c := confOf(t, "number C03005988", "us_passport", "C03005988"); c > 0.2 {
		t.Errorf("passport without context = %v", c)
	}
	if c := confOf(t, "passport C03005988", "us_passport", "C03005988"); c < 0.8 {
		t.Errorf("passport with context = %v", c)
	}
	if c := confOf(t, "(C) 2024 Acme Corp", "classification", "(C)"); c > 0.1 {
		t.Errorf("copyright (C) = %v", c)
	}
	if c := confOf(t, "pick (A), (B) or (C)", "classification", "(C)"); c > 0.1 {
		t.Errorf("list item (C) = %v", c)
	}
	if c := confOf(t, "CUI training is due", "cui_marking", "CUI"); c >= 0.5 {
		t.Errorf("CUI as a topic = %v", c)
	}
	if c := confOf(t, "this memo is CUI.", "cui_marking", "CUI"); c < 0.6 {
		t.Errorf("CUI in prose = %v", c)
	}
	if c := confOf(t, "CUI//SP-PRVCY", "cui_marking", "CUI//SP-PRVCY"); c < 0.9 {
		t.Errorf("cui category = %v", c)
	}
	text := "ref 123-45-6789"
	if got := Scan(text, Options{Detectors: []string{"us_ssn"}, MinConfidence: plain + 0.01}); len(got) != 0 {
		t.Errorf("MinConfidence did not filter: %+v", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Options{Detectors: Detectors()}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Detectors: []string{"nope"}}, {MinConfidence: 2}, {ContextWindow: -1}} {
		err := o.Validate()
		var se *steward.Error
		if !steward.Is(steward.Invalid, err) || !errors.As(err, &se) {
			t.Errorf("%+v: err = %v, want Invalid", o, err)
		}
	}
	want := []string{"us_ssn", "payment_card", "aba_routing", "iban", "us_passport", "phone", "email", "edipi",
		"cui_marking", "classification", "secret"}
	if !slices.Equal(Detectors(), want) {
		t.Errorf("Detectors() = %v", Detectors())
	}
}

// pathologicalUnits, repeated, make texts with a candidate or an anchor
// every few bytes.
var pathologicalUnits = []string{"CUI ", "(S) ", "1 ", "+1", "a@b.", "eyJhbGciOi.", "-----BEGIN PRIVATE KEY-----\n",
	"password=", "GB82 ", "12345 ", "-----BEGIN ", "CUI/", "SECRET ", "@", "AIza", "eyJ", "(S", "a.", "1-", "pwd : ",
	"eyJabcde-", "eyJabcde.x-", "a-", "1 2 ", "AKIA", "x@y-", "(U//A-", "passphrase:=\"", "+1 2"}

// TestPathological checks that inputs built to provoke quadratic behaviour
// (many candidates on one line, unterminated PEM blocks) scan quickly.
func TestPathological(t *testing.T) {
	for _, unit := range pathologicalUnits {
		text := strings.Repeat(unit, (64<<10)/len(unit))
		start := time.Now()
		checkInvariants(t, text, Scan(text, Options{IncludeInvalid: true}))
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q x %d took %v", unit, len(text)/len(unit), d)
		}
	}
}

func checkInvariants(t *testing.T, text string, fs []Finding) {
	t.Helper()
	last := map[string]int{}
	for i, f := range fs {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			t.Fatalf("span out of bounds: %+v (len %d)", f, len(text))
		}
		if i > 0 && fs[i-1].Start > f.Start {
			t.Fatalf("not ordered: %+v then %+v", fs[i-1], f)
		}
		if end, ok := last[f.Detector]; ok && f.Start < end {
			t.Fatalf("overlap within %s: %+v", f.Detector, f)
		}
		last[f.Detector] = f.End
		if f.Confidence < 0 || f.Confidence > 1 {
			t.Fatalf("confidence out of range: %+v", f)
		}
	}
}

// FuzzScan scans with the built-in detectors and with a scanner that adds
// custom detectors of every kind (see fuzzScanner), whose keyword
// automaton must also agree with a naive search.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"", "SSN 123-45-6789", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32", "(TS//SI) CUI//SP-PRVCY",
		"password=hunter2", "-----BEGIN PRIVATE KEY-----", testJWT, "+1 (202) 555-0143", "EDIPI 1234567890",
		"Project  Bluebird", "a bomb near the school", "pipe \n bomb x", "employee 123-45-6789", "case-1234 CASE 99",
		"ssn 1 2 ssn", "niño c++ A B",
	} {
		f.Add(s)
	}
	custom := fuzzScanner(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkInvariants(t, text, Scan(text, Options{}))
		checkInvariants(t, text, Scan(text, Options{IncludeInvalid: true, ContextWindow: 3}))
		checkInvariants(t, text, custom.Scan(text, Options{}))
		checkInvariants(t, text, custom.Scan(text, Options{IncludeInvalid: true, ContextWindow: 3}))
		if err := sameAsNaive(custom, text); err != nil {
			t.Fatal(err)
		}
	})
}

// benchText is ~64 KiB of office prose with sensitive items scattered in it.
func benchText() string {
	paras := []string{
		"Team, following up on yesterday's meeting about the quarterly budget review. Please send the revised figures by Friday so finance can reconcile them with the September close.",
		"UNCLASSIFIED//FOUO\n(U) The travel request for the conference in Denver was approved; contact jane.doe@agency.gov or call (202) 555-0143 with questions.",
		"Reminder: the building will be closed on Monday for maintenance. Badges will not work at the north entrance between 0600 and 1400.",
		"Reimbursement form: employee SSN 123-45-6789, routing 021000021, account 000123456789. Card on file 4111 1111 1111 1111 expires 12/29.",
		"The draft policy, version 3.2, is attached. Comments are due 2025-07-15; see section 4.1.3 and the table on page 12 for the new thresholds.",
		"CUI//SP-PRVCY\nThe personnel file for the new hire (EDIPI 1234567890) is attached. Passport C03005988 was verified by the security office.",
		"Deploy notes: export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE and set db_password=\"Winter2025!\" in the staging env only.",
		"Thanks all for a great offsite. Photos are on the shared drive under Events/2025/Offsite; the survey closes next Thursday at noon.",
	}
	var b strings.Builder
	for i := 0; b.Len() < 64<<10; i++ {
		b.WriteString(paras[i%len(paras)])
		b.WriteString("\n\n")
	}
	return b.String()
}

func BenchmarkScan(b *testing.B) {
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Scan(text, Options{})
	}
}
