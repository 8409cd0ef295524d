// Package signal is the protocol layer of Steward's Signal connector. It
// speaks to a real signal-cli daemon (AsamK/signal-cli) running in
// multi-account mode with --http, and knows nothing about any simulator:
// every request and every decoded field follows signal-cli's documented
// JSON-RPC and HTTP surface (signal-cli-jsonrpc(5)), so the package must
// work unchanged against the real daemon.
//
// What is captured, and how:
//
//   - Events follows GET /api/v1/events, the daemon's server-sent event
//     stream, and hands each `receive` event to a handler synchronously; the
//     handler acknowledges an event only once it is durably captured.
//   - DecodeNotification turns the event's data into a Notification, keeping
//     the raw envelope so that fields unknown to this package are archived
//     (sealed, in Item.Extra[ExtraEnvelope]) too.
//   - Notification.Items maps the envelope to steward.Items: messages
//     received (dataMessage), messages the employee sent from the phone
//     this daemon is linked to (syncMessage.sentMessage), edits and remote
//     deletes as new revisions that name their target rather than
//     overwrite it, reactions, and delivery/read/viewed receipts.
//     Attachment bytes are fetched separately by id (AttachmentRefs,
//     Client.GetAttachment).
//   - Client calls JSON-RPC methods over POST /api/v1/rpc: sending,
//     reactions, remote deletes, group management, attachments, rate-limit
//     challenges, and device linking (StartLink, FinishLink), always naming
//     the account.
//   - Sender implements steward.ChannelSender and steward.GroupManager on
//     Client: it maps outbound requests to send/remoteDelete/sendReaction/
//     updateGroup, addresses captured messages by their channel ids
//     (ParseMessageID), maps per-recipient results to steward statuses and
//     rate limits to *steward.RateLimitError.
//
// Typing indicators are not records: they produce no items. Disappearing
// message timers and view-once flags are recorded as metadata in
// Item.Extra and never shorten or prevent capture; retention is the
// archive's decision, not the sender's.
//
// signal-cli acknowledges messages to Signal's server as it decrypts them
// and keeps no replay log, and its event stream carries no ids. So Events
// never drops a connection over a failing or slow handler: an id-less
// event is retried in place until captured. (A server that does send ids
// is resumed with Last-Event-ID after a reconnect.) Events that signal-cli wrote
// to a connection that then broke are lost to this package; that window
// is what State exposes for capture-health alerting.
//
// Group membership changes are not in signal-cli's envelope (an update
// carries only the group id, name and revision). MembershipItem derives
// them from two ListGroups snapshots; nothing polls the snapshots yet, so
// changes made from a phone are not captured as membership events (changes
// made through Steward are).
package signal
