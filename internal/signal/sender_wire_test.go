package signal

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Wire-level tests of Sender against a fake daemon: the exact methods and
// params each op sends, and how signal-cli's error shapes are read.

func sendOK(string, map[string]json.RawMessage) (any, *RPCError) {
	return json.RawMessage(`{"timestamp":1767225800000,"results":[
		{"recipientAddress":{"uuid":"0d2c7a4e-6b1f-4c8e-9a3d-2f5e8b7c1a90","number":"` + other + `","username":null},"type":"SUCCESS"}]}`), nil
}

func TestSenderWireParams(t *testing.T) {
	d, c := newFake(t, sendOK)
	s := &Sender{Client: c}
	own := acct + ":" + acct + ":1767225600000"
	theirs := acct + ":0d2c7a4e-6b1f-4c8e-9a3d-2f5e8b7c1a90:1767225700000"
	tests := []struct {
		req    steward.SendRequest
		method string
		params map[string]string // every param, as raw JSON
	}{
		{steward.SendRequest{Op: steward.SendMessage, Recipients: []string{other}, Body: "Hallo", ReplyTo: theirs,
			Attachments: []steward.Attachment{{Filename: "Plan B.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}}},
			"send", map[string]string{"recipient": `["` + other + `"]`, "message": `"Hallo"`,
				"attachments":    `["data:application/pdf;filename=Plan+B.pdf;base64,JVBERg=="]`,
				"quoteTimestamp": `1767225700000`, "quoteAuthor": `"0d2c7a4e-6b1f-4c8e-9a3d-2f5e8b7c1a90"`}},
		{steward.SendRequest{Op: steward.SendMessage, GroupID: groupID, Attachments: []steward.Attachment{{Data: []byte("a")}}},
			"send", map[string]string{"groupId": `"` + groupID + `"`, "attachments": `["data:application/octet-stream;base64,YQ=="]`}},
		{steward.SendRequest{Op: steward.SendEdit, Recipients: []string{other}, Body: "Hallo!", Target: own},
			"send", map[string]string{"recipient": `["` + other + `"]`, "message": `"Hallo!"`, "editTimestamp": `1767225600000`}},
		{steward.SendRequest{Op: steward.SendDelete, GroupID: groupID, Target: own},
			"remoteDelete", map[string]string{"groupId": `"` + groupID + `"`, "targetTimestamp": `1767225600000`}},
		{steward.SendRequest{Op: steward.SendReaction, Recipients: []string{other}, Emoji: "👍", Target: theirs, Remove: true},
			"sendReaction", map[string]string{"recipient": `["` + other + `"]`, "emoji": `"👍"`,
				"targetAuthor": `"0d2c7a4e-6b1f-4c8e-9a3d-2f5e8b7c1a90"`, "targetTimestamp": `1767225700000`, "remove": `true`}},
		{steward.SendRequest{Op: steward.SendReaction, Recipients: []string{other}, Emoji: "👍", Target: own},
			"sendReaction", map[string]string{"recipient": `["` + other + `"]`, "emoji": `"👍"`,
				"targetAuthor": `"` + acct + `"`, "targetTimestamp": `1767225600000`}},
	}
	for _, tt := range tests {
		tt.req.Account = acct
		r, err := s.Send(context.Background(), &tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.req.Op, err)
		}
		call := d.last()
		got := map[string]string{}
		for k, v := range call.Params {
			got[k] = string(v)
		}
		tt.params["account"] = `"` + acct + `"`
		if call.Method != tt.method || !reflect.DeepEqual(got, tt.params) {
			t.Errorf("%s: %s %v, want %s %v", tt.req.Op, call.Method, got, tt.method, tt.params)
		}
		want := &steward.SendResult{ChannelMessageID: acct + ":" + acct + ":1767225800000", SentAt: time.UnixMilli(1767225800000).UTC(),
			Recipients: []steward.RecipientStatus{{Address: other, Status: steward.StatusSent, Detail: "SUCCESS"}}}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("%s: result %+v, want %+v", tt.req.Op, r, want)
		}
	}
}

func TestSenderWireGroups(t *testing.T) {
	d, c := newFake(t, func(method string, _ map[string]json.RawMessage) (any, *RPCError) {
		return json.RawMessage(`{"groupId":"` + groupID + `","timestamp":1767225800000,"results":[]}`), nil
	})
	s := &Sender{Client: c}
	ctx := context.Background()
	gid, err := s.CreateGroup(ctx, acct, "Bauamt", []string{other})
	if err != nil || gid != groupID {
		t.Fatalf("CreateGroup: %q %v", gid, err)
	}
	want := map[string]string{"account": `"` + acct + `"`, "name": `"Bauamt"`, "members": `["` + other + `"]`}
	if call := d.last(); call.Method != "updateGroup" || !reflect.DeepEqual(raw(call.Params), want) {
		t.Errorf("create: %s %v, want %v", call.Method, raw(call.Params), want)
	}
	if err := s.UpdateGroup(ctx, acct, groupID, []string{"+491"}, []string{"+492"}, []string{"+493"}); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"account": `"` + acct + `"`, "groupId": `"` + groupID + `"`,
		"members": `["+491"]`, "removeMembers": `["+492"]`, "admins": `["+493"]`}
	if call := d.last(); call.Method != "updateGroup" || !reflect.DeepEqual(raw(call.Params), want) {
		t.Errorf("update: %s %v, want %v", call.Method, raw(call.Params), want)
	}
	if err := c.SubmitRateLimitChallenge(ctx, acct, "a1b2c3d4-0000-4000-8000-000000000001", "signalcaptcha://x.y.z"); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"account": `"` + acct + `"`, "challenge": `"a1b2c3d4-0000-4000-8000-000000000001"`, "captcha": `"signalcaptcha://x.y.z"`}
	if call := d.last(); call.Method != "submitRateLimitChallenge" || !reflect.DeepEqual(raw(call.Params), want) {
		t.Errorf("submit: %s %v, want %v", call.Method, raw(call.Params), want)
	}
}

func raw(m map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// errorReply answers every call with a JSON-RPC error object given as raw
// JSON, exactly as signal-cli writes it.
func errorReply(t *testing.T, errJSON string) *Client {
	var e RPCError
	if err := json.Unmarshal([]byte(errJSON), &e); err != nil {
		t.Fatal(err)
	}
	_, c := newFake(t, func(string, map[string]json.RawMessage) (any, *RPCError) { return nil, &e })
	return c
}

func TestSenderRateLimitShape(t *testing.T) {
	// SendMessageResultUtils.outputResult → RateLimitErrorException → code
	// -5 with the written result as data.response; token and
	// retryAfterSeconds come from JsonSendMessageResult.
	c := errorReply(t, `{"code":-5,"message":"Failed to send message due to rate limiting","data":{"response":{
		"timestamp":1767225800000,"results":[
		{"recipientAddress":{"uuid":"0d2c7a4e-6b1f-4c8e-9a3d-2f5e8b7c1a90","number":"+4915712345678","username":null},
		 "type":"RATE_LIMIT_FAILURE","token":"3f0e5c1a-9b7d-4e2f-8a6c-1d2b3c4d5e6f","retryAfterSeconds":86400},
		{"recipientAddress":{"uuid":null,"number":"+4915712345679","username":null},
		 "type":"RATE_LIMIT_FAILURE","retryAfterSeconds":90000}]}}}`)
	_, err := (&Sender{Client: c}).Send(context.Background(), &steward.SendRequest{Op: steward.SendMessage, Account: acct, Recipients: []string{other}, Body: "x"})
	rl, ok := steward.AsRateLimit(err)
	if !ok {
		t.Fatalf("err %v: no RateLimitError", err)
	}
	if rl.Challenge != "3f0e5c1a-9b7d-4e2f-8a6c-1d2b3c4d5e6f" || rl.RetryAfter != 90000*time.Second || rl.Msg != "Failed to send message due to rate limiting" {
		t.Errorf("rate limit %+v", rl)
	}
	var re *RPCError
	if !errors.As(err, &re) || re.Code != -5 || !steward.Is(steward.Unavailable, err) {
		t.Errorf("err %v: want the RPC error -5 in the chain, kind Unavailable", err)
	}

	// Without data (getUserStatus, register), and as older versions and
	// group updates report it, a rate limit still is one.
	for _, e := range []string{
		`{"code":-5,"message":"Rate limit exceeded: 60 seconds","data":null}`,
		`{"code":-32603,"message":"Failed to send message: Rate limit (RateLimitException)","data":null}`,
	} {
		_, err := errorReply(t, e).Send(context.Background(), acct, SendParams{Recipients: []string{other}, Message: "x"})
		if rl, ok := steward.AsRateLimit(err); !ok || rl.Challenge != "" || rl.RetryAfter != 0 {
			t.Errorf("%s: %v", e, err)
		}
	}
	err = errorReply(t, `{"code":-6,"message":"Captcha rejected, it may be outdated, already used or solved from a different IP address.","data":null}`).
		SubmitRateLimitChallenge(context.Background(), acct, "t", "c")
	if !steward.Is(steward.Invalid, err) {
		t.Errorf("captcha rejected: %v, want Invalid", err)
	}
}

func TestSenderNoRecipientAccepted(t *testing.T) {
	for _, tt := range []struct {
		err  string
		want string
	}{
		{`{"code":-1,"message":"Failed to send message","data":{"response":{"timestamp":1767225800000,"results":[
			{"recipientAddress":{"uuid":null,"number":"+4915712345678","username":null},"type":"UNREGISTERED_FAILURE"}]}}}`, steward.StatusUnregistered},
		{`{"code":-4,"message":"Failed to send message due to untrusted identities","data":{"response":{"timestamp":1767225800000,"results":[
			{"recipientAddress":{"uuid":"0d2c7a4e-6b1f-4c8e-9a3d-2f5e8b7c1a90","number":"+4915712345678","username":null},"type":"IDENTITY_FAILURE"}]}}}`, steward.StatusIdentityChanged},
		{`{"code":-1,"message":"Failed to send message","data":{"response":{"timestamp":1767225800000,"results":[
			{"recipientAddress":{"uuid":null,"number":"+4915712345678","username":null},"type":"NETWORK_FAILURE"}]}}}`, steward.StatusNetworkFailure},
	} {
		c := errorReply(t, tt.err)
		cr, err := c.Send(context.Background(), acct, SendParams{Recipients: []string{other}, Message: "x"})
		if err == nil || len(cr.Results) != 1 || cr.Timestamp != 1767225800000 {
			t.Errorf("Client.Send: %+v, %v; want the results with the error", cr, err)
		}
		r, err := (&Sender{Client: c}).Send(context.Background(), &steward.SendRequest{Op: steward.SendMessage, Account: acct, Recipients: []string{other}, Body: "x"})
		if err != nil || len(r.Recipients) != 1 || r.Recipients[0].Status != tt.want || r.Recipients[0].Address != "+4915712345678" {
			t.Errorf("Sender.Send: %+v, %v; want %s", r, err, tt.want)
		}
	}
	// A user error without results stays an error.
	_, err := (&Sender{Client: errorReply(t, `{"code":-1,"message":"Invalid group id","data":null}`)}).Send(context.Background(),
		&steward.SendRequest{Op: steward.SendMessage, Account: acct, GroupID: groupID, Body: "x"})
	if !steward.Is(steward.Invalid, err) {
		t.Errorf("user error: %v, want Invalid", err)
	}
}
