// Package domain holds the rules of an administrative-licensing item
// catalogue (行政许可事项清单): its commands, its events and the pure
// decide/evolve functions that turn one into the other. It does no I/O, reads
// no clock and generates no identifiers: everything that varies comes in the
// command, so every rule is tested as given events / when command / then
// events or error.
package domain

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Clients match on it; the
// message is for people and may change.
type Code string

// Error codes. Each rule of the catalogue has its own code so that a legal
// officer's client can explain exactly what was refused.
const (
	// Input that can never be valid, whatever the state.
	CodeInvalid Code = "INVALID_INPUT"

	// State-dependent refusals.
	CodeItemNotFound         Code = "ITEM_NOT_FOUND"
	CodeItemExists           Code = "ITEM_EXISTS"
	CodeCodeTaken            Code = "CODE_TAKEN"
	CodeItemRevoked          Code = "ITEM_REVOKED"
	CodeNoChange             Code = "NO_CHANGE"
	CodeSubItemUnknown       Code = "SUB_ITEM_UNKNOWN"
	CodeSubItemDelegated     Code = "SUB_ITEM_DELEGATED"
	CodeBodyNotFound         Code = "BODY_NOT_FOUND"
	CodeBodyExists           Code = "BODY_EXISTS"
	CodeBodyHierarchy        Code = "BODY_HIERARCHY"
	CodeOutsideJurisdiction  Code = "OUTSIDE_JURISDICTION"
	CodeModeNotAllowed       Code = "MODE_NOT_ALLOWED"
	CodeDelegatorLacksPower  Code = "DELEGATOR_LACKS_POWER"
	CodeDelegationOverlap    Code = "DELEGATION_OVERLAP"
	CodeDelegationNotFound   Code = "DELEGATION_NOT_FOUND"
	CodeDelegationNotActive  Code = "DELEGATION_NOT_ACTIVE"
	CodeAlreadyAccepted      Code = "ALREADY_ACCEPTED"
	CodeWrongBody            Code = "WRONG_BODY"
	CodeEffectiveDate        Code = "EFFECTIVE_DATE"
	CodeEditionExists        Code = "EDITION_EXISTS"
	CodeEditionNotFound      Code = "EDITION_NOT_FOUND"
	CodeDraftExists          Code = "DRAFT_EXISTS"
	CodeDraftNotFound        Code = "DRAFT_NOT_FOUND"
	CodeDraftClosed          Code = "DRAFT_CLOSED"
	CodeWrongExpectedVersion Code = "WRONG_EXPECTED_REVISION"
	// CodeCommandIDReused: a command id already recorded for a different
	// command (another payload, expected revision or actor). Only the same
	// command may be retried under an id.
	CodeCommandIDReused Code = "COMMAND_ID_REUSED"
)

// Class groups codes into the few kinds of refusal an API distinguishes.
type Class int

// Classes of refusal.
const (
	ClassInvalid   Class = iota // the input breaks a rule: fix the input
	ClassNotFound               // the thing referred to does not exist
	ClassConflict               // the current state forbids it, or someone else wrote first
	ClassForbidden              // the actor may not give this command
)

// ClassOf tells which class a code belongs to.
func ClassOf(c Code) Class {
	switch c {
	case CodeForbidden:
		return ClassForbidden
	case CodeItemNotFound, CodeBodyNotFound, CodeDelegationNotFound, CodeEditionNotFound, CodeDraftNotFound:
		return ClassNotFound
	case CodeItemExists, CodeCodeTaken, CodeBodyExists, CodeEditionExists, CodeDraftExists, CodeDraftClosed, CodeWrongExpectedVersion,
		CodeAlreadyAccepted, CodeDelegationOverlap, CodeCommandIDReused:
		return ClassConflict
	default:
		return ClassInvalid
	}
}

// Error is a refusal by a catalogue rule. Field names the input field at
// fault when there is one (e.g. "effectiveFrom").
type Error struct {
	Code    Code
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Field, e.Message, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// Errorf builds a rule error.
func Errorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a rule error anywhere in err's chain, or ""
// when err is not a refusal by a rule (an internal error).
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
