package graph

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/auth"
	"github.com/catalogue/catalogue/graph/model"
	"github.com/catalogue/catalogue/ledger"
)

// The codes every error carries in extensions.code. Clients branch on them;
// the rule that refused a change is in extensions.rule (a domain code such
// as CODE_TAKEN) and the input field at fault in extensions.field.
const (
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeForbidden       = auth.CodeForbidden
	CodeUnauthenticated = auth.CodeUnauthenticated
	CodeInternal        = "INTERNAL"
	// CodeUnavailable: the read models did not reach a waitFor position in
	// time, the server cannot sign anyone in (its token file is unreadable),
	// or it refuses writes now (extensions.reason WRITES_REFUSED); retrying
	// later, or elsewhere, succeeds.
	CodeUnavailable = auth.CodeUnavailable
	// CodeCancelled: the client abandoned the request (closed the
	// connection or the subscription); no one reads the answer.
	CodeCancelled = "CANCELLED"
)

// classCodes maps the domain's classes of refusal to API codes.
var classCodes = map[domain.Class]string{
	domain.ClassInvalid:  CodeBadUserInput,
	domain.ClassNotFound: CodeNotFound,
	domain.ClassConflict: CodeConflict,
}

// requestCodes are gqlgen's codes for a request refused before execution
// (unparsable, invalid against the schema, over a limit): the client's
// input is at fault. The original code stays in extensions.reason.
var requestCodes = map[string]bool{
	errcode.ParseFailed:         true,
	errcode.ValidationFailed:    true,
	"COMPLEXITY_LIMIT_EXCEEDED": true,
	codeDepthLimit:              true,
	codeSelectionLimit:          true,
	codeRepeatLimit:             true,
}

// presentError is the API's one error presenter: every error a client sees
// passes here and leaves with an extensions.code. An error that is no
// refusal the API knows is an internal error: logged with its detail, shown
// only as "internal error" — unless the client abandoned the request, which
// is logged at INFO and answered CANCELLED.
func (r *Resolver) presentError(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	ext := map[string]any{}
	var (
		conflict *ledger.ConflictError
		rule     *domain.Error
		authErr  *auth.Error
		input    *model.InputError
		wait     *WaitError
	)
	switch {
	case errors.As(err, &conflict):
		ext["code"], ext["rule"], ext["field"] = CodeConflict, domain.CodeWrongExpectedVersion, "expectedRevision"
		ext["expectedRevision"] = conflict.Expected
		ext["currentRevision"] = nil
		if conflict.HasCurrent {
			ext["currentRevision"] = conflict.Current
		}
	case errors.As(err, &rule) && domain.ClassOf(rule.Code) == domain.ClassForbidden:
		// A rule about who may act (decided in the domain, on the log): shown
		// like every other refusal of a role.
		ext["code"] = CodeForbidden
		gqlErr.Message = rule.Message
		if rule.Field != "" {
			gqlErr.Message = rule.Field + ": " + rule.Message
		}
	case errors.As(err, &rule):
		ext["code"], ext["rule"] = classCodes[domain.ClassOf(rule.Code)], rule.Code
		if rule.Field != "" {
			ext["field"] = rule.Field
		}
	case errors.As(err, &authErr):
		ext["code"] = authErr.Code
	case errors.As(err, &input):
		ext["code"] = CodeBadUserInput
	case errors.As(err, &wait):
		ext["code"], ext["position"], ext["reached"] = CodeUnavailable, fmt.Sprint(wait.Position), fmt.Sprint(wait.Reached)
	case errors.Is(err, eventstore.ErrWriteRefused):
		// Why is the operator's business (it names files and schemas):
		// logged, while the client learns only that writing here fails.
		r.logger.WarnContext(ctx, "graphql: write refused", "err", err)
		return &gqlerror.Error{Message: "writes are refused by this server now (see its /healthz); nothing was recorded", Path: gqlErr.Path,
			Locations: gqlErr.Locations, Extensions: map[string]any{"code": CodeUnavailable, "reason": "WRITES_REFUSED"}}
	case gqlErr.Err == nil || errors.As(gqlErr.Err, new(*gqlerror.Error)):
		// gqlgen's own errors about the request: keep their message.
		code, _ := gqlErr.Extensions["code"].(string)
		switch {
		case requestCodes[code]:
			ext["reason"] = code
			ext["code"] = CodeBadUserInput
		case code != "":
			ext["code"] = code
		default:
			ext["code"] = CodeBadUserInput
		}
	case errors.Is(ctx.Err(), context.Canceled):
		// The client went away: whatever failed then failed for that (a
		// wait or a read cut short) and is nothing for the operator to fix.
		r.logger.InfoContext(ctx, "graphql: client went away", requestAttrs(ctx, err)...)
		return &gqlerror.Error{Message: "the request was abandoned by the client", Path: gqlErr.Path, Locations: gqlErr.Locations,
			Extensions: map[string]any{"code": CodeCancelled}}
	default:
		r.logger.ErrorContext(ctx, "graphql: internal error", requestAttrs(ctx, err)...)
		return &gqlerror.Error{Message: "internal error", Path: gqlErr.Path, Locations: gqlErr.Locations,
			Extensions: map[string]any{"code": CodeInternal}}
	}
	for k, v := range gqlErr.Extensions {
		if _, set := ext[k]; !set {
			ext[k] = v
		}
	}
	gqlErr.Extensions = ext
	gqlErr.Message = shorten(gqlErr.Message)
	return gqlErr
}

// maxMessage bounds an error message: gqlparser quotes the token or name
// at fault, which a client may make a megabyte long.
const maxMessage = 500

func shorten(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// requestAttrs are what a log line about a request's error needs to find
// it: the error, the operation, the field path and the principal.
func requestAttrs(ctx context.Context, err error) []any {
	attrs := []any{"err", err}
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		name := oc.OperationName
		if name == "" && oc.Operation != nil {
			name = oc.Operation.Name
		}
		attrs = append(attrs, "operation", name)
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		attrs = append(attrs, "path", fc.Path().String())
	}
	if p := auth.FromContext(ctx); p != nil {
		attrs = append(attrs, "actor", p.Name)
	}
	return attrs
}

// recoverPanic turns a panic in a resolver into an internal error, with the
// stack in the log.
func (r *Resolver) recoverPanic(ctx context.Context, v any) error {
	return fmt.Errorf("panic: %v\n%s", v, debug.Stack())
}
