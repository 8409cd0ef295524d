// Package rsmf writes and validates RSMF 2.0 files, Relativity's Short
// Message Format for producing chat in eDiscovery, and holds the neutral
// short-message model Steward's production writers share.
//
// # Model
//
// [Participant], [Conversation] and [Event] follow the RSMF manifest's own
// vocabulary, which is the industry's common model of a chat: the eml
// package renders the same values as e-mail. Values arrive plain, already
// decrypted and already redacted; nothing here reads the archive. Edits,
// deletions, reactions, joins and leaves, read receipts and direction map
// to RSMF's own fields, and a deleted or edited message keeps its text and
// every revision (a well-known exporter dropped them).
//
// # Files
//
// [Write] produces one .rsmf file: an RFC 5322 multipart/mixed message with
// the X-RSMF-* headers, a quoted-printable text preview, and exactly one
// base64 attachment, rsmf.zip, holding rsmf_manifest.json and the
// attachment files at its root. Content is streamed from each
// attachment's Open function through deflate and base64 to the output, so
// memory does not grow with attachment size. Output is reproducible: the
// MIME boundary and Message-ID derive from a digest of the content, and
// zip times from event times.
//
// A [Splitter] cuts an export's stream of events into files of one
// conversation and one time window (a UTC calendar day by default), with
// at most 10,000 events and an estimated 2 GB each, the limits Relativity
// documents. Slices of one conversation share an eventcollectionid.
//
// [Validate] checks a .rsmf file the way Relativity's validator is
// documented to, including the manifest against the official 2.0.0 schema
// (embedded from relativitydev/rsmf-validator-samples, BSD licence, see
// schema/LICENSE), and reports every problem it finds.
//
// # Choices
//
//   - Every zip entry is deflated (at BestSpeed): all zip readers stream
//     deflated entries with data descriptors, while some refuse stored ones.
//   - The schema's "idn-email" format is enforced, although the schema
//     library leaves it unchecked: the writer moves an address that fails
//     it to a custom "Email" property instead of producing a file that a
//     stricter validator would reject.
//   - Timestamps are written as RFC 3339 in UTC. Validate reads the
//     schema's "date-time" as the ISO 8601 its description names, so the
//     offset may be absent, as in Relativity's own samples.
//   - The schema requires a reply's parent to be in the same file. When
//     slicing separates them, the writer keeps the parent's ID in a custom
//     "Reply to event" property rather than dropping the link.
//   - An attachment whose content is missing is left out of the zip and
//     named in a custom "Attachment missing at capture" property, and the
//     writer returns a warning for the production manifest.
package rsmf
