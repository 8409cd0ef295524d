package extract

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
)

// cryptMethod is how strings or streams are encrypted.
type cryptMethod int

const (
	cryptNone cryptMethod = iota
	cryptRC4
	cryptAES
)

// pdfCrypt decrypts a PDF encrypted by the standard security handler
// with an empty user password: the common case of a document that opens
// without a password and only restricts printing or copying. Such a
// document's text is no more protected than a plain one's, so it is read;
// one that needs a password is reported encrypted.
type pdfCrypt struct {
	key      []byte
	v5       bool // AES-256: the file key is used as is
	stm, str cryptMethod
	metadata bool // EncryptMetadata
	encNum   uint32
}

// padding is the password padding string of the standard security
// handler (ISO 32000-1, 7.6.3.3).
var padding = []byte("\x28\xbf\x4e\x5e\x4e\x75\x8a\x41\x64\x00\x4e\x56\xff\xfa\x01\x08" +
	"\x2e\x2e\x00\xb6\xd0\x68\x3e\x80\x2f\x0c\xa9\xfe\x64\x53\x69\x7a")

// openEncryption derives the file key from the empty user password, or
// returns an Encrypted failure saying why it cannot.
func (d *pdfDoc) openEncryption() (*pdfCrypt, *failure) {
	enc := asDict(d.resolve(d.encrypt))
	if enc == nil {
		return nil, fail(Encrypted, "PDF /Encrypt dictionary unreadable")
	}
	if f := asName(enc["Filter"]); f != "Standard" {
		return nil, fail(Encrypted, "PDF security handler %s", sanitizeTag(string(f)))
	}
	c := &pdfCrypt{metadata: true}
	if r, ok := d.encrypt.(pdfRef); ok {
		c.encNum = r.num
	}
	if b, ok := enc["EncryptMetadata"].(bool); ok {
		c.metadata = b
	}
	v, _ := asInt(enc["V"])
	r, _ := asInt(enc["R"])
	o, _ := enc["O"].(pdfString)
	u, _ := enc["U"].(pdfString)
	p, _ := asInt(enc["P"])
	length, ok := asInt(enc["Length"])
	if !ok {
		length = 40
	}
	c.stm, c.str = cryptRC4, cryptRC4
	if v == 4 || v == 5 {
		cf := asDict(enc["CF"])
		c.stm = cryptFilterMethod(cf, asName(enc["StmF"]))
		c.str = cryptFilterMethod(cf, asName(enc["StrF"]))
	}
	switch {
	case v == 5 && (r == 5 || r == 6):
		ue, _ := enc["UE"].(pdfString)
		if len(u) < 48 || len(ue) < 32 {
			return nil, fail(Encrypted, "PDF AES-256 encryption values malformed")
		}
		hash := func(salt []byte) []byte {
			if r == 5 {
				h := sha256.Sum256(salt)
				return h[:]
			}
			return hash2B(nil, salt, nil)
		}
		if !bytes.Equal(hash([]byte(u[32:40])), []byte(u[:32])) {
			return nil, fail(Encrypted, "PDF needs a password (AES-256)")
		}
		ik := hash([]byte(u[40:48]))
		block, _ := aes.NewCipher(ik)
		key := make([]byte, 32)
		cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(key, []byte(ue[:32]))
		c.key, c.v5 = key, true
		return c, nil
	case v >= 1 && v <= 4 && r >= 2 && r <= 4:
		n := 5
		if r >= 3 {
			n = int(min(max(length/8, 5), 16))
			if v == 4 {
				n = 16
			}
		}
		if len(o) < 32 || len(u) < 16 {
			return nil, fail(Encrypted, "PDF encryption values malformed")
		}
		h := md5.New()
		h.Write(padding)
		h.Write([]byte(o[:32]))
		h.Write(binary.LittleEndian.AppendUint32(nil, uint32(p)))
		h.Write(d.fileID)
		if r >= 4 && !c.metadata {
			h.Write([]byte{0xff, 0xff, 0xff, 0xff})
		}
		key := h.Sum(nil)
		if r >= 3 {
			for range 50 {
				sum := md5.Sum(key[:n])
				key = sum[:]
			}
		}
		key = key[:n]
		if !userKeyOK(key, r, []byte(u), d.fileID) {
			return nil, fail(Encrypted, "PDF needs a password")
		}
		c.key = key
		return c, nil
	}
	return nil, fail(Encrypted, "PDF encryption V%d R%d not supported", v, r)
}

func cryptFilterMethod(cf pdfDict, name pdfName) cryptMethod {
	if name == "Identity" {
		return cryptNone
	}
	switch asName(asDict(cf[name])["CFM"]) {
	case "AESV2", "AESV3":
		return cryptAES
	case "None":
		return cryptNone
	}
	return cryptRC4
}

// userKeyOK checks a key derived from the empty password against /U
// (algorithms 4 and 5).
func userKeyOK(key []byte, r int64, u, id []byte) bool {
	if r == 2 {
		out := make([]byte, 32)
		ciph, _ := rc4.NewCipher(key)
		ciph.XORKeyStream(out, padding)
		return bytes.Equal(out, u[:min(32, len(u))])
	}
	h := md5.New()
	h.Write(padding)
	h.Write(id)
	x := h.Sum(nil)
	k := make([]byte, len(key))
	for i := range 20 {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		ciph, _ := rc4.NewCipher(k)
		ciph.XORKeyStream(x, x)
	}
	return bytes.Equal(x, u[:16])
}

// hash2B is the AES-256 revision 6 password hash (algorithm 2.B).
func hash2B(password, salt, udata []byte) []byte {
	k0 := sha256.Sum256(append(append(append([]byte{}, password...), salt...), udata...))
	k := k0[:]
	// The loop ends after 64 rounds once the last byte of E allows; the
	// bound only guards against a broken implementation, never reached.
	for i := 0; i < 2048; i++ {
		seq := append(append(append([]byte{}, password...), k...), udata...)
		k1 := bytes.Repeat(seq, 64)
		block, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		var sum int
		for _, b := range e[:16] {
			sum += int(b)
		}
		switch sum % 3 {
		case 0:
			h := sha256.Sum256(e)
			k = h[:]
		case 1:
			h := sha512.Sum384(e)
			k = h[:]
		default:
			h := sha512.Sum512(e)
			k = h[:]
		}
		if i >= 63 && int(e[len(e)-1]) <= i-32 {
			break
		}
	}
	return k[:32]
}

func (d *pdfDoc) isEncryptDict(num uint32) bool { return d.crypt != nil && num == d.crypt.encNum }

// streamEncrypted reports whether a stream's data is encrypted: all are
// except cross-reference streams, metadata when EncryptMetadata is
// false, and streams whose own Crypt filter is Identity.
func (c *pdfCrypt) streamEncrypted(dict pdfDict, filters []pdfName, d *pdfDoc) bool {
	switch asName(dict["Type"]) {
	case "XRef":
		return false
	case "Metadata":
		if !c.metadata {
			return false
		}
	}
	if len(filters) > 0 && filters[0] == "Crypt" {
		_, parms := d.filterChain(dict)
		if n := asName(asDict(d.resolve(parms[0]))["Name"]); n == "" || n == "Identity" {
			return false
		}
	}
	return c.stm != cryptNone
}

// decrypt decrypts one string or stream of object num (algorithm 1).
func (c *pdfCrypt) decrypt(data []byte, num uint32, gen uint16, m cryptMethod) []byte {
	if m == cryptNone {
		return data
	}
	key := c.key
	if !c.v5 {
		h := md5.New()
		h.Write(c.key)
		h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), byte(gen), byte(gen >> 8)})
		if m == cryptAES {
			h.Write([]byte("sAlT"))
		}
		key = h.Sum(nil)[:min(len(c.key)+5, 16)]
	}
	if m == cryptRC4 {
		out := make([]byte, len(data))
		ciph, _ := rc4.NewCipher(key)
		ciph.XORKeyStream(out, data)
		return out
	}
	if len(data) < 32 {
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil
	}
	body := data[16 : 16+(len(data)-16)/16*16]
	out := make([]byte, len(body))
	cipher.NewCBCDecrypter(block, data[:16]).CryptBlocks(out, body)
	if n := int(out[len(out)-1]); n >= 1 && n <= 16 && n <= len(out) {
		out = out[:len(out)-n]
	}
	return out
}

// decryptStrings returns v with every string in it decrypted.
func (c *pdfCrypt) decryptStrings(v any, num uint32, gen uint16, depth int) any {
	if depth > maxNesting || c.str == cryptNone {
		return v
	}
	switch x := v.(type) {
	case pdfString:
		return pdfString(c.decrypt([]byte(x), num, gen, c.str))
	case []any:
		for i := range x {
			x[i] = c.decryptStrings(x[i], num, gen, depth+1)
		}
	case pdfDict:
		for k, e := range x {
			x[k] = c.decryptStrings(e, num, gen, depth+1)
		}
	}
	return v
}
