package domain

// Role is what the acting principal may do; the API signs principals in
// and says which role each has, the rules below say what follows from it
// for a command. The spellings are the token file's.
type Role string

// Roles.
const (
	// RoleLegalOfficer (司法局/审改办) records every change.
	RoleLegalOfficer Role = "legal_officer"
	// RoleBodyOfficer is scoped to one body: accepts what is delegated to
	// it and passes its own powers on.
	RoleBodyOfficer Role = "body_officer"
	// RoleAuditor reads and changes nothing.
	RoleAuditor Role = "auditor"
)

// Actor is who gives a command, as the API signed them in: never a value
// of the request. The delegation rules depend on it (a body officer acts
// only for its own body), so it travels in the command and the rules are
// decided on the item's stream alone, without asking any read model.
type Actor struct {
	Name string
	Role Role
	// Body is the body a body officer is scoped to.
	Body string
}

// scoped reports whether the actor acts for one body only.
func (a Actor) scoped() bool { return a.Role == RoleBodyOfficer }

// CodeForbidden: the actor's role or body does not allow the command. The
// API reports it as it reports any other refusal of a role (FORBIDDEN).
const CodeForbidden Code = "FORBIDDEN"

// forbidden refuses the actor; field names the input that asks for more
// than the actor may do.
func forbidden(field, format string, args ...any) *Error {
	return Errorf(CodeForbidden, field, format, args...)
}

// orGovernment names a delegating body for messages.
func orGovernment(from string) string {
	if from == "" {
		return "the catalogue's own government"
	}
	return from
}

// mayDelegateFrom refuses a body officer a delegation from any body but
// its own: the catalogue's government delegates through legal officers.
func (a Actor) mayDelegateFrom(from string) error {
	if !a.scoped() || from == a.Body {
		return nil
	}
	if from == "" {
		return forbidden("from", "a body officer of %s delegates only its own powers; set from: %q (the catalogue's own government delegates through a legal officer)", a.Body, a.Body)
	}
	return forbidden("from", "a body officer of %s cannot delegate for %s", a.Body, from)
}

// acceptingBody is the body an acceptance is made for: a body officer's
// own (it may not name another, nor accept a delegation to another); for a
// legal officer the body named, or else the delegation's receiver.
func (s Item) acceptingBody(c AcceptDelegation) (string, error) {
	d := s.Delegation(c.DelegationID)
	if c.By.scoped() {
		if c.Body != "" && c.Body != c.By.Body {
			return "", forbidden("body", "a body officer of %s cannot accept for %s", c.By.Body, c.Body)
		}
		if d != nil && d.To != c.By.Body {
			return "", forbidden("delegationId", "delegation %s goes to %s; a body officer of %s cannot accept for it", d.ID, d.To, c.By.Body)
		}
		return c.By.Body, nil
	}
	if c.Body == "" && d != nil {
		return d.To, nil
	}
	return c.Body, nil
}

// mayWithdraw refuses a body officer the withdrawal of a delegation its
// body did not make.
func (s Item) mayWithdraw(c WithdrawDelegation) error {
	d := s.Delegation(c.DelegationID)
	if !c.By.scoped() || d == nil || d.From == c.By.Body {
		return nil
	}
	return forbidden("delegationId", "delegation %s was made by %s; a body officer of %s withdraws only what %s delegated", d.ID, orGovernment(d.From), c.By.Body, c.By.Body)
}
