package rsmf_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/rsmf"
	"github.com/steward-gov/steward/internal/steward"
)

func validate(data []byte) (*rsmf.Info, error) {
	return rsmf.Validate(bytes.NewReader(data), int64(len(data)))
}

// problems returns the reasons err lists, failing unless it is a
// steward.Invalid error wrapping Problems.
func problems(t *testing.T, err error) rsmf.Problems {
	t.Helper()
	var p rsmf.Problems
	if !steward.Is(steward.Invalid, err) || !errors.As(err, &p) || len(p) == 0 {
		t.Fatalf("err = %v; want steward.Invalid wrapping Problems", err)
	}
	return p
}

func hasProblem(p rsmf.Problems, substr string) bool {
	for _, s := range p {
		if strings.Contains(s, substr) {
			return true
		}
	}
	return false
}

// TestNegativeSamples checks that both of Relativity's negative samples
// fail, for the reasons Relativity's own validator gives.
func TestNegativeSamples(t *testing.T) {
	t.Run("Sample3 carries a second attachment", func(t *testing.T) {
		data, err := os.ReadFile("testdata/Sample3-sample.rsmf")
		if err != nil {
			t.Fatal(err)
		}
		_, err = validate(data)
		p := problems(t, err)
		if len(p) != 1 || !strings.Contains(p[0], `attachment "avatar.png" beside rsmf.zip`) {
			t.Errorf("problems = %q; want exactly the extra avatar.png attachment", p)
		}
	})
	t.Run("Sample1 has a participant without id", func(t *testing.T) {
		manifest, err := os.ReadFile("testdata/Sample1-rsmf_manifest.json")
		if err != nil {
			t.Fatal(err)
		}
		p := problems(t, rsmf.ValidateManifest(bytes.NewReader(manifest)))
		if !strings.Contains(p[0], "at '/participants/0': missing property 'id'") {
			t.Errorf("first problem = %q; want the missing participant id", p[0])
		}
		// The same manifest inside an otherwise well-formed file.
		_, err = validate(build("X-RSMF-Version: 2.0.0\r\n", textPart, zipPart("rsmf.zip", map[string][]byte{"rsmf_manifest.json": manifest})))
		if p := problems(t, err); !hasProblem(p, "missing property 'id'") {
			t.Errorf("problems = %q", p)
		}
	})
}

func TestValidateHandBuiltFile(t *testing.T) {
	good := build("X-RSMF-Version: 2.0.0\r\nX-RSMF-EventCount: 1\r\n", textPart,
		zipPart("rsmf.zip", map[string][]byte{"rsmf_manifest.json": []byte(goodManifest), "f.txt": []byte("hi")}))
	info, err := validate(good)
	if err != nil {
		t.Fatalf("a minimal valid file fails: %v", err)
	}
	if info.Header.Get("X-RSMF-Version") != "2.0.0" || info.Events != 1 || len(info.Warnings) != 0 {
		t.Errorf("info = %+v", info)
	}
}

func TestValidateFindsProblems(t *testing.T) {
	v2 := "X-RSMF-Version: 2.0.0\r\n"
	files := func(manifest string, extra ...string) map[string][]byte {
		m := map[string][]byte{"rsmf_manifest.json": []byte(manifest)}
		for _, n := range extra {
			m[n] = []byte("x")
		}
		return m
	}
	good := files(goodManifest, "f.txt")
	edit := func(old, new string) string { return strings.Replace(goodManifest, old, new, 1) }
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"no version header", build("", textPart, zipPart("rsmf.zip", good)), "no X-RSMF-Version header"},
		{"version 1", build("X-RSMF-Version: 1.0.0\r\n", textPart, zipPart("rsmf.zip", good)), `X-RSMF-Version is "1.0.0"`},
		{"two version headers", build(v2+v2, textPart, zipPart("rsmf.zip", good)), "2 X-RSMF-Version headers"},
		{"not multipart", []byte(v2 + "Content-Type: text/plain\r\n\r\nhello"), "not multipart/mixed"},
		{"not a message", []byte("\x00\x01garbage"), "not an RFC 5322 message"},
		{"second rsmf.zip", build(v2, textPart, zipPart("rsmf.zip", good), zipPart("rsmf.zip", good)), "second rsmf.zip"},
		{"zip under another name", build(v2, textPart, zipPart("data.zip", good)), `attachment "data.zip" beside rsmf.zip`},
		{"no attachment", build(v2, textPart), "no rsmf.zip attachment"},
		{"not base64", build(v2, textPart, strings.Replace(zipPart("rsmf.zip", good), "base64", "7bit", 1)), "not base64-encoded"},
		{"bad base64", build(v2, textPart, zipPart("rsmf.zip", good)+"!!!"), "rsmf.zip does not decode"},
		{"not a zip", build(v2, textPart, "Content-Disposition: attachment; filename=rsmf.zip\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8="), "not a zip file"},
		{"html body part", build(v2, "Content-Type: text/html\r\n\r\n<b>x</b>", "Content-Type: image/png\r\n\r\nx", zipPart("rsmf.zip", good)), "only text parts"},
		{"nested multipart", build(v2, "Content-Type: multipart/alternative; boundary=C\r\n\r\n--C--", zipPart("rsmf.zip", good)), "nested multipart/alternative"},
		{"no manifest", build(v2, textPart, zipPart("rsmf.zip", map[string][]byte{"f.txt": []byte("hi")})), "no rsmf_manifest.json"},
		{"file in a folder", build(v2, textPart, zipPart("rsmf.zip", files(goodManifest, "f.txt", "dir/g.txt"))), `"dir/g.txt" is not a file at the zip root`},
		{"attachment not in zip", build(v2, textPart, zipPart("rsmf.zip", files(goodManifest))), `attachment "f.txt" is not in rsmf.zip`},
		{"avatar not in zip", build(v2, textPart, zipPart("rsmf.zip", files(edit(`"display":"One"`, `"avatar":"one.png"`), "f.txt"))), `avatar "one.png" is not in rsmf.zip`},
		{"manifest not JSON", build(v2, textPart, zipPart("rsmf.zip", files("{", "f.txt"))), "is not JSON"},
		{"wrong event type", build(v2, textPart, zipPart("rsmf.zip", files(edit(`"type":"message"`, `"type":"poke"`), "f.txt"))), "'/events/0/type'"},
		{"undeclared participant", build(v2, textPart, zipPart("rsmf.zip", files(edit(`"participant":"P1"`, `"participant":"P9"`), "f.txt"))), `refers to undeclared participant "P9"`},
		{"undeclared conversation", build(v2, textPart, zipPart("rsmf.zip", files(edit(`"conversation":"C1"`, `"conversation":"C9"`), "f.txt"))), `refers to undeclared conversation "C9"`},
		{"orphan reply", build(v2, textPart, zipPart("rsmf.zip", files(edit(`"body":"hi"`, `"body":"hi","parent":"m0"`), "f.txt"))), `replies to "m0"`},
		{"message without sender", build(v2, textPart, zipPart("rsmf.zip", files(edit(`"participant":"P1",`, ``), "f.txt"))), "names no participant"},
		{"bad address", build(v2, textPart, zipPart("rsmf.zip", files(edit(`"display":"One"`, `"email":"one at example"`), "f.txt"))), "not a valid e-mail address"},
		{"bad timestamp", build(v2, textPart, zipPart("rsmf.zip", files(edit(`2024-01-02T10:00:00Z`, `yesterday`), "f.txt"))), "not an ISO 8601 date and time"},
		{"event count", build(v2+"X-RSMF-EventCount: 2\r\n", textPart, zipPart("rsmf.zip", good)), "X-RSMF-EventCount is \"2\" but the manifest has 1 events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := validate(tc.file)
			if p := problems(t, err); !hasProblem(p, tc.want) {
				t.Errorf("problems = %q; want one containing %q", p, tc.want)
			}
		})
	}
}

func TestValidateAcceptsOffsetlessTimestamps(t *testing.T) {
	m := strings.Replace(goodManifest, "2024-01-02T10:00:00Z", "2024-01-02T10:00:00", 1)
	if err := rsmf.ValidateManifest(strings.NewReader(m)); err != nil {
		t.Errorf("ISO 8601 local time, as in Relativity's samples: %v", err)
	}
}

func TestValidateWarnsAboutUnreferencedFiles(t *testing.T) {
	data := build("X-RSMF-Version: 2.0.0\r\n", textPart, zipPart("rsmf.zip", map[string][]byte{
		"rsmf_manifest.json": []byte(goodManifest), "f.txt": []byte("hi"), "stray.bin": []byte("?")}))
	info, err := validate(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "stray.bin") {
		t.Errorf("warnings = %q", info.Warnings)
	}
}

func TestValidateCorruptEntry(t *testing.T) {
	var raw bytes.Buffer
	zw := zip.NewWriter(&raw)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "f.txt", Method: zip.Store})
	w.Write([]byte("hi"))
	w, _ = zw.Create("rsmf_manifest.json")
	w.Write([]byte(goodManifest))
	zw.Close()
	// Flip the stored content, so only its checksum can tell.
	corrupt := bytes.Replace(raw.Bytes(), []byte("hi"), []byte("HI"), 1)
	_, err := validate(build("X-RSMF-Version: 2.0.0\r\n", textPart, rawZipPart("rsmf.zip", corrupt)))
	if p := problems(t, err); !hasProblem(p, `rsmf.zip entry "f.txt" is corrupt`) {
		t.Errorf("problems = %q", p)
	}
}

func TestValidateSpoolsLargeZip(t *testing.T) {
	defer rsmf.SetMemorySpool(1024)()
	data, _ := write(t, sample(), nil)
	if _, err := validate(data); err != nil {
		t.Fatalf("spooled validation: %v", err)
	}
}

func FuzzValidate(f *testing.F) {
	sample3, err := os.ReadFile("testdata/Sample3-sample.rsmf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample3)
	written, _ := write(f, sample(), nil)
	f.Add(written)
	f.Add(build("X-RSMF-Version: 2.0.0\r\n", textPart,
		zipPart("rsmf.zip", map[string][]byte{"rsmf_manifest.json": []byte(goodManifest), "f.txt": []byte("hi")})))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := validate(data)
		if err != nil {
			problems(t, err)
			return
		}
		if info.Header.Get("X-RSMF-Version") != "2.0.0" {
			t.Fatalf("accepted a file with X-RSMF-Version %q", info.Header.Get("X-RSMF-Version"))
		}
	})
}

func FuzzValidateManifest(f *testing.F) {
	sample1, err := os.ReadFile("testdata/Sample1-rsmf_manifest.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample1)
	f.Add([]byte(goodManifest))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := rsmf.ValidateManifest(bytes.NewReader(data)); err != nil {
			problems(t, err)
		}
	})
}

// FuzzWriteValidate feeds arbitrary text through every free-text field and
// checks the writer still produces a file that validates and keeps the
// text.
func FuzzWriteValidate(f *testing.F) {
	f.Add("hello", "Ana", "Budget", "e1", "previous")
	f.Add("--boundary\r\n\r\n=?utf-8?q?x?=", "Bo\r\nBcc: x@y", "\x00\x7f", "id with spaces/and:colons", "")
	f.Add(strings.Repeat("long ", 400), strings.Repeat("N", 1200), "✓", "ü", "\xff\xfe")
	f.Fuzz(func(t *testing.T, body, name, convName, id, previous string) {
		m := sample()
		m.Events[1].Body = body
		m.Events[1].ID = id
		m.Events[1].Edits[0].Previous = previous
		m.Participants[1].Display = name
		m.Conversations[0].Display = convName
		m.EventCollectionID = convName
		if id == "" || id == "e1" || id == "e3" || id == "e4" || id == "e5" || id == "e6" {
			m.Events[1].ID = "x" + id
		}
		if !utf8.ValidString(id) {
			if _, err := rsmf.Write(io.Discard, m, nil); !steward.Is(steward.Invalid, err) {
				t.Fatalf("an event id of invalid UTF-8: %v", err)
			}
			return
		}
		data, _ := write(t, m, nil)
		if _, err := validate(data); err != nil {
			t.Fatalf("written file does not validate: %v", err)
		}
		if utf8.ValidString(body) {
			u := unpack(t, data)
			if got := u.event(t, m.Events[1].ID)["body"]; body != "" && got != body {
				t.Fatalf("body %q came back as %q", body, got)
			}
		}
	})
}
