// Package steward is the domain core of Steward: the vocabulary of governed
// messaging (employees, work identities, outside contacts, conversations,
// messages, events, attachments), the archive record that captures each of
// them, and the service interfaces that adapters implement.
//
// It imports no adapter. Storage engines (sqlite, postgres), blob stores,
// key providers, channels and HTTP handlers live in packages named after the
// technology they adapt, depend on this package, and are wired together only
// in cmd/steward.
package steward
