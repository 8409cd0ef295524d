// Package dlp holds Steward's built-in data-loss-prevention detectors.
//
// # Design
//
// Every detector works in two steps:
//
//  1. Candidates are found by regular expression (Go's RE2 engine, so scans
//     are linear in the input). The patterns are deliberately a little
//     loose: they find things that look right.
//  2. Each candidate is then validated by code, which the regexp cannot do:
//     the Luhn check and issuer (IIN) ranges of a payment card, the area,
//     group and serial rules of a US SSN, the 3-7-1 checksum and Federal
//     Reserve prefix of an ABA routing number, the per-country length and
//     mod-97 check of an IBAN, the decoded JSON header of a JWT, token
//     boundaries, and so on. Only candidates that pass are reported, unless
//     [Options.IncludeInvalid] asks for the rejected ones too (with
//     Valid=false and confidence 0), which is how administrators see why a
//     string did not match.
//
// Spans are byte offsets into the scanned string, half open: text[Start:End]
// is the sensitive value. For password assignments the span covers the value
// only, not the key, so that a redaction keeps "password=" readable.
//
// # Confidence
//
// A finding's confidence is a number in [0, 1] built as follows:
//
//   - Each detector gives a base confidence to a validated candidate, which
//     reflects how often that shape is sensitive by chance. A Luhn-valid
//     card number in a known IIN range starts at 0.9; an SSN written
//     without separators starts lower than 123-45-6789 style; nine bare
//     digits that happen to pass the ABA checksum start at 0.5.
//   - Context words (a short list per detector, such as "ssn" or "routing")
//     found as whole words, case-insensitively, within [DefaultContextWindow]
//     bytes before or after the span add 0.15.
//   - Negative words ("example", "test", "sample", "dummy", "fake") in the
//     same window subtract 0.3.
//   - Some detectors depend on context. A US passport number without a word
//     like "passport" nearby is only reported at 0.15; an EDIPI (DoD ID)
//     without "EDIPI", "DoD ID" or "CAC" nearby is not reported at all,
//     because ten bare digits are far too common (with IncludeInvalid it
//     appears with Valid=false).
//
// The result is clamped to [0.01, 0.99] for valid findings and rounded to two
// decimals, so output is stable across runs. Callers filter with
// [Options.MinConfidence].
//
// # Detectors
//
// The built-in detectors are named us_ssn, payment_card, aba_routing, iban,
// us_passport, phone, email, edipi, cui_marking, classification and secret;
// see [Detectors]. Known limits and choices:
//
//   - us_ssn rejects area 000, 666 and 900-999, group 00 and serial 0000, and
//     also the two numbers the SSA voided after they were published in
//     advertising (078-05-1120 and 219-09-9999). Separators must be
//     consistent ("123-45-6789", "123 45 6789" or "123456789").
//   - payment_card accepts 13-19 digits with a single kind of separator
//     (spaces or dashes) and requires both the Luhn check and a Visa,
//     Mastercard, Amex, Discover, JCB or Diners issuer range with a length
//     that brand uses.
//   - iban expects upper-case letters, optionally in groups of four
//     separated by single spaces, and knows the lengths of about 75
//     countries; other country codes are rejected.
//   - phone finds E.164 numbers (+ and 8-15 digits) and NANP numbers written
//     with separators or parentheses; ten bare digits are not a phone number
//     here (they are far more often IDs).
//   - cui_marking and classification are case-sensitive, as markings are
//     written in capitals, and match whole tokens only, so "CUIsine",
//     "SECRETARY" and the "(s)" of "item(s)" do not hit. A "(C)" followed by a
//     year or near "copyright" gets low confidence.
//   - secret finds AWS access key ids (AKIA/ASIA + 16 base32 characters),
//     Google API keys (AIza + 35), PEM private-key blocks (a BEGIN line
//     whose END line does not follow within 16 KiB, before another BEGIN,
//     is still reported on its own, at lower confidence), JWTs whose
//     header decodes to JSON with an "alg" member, and password assignments
//     (password=, passwd:, pwd=, passphrase:) whose value is not an obvious
//     placeholder.
//
// Findings are returned in span order; one detector never reports two
// overlapping spans, but different detectors may report the same bytes (nine
// digits can be both an SSN and a routing number).
package dlp
