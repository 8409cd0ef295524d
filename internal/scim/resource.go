package scim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// A resource is held as decoded JSON (map[string]any, numbers as
// json.Number) in a canonical shape: core attributes at the top,
// extension attributes in an object under the extension's URN, known
// attribute names spelled as in the schema, and no nulls. The User
// resource is stored in that shape, so what an identity provider sent
// comes back exactly: no value is trimmed, re-cased or reformatted. Only
// the shape changes, and a few values are coerced to their schema type
// where identity providers are known to send another (Entra ID's
// "active": "False").
//
// Never kept: id and meta, which the server assigns; schemas, which is
// recomputed from the attributes present; the read-only groups attribute;
// and password, since Steward signs users in through the identity
// provider and must not hold their passwords.

// dropped are the keys normalize removes from a resource sent by a client.
var dropped = []string{"schemas", "id", "meta", "password", "groups"}

// alias resolves paths that leave out an extension's URN. Entra ID sends
// PATCH path "manager" for the enterprise manager and, in one documented
// request, "department" at the top level. A name that the core schema
// lacks and an extension defines is taken to be that extension's.
func (rt *resourceType) alias(p Path) Path {
	if p.URN != "" || p.Attr == "" || rt.def("", p.Attr) != nil {
		return p
	}
	for _, ext := range rt.extensions {
		if findAttr(ext.Attributes, p.Attr) != nil {
			p.URN = ext.ID
			return p
		}
	}
	return p
}

// normalize returns the resource in canonical shape with values coerced
// to their schema types. Returns Invalid (invalidValue) for a value that
// cannot be its attribute's type.
func normalize(in map[string]any, rt *resourceType) (map[string]any, error) {
	out := map[string]any{}
	if err := expand(out, in, rt, ""); err != nil {
		return nil, err
	}
	if err := coerceAll(out, rt); err != nil {
		return nil, err
	}
	return out, nil
}

// expand copies in into out, moving every key to its canonical place.
// urn is the extension in is the object of, or "".
func expand(out, in map[string]any, rt *resourceType, urn string) error {
	const op steward.Op = "scim.normalize"
	for _, k := range sortedKeys(in) {
		v := in[k]
		if v == nil || urn == "" && slices.ContainsFunc(dropped, func(d string) bool { return strings.EqualFold(d, k) }) {
			continue
		}
		if c := canonicalURN(k); c != "" && urn == "" {
			m, ok := v.(map[string]any)
			if !ok {
				return invalid(op, typeInvalidValue, fmt.Sprintf("%s must be an object", k))
			}
			if c == rt.schema.ID {
				c = "" // core attributes written under the core URN
			} else if rt.extension(c) == nil {
				return invalid(op, typeInvalidValue, fmt.Sprintf("%s is not a schema of %s", c, rt.name))
			}
			if err := expand(out, m, rt, c); err != nil {
				return err
			}
			continue
		}
		p, err := parseAttr(k)
		if err != nil || p.Attr == "" || p.URN != "" && rt.extension(p.URN) == nil {
			// Not an attribute Steward knows how to place, such as an
			// Entra ID custom extension: kept as sent.
			dst := out
			if urn != "" {
				dst, _ = out[urn].(map[string]any)
				if dst == nil {
					dst = map[string]any{}
					out[urn] = dst
				}
			}
			if old, ok := dst[k].(map[string]any); ok {
				if m, ok := v.(map[string]any); ok {
					v = merged(old, m)
				}
			}
			dst[k] = v
			continue
		}
		if urn != "" && p.URN == "" {
			p.URN = urn
		}
		setPlain(out, rt.alias(p), v, rt)
	}
	return nil
}

// setPlain sets the attribute at p (without value filter) to v in res,
// creating the extension or complex object on the way; two objects merge.
func setPlain(res map[string]any, p Path, v any, rt *resourceType) {
	container := res
	if p.URN != "" {
		ext, _ := lookupCI(res, p.URN).(map[string]any)
		if ext == nil {
			ext = map[string]any{}
		}
		res[p.URN] = ext
		container = ext
	}
	key := attrKey(container, p, rt)
	if p.Sub == "" {
		if old, ok := container[key].(map[string]any); ok {
			if m, ok := v.(map[string]any); ok {
				v = merged(old, m)
			}
		}
		container[key] = v
		return
	}
	inner, _ := container[key].(map[string]any)
	if inner == nil {
		inner = map[string]any{}
	}
	inner[subKey(inner, p, rt)] = v
	container[key] = inner
}

// attrKey returns the key under which p's attribute lives in container:
// an existing key that matches case-insensitively (renamed to the schema
// spelling), or the schema spelling, or the name as written.
func attrKey(container map[string]any, p Path, rt *resourceType) string {
	name := p.Attr
	if d := rt.def(p.URN, p.Attr); d != nil {
		name = d.Name
	}
	for k, v := range container {
		if k != name && strings.EqualFold(k, name) {
			delete(container, k)
			container[name] = v
		}
	}
	return name
}

func subKey(m map[string]any, p Path, rt *resourceType) string {
	name := p.Sub
	if d := rt.def(p.URN, p.Attr).sub(p.Sub); d != nil {
		name = d.Name
	}
	for k, v := range m {
		if k != name && strings.EqualFold(k, name) {
			delete(m, k)
			m[name] = v
		}
	}
	return name
}

// merged returns a copy of a with b's keys set over it, matching keys
// case-insensitively.
func merged(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		for ok := range out {
			if ok != k && strings.EqualFold(ok, k) {
				delete(out, ok)
			}
		}
		out[k] = v
	}
	return out
}

// coerceAll coerces every known attribute of res to its type and drops
// attributes and extensions left empty.
func coerceAll(res map[string]any, rt *resourceType) error {
	if err := coerceObject(res, rt, ""); err != nil {
		return err
	}
	for _, ext := range rt.extensions {
		m, ok := res[ext.ID].(map[string]any)
		if !ok {
			continue
		}
		if err := coerceObject(m, rt, ext.ID); err != nil {
			return err
		}
		if len(m) == 0 {
			delete(res, ext.ID)
		}
	}
	return nil
}

func coerceObject(m map[string]any, rt *resourceType, urn string) error {
	for _, k := range sortedKeys(m) {
		d := rt.def(urn, k)
		if d == nil {
			if m[k] == nil {
				delete(m, k)
			}
			continue
		}
		v, err := coerce(d, m[k], k)
		if err != nil {
			return err
		}
		delete(m, k)
		if v != nil {
			m[d.Name] = v
		}
	}
	return nil
}

// coerce returns v as attribute d's type, or nil if nothing is left of it.
func coerce(d *attr, v any, name string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if d.MultiValued {
		out := []any{} // an empty list stays, as sent (Entra ID sends "roles": [])
		for _, e := range asList(v) {
			c, err := coerceOne(d, e, name)
			if err != nil {
				return nil, err
			}
			if c != nil {
				out = append(out, c)
			}
		}
		return out, nil
	}
	if l, ok := v.([]any); ok {
		// A single-valued attribute sent as a list of one, as Entra ID
		// sends manager: [{"value": …}].
		switch len(l) {
		case 0:
			return nil, nil
		case 1:
			v = l[0]
		default:
			return nil, invalid("scim.normalize", typeInvalidValue, fmt.Sprintf("%s takes one value, not %d", name, len(l)))
		}
	}
	return coerceOne(d, v, name)
}

func coerceOne(d *attr, v any, name string) (any, error) {
	const op steward.Op = "scim.normalize"
	bad := func(want string) error {
		return invalid(op, typeInvalidValue, fmt.Sprintf("%s must be %s", name, want))
	}
	switch d.Type {
	case "complex":
		m, ok := v.(map[string]any)
		if !ok {
			// A bare value for a complex attribute with a value
			// sub-attribute, as manager arrives from Entra ID: {"value": id}.
			if s, isStr := v.(string); isStr && d.sub("value") != nil {
				return map[string]any{"value": s}, nil
			}
			return nil, bad("an object")
		}
		out := map[string]any{}
		for _, k := range sortedKeys(m) {
			sd := d.sub(k)
			if sd == nil {
				if m[k] != nil {
					out[k] = m[k]
				}
				continue
			}
			c, err := coerce(sd, m[k], name+"."+sd.Name)
			if err != nil {
				return nil, err
			}
			if c != nil {
				out[sd.Name] = c
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			// Entra ID, without the aadOptscim062020 flag, sends "True"
			// and "False".
			if strings.EqualFold(x, "true") {
				return true, nil
			}
			if strings.EqualFold(x, "false") {
				return false, nil
			}
		}
		return nil, bad("a boolean")
	case "string", "reference", "dateTime", "binary":
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return string(x), nil // an employee number sent as a number keeps its digits
		}
		return nil, bad("a string")
	}
	return v, nil
}

// schemasOf lists the schemas a resource uses: the core schema, then the
// known extensions present, then unknown extension objects.
func schemasOf(res map[string]any, rt *resourceType) []string {
	out := []string{rt.schema.ID}
	for _, ext := range rt.extensions {
		if _, ok := res[ext.ID]; ok {
			out = append(out, ext.ID)
		}
	}
	for _, k := range sortedKeys(res) {
		if _, isObj := res[k].(map[string]any); isObj && len(k) > 4 && strings.EqualFold(k[:4], "urn:") && rt.extension(k) == nil {
			out = append(out, k)
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// deepCopy copies decoded JSON.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// projection is the attributes and excludedAttributes query parameters
// (RFC 7644 §3.4.2.5). id and schemas are always returned.
type projection struct {
	attrs, excluded []Path
}

// parseProjection parses the two comma-separated lists.
func parseProjection(attrs, excluded string) (projection, error) {
	const op steward.Op = "scim.projection"
	var pr projection
	for _, l := range []struct {
		s   string
		out *[]Path
	}{{attrs, &pr.attrs}, {excluded, &pr.excluded}} {
		for _, f := range strings.Split(l.s, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			p, err := parseAttr(f)
			if err != nil {
				return projection{}, invalid(op, typeInvalidValue, fmt.Sprintf("bad attribute %q", f))
			}
			*l.out = append(*l.out, p)
		}
	}
	return pr, nil
}

// excludes reports whether the projection leaves out the top-level
// attribute name entirely.
func (pr projection) excludes(name string) bool {
	for _, p := range pr.excluded {
		if p.URN == "" && p.Sub == "" && strings.EqualFold(p.Attr, name) {
			return true
		}
	}
	if len(pr.attrs) == 0 {
		return false
	}
	for _, p := range pr.attrs {
		if p.URN == "" && strings.EqualFold(p.Attr, name) {
			return false
		}
	}
	return true
}

// apply returns the rendered resource res as projected. res is not changed.
func (pr projection) apply(res map[string]any, rt *resourceType) map[string]any {
	if len(pr.attrs) == 0 && len(pr.excluded) == 0 {
		return res
	}
	out := res
	if len(pr.attrs) > 0 {
		out = map[string]any{"schemas": res["schemas"], "id": res["id"]}
		for _, p := range pr.attrs {
			copyPath(out, res, rt.alias(p))
		}
		out["schemas"] = schemasOf(out, rt)
	} else {
		out = deepCopy(res).(map[string]any)
	}
	for _, p := range pr.excluded {
		p = rt.alias(p)
		if p.URN == "" && (strings.EqualFold(p.Attr, "id") || strings.EqualFold(p.Attr, "schemas")) {
			continue // returned always
		}
		removePlain(out, p)
	}
	if len(pr.excluded) > 0 {
		out["schemas"] = schemasOf(out, rt)
	}
	return out
}

// copyPath copies the value at p from src into dst.
func copyPath(dst, src map[string]any, p Path) {
	from, to := src, dst
	if p.URN != "" {
		ext, ok := lookupCI(src, p.URN).(map[string]any)
		if !ok {
			return
		}
		if p.Attr == "" {
			dst[p.URN] = deepCopy(ext)
			return
		}
		t, _ := dst[p.URN].(map[string]any)
		if t == nil {
			t = map[string]any{}
			dst[p.URN] = t
		}
		from, to = ext, t
	}
	key, v := keyOf(from, p.Attr)
	if v == nil {
		return
	}
	if p.Sub == "" {
		to[key] = deepCopy(v)
		return
	}
	switch v := v.(type) {
	case map[string]any:
		sk, sv := keyOf(v, p.Sub)
		if sv == nil {
			return
		}
		t, _ := to[key].(map[string]any)
		if t == nil {
			t = map[string]any{}
		}
		t[sk] = deepCopy(sv)
		to[key] = t
	case []any:
		t, _ := to[key].([]any)
		if len(t) != len(v) {
			t = make([]any, len(v))
		}
		for i, e := range v {
			em, _ := e.(map[string]any)
			tm, _ := t[i].(map[string]any)
			if tm == nil {
				tm = map[string]any{}
			}
			if sk, sv := keyOf(em, p.Sub); sv != nil {
				tm[sk] = deepCopy(sv)
			}
			t[i] = tm
		}
		to[key] = t
	}
}

// removePlain deletes the attribute or sub-attribute at p (no filter).
func removePlain(res map[string]any, p Path) {
	container := res
	if p.URN != "" {
		ext, ok := lookupCI(res, p.URN).(map[string]any)
		if !ok {
			return
		}
		if p.Attr == "" {
			deleteCI(res, p.URN)
			return
		}
		container = ext
	}
	if p.Sub == "" {
		deleteCI(container, p.Attr)
	} else {
		switch v := lookupCI(container, p.Attr).(type) {
		case map[string]any:
			deleteCI(v, p.Sub)
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					deleteCI(m, p.Sub)
				}
			}
		}
	}
	if p.URN != "" && len(container) == 0 {
		deleteCI(res, p.URN)
	}
}

func keyOf(m map[string]any, name string) (string, any) {
	if v, ok := m[name]; ok {
		return name, v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v
		}
	}
	return name, nil
}

func deleteCI(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}
