package open311

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// GET requests' query, table-driven: the specification's defaults and
// bounds (90 days, the id list overriding the rest, open/closed).
func TestParseFilter(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, c := range []struct {
		q        string
		field    string // refused naming it; "" accepted
		from, to time.Time
		ids      int
		statuses int
	}{
		{q: "", from: now.Add(-90 * day)},
		{q: "status=open", from: now.Add(-90 * day), statuses: 1},
		{q: "status=open,closed", from: now.Add(-90 * day)},
		{q: "status=open&status=closed", from: now.Add(-90 * day)},
		{q: "status=pending", field: "status"},
		{q: "service_request_id=a,b,,a&status=pending", ids: 2},
		{q: "start_date=2026-11-01T00:00:00%2B08:00", from: time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), to: time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC).Add(90*day + time.Microsecond)},
		{q: "end_date=2026-11-01T00:00:00Z", from: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(-90 * day), to: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Microsecond)},
		{q: "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", field: "end_date"},
		{q: "start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", field: "end_date"},
		{q: "start_date=2026-06-01", field: "start_date"},
		{q: "start_date=2026-06-01T00:00:00", field: "start_date"},
		{q: "end_date=9999-01-01T00:00:00Z", field: "end_date"},
	} {
		v, _ := url.ParseQuery(c.q)
		f, err := ParseFilter(v, now)
		if c.field != "" {
			if e := apperr.As(err); e.Code != apperr.Invalid || e.Args["field"] != c.field {
				t.Errorf("%q: %v, want a refusal naming %s", c.q, err, c.field)
			}
			continue
		}
		if err != nil || len(f.IDs) != c.ids || len(f.Statuses) != c.statuses || (c.ids == 0 && (!f.From.Equal(c.from) || !f.To.Equal(c.to))) {
			t.Errorf("%q: %+v %v", c.q, f, err)
		}
	}
	many := url.Values{}
	for i := range 201 {
		many.Add("service_request_id", "GD"+strconv.Itoa(i))
	}
	if _, err := ParseFilter(many, now); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("201 ids: %v", err)
	}
}
