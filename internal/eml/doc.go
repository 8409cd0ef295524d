// Package eml writes chat events as RFC 5322 e-mail that any mail tool
// opens: one message per event, or one conversation-day transcript per
// file, with attachments as MIME parts.
//
// Input is the rsmf package's model, plain, already decrypted and already
// redacted. The text layout is rsmf's transcript layout, so a deleted or
// edited message shows its text and every revision the same way in every
// format; the facts are also in X-Steward-* headers for machines.
//
// Participants of chat platforms rarely have e-mail addresses. A writer
// uses the captured address when it is valid and otherwise makes one from
// the platform account under a reserved domain, such as
// "+15550001111@signal.steward.invalid", which identifies the sender
// without ever being deliverable. Message-IDs are made the same way from
// event and conversation IDs, so a reply's In-Reply-To finds its parent in
// another file of the same production.
//
// Output is reproducible: the MIME boundary derives from a digest of the
// text, and dates from event times.
package eml
