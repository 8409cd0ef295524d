package scim

import (
	"net/http"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3).
const (
	URNUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// URNGovernance is Steward's extension for the attributes that drive
	// records policy: seniority, Capstone status and handling caveats.
	URNGovernance = "urn:steward:params:scim:schemas:extension:governance:2.0:User"

	URNListResponse          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	URNPatchOp               = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	URNSearchRequest         = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	URNError                 = "urn:ietf:params:scim:api:messages:2.0:Error"
	URNServiceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	URNResourceType          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	URNSchema                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// attr is an attribute definition (RFC 7643 §7). The same definitions are
// served at /Schemas and drive how requests are read: attribute names are
// matched case-insensitively and rewritten in the case given here, values
// are coerced to the type (Entra ID sends booleans as "True"), and
// caseExact decides how filters compare.
type attr struct {
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	MultiValued     bool     `json:"multiValued"`
	Description     string   `json:"description,omitempty"`
	Required        bool     `json:"required"`
	CanonicalValues []string `json:"canonicalValues,omitempty"`
	CaseExact       bool     `json:"caseExact"`
	Mutability      string   `json:"mutability"`
	Returned        string   `json:"returned"`
	Uniqueness      string   `json:"uniqueness"`
	ReferenceTypes  []string `json:"referenceTypes,omitempty"`
	SubAttributes   []*attr  `json:"subAttributes,omitempty"`
}

// sub returns the sub-attribute named name (case-insensitively), or nil.
func (a *attr) sub(name string) *attr {
	if a == nil {
		return nil
	}
	return findAttr(a.SubAttributes, name)
}

func findAttr(as []*attr, name string) *attr {
	for _, a := range as {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

type attrOpt func(*attr)

func multi(a *attr)         { a.MultiValued = true }
func required(a *attr)      { a.Required = true }
func caseExact(a *attr)     { a.CaseExact = true }
func readOnly(a *attr)      { a.Mutability = "readOnly" }
func immutable(a *attr)     { a.Mutability = "immutable" }
func uniqueSrv(a *attr)     { a.Uniqueness = "server" }
func always(a *attr)        { a.Returned = "always" }
func desc(d string) attrOpt { return func(a *attr) { a.Description = d } }
func canon(vs ...string) attrOpt {
	return func(a *attr) { a.CanonicalValues = vs }
}
func refs(ts ...string) attrOpt { return func(a *attr) { a.ReferenceTypes = ts } }
func subs(as ...*attr) attrOpt  { return func(a *attr) { a.SubAttributes = as } }

func mk(name, typ string, opts ...attrOpt) *attr {
	a := &attr{Name: name, Type: typ, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
	for _, o := range opts {
		o(a)
	}
	return a
}

func str(name string, opts ...attrOpt) *attr { return mk(name, "string", opts...) }

// multiComplex is the shape of emails, phoneNumbers and the like.
func multiComplex(name, d string, types ...string) *attr {
	return mk(name, "complex", multi, desc(d), subs(
		str("value", desc("The value.")),
		str("display", desc("A human-readable name, primarily for display.")),
		str("type", desc("A label for the value's function."), canon(types...)),
		mk("primary", "boolean", desc("Whether this is the primary value.")),
	))
}

// schemaDef is a schema resource (RFC 7643 §7).
type schemaDef struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Attributes  []*attr `json:"attributes"`
}

// commonAttrs are the attributes of every resource (RFC 7643 §3.1). They
// are not listed in /Schemas, but filters and paths may name them.
var commonAttrs = []*attr{
	str("id", caseExact, readOnly, always, uniqueSrv),
	str("externalId", caseExact),
	mk("meta", "complex", readOnly, subs(
		str("resourceType", caseExact, readOnly),
		mk("created", "dateTime", readOnly),
		mk("lastModified", "dateTime", readOnly),
		mk("location", "reference", caseExact, readOnly),
		str("version", caseExact, readOnly),
	)),
}

var userSchema = &schemaDef{
	ID: URNUser, Name: "User", Description: "User Account",
	Attributes: []*attr{
		str("userName", required, uniqueSrv, desc("Unique identifier for the User, typically the sign-in name. Compared case-insensitively.")),
		mk("name", "complex", desc("The components of the user's name."), subs(
			str("formatted"), str("familyName"), str("givenName"), str("middleName"),
			str("honorificPrefix"), str("honorificSuffix"),
		)),
		str("displayName", desc("The name of the User, suitable for display.")),
		str("nickName"),
		mk("profileUrl", "reference", refs("external")),
		str("title", desc("The user's title, such as \"Vice President\".")),
		str("userType"),
		str("preferredLanguage"),
		str("locale"),
		str("timezone"),
		mk("active", "boolean", desc("The user's administrative status. Setting it false cuts the user's access at once.")),
		multiComplex("emails", "Email addresses for the user.", "work", "home", "other"),
		multiComplex("phoneNumbers", "Phone numbers for the user.", "work", "home", "mobile", "fax", "pager", "other"),
		mk("addresses", "complex", multi, desc("Physical mailing addresses."), subs(
			str("formatted"), str("streetAddress"), str("locality"), str("region"),
			str("postalCode"), str("country"), str("type", canon("work", "home", "other")),
			mk("primary", "boolean"),
		)),
		multiComplex("roles", "Roles as the identity provider names them. Stored, not used for authorization: Steward maps groups to roles."),
	},
}

var enterpriseSchema = &schemaDef{
	ID: URNEnterprise, Name: "EnterpriseUser", Description: "Enterprise User",
	Attributes: []*attr{
		str("employeeNumber", desc("A string identifier, typically numeric or alphanumeric, assigned to a person.")),
		str("costCenter"),
		str("organization"),
		str("division"),
		str("department"),
		mk("manager", "complex", desc("The user's manager."), subs(
			str("value", desc("The id of the manager's SCIM User resource.")),
			mk("$ref", "reference", refs("User"), desc("The URI of the manager's SCIM User resource.")),
			str("displayName", readOnly),
		)),
	},
}

var governanceSchema = &schemaDef{
	ID: URNGovernance, Name: "GovernanceUser",
	Description: "Steward governance attributes: they drive records retention and messaging policy.",
	Attributes: []*attr{
		str("seniority", desc("Seniority level as the organization names it, for example \"staff\", \"senior\" or \"executive\".")),
		mk("capstoneOfficial", "boolean", desc("Whether the user is a Capstone official, whose messages are kept permanently.")),
		str("caveats", multi, caseExact, desc("Clearance or handling caveats the organization maps, for example \"NOFORN\".")),
	},
}

var groupSchema = &schemaDef{
	ID: URNGroup, Name: "Group", Description: "Group",
	Attributes: []*attr{
		str("displayName", required, desc("A human-readable name for the Group.")),
		mk("members", "complex", multi, desc("The Users in the Group. Nested groups are not supported."), subs(
			str("value", caseExact, immutable, desc("The id of a member User.")),
			mk("$ref", "reference", immutable, refs("User")),
			str("display", readOnly),
			str("type", immutable, canon("User")),
		)),
	},
}

// resourceType is a SCIM resource type (RFC 7643 §6) with the schemas
// that define it.
type resourceType struct {
	name       string
	endpoint   string
	schema     *schemaDef
	extensions []*schemaDef
}

var (
	userType  = &resourceType{"User", "/Users", userSchema, []*schemaDef{enterpriseSchema, governanceSchema}}
	groupType = &resourceType{"Group", "/Groups", groupSchema, nil}
)

// extension returns the extension schema with this URN, or nil.
func (rt *resourceType) extension(urn string) *schemaDef {
	for _, s := range rt.extensions {
		if s.ID == urn {
			return s
		}
	}
	return nil
}

// def returns the definition of attribute name in the schema urn ("" for
// the core schema and the common attributes), or nil if unknown.
func (rt *resourceType) def(urn, name string) *attr {
	if urn == "" || urn == rt.schema.ID {
		if a := findAttr(rt.schema.Attributes, name); a != nil {
			return a
		}
		return findAttr(commonAttrs, name)
	}
	if s := rt.extension(urn); s != nil {
		return findAttr(s.Attributes, name)
	}
	return nil
}

// knownURNs are the schema URNs a path or key may start with, and the
// misspellings seen in the wild that mean them: an Entra ID tutorial
// writes "…enterprise:2.0User" without the colon.
var knownURNs = []struct{ spelling, urn string }{
	{URNEnterprise, URNEnterprise},
	{"urn:ietf:params:scim:schemas:extension:enterprise:2.0User", URNEnterprise},
	{URNGovernance, URNGovernance},
	{URNUser, URNUser},
	{URNGroup, URNGroup},
}

// canonicalURN returns the URN that s spells (case-insensitively), or
// "" if s is none of knownURNs.
func canonicalURN(s string) string {
	for _, k := range knownURNs {
		if strings.EqualFold(s, k.spelling) {
			return k.urn
		}
	}
	return ""
}

// serviceProviderConfig is GET /ServiceProviderConfig (RFC 7643 §5).
func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{URNServiceProviderConfig},
		"documentationUri": "https://github.com/steward-gov/steward/blob/main/docs/identity.md",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": s.maxResults()},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": false},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "Bearer token",
			"description": "A Steward API token with the scim scope: steward token create --scope scim",
			"primary":     true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	})
}

func resourceTypeJSON(rt *resourceType, base string) map[string]any {
	var exts []map[string]any
	for _, e := range rt.extensions {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	m := map[string]any{
		"schemas":     []string{URNResourceType},
		"id":          rt.name,
		"name":        rt.name,
		"endpoint":    rt.endpoint,
		"description": rt.schema.Description,
		"schema":      rt.schema.ID,
		"meta":        map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + rt.name},
	}
	if exts != nil {
		m["schemaExtensions"] = exts
	}
	return m
}

// resourceTypes is GET /ResourceTypes (RFC 7644 §4).
func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	writeList(w, []any{resourceTypeJSON(userType, base), resourceTypeJSON(groupType, base)}, 2, 1)
}

// resourceTypeByName is GET /ResourceTypes/{name}.
func (s *Server) resourceTypeByName(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.resourceType"
	for _, rt := range []*resourceType{userType, groupType} {
		if strings.EqualFold(rt.name, r.PathValue("name")) {
			writeJSON(w, http.StatusOK, resourceTypeJSON(rt, s.base(r)))
			return
		}
	}
	s.writeError(w, r, notFound(op, "no such resource type"))
}

var allSchemas = []*schemaDef{userSchema, enterpriseSchema, governanceSchema, groupSchema}

func schemaJSON(sd *schemaDef, base string) map[string]any {
	return map[string]any{
		"schemas":     []string{URNSchema},
		"id":          sd.ID,
		"name":        sd.Name,
		"description": sd.Description,
		"attributes":  sd.Attributes,
		"meta":        map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + sd.ID},
	}
}

// schemas is GET /Schemas (RFC 7644 §4).
func (s *Server) schemas(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	var out []any
	for _, sd := range allSchemas {
		out = append(out, schemaJSON(sd, base))
	}
	writeList(w, out, len(out), 1)
}

// schemaByID is GET /Schemas/{id}.
func (s *Server) schemaByID(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.schema"
	for _, sd := range allSchemas {
		if strings.EqualFold(sd.ID, r.PathValue("id")) {
			writeJSON(w, http.StatusOK, schemaJSON(sd, s.base(r)))
			return
		}
	}
	s.writeError(w, r, notFound(op, "no such schema"))
}
