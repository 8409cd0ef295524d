package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

// testRecordConversation checks that Record.ConversationID round-trips,
// empty included, whether records go in one per InsertRecords call or
// many at once.
func testRecordConversation(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	a, b, c := NewRecord(t, "one"), NewRecord(t, "none"), NewRecord(t, "two")
	b.Kind, b.ConversationID = steward.RecordAudit, "" // a record of no conversation
	must(t, "append one by one", appendRecords(s, a, b, c))
	d, e, f := NewRecord(t, "batch-a"), NewRecord(t, "batch-none"), NewRecord(t, "batch-b")
	d.ConversationID = a.ConversationID
	e.ConversationID = ""
	must(t, "append in one InsertRecords", appendBatch(s, d, e, f))

	all := []*steward.Record{a, b, c, d, e, f}
	for i, want := range all {
		got, err := s.RecordByID(ctx, want.ID)
		must(t, "RecordByID", err)
		same(t, fmt.Sprint("RecordByID ", i), normRecord(got), normRecord(want))
		got, err = s.RecordAt(ctx, want.LeafIndex)
		must(t, "RecordAt", err)
		same(t, fmt.Sprint("RecordAt ", i), normRecord(got), normRecord(want))
	}
	var scanned []*steward.Record
	must(t, "ScanRecords", s.ScanRecords(ctx, 0, func(r *steward.Record) error {
		scanned = append(scanned, r)
		return nil
	}))
	if len(scanned) != len(all) {
		t.Fatalf("ScanRecords visited %d records, want %d", len(scanned), len(all))
	}
	for i, r := range scanned {
		same(t, fmt.Sprint("scanned record ", i), normRecord(r), normRecord(all[i]))
	}
}

func testConversationMembers(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	conv, err := s.EnsureConversation(ctx, &steward.Conversation{Channel: "signal",
		Kind: steward.ConversationGroup, Key: "group:members", Title: "Desk"})
	must(t, "EnsureConversation", err)
	other, err := s.EnsureConversation(ctx, &steward.Conversation{Channel: "signal",
		Kind: steward.ConversationGroup, Key: "group:other"})
	must(t, "EnsureConversation", err)

	got, err := s.Members(ctx, conv.ID)
	must(t, "Members of a new conversation", err)
	if len(got) != 0 {
		t.Fatalf("Members of a new conversation = %+v", got)
	}

	t0 := time.Date(2025, 7, 1, 9, 0, 0, 123456000, time.UTC)
	carol := steward.Member{Address: "+15550300", AddedAt: t0}
	alice := steward.Member{Address: "+15550100", Admin: true, AddedAt: t0.Add(time.Minute)}
	must(t, "AddMembers", s.AddMembers(ctx, conv.ID, []steward.Member{carol, alice}))
	must(t, "AddMembers to another conversation", s.AddMembers(ctx, other.ID, []steward.Member{carol}))
	got, err = s.Members(ctx, conv.ID)
	must(t, "Members", err)
	same(t, "Members, by address", normMembers(got), normMembers([]steward.Member{alice, carol}))

	// Present members keep AddedAt and take the new Admin flag; a member
	// added without a time gets one.
	before := time.Now().Add(-time.Second)
	bob := steward.Member{Address: "+15550200"}
	must(t, "AddMembers again", s.AddMembers(ctx, conv.ID, []steward.Member{
		{Address: alice.Address, Admin: false, AddedAt: t0.Add(time.Hour)},
		{Address: carol.Address, Admin: true, AddedAt: t0.Add(time.Hour)},
		bob,
	}))
	got, err = s.Members(ctx, conv.ID)
	must(t, "Members", err)
	if len(got) != 3 || got[1].Address != bob.Address || got[1].Admin || got[1].AddedAt.Before(before) {
		t.Fatalf("Members = %+v, want %s second, not admin, added now", got, bob.Address)
	}
	bob.AddedAt = got[1].AddedAt
	alice.Admin, carol.Admin = false, true
	same(t, "Members after AddMembers again", normMembers(got), normMembers([]steward.Member{alice, bob, carol}))

	wantKind(t, "AddMembers to an unknown conversation",
		s.AddMembers(ctx, steward.NewID(), []steward.Member{{Address: "+15550400"}}), steward.NotFound)

	must(t, "RemoveMembers", s.RemoveMembers(ctx, conv.ID, []string{alice.Address, "+15550999"}))
	got, err = s.Members(ctx, conv.ID)
	must(t, "Members", err)
	same(t, "Members after RemoveMembers", normMembers(got), normMembers([]steward.Member{bob, carol}))
	// Removing from one conversation leaves the others alone.
	got, err = s.Members(ctx, other.ID)
	must(t, "Members of the other conversation", err)
	same(t, "other conversation's members", normMembers(got), normMembers([]steward.Member{{Address: carol.Address, AddedAt: t0}}))
	must(t, "RemoveMembers of no one", s.RemoveMembers(ctx, conv.ID, nil))
	must(t, "RemoveMembers of absent ones only", s.RemoveMembers(ctx, conv.ID, []string{alice.Address}))

	// A removed member may come back, as a new member.
	back := steward.Member{Address: alice.Address, AddedAt: t0.Add(2 * time.Hour)}
	must(t, "AddMembers after removal", s.AddMembers(ctx, conv.ID, []steward.Member{back}))
	got, err = s.Members(ctx, conv.ID)
	must(t, "Members", err)
	same(t, "Members after re-adding", normMembers(got), normMembers([]steward.Member{back, bob, carol}))
}

func testConversationsOf(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	const me, colleague, client, stranger = "+15550100", "+15550101", "+15550200", "+15550900"
	t0 := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	type spec struct {
		ch      steward.Channel
		key     string
		created time.Time
		members []string
	}
	newConv := func(sp spec) *steward.Conversation {
		t.Helper()
		c, err := s.EnsureConversation(ctx, &steward.Conversation{Channel: sp.ch, Kind: steward.ConversationGroup,
			Key: sp.key, Title: sp.key, CreatedAt: sp.created})
		must(t, "EnsureConversation", err)
		var ms []steward.Member
		for i, a := range sp.members {
			ms = append(ms, steward.Member{Address: a, Admin: i == 0, AddedAt: sp.created})
		}
		must(t, "AddMembers", s.AddMembers(ctx, c.ID, ms))
		return c
	}
	direct := newConv(spec{"signal", "direct", t0, []string{me, client}})
	group := newConv(spec{"signal", "group", t0.Add(time.Minute), []string{colleague, me, client}})
	quietOld := newConv(spec{"signal", "quiet-old", t0.Add(2 * time.Minute), []string{me}})
	newConv(spec{"signal", "quiet-new", t0.Add(3 * time.Minute), []string{me, stranger}})
	theirs := newConv(spec{"signal", "theirs", t0.Add(4 * time.Minute), []string{colleague, stranger}})
	sms := newConv(spec{"sms", "sms", t0.Add(5 * time.Minute), []string{me}})

	inConv := func(key string, c *steward.Conversation) *steward.Record {
		r := NewRecord(t, key)
		r.ConversationID = c.ID
		return r
	}
	must(t, "append", appendRecords(s,
		inConv("d1", direct), inConv("g1", group), inConv("t1", theirs), inConv("s1", sms)))
	d2 := inConv("d2", direct)
	none := NewRecord(t, "none")
	none.ConversationID = ""
	must(t, "append", appendRecords(s, d2, none))

	ids := func(list []*steward.ConversationSummary) []string {
		out := []string{}
		for _, c := range list {
			out = append(out, c.Key)
		}
		return out
	}
	list, err := s.ConversationsOf(ctx, "signal", []string{me})
	must(t, "ConversationsOf", err)
	// Newest activity first; those without records after, newest created first.
	same(t, "ConversationsOf(me)", ids(list), []string{"direct", "group", "quiet-new", "quiet-old"})
	wantLast := map[string]int64{"direct": d2.LeafIndex, "group": 1, "quiet-new": -1, "quiet-old": -1}
	for _, c := range list {
		if c.LastLeaf != wantLast[c.Key] {
			t.Fatalf("%s: LastLeaf = %d, want %d", c.Key, c.LastLeaf, wantLast[c.Key])
		}
	}
	// The summary is the whole conversation, with every member (in no
	// promised order).
	g := list[1]
	same(t, "summary's conversation", normConversation(&g.Conversation), normConversation(group))
	members := slices.SortedFunc(slices.Values(g.Members), func(a, b steward.Member) int {
		return strings.Compare(a.Address, b.Address)
	})
	same(t, "summary's members", normMembers(members), normMembers([]steward.Member{
		{Address: me, AddedAt: t0.Add(time.Minute)},
		{Address: colleague, Admin: true, AddedAt: t0.Add(time.Minute)},
		{Address: client, AddedAt: t0.Add(time.Minute)},
	}))

	// A conversation with several of the addresses is listed once.
	list, err = s.ConversationsOf(ctx, "signal", []string{me, stranger, client})
	must(t, "ConversationsOf", err)
	same(t, "ConversationsOf(me, stranger, client)", ids(list),
		[]string{"direct", "theirs", "group", "quiet-new", "quiet-old"})
	list, err = s.ConversationsOf(ctx, "sms", []string{me})
	must(t, "ConversationsOf on sms", err)
	same(t, "ConversationsOf(me) on sms", ids(list), []string{"sms"})
	list, err = s.ConversationsOf(ctx, "signal", []string{"+15559999"})
	must(t, "ConversationsOf a stranger", err)
	if len(list) != 0 {
		t.Fatalf("ConversationsOf(unknown address) = %v", ids(list))
	}
	list, err = s.ConversationsOf(ctx, "signal", nil)
	must(t, "ConversationsOf no one", err)
	if len(list) != 0 {
		t.Fatalf("ConversationsOf(no addresses) = %v", ids(list))
	}

	// New activity moves a conversation to the top; leaving one takes it
	// off the list.
	q := inConv("q1", quietOld)
	must(t, "append", appendRecords(s, q))
	must(t, "RemoveMembers", s.RemoveMembers(ctx, group.ID, []string{me}))
	list, err = s.ConversationsOf(ctx, "signal", []string{me})
	must(t, "ConversationsOf", err)
	same(t, "ConversationsOf(me) after activity", ids(list), []string{"quiet-old", "direct", "quiet-new"})
	if list[0].LastLeaf != q.LeafIndex {
		t.Fatalf("LastLeaf = %d, want %d", list[0].LastLeaf, q.LeafIndex)
	}
}

func testConversationRecords(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	const conv, other = "conv-x", "conv-y"
	var mine []*steward.Record
	var batch1, batch2 []*steward.Record
	for i := range 12 {
		r := NewRecord(t, fmt.Sprint("r", i))
		switch i % 3 {
		case 0:
			r.ConversationID = conv
			mine = append(mine, r)
		case 1:
			r.ConversationID = other
		case 2:
			r.ConversationID = ""
		}
		if i < 5 {
			batch1 = append(batch1, r)
		} else {
			batch2 = append(batch2, r)
		}
	}
	mine[1].WrappedKey = nil // appended without a key
	must(t, "append", appendRecords(s, batch1...))
	must(t, "append", appendBatch(s, batch2...))
	must(t, "ShredKey", s.ShredKey(ctx, mine[2].ID))
	shredded := *mine[2]
	shredded.WrappedKey = nil
	want := []*steward.Record{mine[0], mine[1], &shredded, mine[3]}

	check := func(what string, got []*steward.Record, want ...*steward.Record) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s = %d records, want %d", what, len(got), len(want))
		}
		for i := range got {
			same(t, fmt.Sprint(what, " record ", i), normRecord(got[i]), normRecord(want[i]))
		}
	}
	got, err := s.ConversationRecords(ctx, conv, -1, 100)
	must(t, "ConversationRecords", err)
	check("ConversationRecords from the start", got, want...)
	got, err = s.ConversationRecords(ctx, conv, mine[0].LeafIndex, 2)
	must(t, "ConversationRecords", err)
	check("ConversationRecords after the first, 2", got, want[1:3]...)
	got, err = s.ConversationRecords(ctx, conv, mine[1].LeafIndex+1, 100)
	must(t, "ConversationRecords", err)
	check("ConversationRecords after a leaf of another conversation", got, want[2:]...)
	got, err = s.ConversationRecords(ctx, conv, mine[3].LeafIndex, 100)
	must(t, "ConversationRecords", err)
	check("ConversationRecords after the last", got)
	got, err = s.ConversationRecords(ctx, "conv-unknown", -1, 100)
	must(t, "ConversationRecords of an unknown conversation", err)
	check("ConversationRecords of an unknown conversation", got)

	got, err = s.LastConversationRecords(ctx, conv, 2)
	must(t, "LastConversationRecords", err)
	check("LastConversationRecords 2", got, want[2:]...)
	got, err = s.LastConversationRecords(ctx, conv, 100)
	must(t, "LastConversationRecords", err)
	check("LastConversationRecords 100", got, want...)
	got, err = s.LastConversationRecords(ctx, other, 1)
	must(t, "LastConversationRecords", err)
	if len(got) != 1 || got[0].ConversationID != other || got[0].LeafIndex != 10 {
		t.Fatalf("LastConversationRecords(other, 1) = %+v, want leaf 10", got)
	}
	got, err = s.LastConversationRecords(ctx, "conv-unknown", 10)
	must(t, "LastConversationRecords of an unknown conversation", err)
	check("LastConversationRecords of an unknown conversation", got)

	got, err = s.ConversationRecordsBefore(ctx, conv, mine[3].LeafIndex, 2)
	must(t, "ConversationRecordsBefore", err)
	check("ConversationRecordsBefore the last, 2", got, want[1:3]...)
	got, err = s.ConversationRecordsBefore(ctx, conv, mine[1].LeafIndex+1, 100)
	must(t, "ConversationRecordsBefore", err)
	check("ConversationRecordsBefore a leaf of another conversation", got, want[:2]...)
	got, err = s.ConversationRecordsBefore(ctx, conv, mine[0].LeafIndex, 100)
	must(t, "ConversationRecordsBefore", err)
	check("ConversationRecordsBefore the first", got)
	if _, err := s.ConversationRecordsBefore(ctx, conv, 5, 0); !steward.Is(steward.Invalid, err) {
		t.Fatalf("ConversationRecordsBefore with limit 0: %v, want Invalid", err)
	}
}

// appendBatch appends recs in one transaction with a single InsertRecords
// call, as the archive log's group commit does.
func appendBatch(s steward.Store, recs ...*steward.Record) error {
	return s.AppendTx(ctx, func(tx steward.LogTx) error {
		size, err := tx.Size()
		if err != nil {
			return err
		}
		h := batchHashes{tx: tx, m: map[int64]tlog.Hash{}}
		for i, r := range recs {
			n := size + int64(i)
			hs, err := tlog.StoredHashes(n, r.Leaf, h)
			if err != nil {
				return err
			}
			r.LeafIndex = n
			r.TreeHashes = r.TreeHashes[:0]
			first := tlog.StoredHashIndex(0, n)
			for j, x := range hs {
				r.TreeHashes = append(r.TreeHashes, x[:]...)
				h.m[first+int64(j)] = x
			}
		}
		return tx.InsertRecords(recs)
	})
}

// batchHashes reads the hashes of a batch not yet inserted from m, and
// the others from the transaction.
type batchHashes struct {
	tx steward.LogTx
	m  map[int64]tlog.Hash
}

func (b batchHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if h, ok := b.m[idx]; ok {
			out[i] = h
			continue
		}
		hs, err := tlogHashes(b.tx.ReadHashes([]int64{idx}))
		if err != nil {
			return nil, err
		}
		out[i] = hs[0]
	}
	return out, nil
}

func normMembers(ms []steward.Member) []steward.Member {
	out := []steward.Member{}
	for _, m := range ms {
		m.AddedAt = ts(m.AddedAt)
		out = append(out, m)
	}
	return out
}
