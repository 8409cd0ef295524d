package eml

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// atom turns an identifier into a string safe in the local part of an
// address or a Message-ID: letters, digits, '+', '-' and '_' stay, every
// other byte becomes "=XX", so distinct IDs stay distinct. Results over 64
// characters, the local-part limit, are replaced by a digest.
func atom(s string) string {
	if s == "" {
		return "none"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteString("=" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	if b.Len() > 64 {
		sum := sha256.Sum256([]byte(s))
		return "h-" + hex.EncodeToString(sum[:16])
	}
	return b.String()
}

// label turns a platform name into one DNS label.
func label(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= 63 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 {
			b.WriteByte('-')
		}
	}
	l := strings.TrimRight(b.String(), "-")
	if l == "" {
		return "chat"
	}
	return l
}

func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for l := range strings.SplitSeq(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validEmail reports whether s is a bare addr-spec that net/mail reads
// back unchanged; the rsmf writer applies the same rule.
func validEmail(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsAny(s, "<> \t\r\n") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at <= 64 && at < len(s)-1
}

// mediaType is the Content-Type of an attachment: the captured type when
// it parses and is a leaf type, else application/octet-stream, with the
// file name as RFC 2231 allows.
func mediaType(ct, name string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") {
		mt, params = "application/octet-stream", nil
	}
	out := map[string]string{"name": fileName(name)}
	if cs := params["charset"]; cs != "" {
		out["charset"] = cs
	}
	if s := mime.FormatMediaType(mt, out); s != "" {
		return s
	}
	return mime.FormatMediaType("application/octet-stream", map[string]string{"name": fileName(name)})
}

// fileName makes an attachment name safe to save: no directories, no
// control characters.
func fileName(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}
