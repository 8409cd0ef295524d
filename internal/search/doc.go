// Package search defines Steward's full-text search of captured messages:
// the query language (Parse), its meaning (Match, the reference every
// index must agree with), and the blind index scheme (Keyer) under which
// an index holds keyed hashes of words, never the words. Backends live
// elsewhere (internal/sqlite) and are held to Match by internal/searchtest.
//
// # Query language
//
// A query is terms combined by operators:
//
//	budget                  a word, in any case and with or without accents
//	"flood relief"          words in sequence; punctuation between them is ignored
//	jane.doe@city.gov       a term of several words is a phrase: jane doe city gov
//	negot*                  a word beginning with negot (3 letters or digits at least)
//	contract w/5 vendor     both within 5 words of each other, in either order
//	"flood relief" w/3 fund phrases may be operands of w/N; N is 1 to 50
//	budget grant            both: adjacent terms are joined by AND
//	budget AND grant        the same
//	budget OR grant         either
//	NOT budget              documents without budget; NOT may stand alone
//	budget NOT grant        budget AND NOT grant
//	(budget OR grant) AND NOT draft
//
// Operators are upper case (lower-case "and" is a word). w/N binds
// tightest, then NOT, then AND, then OR. Inside quotes everything but
// letters and digits separates words, and * is refused rather than
// ignored. A word is a run of letters and digits (see Tokens for
// normalization), so e-mail is the phrase "e mail" and don't is "don t".
//
// Fields restrict by metadata. Their names are case-insensitive; a value
// with spaces is quoted (from:"Jane Doe"):
//
//	from:V            the sender is V (see below)
//	to:V              a recipient is V
//	participant:V     the sender, a recipient or another member is V
//	custodian:ID      the message is in the records of employee ID (exact)
//	channel:NAME      signal, whatsapp, sms, api... (case-insensitive)
//	conversation:ID   the conversation's id (exact)
//	has:attachment    the message carries an attachment
//	filename:V        an attachment's file name contains V's words in sequence
//	dlp:DETECTOR      a DLP detector (us_ssn, payment_card...) found something
//	before:YYYY-MM-DD sent before that day began, UTC
//	after:YYYY-MM-DD  sent after that day ended, UTC
//	on:YYYY-MM-DD     sent on that day, UTC
//	direction:D       inbound, outbound or internal
//	deleted:true      deleted by its sender for everyone (deleted:false: not)
//	edited:true       edited after sending (edited:false: not)
//
// A party value V names a party if it is the party's address, compared
// after trimming and lower-casing, phone numbers by their digits and a
// leading + (so from:"+1 (202) 555-0143" finds +12025550143); or if V's
// words appear in sequence within the party's address (from:city.gov) or
// within its name (from:doe, from:"jane doe"), never across the two or
// across two parties. Dates are days in UTC: after:2024-03-05
// before:2024-03-07 is 6 March, UTC; for a range in another zone, the
// caller's Filter takes instants. Dates run from 1970-01-01 to 2199-12-31;
// a sent time outside that range counts as its nearer end (ClampTime).
//
// Bare terms search the text: the body and the text extracted from
// attachments. Parts are kept apart: no phrase or w/N spans the end of
// the body and the start of an attachment. Names, addresses and file
// names are searched through their fields.
//
// A query is at most 4096 bytes, 256 terms (each word of a phrase counts)
// and 32 levels of parentheses and NOTs. An unknown field name is an error
// (quote the term to search for "re: budget" as text), and so is a term
// with no letters or digits; errors give the 1-based position of the fault.
//
// # Semantics
//
// Match is the definition. w/N, in particular, matches when an occurrence
// of each operand is found such that the one that starts later starts no
// more than N words after the other ends, counting the later's first word
// (for single words: positions at most N apart). Occurrences may overlap,
// and one occurrence may serve both operands, so tango w/1 tango matches a
// single tango, as SQLite FTS5's NEAR does. A wildcard's stem is compared
// with each word's beginning after normalization: tax* finds tax, taxes
// and taxi, never ta.
//
// An index returns the documents that match within the caller's Filter,
// newest first. The Filter is the authority (a case's custodians, a FOIA
// request's conversations, a date range): a query can only narrow it.
//
// # Blind index
//
// An index holds, for each document, its record id, conversation id and
// sent time in the clear (the archive's record metadata holds them in the
// clear as well), and everything else as tokens: the first 80 bits of
// HMAC-SHA256 under the index key, in base32, of
//
//   - each normalized word of the text, in order, so that FTS5 answers
//     phrases and NEAR on hashes as it would on words;
//   - each distinct proper prefix of 3 to 8 letters of those words (a
//     wildcard also looks for its stem as a whole word);
//   - each party's normalized address and the words of its address and
//     name, and the words of each file name;
//   - each exact value: custodian, channel, conversation, direction,
//     detector, the flags (attachment, deleted, edited), and the sent
//     time's decade, year, month and day, for dates inside OR and NOT.
//
// A one-byte role is hashed in front of each value, so the same word in a
// message and in a name yields unrelated tokens. A search hashes the
// query's words the same way (Keyer.Plan). A wildcard stem longer than 8
// letters is looked up by its first 8, and the candidates are opened and
// checked with Match (Filter.Load, which decrypts the record).
//
// The index key is DeriveKey(KEK), HKDF-SHA256 with the info KeyInfo: a
// key of its own, which opens no record.
//
// What an attacker who holds the disk, but not the KEK, learns from the
// index:
//
//   - how many documents there are, and each one's id, conversation and
//     sent time (as from the archive's metadata);
//   - each document's shape: how many words its text has and in how many
//     parts (so whether it has attachment text), how many parties, file
//     names and custodians;
//   - which documents share a token and how often each token occurs, so
//     which messages share a word, a sender, a custodian, a detector's
//     finding, and where in a text tokens repeat (a phrase sent many times
//     is visible as a repeated sequence);
//   - the values of small fields: direction, channel, the flags and the
//     date buckets are recognizable by their counts and by their
//     agreement with the sent times;
//   - which words begin alike: a prefix token's documents are the union of
//     the documents of the words it begins, so the shape of the vocabulary
//     (words sharing their first 3 to 8 letters, and so word lengths up to
//     9 letters) can be worked out.
//
// Word frequencies follow the language's, so an attacker with a model of
// the language can guess the commonest words (the, and, meeting) by their
// rank, and from co-occurrence and word lengths perhaps some phrases;
// rare words, names, numbers and addresses stay unknown. The index gives
// no text directly and does not help to open a record.
//
// What an attacker who also holds the KEK learns: the index key, and with
// it every token they can guess, by hashing a dictionary (words, names,
// phone numbers, account numbers of a known format) and looking the hashes
// up, so the text's word sequences as far as their dictionary reaches, and
// the prefixes of the words it does not. But the KEK opens the records
// themselves, so the index gives them nothing they did not have.
package search
