// Package transfer builds and verifies transfer packages: the permanent
// records Steward hands to the National Archives (NARA) when their
// schedule item says "transfer", in a form NARA accepts and that anyone
// can check offline against the archive's Merkle log.
//
// Due selects the records whose transfer is due (permanent schedule
// items, retention run out, no active legal hold); Build writes a package
// of any records into a new directory; BatchHook lets the records service
// build the package of an executed transfer batch; Verify checks a
// package with nothing but the package itself (and, preferably, the log's
// public key obtained separately).
//
// # Package layout
//
//	manifest.json        every file but manifest.json and manifest.sig, with
//	                     size and SHA-256; every record with its leaf index,
//	                     leaf encoding, leaf hash, metadata exactly as logged,
//	                     and an RFC 6962 inclusion proof against checkpoint.txt
//	manifest.sig         a C2SP signed note, by the log key, of manifest.json's
//	                     SHA-256 and the package id
//	checkpoint.txt       one signed checkpoint of the log (C2SP tlog-checkpoint)
//	log.pub              the log's public key (note verifier key, "vkey")
//	metadata.csv         one row per record, pipe-delimited (see below)
//	metadata.json        the same rows as a JSON array
//	README.txt           this layout and how to verify, for people
//	conversations/<conversation id>/<leaf index, 12 digits>-<record id>.eml
//	                     one RFC 5322 message per message record, attachments
//	                     as MIME parts; the edits, deletions, reactions and
//	                     receipts in the package that act on a message are shown
//	                     in that message's file; other events get a file each
//
// A message travels with its attachments, which are integral to it (36
// CFR 1236.22(a)): Build adds them. Events (edits, deletions, reactions)
// are records of their own, with their own schedule and holds: they are
// in a package only when selected, and then shown with the message they
// act on when that message is in the package too. Consent messages (the
// recording notice and replies) are shown as messages. A policy decision
// listed with its message (as a disposition batch lists it) is in the
// manifest and metadata, with its message's file, but not shown.
//
// # Metadata
//
// Each row carries NARA's minimum transfer metadata (Bulletin 2015-04:
// file name, record id, title, description, creator, creation date,
// rights) followed by the facts of the message: leaf index and hash,
// kind, event type, channel, direction, conversation and its subject
// (the conversation title, where any), sender and recipients with their
// names resolved, sent and captured times, the message an event acts on,
// an attachment's parent, name, type, size and digest, and the schedule
// item, its label and disposition authority. NARA recommends a
// pipe-delimited CSV, which metadata.csv is (RFC 4180 quoting otherwise);
// lists inside a field are separated by "; ". Rights is left empty: the
// access restrictions (FOIA exemptions, privacy) are for the agency to
// state on the transfer request.
//
// Names are resolved to full names from the directory when the package
// is built (36 CFR 1236.22(a)(3)): the employee's display name, else the
// outside contact's name as the employee recorded it, else the name the
// channel gave at capture, else the bare address. A group message's
// recipients are the conversation's members, other than the sender, as
// Steward knows them when the package is built.
//
// # Verification
//
// Verify checks that manifest.sig verifies with log.pub and names
// manifest.json's digest; that every listed file is present with its
// size and digest, and no file is unlisted; that checkpoint.txt verifies
// with log.pub; that every record's leaf hashes to its leaf hash, names
// the record, commits to its metadata, and is proved into the
// checkpoint's tree; and that metadata.csv and metadata.json list exactly
// the manifest's records, with the logged leaf index, kind and times. Any
// changed byte in any file fails it, naming the file. A package rebuilt
// and re-signed by someone else verifies against its own log.pub, so
// the verifier should also compare log.pub with the agency's published
// key (VerifyOptions.PublicKey).
package transfer
