// Package records holds the records-management decisions of Steward as
// pure functions: when a record's file is cut off, which schedule item a
// record goes on, whether a legal hold covers it, whether it is eligible
// for disposition and why, how a disposition batch moves from proposed to
// executed, the canonical bytes of a certificate of disposition, and the
// Federal Records Act capture-lag report.
//
// Nothing here touches storage, the network or the clock: every function
// takes "now" and the facts it needs as arguments, so the same inputs
// always give the same answer. That is what lets a property test check,
// over many random schedules, holds and clocks, that a held record is
// never eligible and a permanent record is never destroyed; and it is
// what makes an assignment made at capture reproducible years later.
//
// The domain types live in internal/steward (records.go); the stores that
// keep them are implemented by the storage adapters. See docs/records.md.
package records
