// Package dlp holds Steward's data-loss-prevention detectors: the built-in
// ones, and administrators' custom detectors compiled into a [Scanner].
//
// # Design
//
// Every built-in detector works in two steps:
//
//  1. Candidates are found by regular expression. The patterns are
//     deliberately a little loose: they find things that look right. The
//     regexps define the candidates, but a scan does not run them over the
//     text: one pass with a byte-class table (the prefilter) records the
//     anchors every match needs (digit runs, '@', '+', "(S", ':' and '='
//     after what may end a password key, and literals such as "CUI",
//     "SECRET", "AKIA", "eyJ" and "-----BEGIN "), and each pattern then
//     looks only there: by hand where its regexp is a fixed shape (nine
//     digits forming a word), or with the regexp on the few bytes around
//     an anchor. A test and a fuzz target check that this finds exactly
//     the matches of the regexp over the whole text. Prose without
//     anchors costs the table walk alone.
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
//     year, near "copyright" or after "(A)" or "(B)" gets low confidence, as
//     does a bare "CUI" followed by a lower-case word ("CUI training").
//     "UNCLASSIFIED" inside "CONTROLLED UNCLASSIFIED INFORMATION" is
//     cui_marking's, not a classification banner.
//   - email rejects addresses whose last label is a file extension that is
//     not a top-level domain ("logo@2x.png").
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
//
// # Quality
//
// testdata/labelled holds, for each built-in detector, at least 40 labelled
// cases: positives and near misses (numbers that fail a checksum, dates,
// order and tracking numbers, numbers in URLs, markings in prose). TestQuality
// scores every detector on all of them at [QualityThreshold] and fails when
// precision or recall falls below 0.95; `steward bench dlp --quality` prints
// the same table.
//
// # Custom detectors
//
// [Compile] turns administrators' steward.CustomDetector values into a
// [Scanner] that runs them beside the built-ins. Their findings carry the
// detector's Name, Valid=true and the detector's Confidence, raised and
// lowered by context and negative words and clamped exactly as for
// built-ins (so a Confidence of 1 reports as 0.99); of overlapping spans
// one detector reports only the earlier, longer one. The kinds:
//
//   - regex: every non-empty, non-overlapping match of Pattern (RE2). Such
//     patterns run over the whole text at Go regexp speed; prefer keywords
//     where they will do.
//   - keywords: every whole-word occurrence of a keyword or phrase. All
//     keywords of all detectors are found in one pass by one Aho-Corasick
//     automaton. Matching ignores the case of ASCII letters (other letters
//     must match as written) and reads any run of white space as one space,
//     so "social security" matches "Social\n  Security". A keyword that
//     begins (ends) with a letter, digit, '_' or a non-ASCII character must
//     not be preceded (followed) by one.
//   - lexicon: as keywords, and a term may also be "a w/N b" (see
//     [ParseTerm]): a and b, in either order, with at most N words between
//     them; the finding spans both. Words are runs of letters, digits, '_'
//     and non-ASCII bytes.
//   - edm: exact data match against values the agency hashed itself; see
//     [NormalizeEDM], [ClientHash] and [EDMDigest]. Pattern cuts the
//     candidates; a candidate whose keyed digest is not stored is reported
//     only with IncludeInvalid, as invalid.
//
// [Redact] masks findings' spans for a redact policy action.
package dlp
