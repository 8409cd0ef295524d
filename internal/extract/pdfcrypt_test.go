package extract

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"
)

// pdfEncryptor encrypts a test PDF as a writer would, following ISO
// 32000-1 section 7.6 (algorithms 1, 2, 3 and 5) independently of the
// reading code.
type pdfEncryptor struct {
	key  []byte
	aes  bool
	id   []byte
	o, u []byte
}

func padPassword(pw string) []byte { return append([]byte(pw), padding...)[:32] }

func rc4Bytes(key, data []byte) []byte {
	c, _ := rc4.NewCipher(key)
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// newEncryptor makes a revision 3 (RC4) or 4 (AES-128) encryptor for the
// given user password, with owner password "owner".
func newEncryptor(user string, useAES bool) *pdfEncryptor {
	e := &pdfEncryptor{aes: useAES, id: []byte("0123456789abcdef")}
	// Algorithm 3: the owner entry.
	ok := md5.Sum(padPassword("owner"))
	for range 50 {
		ok = md5.Sum(ok[:])
	}
	o := rc4Bytes(ok[:16], padPassword(user))
	for i := 1; i <= 19; i++ {
		k := make([]byte, 16)
		for j := range k {
			k[j] = ok[j] ^ byte(i)
		}
		o = rc4Bytes(k, o)
	}
	e.o = o
	// Algorithm 2: the file key.
	h := md5.New()
	h.Write(padPassword(user))
	h.Write(e.o)
	h.Write([]byte{0xfc, 0xff, 0xff, 0xff}) // P = -4
	h.Write(e.id)
	key := h.Sum(nil)
	for range 50 {
		s := md5.Sum(key[:16])
		key = s[:]
	}
	e.key = key[:16]
	// Algorithm 5: the user entry.
	u := md5.Sum(append(append([]byte{}, padding...), e.id...))
	x := rc4Bytes(e.key, u[:])
	for i := 1; i <= 19; i++ {
		k := make([]byte, 16)
		for j := range k {
			k[j] = e.key[j] ^ byte(i)
		}
		x = rc4Bytes(k, x)
	}
	e.u = append(x, make([]byte, 16)...)
	return e
}

// seal encrypts data belonging to object num (algorithm 1).
func (e *pdfEncryptor) seal(num int, data []byte) []byte {
	h := md5.New()
	h.Write(e.key)
	h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), 0, 0})
	if e.aes {
		h.Write([]byte("sAlT"))
	}
	k := h.Sum(nil)[:16]
	if !e.aes {
		return rc4Bytes(k, data)
	}
	pad := 16 - len(data)%16
	for range pad {
		data = append(data, byte(pad))
	}
	iv := []byte("fixed-test-iv-16")
	block, _ := aes.NewCipher(k)
	out := make([]byte, len(data))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, data)
	return append(iv, out...)
}

func (e *pdfEncryptor) pdf(content string) []byte {
	p := simplePDF("")
	sealed := e.seal(4, zlibBytes([]byte(content)))
	p.objs[4] = fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(sealed), sealed)
	p.obj(6, fmt.Sprintf("<< /Title <%s> /Author (%s) >>", hex.EncodeToString(e.seal(6, []byte("Sealed title"))), escapePDF(e.seal(6, []byte("J. Doe")))))
	if e.aes {
		p.obj(9, fmt.Sprintf("<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <%x> /U <%x> /P -4 >>", e.o, e.u))
	} else {
		p.obj(9, fmt.Sprintf("<< /Filter /Standard /V 2 /R 3 /Length 128 /O <%x> /U <%x> /P -4 >>", e.o, e.u))
	}
	p.trailer = fmt.Sprintf("/Root 1 0 R /Info 6 0 R /Encrypt 9 0 R /ID [<%x> <%x>]", e.id, e.id)
	return p.bytes()
}

// escapePDF writes bytes as a literal string body.
func escapePDF(b []byte) string {
	var out []byte
	for _, c := range b {
		out = fmt.Appendf(out, "\\%03o", c)
	}
	return string(out)
}

func TestPDFEncryptedWithEmptyUserPassword(t *testing.T) {
	for _, useAES := range []bool{false, true} {
		e := newEncryptor("", useAES)
		r := run("perm.pdf", e.pdf("BT /F1 12 Tf 72 700 Td (permissions only 078-05-1121) Tj ET"))
		wantClean(t, r)
		wantText(t, part(t, r, "perm.pdf").Text, "permissions only 078-05-1121", "Title: Sealed title", "Author: J. Doe")
	}
}

func TestPDFEncryptedWithUserPassword(t *testing.T) {
	for _, useAES := range []bool{false, true} {
		r := run("locked.pdf", newEncryptor("secret", useAES).pdf("BT /F1 12 Tf (hidden) Tj ET"))
		wantProblem(t, r, "locked.pdf", Encrypted)
		if len(r.Parts) != 0 {
			t.Fatalf("parts from a password-protected PDF: %s", partPaths(r))
		}
	}
}

func TestPDFEncryptedAES256(t *testing.T) {
	// Revision 6 with an empty user password. The fixture reuses the
	// package's hash (algorithm 2.B); the rest is built here.
	vsalt, ksalt := []byte("vsalt123"), []byte("ksalt456")
	fileKey := []byte("0123456789abcdef0123456789abcdef")
	u := append(append(hash2B(nil, vsalt, nil), vsalt...), ksalt...)
	ik := hash2B(nil, ksalt, nil)
	block, _ := aes.NewCipher(ik)
	ue := make([]byte, 32)
	cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(ue, fileKey)

	seal := func(data []byte) []byte {
		pad := 16 - len(data)%16
		for range pad {
			data = append(data, byte(pad))
		}
		b, _ := aes.NewCipher(fileKey)
		iv := []byte("another-iv-16-by")
		out := make([]byte, len(data))
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
		return append(iv, out...)
	}
	p := simplePDF("")
	sealed := seal(zlibBytes([]byte("BT /F1 12 Tf 72 700 Td (aes two five six) Tj ET")))
	p.objs[4] = fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(sealed), sealed)
	p.obj(9, fmt.Sprintf("<< /Filter /Standard /V 5 /R 6 /Length 256 /CF << /StdCF << /CFM /AESV3 /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <%x> /U <%x> /OE <%x> /UE <%x> /P -4 /Perms <00> >>",
		make([]byte, 48), u, make([]byte, 32), ue))
	p.trailer = "/Root 1 0 R /Encrypt 9 0 R"
	r := run("aes.pdf", p.bytes())
	wantClean(t, r)
	wantText(t, part(t, r, "aes.pdf").Text, "aes two five six")

	// The same with a wrong validation hash needs a password.
	binary.BigEndian.PutUint32(u, 0xdeadbeef)
	p.obj(9, fmt.Sprintf("<< /Filter /Standard /V 5 /R 6 /O <%x> /U <%x> /UE <%x> /P -4 >>", make([]byte, 48), u, ue))
	wantProblem(t, run("aes.pdf", p.bytes()), "aes.pdf", Encrypted)
}

func TestPDFOtherSecurityHandler(t *testing.T) {
	p := simplePDF("BT (x) Tj ET")
	p.obj(9, "<< /Filter /Adobe.PubSec /V 4 /R 4 >>")
	p.trailer = "/Root 1 0 R /Encrypt 9 0 R"
	wantProblem(t, run("cert.pdf", p.bytes()), "cert.pdf", Encrypted)
}
