package rating

import (
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

func TestCheck(t *testing.T) {
	concluded := time.Date(2026, 10, 9, 2, 0, 0, 0, time.UTC)
	first := concluded.Add(48 * time.Hour)
	ok := Attempt{Applicant: true, Concluded: &concluded, Kind: KindFirst, Level: Satisfied, Channel: "pc", Now: concluded.Add(time.Hour), Rule: DefaultRule}
	with := func(f func(a *Attempt)) Attempt { a := ok; f(&a); return a }
	cases := []struct {
		name string
		a    Attempt
		code apperr.Code
		key  string
	}{
		{"satisfied", ok, "", ""},
		{"very dissatisfied with an indicator", with(func(a *Attempt) { a.Level, a.Indicators = VeryDissatisfied, []string{"onsite.attitude"} }), "", ""},
		{"at the window's last instant", with(func(a *Attempt) { a.Now = concluded.Add(7 * 24 * time.Hour) }), "", ""},
		{"a regional window of 15 days", with(func(a *Attempt) { a.Now, a.Rule.WindowDays = concluded.Add(10*24*time.Hour), 15 }), "", ""},
		{"staff", with(func(a *Attempt) { a.Staff = true }), apperr.Forbidden, "rating.staff"},
		{"staff even as applicant", with(func(a *Attempt) { a.Staff, a.Applicant = true, true }), apperr.Forbidden, "rating.staff"},
		{"not the applicant", with(func(a *Attempt) { a.Applicant = false }), apperr.Forbidden, "rating.not_applicant"},
		{"before conclusion", with(func(a *Attempt) { a.Concluded = nil }), apperr.Conflict, "rating.not_concluded"},
		{"withdrawn", with(func(a *Attempt) { a.Withdrawn = true }), apperr.Conflict, "rating.withdrawn"},
		{"a second rating", with(func(a *Attempt) { a.First = &first }), apperr.Conflict, "rating.already_rated"},
		{"after the window", with(func(a *Attempt) { a.Now = concluded.Add(7*24*time.Hour + time.Second) }), apperr.Conflict, "rating.window_closed"},
		{"follow-up", with(func(a *Attempt) { a.Kind, a.First, a.Now = KindFollowUp, &first, first.Add(time.Hour) }), "", ""},
		{"follow-up without a first", with(func(a *Attempt) { a.Kind = KindFollowUp }), apperr.Conflict, "rating.follow_up_first"},
		{"a second follow-up", with(func(a *Attempt) { a.Kind, a.First, a.FollowedUp = KindFollowUp, &first, true }), apperr.Conflict, "rating.follow_up_twice"},
		{"follow-up after its window", with(func(a *Attempt) { a.Kind, a.First, a.Now = KindFollowUp, &first, first.Add(8*24*time.Hour) }), apperr.Conflict, "rating.window_closed"},
		{"unknown kind", with(func(a *Attempt) { a.Kind = "third" }), apperr.Invalid, "rating.kind_unknown"},
		{"level 0", with(func(a *Attempt) { a.Level = 0 }), apperr.Invalid, "rating.level_invalid"},
		{"level 6", with(func(a *Attempt) { a.Level = 6 }), apperr.Invalid, "rating.level_invalid"},
		{"unknown channel", with(func(a *Attempt) { a.Channel = "fax" }), apperr.Invalid, "rating.channel_unknown"},
		{"unknown indicator", with(func(a *Attempt) { a.Level, a.Indicators = Dissatisfied, []string{"online.overdue", "nope"} }), apperr.Invalid, "rating.indicator_unknown"},
		{"dissatisfied without indicator", with(func(a *Attempt) { a.Level = Dissatisfied }), apperr.Invalid, "rating.indicator_required"},
		{"very dissatisfied without indicator", with(func(a *Attempt) { a.Level = VeryDissatisfied }), apperr.Invalid, "rating.indicator_required"},
		{"basic needs none", with(func(a *Attempt) { a.Level = Basic }), "", ""},
		{"indicator on a good rating", with(func(a *Attempt) { a.Indicators = []string{"online.overdue"} }), apperr.Invalid, "rating.indicator_on_good"},
		{"comment too long", with(func(a *Attempt) { a.Comment = strings.Repeat("好", MaxComment+1) }), apperr.Invalid, "rating.comment_too_long"},
		{"comment at the bound", with(func(a *Attempt) { a.Comment = strings.Repeat("好", MaxComment) }), "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.a)
			if c.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || err.Code != c.code || err.Key != c.key {
				t.Fatalf("got %v, want %s %s", err, c.code, c.key)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	for _, c := range []struct {
		l         Level
		bad, good bool
		key       string
	}{{5, false, true, "rating.level.5"}, {4, false, true, "rating.level.4"}, {3, false, true, "rating.level.3"},
		{2, true, false, "rating.level.2"}, {1, true, false, "rating.level.1"}} {
		if c.l.Bad() != c.bad || c.l.Good() != c.good || c.l.Key() != c.key {
			t.Errorf("level %d: bad %v good %v key %s", c.l, c.l.Bad(), c.l.Good(), c.l.Key())
		}
	}
	if Direction != "high_is_good" || Levels[0] != VerySatisfied {
		t.Fatal("5 is the best level, listed first")
	}
}

func TestIndicatorSet(t *testing.T) {
	if Indicators.Version != "GB/T 39734-2020" {
		t.Fatalf("version %q", Indicators.Version)
	}
	seen := map[string]bool{}
	scenes := map[string]int{}
	for _, i := range Indicators.Indicators {
		if seen[i.Code] || i.Name == "" || i.NameEN == "" || i.Group == "" || !strings.HasPrefix(i.Code, i.Scene+".") {
			t.Errorf("indicator %+v", i)
		}
		seen[i.Code] = true
		scenes[i.Scene]++
	}
	for _, want := range []string{"online.overdue", "online.extra_conditions", "online.extra_materials", "onsite.attitude", "onsite.overdue"} {
		if !seen[want] {
			t.Errorf("%s missing", want)
		}
	}
	if scenes["online"] == 0 || scenes["onsite"] == 0 || len(scenes) != 2 {
		t.Errorf("scenes %v", scenes)
	}
}

func TestStep(t *testing.T) {
	for _, c := range []struct {
		state, action, by, to, key string
	}{
		{Pending, "start", ByDepartment, Verifying, ""},
		{Pending, "verify", ByDepartment, Rectifying, ""},
		{Verifying, "verify", ByDepartment, Rectifying, ""},
		{Verifying, "appeal", ByDepartment, Appealed, ""},
		{Appealed, "uphold", BySupervisor, Closed, ""},
		{Appealed, "reject", BySupervisor, Rectifying, ""},
		{Appealed, "uphold", ByDepartment, "", "rating_order.not_yours"}, // a department never decides its own appeal
		{Rectifying, "rectify", ByDepartment, Rectified, ""},
		{Rectified, "revisit", ByRater, Revisited, ""},
		{Rectified, "revisit", ByDepartment, Revisited, ""}, // a phone 回访 recorded by staff
		{Revisited, "close", ByDepartment, Closed, ""},
		{Pending, "rectify", ByDepartment, "", "rating_order.wrong_state"},
		{Closed, "verify", ByDepartment, "", "rating_order.wrong_state"},
		{Rectifying, "rectify", ByRater, "", "rating_order.not_yours"},
		{Pending, "erase", ByDepartment, "", "rating_order.action_unknown"},
	} {
		to, err := Step(c.state, c.action, c.by)
		if c.key == "" && (err != nil || to != c.to) || c.key != "" && (err == nil || err.Key != c.key) {
			t.Errorf("%s %s by %s: %q %v", c.state, c.action, c.by, to, err)
		}
	}
	if got := Available(Rectified, ByRater); len(got) != 1 || got[0] != "revisit" {
		t.Errorf("rater in rectified: %v", got)
	}
	if got := Available(Appealed, ByDepartment); len(got) != 0 {
		t.Errorf("department in appealed: %v", got)
	}
}

func TestNormalise(t *testing.T) {
	if Normalise("  服务  很好 。") != Normalise("服务 很好！") {
		t.Fatal("the same text differs")
	}
	if textHash("好") != "" || textHash("窗口服务态度非常差") == "" {
		t.Fatal("short texts are not bursts")
	}
}
