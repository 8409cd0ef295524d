package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// Detector names the default policies use. The built-in ones are
// internal/dlp's (a test keeps them in step with dlp.Detectors); the
// lexicon names are the custom lexicon detectors an agency is expected
// to define; DetectorUnscannable is counted by the pipeline, once per
// attachment whose text could not be extracted.
const (
	DetectorSSN            = "us_ssn"
	DetectorPaymentCard    = "payment_card"
	DetectorABARouting     = "aba_routing"
	DetectorIBAN           = "iban"
	DetectorPassport       = "us_passport"
	DetectorPhone          = "phone"
	DetectorEmail          = "email"
	DetectorEDIPI          = "edipi"
	DetectorCUI            = "cui_marking"
	DetectorClassification = "classification"
	DetectorSecret         = "secret"

	DetectorUnscannable = "unscannable"

	LexiconHarassment         = "lex_harassment"
	LexiconThreats            = "lex_threats"
	LexiconConflictOfInterest = "lex_conflict_of_interest"
)

// SanctionedCallingCodes returns the calling codes of the countries under
// comprehensive U.S. sanctions administered by OFAC, as the default
// group-sanctioned-country policy lists them: Cuba (53), Iran (98) and
// North Korea (850). Syria (963) is not in the list: the United States
// ended its Syria sanctions program in 2025, though sanctions on listed
// persons remain. The sanctioned regions of Ukraine
// (Crimea, and the so-called Donetsk and Luhansk People's Republics) have
// no calling code of their own and cannot be recognized this way.
// Sanctions change: each agency must review this list with its counsel
// and edit the policy.
func SanctionedCallingCodes() []string { return []string{"53", "98", "850"} }

// SeniorSeniorities are the seniority values the defaults treat as senior
// enough to add outside members without approval. Seniority is the
// organization's own vocabulary (docs/identity.md): edit the policies to
// match it.
func SeniorSeniorities() []string { return []string{"senior", "executive"} }

// MaxOutsideMembers is the default limit of outside members in a group.
const MaxOutsideMembers = 10

// celList renders strings as a CEL list literal.
func celList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Defaults returns a default policy set for a U.S. federal agency: new,
// enabled policies without IDs, each passing Check, to be saved as a
// starting point and tuned. docs/policy.md explains each one.
func Defaults() []*steward.Policy {
	msg := func(name, desc, cond string, action steward.PolicyAction, reason string) *steward.Policy {
		return &steward.Policy{Name: name, Description: desc, Kind: steward.PolicyMessage, Condition: cond,
			Action: action, Reason: reason, Enabled: true}
	}
	group := func(name, desc, cond string, action steward.PolicyAction, reason string) *steward.Policy {
		p := msg(name, desc, cond, action, reason)
		p.Kind = steward.PolicyGroup
		return p
	}
	senior := celList(SeniorSeniorities())
	executables := celList([]string{"exe", "scr", "com", "bat", "cmd", "msi", "ps1", "vbs", "js", "jse",
		"wsf", "hta", "jar", "lnk", "iso", "img", "dll"})

	redact := msg("ssn-card-outside",
		"Masks Social Security and payment card numbers in messages sent to outside parties. The outside "+
			"recipient gets a copy with the numbers masked; the archive keeps the original.",
		fmt.Sprintf(`outside && direction == "outbound" && (finding(%q) > 0 || finding(%q) > 0)`,
			DetectorSSN, DetectorPaymentCard),
		steward.ActionRedact,
		"Social Security and payment card numbers are masked in messages to people outside the organization. "+
			"The recipient sees the message with those numbers hidden.")
	redact.Redact = []string{DetectorSSN, DetectorPaymentCard}

	return []*steward.Policy{
		// Message policies.
		msg("classified-outside",
			"Classification banners or portion marks (TOP SECRET, SECRET, CONFIDENTIAL, (S), (TS//SI)…) in a "+
				"message exchanged with anyone outside the organization. Classified information never belongs "+
				"on an unclassified messaging system, and outside it is an unauthorized disclosure. Inbound, "+
				"the employee's copy is held instead.",
			fmt.Sprintf(`finding(%q) > 0 && outside`, DetectorClassification),
			steward.ActionBlock,
			"This message appears to carry classification markings and involves someone outside the "+
				"organization, so it was not delivered. Classified information must never be sent on this "+
				"system. If it is classified, contact your security officer now."),
		msg("classified-internal",
			"Classification markings in a message between employees: a possible spill onto an unclassified "+
				"system. Held for a compliance officer.",
			fmt.Sprintf(`finding(%q) > 0 && !outside`, DetectorClassification),
			steward.ActionQuarantine,
			"This message appears to carry classification markings, so it is held until a compliance "+
				"officer reviews it. This system is not approved for classified information: if it is "+
				"classified, contact your security officer."),
		msg("cui-outside",
			"A Controlled Unclassified Information marking in a message sent outside the organization. CUI "+
				"may go only to recipients with a lawful government purpose; an officer confirms that first.",
			fmt.Sprintf(`outside && direction == "outbound" && finding(%q) > 0`, DetectorCUI),
			steward.ActionQuarantine,
			"This message is marked as Controlled Unclassified Information (CUI) and addressed outside the "+
				"organization. It is held until a compliance officer confirms the recipient may receive it."),
		msg("secrets",
			"Credentials in any message: cloud access keys, private keys, tokens, passwords. Credentials "+
				"sent by message must be treated as exposed.",
			fmt.Sprintf(`finding(%q) > 0`, DetectorSecret),
			steward.ActionBlock,
			"This message appears to contain a credential (an access key, private key, token or password), "+
				"so it was not delivered. Never send credentials by message. If it was real, treat it as "+
				"exposed and have it replaced."),
		redact,
		msg("bulk-pii",
			"Five or more Social Security numbers in one message, in any direction: bulk personal "+
				"information needs a documented need and an approved channel.",
			fmt.Sprintf(`finding(%q) >= 5`, DetectorSSN),
			steward.ActionQuarantine,
			"This message contains five or more Social Security numbers, so it is held until a compliance "+
				"officer reviews it. Bulk personal information needs an approved, secure channel."),
		msg("unscannable-outside",
			"An attachment that could not be scanned (encrypted, an image, an unknown format) sent outside "+
				"the organization. The employee confirms with a justification before it leaves.",
			fmt.Sprintf(`outside && direction == "outbound" && (finding(%q) > 0 || message.attachments.exists(a, !a.scannable))`,
				DetectorUnscannable),
			steward.ActionWarn,
			"An attachment could not be checked for sensitive information (it may be encrypted, an image or "+
				"an unsupported format). Confirm that it holds nothing sensitive and say why it needs to go "+
				"to this recipient."),
		msg("banking-outside",
			"Bank routing or IBAN account numbers sent outside the organization: the employee confirms, "+
				"since requests to send or change payment details are a common fraud.",
			fmt.Sprintf(`outside && direction == "outbound" && (finding(%q) > 0 || finding(%q) > 0)`,
				DetectorABARouting, DetectorIBAN),
			steward.ActionWarn,
			"This message contains bank account details and is going outside the organization. Confirm "+
				"that you mean to send them: requests to send or change payment details are a common fraud."),
		msg("executable-inbound",
			"A program or script attached to a message from outside (by file extension). Held until an "+
				"officer has checked it.",
			`direction == "inbound" && message.attachments.exists(a, a.extension in `+executables+`)`,
			steward.ActionQuarantine,
			"A message from outside the organization carries a program or script as an attachment. It is "+
				"held until a compliance officer has checked it."),
		msg("lexicon-harassment",
			"Language matching the harassment lexicon, for review by a compliance officer.",
			fmt.Sprintf(`finding(%q) > 0`, LexiconHarassment),
			steward.ActionFlag,
			"Matches the harassment lexicon: review for workplace-conduct concerns."),
		msg("lexicon-threats",
			"Language matching the threats lexicon, for review by a compliance officer.",
			fmt.Sprintf(`finding(%q) > 0`, LexiconThreats),
			steward.ActionFlag,
			"Matches the threats lexicon: review for threats of violence or harm."),
		msg("lexicon-conflict-of-interest",
			"Language matching the conflict-of-interest lexicon (gifts, side payments, outside "+
				"employment), for review by a compliance officer.",
			fmt.Sprintf(`finding(%q) > 0`, LexiconConflictOfInterest),
			steward.ActionFlag,
			"Matches the conflict-of-interest lexicon: review under the standards of ethical conduct."),
		msg("senior-outside-sample",
			"A 1% sample of senior officials' (Capstone officials and executives) messages with outside "+
				"parties, in either direction, for routine review.",
			`outside && (sender.inside && (sender.capstone || sender.seniority == "executive") || `+
				`recipients.exists(r, r.inside && (r.capstone || r.seniority == "executive"))) && sample(1.0)`,
			steward.ActionFlag,
			"Routine 1% sample of senior officials' messages with outside parties."),

		// Group policies.
		group("group-outside-create-restricted",
			"Only supervisors and Capstone officials may create a group that includes outside members.",
			`operation == "create" && members.exists(m, !m.inside) && !(actor.capstone || "supervisor" in actor.roles)`,
			steward.ActionBlock,
			"Only supervisors and senior officials may create groups that include people outside the "+
				"organization. Ask your supervisor to create the group."),
		group("group-outside-limit",
			fmt.Sprintf("At most %d outside members in a group.", MaxOutsideMembers),
			fmt.Sprintf(`operation in ["create", "add"] && group.outside_members + members.filter(m, !m.inside).size() > %d`,
				MaxOutsideMembers),
			steward.ActionBlock,
			fmt.Sprintf("A group may have at most %d members from outside the organization.", MaxOutsideMembers)),
		group("group-sanctioned-country",
			"No member whose phone number has the calling code of a country under comprehensive U.S. "+
				"sanctions (Cuba +53, Iran +98, North Korea +850). Agencies must review this list with "+
				"counsel: sanctions change.",
			`operation in ["create", "add"] && members.exists(m, m.country in `+celList(SanctionedCallingCodes())+`)`,
			steward.ActionBlock,
			"A phone number being added belongs to a country under comprehensive U.S. sanctions. Contact "+
				"your compliance office before communicating with it."),
		group("group-consent-required",
			"Outside members must have consented to recording (consent active) before they join a group.",
			`operation in ["create", "add"] && members.exists(m, !m.inside && m.consent != "active")`,
			steward.ActionBlock,
			"Everyone outside the organization must agree to the conversation being recorded before joining "+
				"a group. Send them a consent request first."),
		group("group-outside-add-approval",
			"An employee below senior seniority (and not a Capstone official) adding an outside member to a "+
				"group needs their supervisor's approval.",
			`operation == "add" && actor.inside && members.exists(m, !m.inside) && `+
				`!(actor.capstone || actor.seniority in `+senior+`)`,
			steward.ActionApproval,
			"Adding someone from outside the organization to a group needs your supervisor's approval. "+
				"The request has been sent to them."),
		group("group-admin-inside-only",
			"Only employees may be made group administrators.",
			`operation == "make_admin" && members.exists(m, !m.inside)`,
			steward.ActionBlock,
			"Only employees of the organization can be group administrators."),
		group("group-outside-actor",
			"An outside member added people or made someone an administrator in a governed group: queued "+
				"for review.",
			`!actor.inside && operation in ["add", "make_admin"]`,
			steward.ActionFlag,
			"An outside member changed the membership or administrators of a governed group."),
	}
}
