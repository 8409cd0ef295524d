// Package foia holds the rules of Freedom of Information Act requests
// (5 U.S.C. 552): the calendar of working days, the lifecycle of a request,
// its statutory clock, the due report, and the table of exemptions.
//
// Everything here is a pure function of its arguments. The package stores
// nothing, reads no clock and keeps no state beyond a Calendar's
// configuration; the request and its history are steward.FOIARequest and
// steward.FOIAEvent, persisted by a steward.FOIARequestStore.
//
// # Counting
//
// A period "of n working days after" an event counts the working days after
// the event's day; the event's own day is day 0. This follows the statute's
// "within 20 days (excepting Saturdays, Sundays, and legal public holidays)
// after the receipt" and the usual rule for computing periods (Fed. R. Civ.
// P. 6(a)(1)(A): exclude the day of the triggering event), as agency
// regulations spell it out, e.g. 10 CFR 1504.316: "no later than the
// twentieth working day after the date of receipt".
//
// Days are the agency's: Config.Zone, America/New_York unless set. A
// request, a requester's answer or an appeal that arrives on a day off, or
// on a working day at or after the cutoff (17:00 unless set), counts as
// received on the next working day; that day is day 0. Agencies set the
// cutoff in their regulations (e.g. EPA, 40 CFR 2.104(a)(2)); it is an
// option, and can be turned off.
//
// # Tolling
//
// The clock stops while the agency awaits the requester: once for
// information (5 U.S.C. 552(a)(6)(A)(ii)(I)) and as often as needed to
// clarify fees (ii)(II). The day the agency asks is counted as used; the
// day the answer is received is day 0 again, so a toll excludes the
// working days after the question up to and including the answer's day. A
// toll must begin while the period is still running.
//
// See docs/foia.md for the other rules and worked examples.
package foia
