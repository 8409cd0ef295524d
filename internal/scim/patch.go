package scim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// PATCH (RFC 7644 §3.5.2) is applied to the resource held as decoded
// JSON; the result is normalized and validated like a PUT body, so a
// resource reached by PATCH is indistinguishable from one sent whole.
//
// What identity providers send beyond the RFC, and how it is read:
//
//   - op in any case ("Replace" from Entra ID by default, "replace" with
//     the aadOptscim062020 flag);
//   - no path, with a value whose keys are paths ("name.givenName", or an
//     extension attribute with its URN, written with ':' or '.');
//   - remove of members with a value list: only those values go (Entra ID
//     by default), where the RFC would remove every member;
//   - add or replace at emails[type eq "work"].value when there is no work
//     email yet: one is created with type "work" (the RFC says noTarget,
//     but Entra ID relies on this);
//   - manager as a bare id, a {"value": id} object or a list of one, with
//     or without the enterprise URN;
//   - null for a value, which clears the attribute.

// patchOp is one operation of a PatchOp request.
type patchOp struct {
	op       string // "add", "replace" or "remove"
	path     string // "" if none
	value    any
	hasValue bool
}

// maxOperations bounds a PATCH. Entra ID batches group members, a few
// hundred at most.
const maxOperations = 10000

// parsePatch reads a PatchOp body.
func parsePatch(body map[string]any) ([]patchOp, error) {
	const op steward.Op = "scim.parsePatch"
	raw, ok := lookupCI(body, "Operations").([]any)
	if !ok || len(raw) == 0 {
		return nil, invalid(op, typeInvalidSyntax, "a PatchOp needs a non-empty Operations list")
	}
	if len(raw) > maxOperations {
		return nil, invalid(op, typeInvalidSyntax, fmt.Sprintf("more than %d operations", maxOperations))
	}
	ops := make([]patchOp, 0, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, invalid(op, typeInvalidSyntax, fmt.Sprintf("operation %d is not an object", i))
		}
		var po patchOp
		name, _ := lookupCI(m, "op").(string)
		po.op = strings.ToLower(name)
		if po.op != "add" && po.op != "replace" && po.op != "remove" {
			return nil, invalid(op, typeInvalidSyntax, fmt.Sprintf("operation %d: op must be add, replace or remove, not %q", i, name))
		}
		switch p := lookupCI(m, "path").(type) {
		case nil:
		case string:
			po.path = strings.TrimSpace(p)
		default:
			return nil, invalid(op, typeInvalidPath, fmt.Sprintf("operation %d: path must be a string", i))
		}
		for k, v := range m {
			if strings.EqualFold(k, "value") {
				po.value, po.hasValue = v, true
			}
		}
		ops = append(ops, po)
	}
	return ops, nil
}

// applyPatch applies ops in order to res, the resource of id, and returns
// the paths it touched. It fails on the first bad operation; the caller
// then discards res, so a PATCH applies wholly or not at all.
func applyPatch(res map[string]any, ops []patchOp, rt *resourceType, id string) ([]string, error) {
	const op steward.Op = "scim.applyPatch"
	var touched []string
	for _, po := range ops {
		if po.path != "" {
			p, err := ParsePath(po.path)
			if err != nil {
				return nil, err
			}
			p = rt.alias(p)
			if p.URN != "" && rt.extension(p.URN) == nil {
				return nil, invalid(op, typeInvalidPath, fmt.Sprintf("%s is not a schema of %s", p.URN, rt.name))
			}
			if err := applyOne(res, po.op, p, po.value, po.hasValue, rt, id); err != nil {
				return nil, err
			}
			touched = append(touched, p.String())
			continue
		}
		if po.op == "remove" {
			return nil, invalid(op, typeNoTarget, "remove needs a path")
		}
		m, ok := po.value.(map[string]any)
		if !ok {
			return nil, invalid(op, typeInvalidValue, "an operation without a path needs an object value")
		}
		for _, k := range sortedKeys(m) {
			v := m[k]
			if strings.EqualFold(k, "schemas") || strings.EqualFold(k, "meta") {
				continue
			}
			if urn := canonicalURN(k); urn != "" {
				// An extension (or the core schema) as an object: each of its
				// attributes is set in turn.
				sub, isObj := v.(map[string]any)
				if !isObj {
					return nil, invalid(op, typeInvalidValue, fmt.Sprintf("%s must be an object", k))
				}
				if urn == rt.schema.ID {
					urn = ""
				} else if rt.extension(urn) == nil {
					return nil, invalid(op, typeInvalidPath, fmt.Sprintf("%s is not a schema of %s", urn, rt.name))
				}
				for _, sk := range sortedKeys(sub) {
					p, err := ParsePath(sk)
					if err != nil {
						return nil, err
					}
					if p.URN == "" {
						p.URN = urn
					}
					if err := applyOne(res, po.op, p, sub[sk], true, rt, id); err != nil {
						return nil, err
					}
					touched = append(touched, p.String())
				}
				continue
			}
			p, err := ParsePath(k)
			if err != nil {
				return nil, err
			}
			p = rt.alias(p)
			if err := applyOne(res, po.op, p, v, true, rt, id); err != nil {
				return nil, err
			}
			touched = append(touched, p.String())
		}
	}
	return touched, nil
}

// applyOne applies one operation at one path.
func applyOne(res map[string]any, opName string, p Path, value any, hasValue bool, rt *resourceType, id string) error {
	const op steward.Op = "scim.applyOne"
	if p.URN == "" {
		switch {
		case strings.EqualFold(p.Attr, "schemas"):
			return nil // recomputed from the attributes present
		case strings.EqualFold(p.Attr, "id"):
			// Okta repeats the id in a path-less replace; only a change is refused.
			if s, ok := value.(string); ok && s == id && opName != "remove" && p.Filter == nil && p.Sub == "" {
				return nil
			}
			return invalid(op, typeMutability, "id cannot be changed")
		case strings.EqualFold(p.Attr, "meta"):
			return invalid(op, typeMutability, "meta is read-only")
		}
	}
	// RFC 7644 §3.5.2: a null value unassigns. Entra ID sends nulls for
	// attributes it has no value for.
	if value == nil && opName != "remove" {
		if opName == "add" {
			return nil // adding nothing
		}
		opName, hasValue = "remove", false // replacing with null clears
	}

	container := res
	if p.URN != "" {
		ext, _ := lookupCI(res, p.URN).(map[string]any)
		if ext == nil {
			if opName == "remove" {
				return nil
			}
			ext = map[string]any{}
		}
		res[p.URN] = ext
		container = ext
		defer func() {
			if len(ext) == 0 {
				delete(res, p.URN)
			}
		}()
		if p.Attr == "" { // the extension as a whole
			if opName == "remove" {
				clear(ext)
				return nil
			}
			m, ok := value.(map[string]any)
			if !ok {
				return invalid(op, typeInvalidValue, fmt.Sprintf("%s must be an object", p.URN))
			}
			if opName == "replace" {
				clear(ext)
			}
			for _, k := range sortedKeys(m) {
				sp, err := ParsePath(k)
				if err != nil {
					return err
				}
				sp.URN = p.URN
				if err := applyOne(res, "add", sp, m[k], true, rt, id); err != nil {
					return err
				}
			}
			return nil
		}
	}

	// An attribute Steward has no definition for is treated by what it
	// holds: a list is multi-valued. Unknown attributes are kept, not
	// refused, so that an identity provider's extra mappings survive.
	def := rt.def(p.URN, p.Attr)
	key := attrKey(container, p, rt)
	cur, exists := container[key]
	_, curIsList := cur.([]any)
	multiValued := def != nil && def.MultiValued || curIsList

	switch {
	case p.Filter != nil:
		return applyFiltered(container, key, opName, p, value, def, rt)

	case p.Sub != "":
		if multiValued {
			// A sub-attribute of every value, e.g. emails.primary.
			for _, e := range asList(cur) {
				if m, ok := e.(map[string]any); ok {
					setSub(m, p, opName, value, rt)
				}
			}
			return nil
		}
		m, _ := cur.(map[string]any)
		if m == nil {
			if opName == "remove" {
				return nil
			}
			m = map[string]any{}
		}
		setSub(m, p, opName, value, rt)
		if len(m) == 0 {
			delete(container, key)
		} else {
			container[key] = m
		}
		return nil
	}

	switch opName {
	case "add":
		switch {
		case multiValued:
			container[key] = appendUnique(asList(cur), asList(value))
		case exists && mergeable(def, cur, value):
			container[key] = merged(cur.(map[string]any), value.(map[string]any))
		default:
			container[key] = value
		}
	case "replace":
		switch {
		case multiValued:
			container[key] = appendUnique(nil, asList(value))
		case exists && mergeable(def, cur, value):
			// RFC 7644 §3.5.2.3: replacing a complex attribute replaces the
			// sub-attributes given and leaves the others.
			container[key] = merged(cur.(map[string]any), value.(map[string]any))
		default:
			container[key] = value
		}
	case "remove":
		if hasValue && value != nil && multiValued {
			// Entra ID removes group members with a value list; only the
			// values listed go.
			left := without(asList(cur), asList(value))
			if len(left) == 0 {
				delete(container, key)
			} else {
				container[key] = left
			}
			return nil
		}
		delete(container, key)
	}
	return nil
}

// mergeable reports whether a new value for a single-valued complex
// attribute merges into the current one. It does not when the new value
// names another thing by its value sub-attribute: a new manager's
// {"value": id} must not keep the old manager's $ref and displayName.
func mergeable(def *attr, cur, value any) bool {
	cm, ok1 := cur.(map[string]any)
	vm, ok2 := value.(map[string]any)
	if !ok1 || !ok2 {
		return false
	}
	if def != nil && def.sub("value") != nil {
		if nv, ok := vm["value"]; ok && !reflect.DeepEqual(nv, lookupCI(cm, "value")) {
			return false
		}
	}
	return true
}

// setSub applies an operation to sub-attribute p.Sub of the object m.
func setSub(m map[string]any, p Path, opName string, value any, rt *resourceType) {
	k := subKey(m, p, rt)
	if opName == "remove" {
		delete(m, k)
		return
	}
	m[k] = value
}

// applyFiltered applies an operation at attr[filter] or attr[filter].sub.
func applyFiltered(container map[string]any, key, opName string, p Path, value any, def *attr, rt *resourceType) error {
	const op steward.Op = "scim.applyFiltered"
	list := asList(container[key])
	sc := scope{rt: rt, parent: orEmpty(def)}
	var hit []int
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			m = map[string]any{"value": e}
		}
		if p.Filter.match(m, sc) {
			hit = append(hit, i)
		}
	}
	defer func() {
		if len(list) == 0 {
			delete(container, key)
		} else {
			container[key] = list
		}
	}()

	if opName == "remove" {
		if p.Sub == "" {
			// members[value eq "…"]: the matching values go. Removing what is
			// not there is not an error, so a repeated cycle succeeds.
			var keep []any
			for i, e := range list {
				if !slices.Contains(hit, i) {
					keep = append(keep, e)
				}
			}
			list = keep
			return nil
		}
		for _, i := range hit {
			if m, ok := list[i].(map[string]any); ok {
				setSub(m, p, "remove", nil, rt)
			}
		}
		// A value left without its value sub-attribute is no value.
		list = slices.DeleteFunc(list, func(e any) bool {
			m, ok := e.(map[string]any)
			return ok && (len(m) == 0 || def != nil && def.sub("value") != nil && lookupCI(m, "value") == nil)
		})
		return nil
	}

	if len(hit) == 0 {
		// Nothing matches: create the value the filter describes, as
		// Entra ID expects for emails[type eq "work"].value.
		base, ok := equalities(p.Filter, sc)
		if !ok {
			return invalid(op, typeNoTarget, fmt.Sprintf("no value matches %s", p))
		}
		if p.Sub != "" {
			setSub(base, p, opName, value, rt)
		} else if vm, ok := value.(map[string]any); ok {
			base = merged(base, vm)
		} else {
			return invalid(op, typeInvalidValue, fmt.Sprintf("%s needs an object value", p))
		}
		list = append(slices.Clone(list), base)
		return nil
	}
	// Copy before changing: list shares its maps with the resource, and a
	// failing operation must leave nothing half-applied for the caller to
	// see (the caller discards res on error, but merged copies are cheap).
	list = slices.Clone(list)
	for _, i := range hit {
		m, ok := list[i].(map[string]any)
		if !ok {
			m = map[string]any{"value": list[i]}
		}
		m = merged(m, nil)
		switch {
		case p.Sub != "":
			setSub(m, p, opName, value, rt)
		case opName == "replace":
			vm, ok := value.(map[string]any)
			if !ok {
				return invalid(op, typeInvalidValue, fmt.Sprintf("%s needs an object value", p))
			}
			m = merged(map[string]any{}, vm)
		default: // add
			vm, ok := value.(map[string]any)
			if !ok {
				return invalid(op, typeInvalidValue, fmt.Sprintf("%s needs an object value", p))
			}
			m = merged(m, vm)
		}
		list[i] = m
	}
	return nil
}

// equalities returns the object a filter of "a eq v and b eq w" describes,
// {"a": v, "b": w}, or false if the filter is anything else.
func equalities(f Expr, sc scope) (map[string]any, bool) {
	out := map[string]any{}
	var walk func(Expr) bool
	walk = func(f Expr) bool {
		switch f := f.(type) {
		case *Logical:
			return f.Op == "and" && walk(f.L) && walk(f.R)
		case *Compare:
			if f.Op != "eq" || f.Path.URN != "" || f.Path.Filter != nil || f.Path.Sub != "" || f.Value == nil {
				return false
			}
			name := f.Path.Attr
			if d := sc.parent.sub(name); d != nil {
				name = d.Name
			}
			out[name] = f.Value
			return true
		}
		return false
	}
	return out, walk(f)
}

// appendUnique appends to list the values of add that it lacks. Complex
// values with a value sub-attribute are the same when value (and type,
// if both have one) are: a repeated add of a group member, or of an
// email, changes nothing. Others are the same when equal.
func appendUnique(list, add []any) []any {
	out := slices.Clone(list)
	for _, a := range add {
		if a == nil {
			continue
		}
		i := slices.IndexFunc(out, func(e any) bool { return sameValue(e, a) })
		if i < 0 {
			out = append(out, a)
			continue
		}
		if em, ok := out[i].(map[string]any); ok {
			if am, ok := a.(map[string]any); ok {
				out[i] = merged(em, am)
			}
		}
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// without returns list less the values that some element of rem names.
func without(list, rem []any) []any {
	return slices.DeleteFunc(slices.Clone(list), func(e any) bool {
		return slices.ContainsFunc(rem, func(r any) bool { return sameValue(e, r) })
	})
}

func sameValue(a, b any) bool {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if ok1 && ok2 {
		av, bv := lookupCI(am, "value"), lookupCI(bm, "value")
		if av != nil && bv != nil {
			at, _ := lookupCI(am, "type").(string)
			bt, _ := lookupCI(bm, "type").(string)
			return valueText(av) == valueText(bv) && (at == "" || bt == "" || strings.EqualFold(at, bt))
		}
	}
	if ok2 && !ok1 {
		// remove with a bare value: {"value": "x"} and "x" name the same.
		return valueText(a) == valueText(lookupCI(bm, "value"))
	}
	return reflect.DeepEqual(a, b)
}

func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	}
	b, _ := encode(v)
	return string(b)
}
