package loadfile_test

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/loadfile"
	"github.com/steward-gov/steward/internal/steward"
)

const (
	sep = "\x14"
	q   = "þ"
)

func row(values ...string) string {
	return q + strings.Join(values, q+sep+q) + q + "\r\n"
}

func writeDAT(t testing.TB, fields []string, opts *loadfile.DATOptions, docs ...*loadfile.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := loadfile.NewDATWriter(&buf, fields, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if err := w.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDATBytes(t *testing.T) {
	doc := &loadfile.Document{
		BegBates: "ABC-000001", EndBates: "ABC-000001", BegAttach: "ABC-000001", EndAttach: "ABC-000002",
		Custodian: "Núñez, Ana", From: "Ana Núñez <ana@agency.gov>", To: []string{"Bo", "+15550000003"},
		DateSent: time.Date(2024, 3, 5, 4, 30, 0, 0, time.FixedZone("EST", -5*3600)),
		MD5:      "900150983cd24fb0d6963f7d28e17f72", SHA256: "ba7816bf",
		NativePath: `NATIVES\001\ABC-000001.eml`, TextPath: `TEXT\001\ABC-000001.txt`,
	}
	got := writeDAT(t, nil, nil, doc)
	want := "\uFEFF" + row(loadfile.StandardFields...) + row("ABC-000001", "ABC-000001", "ABC-000001", "ABC-000002",
		"Núñez, Ana", "Ana Núñez <ana@agency.gov>", "Bo; +15550000003", "2024-03-05T09:30:00Z",
		"900150983cd24fb0d6963f7d28e17f72", "ba7816bf", `NATIVES\001\ABC-000001.eml`, `TEXT\001\ABC-000001.txt`)
	if string(got) != want {
		t.Errorf("DAT =\n%q\nwant\n%q", got, want)
	}
	if !bytes.HasPrefix(got, []byte{0xEF, 0xBB, 0xBF, 0xC3, 0xBE}) || bytes.Contains(bytes.ReplaceAll(got, []byte("þ"), nil), []byte{0xFE}) {
		t.Errorf("want a UTF-8 BOM and þ as C3 BE, never the Windows-1252 byte FE")
	}
}

func TestDATEscaping(t *testing.T) {
	doc := &loadfile.Document{BegBates: "ABC-1", Custom: map[string]string{
		"BODY": "line one\r\nline two\nline three\rend",
		"NOTE": "þorn at start, middle þ, a separator " + sep + " and end þ",
	}}
	got := writeDAT(t, []string{"BEGBATES", "BODY", "NOTE"}, &loadfile.DATOptions{OmitBOM: true}, doc)
	want := row("BEGBATES", "BODY", "NOTE") + row("ABC-1", "line one®line two®line three®end",
		"þþorn at start, middle þþ, a separator "+sep+" and end þþ")
	if string(got) != want {
		t.Errorf("DAT =\n%q\nwant\n%q", got, want)
	}
}

func TestDATRoundTrip(t *testing.T) {
	for _, opts := range []*loadfile.DATOptions{
		nil,
		{OmitBOM: true},
		{Separator: '|', Quote: '^', Newline: '~'},
		{Separator: 'þ', Quote: '\x14', Newline: '®'}, // the swapped roles one source uses
	} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			fields := []string{"BEGBATES", "FROM", "BODY", "EMPTY"}
			values := [][]string{
				{"ABC-000001", "Ana", "multi\nline", ""},
				{"ABC-000002", "þ|^~\x14", "ends with quote þ^\x14", ""},
				{"ABC-000003", "日本語 ✓", "\"double quotes\" stay", "x"},
			}
			var buf bytes.Buffer
			w, err := loadfile.NewDATWriter(&buf, fields, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				if err := w.WriteRow(v); err != nil {
					t.Fatal(err)
				}
			}
			w.Flush()
			gotFields, rows, err := loadfile.ReadDAT(&buf, opts)
			if err != nil {
				t.Fatalf("ReadDAT: %v", err)
			}
			// A value holding the Newline character itself comes back as a
			// line break: the format has no escape for it.
			nl := '®'
			if opts != nil && opts.Newline != 0 {
				nl = opts.Newline
			}
			for _, v := range values {
				for i := range v {
					v[i] = strings.ReplaceAll(v[i], string(nl), "\n")
				}
			}
			if !reflect.DeepEqual(gotFields, fields) || !reflect.DeepEqual(rows, values) {
				t.Errorf("read back %q / %q\nwant %q / %q", gotFields, rows, fields, values)
			}
		})
	}
}

func TestDATWriterRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		fields []string
		opts   *loadfile.DATOptions
	}{
		"no fields":           {[]string{}, nil},
		"empty name":          {[]string{"A", ""}, nil},
		"repeated name":       {[]string{"FROM", "From"}, nil},
		"name with quote":     {[]string{"AþB"}, nil},
		"name with newline":   {[]string{"A\nB"}, nil},
		"same separators":     {nil, &loadfile.DATOptions{Separator: '|', Quote: '|'}},
		"newline as quote":    {nil, &loadfile.DATOptions{Quote: '\n'}},
		"invalid rune":        {nil, &loadfile.DATOptions{Separator: utf8.MaxRune + 1}},
		"byte order mark":     {nil, &loadfile.DATOptions{Newline: '\uFEFF'}},
		"separator = newline": {nil, &loadfile.DATOptions{Separator: '®'}},
	} {
		if _, err := loadfile.NewDATWriter(io.Discard, tc.fields, tc.opts); !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	w, _ := loadfile.NewDATWriter(io.Discard, []string{"A", "B"}, nil)
	if err := w.WriteRow([]string{"only one"}); !steward.Is(steward.Invalid, err) {
		t.Errorf("short row: %v", err)
	}
}

func TestDATDateLayout(t *testing.T) {
	doc := &loadfile.Document{DateSent: time.Date(2024, 3, 5, 9, 30, 7, 0, time.UTC)}
	got := writeDAT(t, []string{"DATESENT"}, &loadfile.DATOptions{OmitBOM: true, DateLayout: "01/02/2006 15:04:05"}, doc, &loadfile.Document{})
	if want := row("DATESENT") + row("03/05/2024 09:30:07") + row(""); string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDATReaderForms(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want [][]string
	}{
		"LF rows, no BOM":        {q + "A" + q + sep + q + "B" + q + "\n" + q + "1" + q + sep + q + "2" + q + "\n", [][]string{{"1", "2"}}},
		"unqualified fields":     {"A" + sep + "B\r\n1" + sep + "two words\r\n", [][]string{{"1", "two words"}}},
		"empty qualified":        {row("A", "B") + q + q + sep + q + q + "\r\n", [][]string{{"", ""}}},
		"empty unqualified":      {row("A", "B") + sep + "\r\n", [][]string{{"", ""}}},
		"no final line break":    {row("A", "B") + q + "1" + q + sep + q + "2" + q, [][]string{{"1", "2"}}},
		"raw newline inside":     {row("A") + q + "x\r\ny" + q + "\r\n", [][]string{{"x\ny"}}},
		"quote doubled at start": {row("A") + q + q + q + "x" + q + "\r\n", [][]string{{"þx"}}},
	} {
		fields, rows, err := loadfile.ReadDAT(strings.NewReader(tc.in), nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(fields) == 0 || !reflect.DeepEqual(rows, tc.want) {
			t.Errorf("%s: rows %q, want %q", name, rows, tc.want)
		}
	}
}

func TestDATReaderRejects(t *testing.T) {
	cp1252 := []byte{0xFE, 'A', 0xFE, 0x14, 0xFE, 'B', 0xFE, '\r', '\n'}
	for name, tc := range map[string]struct {
		in, want string
	}{
		"Windows-1252":       {string(cp1252), "may be Windows-1252"},
		"empty":              {"", "no header row"},
		"unterminated":       {row("A") + q + "never closed", "ends inside a qualified value"},
		"stray qualifier":    {row("A") + q + "a" + q + "b" + q + "\r\n", "neither doubled nor at the value's end"},
		"too few fields":     {row("A", "B") + row("1"), "row 2 has 1 fields; the header has 2"},
		"too many fields":    {row("A") + row("1", "2"), "row 2 has 2 fields; the header has 1"},
		"empty header name":  {row("A", ""), "empty field name"},
		"bad UTF-8 in a row": {row("A") + q + "\xff" + q + "\r\n", "not UTF-8"},
		"qualifier then CR":  {row("A") + q + "x" + q + "\rmore", "bare carriage return"},
	} {
		_, _, err := loadfile.ReadDAT(strings.NewReader(tc.in), nil)
		if !steward.Is(steward.Invalid, err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want Invalid mentioning %q", name, err, tc.want)
		}
	}
}

func TestBates(t *testing.T) {
	b := loadfile.Bates{Prefix: "ABC-"}
	r, err := b.Take(1)
	if err != nil || r.Beg != "ABC-000001" || r.End != "ABC-000001" || b.Next != 2 {
		t.Fatalf("first page: %+v, %v, next %d", r, err, b.Next)
	}
	r, _ = b.Take(3)
	if r.Beg != "ABC-000002" || r.End != "ABC-000004" || r.First != 2 || r.Last != 4 {
		t.Errorf("three pages: %+v", r)
	}
	members, family, err := b.Family(2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 3 || members[0].Beg != "ABC-000005" || members[0].End != "ABC-000006" ||
		members[2].Beg != "ABC-000008" || family.Beg != "ABC-000005" || family.End != "ABC-000008" {
		t.Errorf("family: %+v / %+v", members, family)
	}
	if got := (&loadfile.Bates{Prefix: "X", Width: 3}).Format(7); got != "X007" {
		t.Errorf("Format = %q", got)
	}
	if got := (&loadfile.Bates{Width: 2}).Format(123); got != "123" {
		t.Errorf("Format past the width = %q", got)
	}
}

func TestBatesRejects(t *testing.T) {
	b := loadfile.Bates{Prefix: "ABC", Width: 2, Next: 98}
	if _, err := b.Take(3); !steward.Is(steward.TooLarge, err) || b.Next != 98 {
		t.Errorf("overflow: %v, next %d", err, b.Next)
	}
	if _, _, err := b.Family(1, 1, 1); !steward.Is(steward.TooLarge, err) || b.Next != 98 {
		t.Errorf("a family that does not fit must use no numbers: %v, next %d", err, b.Next)
	}
	if _, err := b.Take(0); !steward.Is(steward.Invalid, err) {
		t.Errorf("zero pages: %v", err)
	}
	for _, p := range []string{"A,B", "A/B", `A\B`, "A\nB", "AþB", "A;B", strings.Repeat("A", 65)} {
		if _, err := (&loadfile.Bates{Prefix: p}).Take(1); !steward.Is(steward.Invalid, err) {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
	if _, _, err := b.Family(); !steward.Is(steward.Invalid, err) {
		t.Errorf("empty family: %v", err)
	}
}

func TestOPT(t *testing.T) {
	var buf bytes.Buffer
	o := loadfile.NewOPTWriter(&buf)
	if err := o.WriteDocument("VOL001", []string{"ABC-000001", "ABC-000002"},
		[]string{`IMAGES\001\ABC-000001.tif`, `IMAGES\001\ABC-000002.tif`}); err != nil {
		t.Fatal(err)
	}
	if err := o.WritePage(loadfile.Page{ImageKey: "ABC-000003", Volume: "VOL001", Path: `IMAGES\001\ABC-000003.tif`,
		DocBreak: true, FolderBreak: true, BoxBreak: true, PageCount: 1}); err != nil {
		t.Fatal(err)
	}
	o.Flush()
	want := "ABC-000001,VOL001,IMAGES\\001\\ABC-000001.tif,Y,,,2\r\n" +
		"ABC-000002,VOL001,IMAGES\\001\\ABC-000002.tif,,,,\r\n" +
		"ABC-000003,VOL001,IMAGES\\001\\ABC-000003.tif,Y,Y,Y,1\r\n"
	if buf.String() != want {
		t.Errorf("OPT =\n%q\nwant\n%q", buf.String(), want)
	}
	for name, err := range map[string]error{
		"comma":      o.WritePage(loadfile.Page{ImageKey: "A,1"}),
		"line break": o.WritePage(loadfile.Page{ImageKey: "A", Path: "x\r\ny"}),
		"no key":     o.WritePage(loadfile.Page{Path: "x"}),
		"mismatch":   o.WriteDocument("V", []string{"A"}, nil),
		"no pages":   o.WriteDocument("V", nil, nil),
		"negative":   o.WritePage(loadfile.Page{ImageKey: "A", PageCount: -1}),
	} {
		if !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestHashes(t *testing.T) {
	m, s, n, err := loadfile.Hashes(strings.NewReader("abc"))
	if err != nil || n != 3 || m != "900150983cd24fb0d6963f7d28e17f72" ||
		s != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hashes(abc) = %s, %s, %d, %v", m, s, n, err)
	}
}

// FuzzDATReader reads arbitrary bytes and, when they parse, checks that
// writing the rows and reading them again gives the same rows.
func FuzzDATReader(f *testing.F) {
	f.Add([]byte(row("A", "B") + row("1", "2")))
	f.Add([]byte("\uFEFF" + row("BEGBATES", "BODY") + row("ABC-1", "þþx®y")))
	f.Add([]byte("A" + sep + "B\n1" + sep + "2\n"))
	f.Add([]byte{0xFE, 'A', 0xFE, 0x14, 0xFE, 'B', 0xFE, '\r', '\n'})
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, rows, err := loadfile.ReadDAT(bytes.NewReader(data), nil)
		if err != nil {
			if !steward.Is(steward.Invalid, err) {
				t.Fatalf("error of kind %v: %v", steward.KindOf(err), err)
			}
			return
		}
		var buf bytes.Buffer
		w, err := loadfile.NewDATWriter(&buf, fields, nil)
		if err != nil {
			return // names the writer refuses, such as repeated ones
		}
		for _, r := range rows {
			if err := w.WriteRow(r); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		fields2, rows2, err := loadfile.ReadDAT(&buf, nil)
		if err != nil {
			t.Fatalf("rewritten file does not read: %v\n%q", err, buf.Bytes())
		}
		if !reflect.DeepEqual(fields, fields2) || !reflect.DeepEqual(rows, rows2) {
			t.Fatalf("round trip changed the rows:\n%q %q\n%q %q", fields, rows, fields2, rows2)
		}
	})
}

// FuzzDATRoundTrip writes arbitrary values and reads them back.
func FuzzDATRoundTrip(f *testing.F) {
	f.Add("plain", "þ at start and end þ", "line\r\nbreak")
	f.Add("", "\x14", "®")
	f.Add("\xff\xfe", "þþþ", "\r")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var buf bytes.Buffer
		w, _ := loadfile.NewDATWriter(&buf, []string{"A", "B", "C"}, nil)
		if err := w.WriteRow([]string{a, b, c}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		_, rows, err := loadfile.ReadDAT(&buf, nil)
		if err != nil {
			t.Fatalf("ReadDAT: %v\n%q", err, buf.Bytes())
		}
		want := []string{a, b, c}
		for i, v := range want {
			v = strings.ToValidUTF8(v, "\uFFFD")
			v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
			want[i] = strings.ReplaceAll(v, "®", "\n")
		}
		if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
			t.Fatalf("read back %q, want %q", rows, want)
		}
	})
}

// BenchmarkDATWrite writes one realistic row per iteration.
func BenchmarkDATWrite(b *testing.B) {
	w, _ := loadfile.NewDATWriter(io.Discard, nil, nil)
	bates := loadfile.Bates{Prefix: "ABC-"}
	doc := &loadfile.Document{Custodian: "Ana Núñez", From: "Ana Núñez", To: []string{"Bo", "Cy"},
		DateSent: time.Now(), MD5: strings.Repeat("a", 32), SHA256: strings.Repeat("b", 64)}
	b.ReportAllocs()
	for b.Loop() {
		r, err := bates.Take(1)
		if err != nil {
			bates.Next = 1
			continue
		}
		doc.BegBates, doc.EndBates, doc.BegAttach, doc.EndAttach = r.Beg, r.End, r.Beg, r.End
		doc.NativePath = `NATIVES\` + r.Beg + ".eml"
		if err := w.Write(doc); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
