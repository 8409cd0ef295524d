package policy

import (
	"fmt"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"github.com/steward-gov/steward/internal/steward"
)

// CostLimit bounds the work of one evaluation of one condition, in CEL's
// abstract cost units (roughly one per variable read, comparison or
// function call; a comprehension costs its body times the list size). A
// typical condition costs under 50; recipients.exists(...) over a
// 1,000-member group about 20,000. An evaluation that exceeds the limit
// stops with an error, which flags the message for review.
const CostLimit = 100_000

// The CEL type names of the input objects, as error messages show them.
const (
	typeParty        = "Party"
	typeAttachment   = "Attachment"
	typeMessage      = "Message"
	typeConversation = "Conversation"
	typeGroup        = "Group"
)

// envs holds the two compilation environments; building one takes about
// a millisecond, so they are built once and shared (cel.Env is safe for
// concurrent use).
var envs = sync.OnceValues(func() (map[steward.PolicyKind]*cel.Env, error) {
	msg, err := cel.NewEnv(append(commonOptions(),
		cel.Variable("sender", cel.ObjectType(typeParty)),
		cel.Variable("recipients", cel.ListType(cel.ObjectType(typeParty))),
		cel.Variable("channel", cel.StringType),
		cel.Variable("direction", cel.StringType),
		cel.Variable("mode", cel.StringType),
		cel.Variable("conversation", cel.ObjectType(typeConversation)),
		cel.Variable("message", cel.ObjectType(typeMessage)),
		cel.Variable("findings", cel.MapType(cel.StringType, cel.IntType)),
		cel.Variable("now", cel.TimestampType),
		cel.Variable("outside", cel.BoolType),
		cel.Function("finding",
			cel.Overload("finding_string", []*cel.Type{cel.StringType}, cel.IntType, cel.LateFunctionBinding())),
		cel.Function("sample",
			cel.Overload("sample_double", []*cel.Type{cel.DoubleType}, cel.BoolType, cel.LateFunctionBinding()),
			cel.Overload("sample_int", []*cel.Type{cel.IntType}, cel.BoolType, cel.LateFunctionBinding())),
	)...)
	if err != nil {
		return nil, err
	}
	group, err := cel.NewEnv(append(commonOptions(),
		cel.Variable("operation", cel.StringType),
		cel.Variable("actor", cel.ObjectType(typeParty)),
		cel.Variable("group", cel.ObjectType(typeGroup)),
		cel.Variable("members", cel.ListType(cel.ObjectType(typeParty))),
		cel.Variable("channel", cel.StringType),
		cel.Variable("now", cel.TimestampType),
	)...)
	if err != nil {
		return nil, err
	}
	return map[steward.PolicyKind]*cel.Env{steward.PolicyMessage: msg, steward.PolicyGroup: group}, nil
})

func commonOptions() []cel.EnvOption {
	tags := types.ParseStructTags(true)
	return append([]cel.EnvOption{
		// The input structs are read in place through their cel tags. A
		// typo in a field name is then a compile error, where a map
		// would have failed on every message at run time.
		cel.Types(
			cel.NativeTypeFor[attachmentView](cel.NativeTypeAlias(typeAttachment), tags),
			cel.NativeTypeFor[Party](cel.NativeTypeAlias(typeParty), tags),
			cel.NativeTypeFor[messageView](cel.NativeTypeAlias(typeMessage), tags),
			cel.NativeTypeFor[conversationView](cel.NativeTypeAlias(typeConversation), tags),
			cel.NativeTypeFor[groupView](cel.NativeTypeAlias(typeGroup), tags),
		),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
		ext.Bindings(),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ParserExpressionSizeLimit(8192),
	}, zoneOptions()...)
}

// Check returns nil when p would be accepted by NewSet: it passes
// steward.CheckPolicy, and its condition parses and type-checks, in the
// variables of its kind, to a bool. Callers check a policy before saving
// it. The error is Invalid (or TooLarge, from CheckPolicy); for a
// condition, its message is CEL's own, with line and column and a caret
// under the fault, fit to show the administrator who wrote it.
func Check(p *steward.Policy) error {
	const op steward.Op = "policy.Check"
	if err := steward.CheckPolicy(p); err != nil {
		return steward.E(op, err)
	}
	if _, err := compile(p); err != nil {
		return steward.E(op, err)
	}
	return nil
}

// compile turns a policy that passed steward.CheckPolicy into a program.
func compile(p *steward.Policy) (cel.Program, error) {
	const op steward.Op = "policy.compile"
	es, err := envs()
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	env := es[p.Kind]
	if env == nil {
		return nil, steward.Errorf(op, steward.Invalid, "unknown policy kind %q", p.Kind)
	}
	checked, iss := env.CompileSource(common.NewStringSource(p.Condition, "condition"))
	if iss.Err() != nil {
		return nil, steward.E(op, steward.Invalid, strings.TrimPrefix(iss.Err().Error(), "ERROR: "))
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) {
		return nil, steward.Errorf(op, steward.Invalid,
			"the condition yields %s; it must yield a bool (true when the policy applies)", t)
	}
	if err := checkSampleRates(checked); err != nil {
		return nil, steward.E(op, steward.Invalid, err.Error())
	}
	prg, err := env.Program(checked, cel.CostLimit(CostLimit))
	if err != nil {
		return nil, steward.E(op, steward.Invalid, err.Error())
	}
	return prg, nil
}

// checkSampleRates rejects a literal sample rate outside 0-100 when the
// policy is saved, rather than flagging every message it sees.
func checkSampleRates(checked *cel.Ast) error {
	a := checked.NativeRep()
	for _, call := range ast.MatchDescendants(ast.NavigateAST(a), ast.FunctionMatcher("sample")) {
		args := call.AsCall().Args()
		if len(args) != 1 || args[0].Kind() != ast.LiteralKind {
			continue
		}
		var percent float64
		switch v := args[0].AsLiteral().(type) {
		case types.Double:
			percent = float64(v)
		case types.Int:
			percent = float64(v)
		default:
			continue
		}
		if percent < 0 || percent > 100 {
			where := ""
			if r, ok := a.SourceInfo().GetOffsetRange(args[0].ID()); ok {
				if loc, ok := checked.Source().OffsetLocation(r.Start); ok {
					where = fmt.Sprintf("condition:%d:%d: ", loc.Line(), loc.Column()+1)
				}
			}
			return fmt.Errorf("%ssample takes a percentage between 0 and 100, not %v", where, args[0].AsLiteral())
		}
	}
	return nil
}
