package catalog

// Situations is an item's situational guidance (情景式引导, R1.3): questions
// whose answers select the materials and conditions that apply to this
// applicant. A material or condition that no rule names always applies; one
// that rules name applies only when one of those rules matches.
type Situations struct {
	Questions []Question `json:"questions"`
	Rules     []Rule     `json:"rules"`
}

// Question is one single-choice question.
type Question struct {
	Key     string   `json:"key"`
	Text    string   `json:"text"`
	TextEN  string   `json:"text_en,omitempty"`
	Options []Option `json:"options"`
}

// Rule selects materials and conditions when every answer in When matches.
type Rule struct {
	When       map[string]string `json:"when"`
	Materials  []string          `json:"materials,omitempty"`
	Conditions []string          `json:"conditions,omitempty"`
}

// Applied is a material or condition with whether it applies for certain
// (Definite) or only possibly, because questions deciding it are unanswered.
type Applied[T any] struct {
	Of       T
	Definite bool
}

// Selection is what applies to an applicant given their answers.
type Selection struct {
	Materials  []Applied[Material]
	Conditions []Applied[Condition]
	Complete   bool // every question answered: the lists are exact
}

// Select evaluates the situations for answers (question key → option
// value). Unknown keys and values in answers are ignored.
func (it *Item) Select(answers map[string]string) Selection {
	var s Selection
	named := map[string]bool{}      // "m:key" / "c:key" named by some rule
	state := map[string]ruleMatch{} // best match per named thing
	s.Complete = true
	if it.Situations != nil {
		for _, q := range it.Situations.Questions {
			if v, ok := answers[q.Key]; !ok || !hasOption(q.Options, v) {
				s.Complete = false
			}
		}
		for _, r := range it.Situations.Rules {
			m := r.match(answers, it.Situations.Questions)
			for _, k := range r.Materials {
				named["m:"+k] = true
				state["m:"+k] = max(state["m:"+k], m)
			}
			for _, k := range r.Conditions {
				named["c:"+k] = true
				state["c:"+k] = max(state["c:"+k], m)
			}
		}
	}
	for _, c := range it.Conditions {
		if a, ok := applies(named, state, "c:"+c.Key); ok {
			s.Conditions = append(s.Conditions, Applied[Condition]{c, a})
		}
	}
	for _, m := range it.Materials {
		if a, ok := applies(named, state, "m:"+m.Key); ok {
			s.Materials = append(s.Materials, Applied[Material]{m, a})
		}
	}
	return s
}

type ruleMatch int

const (
	ruleFails    ruleMatch = iota // an answer contradicts the rule
	rulePossible                  // no contradiction, some question unanswered
	ruleMatches                   // every condition answered and equal
)

func (r Rule) match(answers map[string]string, qs []Question) ruleMatch {
	m := ruleMatches
	for q, want := range r.When {
		got, ok := answers[q]
		if ok && !validAnswer(qs, q, got) {
			ok = false
		}
		switch {
		case !ok:
			m = min(m, rulePossible)
		case got != want:
			return ruleFails
		}
	}
	return m
}

func validAnswer(qs []Question, key, v string) bool {
	for _, q := range qs {
		if q.Key == key {
			return hasOption(q.Options, v)
		}
	}
	return false
}

// applies says whether a thing is listed, and if so whether for certain.
func applies(named map[string]bool, state map[string]ruleMatch, k string) (definite, listed bool) {
	if !named[k] {
		return true, true
	}
	switch state[k] {
	case ruleMatches:
		return true, true
	case rulePossible:
		return false, true
	}
	return false, false
}
