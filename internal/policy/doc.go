// Package policy judges messages and group operations against the
// organization's policies, written in CEL (cel.dev/cel-go).
//
// Every message, in either direction, and every group operation gets a
// Decision before delivery. A policy sees metadata and detector counts
// (findings), never the text: DLP scanning happens before, elsewhere,
// and its result is an input here. docs/policy.md is the reference for
// policy authors: the variables, functions, actions, enforcement limits
// and the default set.
//
// # Design
//
//   - A Set is one compiled policy-set version. It is immutable apart
//     from its atomic counters, so one Set serves every goroutine and a
//     new version replaces it whole.
//   - Inputs are plain Go structs. CEL reads them in place, as typed
//     objects (Party, Message, …) declared from the structs' cel tags, so
//     a misspelt field is a compile-time error shown to the author, not a
//     run-time failure on every message. One activation per message serves
//     all policies and converts each variable at most once.
//   - finding() and sample() are late-bound functions: they read the
//     message being judged through its activation.
//   - A policy that fails at run time (a missing map key, the cost limit)
//     does not apply its action, but flags the decision for review with
//     the error: a broken rule must not let a message through unseen.
package policy
