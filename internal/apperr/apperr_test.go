package apperr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorCarriesCodeKeyAndArgs(t *testing.T) {
	e := E(Invalid, "codes.citizen_id.check", "want", "X", "got", "1")
	if e.Args["want"] != "X" || e.Args["got"] != "1" {
		t.Errorf("args = %v", e.Args)
	}
	wrapped := fmt.Errorf("while registering: %w", e)
	if !Is(wrapped, Invalid, "codes.citizen_id.check") || Is(wrapped, Invalid, "other") || CodeOf(wrapped) != Invalid {
		t.Error("classification lost through wrapping")
	}
	if s := e.Error(); !strings.Contains(s, "got=1 want=X") {
		t.Errorf("Error() = %q (args sorted for stable logs)", s)
	}
}

func TestInternalfKeepsClassifiedErrorsAndHidesOthers(t *testing.T) {
	if Internalf("op", nil) != nil {
		t.Error("nil became an error")
	}
	nf := E(NotFound, "error.not_found")
	if !Is(Internalf("op", nf), NotFound, "error.not_found") {
		t.Error("a classified error was turned internal")
	}
	cause := errors.New("pq: relation does not exist")
	err := Internalf("store: load", cause)
	if CodeOf(err) != Internal || As(err).Key != "error.internal" || !errors.Is(err, cause) {
		t.Errorf("internal = %v", err)
	}
	if CodeOf(cause) != Internal || CodeOf(nil) != "" {
		t.Error("CodeOf of plain errors")
	}
}
