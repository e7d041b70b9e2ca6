// Package auth signs API callers in and says what they may do.
//
// Callers present bearer tokens. A token is a random secret that only its
// holder knows: the server keeps only its SHA-256 hash (a token has 256
// random bits, so a fast hash is as safe as a slow one and costs nothing per
// request), in a file of the data directory that the CLI (`catalogue token
// create|revoke|list`) edits and a running server re-reads when it changes.
//
// Each token carries a role and, for a body officer, the body it is scoped
// to. The principal a token signs in is what the API records as the actor
// of every change: never a value from the request.
package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/catalogue/catalogue/domain"
)

// Role is what a token lets its holder do. It is the domain's role: the
// rules about who may delegate or accept are the domain's, decided on the
// principal the API signs in.
type Role = domain.Role

// Roles.
const (
	// LegalOfficer (司法局/审改办) records every change and publishes editions.
	LegalOfficer = domain.RoleLegalOfficer
	// BodyOfficer is scoped to one body: accepts what is delegated to it,
	// passes its own powers on to the bodies under it, and reads.
	BodyOfficer = domain.RoleBodyOfficer
	// Auditor (巡察/审计/督查) reads everything, including the full audit
	// log, and changes nothing.
	Auditor = domain.RoleAuditor
)

// Roles lists every role, for help texts.
var Roles = []Role{LegalOfficer, BodyOfficer, Auditor}

// ParseRole reads a role as the CLI and the schema spell it
// (legal_officer, LEGAL_OFFICER, legal-officer).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	for _, known := range Roles {
		if r == known {
			return r, nil
		}
	}
	return "", fmt.Errorf("%q is not a role (legal_officer, body_officer, auditor)", s)
}

// Principal is who a request is made as.
type Principal struct {
	// Name is unique among the tokens in use and is recorded as the actor.
	Name string
	Role Role
	// Body is the body code a BodyOfficer is scoped to.
	Body    string
	TokenID string
}

// Actor is what event metadata records as who made a change.
func (p *Principal) Actor() string { return p.Name }

// DomainActor is the principal as the catalogue's rules see it.
func (p *Principal) DomainActor() domain.Actor {
	return domain.Actor{Name: p.Name, Role: p.Role, Body: p.Body}
}

// Is reports whether the principal has one of roles. A nil principal
// (anonymous) has none.
func (p *Principal) Is(roles ...Role) bool {
	if p == nil {
		return false
	}
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns ctx signed in as p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the signed-in principal, or nil for an anonymous
// request.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Codes of Error, as the API reports them in extensions.code.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	// CodeUnavailable: the server cannot sign anyone in right now (its
	// token file is unreadable); retrying later may succeed.
	CodeUnavailable = "UNAVAILABLE"
)

// Error is a refusal to sign in (UNAUTHENTICATED, or UNAVAILABLE when the
// server cannot tell) or to let a principal do something (FORBIDDEN).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unauthenticated refuses a request that needs a token and has none, or has
// one that is unknown or revoked.
func Unauthenticated(format string, args ...any) *Error {
	return &Error{Code: CodeUnauthenticated, Message: fmt.Sprintf(format, args...)}
}

// Forbidden refuses a principal something its role or scope does not allow.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

// BearerToken returns the token of an Authorization header value
// ("Bearer <token>", the scheme in any case), and false when there is none.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
