// Package apperr defines Tongban's one error type. Every error a user may see
// carries a Code (which decides the HTTP status, once, at the edge) and a
// message key (which the edge translates into zh-CN or English). Underlying
// causes are kept for the log and never shown to a user.
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code classifies an error. The web and API layers map codes to HTTP statuses.
type Code string

const (
	Invalid         Code = "invalid"                // the request or a value in it is malformed or breaks a rule
	Unauthenticated Code = "unauthenticated"        // no valid login or session
	Forbidden       Code = "forbidden"              // logged in, but the role or scope does not allow it
	NotFound        Code = "not_found"              // the object does not exist (or is outside the caller's scope)
	Conflict        Code = "conflict"               // the object changed or already exists
	TooMany         Code = "too_many_requests"      // throttled
	Unsupported     Code = "unsupported_media_type" // the body is not in a format the endpoint reads
	Unavailable     Code = "unavailable"            // a dependency (the database) is not ready
	Internal        Code = "internal"               // a bug or an unexpected failure; details are logged only
)

// Error is the one error type. Key names a message in the i18n catalogs;
// Args fill its template. Op says where it happened, for the log.
type Error struct {
	Code Code
	Key  string
	Args map[string]any
	Op   string
	Err  error
	// Details lists the individual faults of a rejected whole (every bad
	// cell of an import, every bad field of an item), each with its own key.
	Details []*Error
	// At names the form field or material a fault is about, and the item
	// of a bundle's sub-case it was found in, so that the reader is told
	// which to correct.
	At *Where
}

// Where is the form field or material a fault is about: its key and its
// label in each language; Item (and ItemEN) the item whose sub-case of a
// bundle it was found in, when it was.
type Where struct {
	Key     string `json:"key"`
	Label   string `json:"label"`
	LabelEN string `json:"label_en,omitempty"`
	Item    string `json:"item,omitempty"`
	ItemEN  string `json:"item_en,omitempty"`
}

// Naming returns e marked as the fault of the field or material w.
func (e *Error) Naming(w Where) *Error {
	e.At = &w
	return e
}

// MessageKey and MessageArgs let a nested error be translated as a message
// argument (the "reason" of an outer message).
func (e *Error) MessageKey() string          { return e.Key }
func (e *Error) MessageArgs() map[string]any { return e.Args }

// WithDetails returns e carrying the individual faults.
func (e *Error) WithDetails(d []*Error) *Error {
	e.Details = d
	return e
}

// E builds an Error with a code, a message key and optional template
// arguments given as alternating name, value pairs.
func E(code Code, key string, kv ...any) *Error {
	e := &Error{Code: code, Key: key}
	if len(kv) > 0 {
		e.Args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return e
}

// Internalf wraps an unexpected failure; users see only a generic message.
func Internalf(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err // already classified: keep the user-facing meaning
	}
	return &Error{Code: Internal, Key: "error.internal", Op: op, Err: err}
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Code))
	b.WriteString(" ")
	b.WriteString(e.Key)
	if len(e.Args) > 0 {
		names := make([]string, 0, len(e.Args))
		for k := range e.Args {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&b, " %s=%v", k, e.Args[k])
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of err, Internal for unclassified errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return Internal
}

// As returns err as *Error, classifying unknown errors as internal.
func As(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Code: Internal, Key: "error.internal", Err: err}
}

// Is reports whether err is an *Error with the given code and, if key is
// not empty, the given message key. Tests use it to match precise reasons.
func Is(err error, code Code, key string) bool {
	var ae *Error
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Code == code && (key == "" || ae.Key == key)
}
