// Package rating is 好差评 (issue 18; 国办发〔2019〕51号, GB/T 39734-2020): the
// applicant rates a concluded case once (一事一评) and may add one 追评; a bad
// rating (不满意, 非常不满意) opens a 差评 work order that the department
// verifies and rectifies on the working-day clock, and the rater is asked
// whether they are satisfied with the fix (回访). The rules are pure (Check);
// the service records in one transaction; the figures never name a rater.
package rating

import (
	_ "embed"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
)

// Level is one of the five levels of GB/T 39734: 5 is the best.
type Level int

const (
	VeryDissatisfied Level = 1 // 非常不满意
	Dissatisfied     Level = 2 // 不满意
	Basic            Level = 3 // 基本满意
	Satisfied        Level = 4 // 满意
	VerySatisfied    Level = 5 // 非常满意
)

// Direction is stored with every rating: integrations disagree whether 1
// is the best level; here 5 is.
const Direction = "high_is_good"

// Levels lists the levels from the best, as forms show them.
var Levels = []Level{VerySatisfied, Satisfied, Basic, Dissatisfied, VeryDissatisfied}

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= VeryDissatisfied && l <= VerySatisfied }

// Bad reports whether l is a 差评 (不满意 or 非常不满意): it needs an
// indicator and opens a work order.
func (l Level) Bad() bool { return l == Dissatisfied || l == VeryDissatisfied }

// Good reports whether l counts as satisfied in 满意度 (基本满意 and better).
func (l Level) Good() bool { return l >= Basic && l.Valid() }

// Key is the message key of the level's name.
func (l Level) Key() string {
	return "rating.level." + map[Level]string{5: "5", 4: "4", 3: "3", 2: "2", 1: "1"}[l]
}

// Channels are GB/T 39046's evaluation channels.
var Channels = []string{"pc", "mobile", "qr", "hall_tablet", "hall_other", "phone", "sms"}

// Kinds of rating: the first (一事一评) and the one follow-up (追评).
const (
	KindFirst    = "first"
	KindFollowUp = "follow_up"
)

// Subject kinds: a case (一事一评) or a hall visit (一次一评, a queue ticket).
const (
	SubjectCase  = "case"
	SubjectVisit = "visit"
)

// MaxComment bounds the free text.
const MaxComment = 500

// Indicator is one selectable indicator of the national set.
type Indicator struct {
	Code    string `json:"code"`
	Scene   string `json:"scene"` // online, onsite
	Group   string `json:"group"` // the first-level indicator
	GroupEN string `json:"group_en"`
	Name    string `json:"name"`
	NameEN  string `json:"name_en"`
}

// IndicatorSet is a version of the national indicator set.
type IndicatorSet struct {
	Version    string      `json:"version"`
	Source     string      `json:"source"`
	Indicators []Indicator `json:"indicators"`
}

//go:embed data/indicators.json
var indicatorsJSON []byte

// Indicators is the indicator set in force (data/indicators.json).
var Indicators = func() *IndicatorSet {
	var s IndicatorSet
	if err := json.Unmarshal(indicatorsJSON, &s); err != nil {
		panic("rating: indicators: " + err.Error())
	}
	return &s
}()

// Has reports whether code is in the set.
func (s *IndicatorSet) Has(code string) bool {
	return slices.ContainsFunc(s.Indicators, func(i Indicator) bool { return i.Code == code })
}

// Rule is a region's rating rule (data, rating_rules): the window, the
// default rating at its end (0: none), and the 差评 limits in working days.
type Rule struct {
	Region       string `json:"region"`
	WindowDays   int    `json:"window_days"`
	DefaultLevel Level  `json:"default_level"`
	VerifyDays   int    `json:"verify_days"`
	RectifyDays  int    `json:"rectify_days"`
}

// DefaultRule applies where no region's rule does.
var DefaultRule = Rule{WindowDays: 7, VerifyDays: 1, RectifyDays: 15}

// Attempt is what Check judges: who rates what, and what is known of it.
type Attempt struct {
	Staff      bool       // the rater is a staff account
	Applicant  bool       // the rater applied (or acts for the applicant)
	Concluded  *time.Time // when the subject concluded; nil while open
	Withdrawn  bool       // the applicant withdrew it: nothing to rate
	First      *time.Time // when the rater's first rating was made
	FollowedUp bool       // a 追评 exists
	Kind       string
	Level      Level
	Indicators []string
	Comment    string
	Channel    string
	Now        time.Time
	Rule       Rule
}

// Check applies the rules to a rating attempt: the first refusal, or nil.
func Check(a Attempt) *apperr.Error {
	switch {
	case a.Staff:
		return apperr.E(apperr.Forbidden, "rating.staff")
	case !a.Applicant:
		return apperr.E(apperr.Forbidden, "rating.not_applicant")
	case a.Withdrawn:
		return apperr.E(apperr.Conflict, "rating.withdrawn")
	case a.Concluded == nil:
		return apperr.E(apperr.Conflict, "rating.not_concluded")
	}
	window := time.Duration(a.Rule.WindowDays) * 24 * time.Hour
	switch a.Kind {
	case KindFirst:
		if a.First != nil {
			return apperr.E(apperr.Conflict, "rating.already_rated")
		}
		if a.Now.After(a.Concluded.Add(window)) {
			return apperr.E(apperr.Conflict, "rating.window_closed", "days", a.Rule.WindowDays)
		}
	case KindFollowUp:
		if a.First == nil {
			return apperr.E(apperr.Conflict, "rating.follow_up_first")
		}
		if a.FollowedUp {
			return apperr.E(apperr.Conflict, "rating.follow_up_twice")
		}
		// 追评 within a window counted from the first rating.
		if a.Now.After(a.First.Add(window)) {
			return apperr.E(apperr.Conflict, "rating.window_closed", "days", a.Rule.WindowDays)
		}
	default:
		return apperr.E(apperr.Invalid, "rating.kind_unknown", "kind", a.Kind)
	}
	if !a.Level.Valid() {
		return apperr.E(apperr.Invalid, "rating.level_invalid")
	}
	if !slices.Contains(Channels, a.Channel) {
		return apperr.E(apperr.Invalid, "rating.channel_unknown", "channel", a.Channel)
	}
	for _, c := range a.Indicators {
		if !Indicators.Has(c) {
			return apperr.E(apperr.Invalid, "rating.indicator_unknown", "code", c)
		}
	}
	if a.Level.Bad() && len(a.Indicators) == 0 {
		return apperr.E(apperr.Invalid, "rating.indicator_required")
	}
	if !a.Level.Bad() && len(a.Indicators) > 0 {
		return apperr.E(apperr.Invalid, "rating.indicator_on_good")
	}
	if utf8.RuneCountInString(a.Comment) > MaxComment {
		return apperr.E(apperr.Invalid, "rating.comment_too_long", "max", MaxComment)
	}
	return nil
}

// Normalise is the comment as bursts compare it: spaces and punctuation at
// either end dropped, inner runs of space made one.
func Normalise(s string) string {
	return strings.Join(strings.Fields(strings.Trim(s, " 。.！!，,？?~")), " ")
}

// BurstRaters is how many raters writing the same text within BurstWindow
// make a burst (flagged for supervisors).
const (
	BurstRaters = 3
	BurstWindow = 24 * time.Hour
)

// MinBurstRunes: shorter texts ("好", "满意") are common and not a burst.
const MinBurstRunes = 6
