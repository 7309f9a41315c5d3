package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/workflow"
)

// faults collects every fault of an item, each under its field path
// ("materials[2].name"), so that an editor or an import can show them all.
type faults struct {
	prefix string
	list   []*apperr.Error
}

// MaxFrequency bounds an item's yearly number of cases (年办件量).
const MaxFrequency = 100_000_000

func (f *faults) add(path string, reason error) {
	f.list = append(f.list, apperr.E(apperr.Invalid, "catalog.at", "field", f.prefix+path, "reason", apperr.As(reason)))
}

func (f *faults) at(path string) func(string, error) {
	return func(sub string, reason error) { f.add(path+"."+sub, reason) }
}

func (f *faults) err() error {
	if len(f.list) == 0 {
		return nil
	}
	return apperr.E(apperr.Invalid, "catalog.item_invalid", "count", len(f.list), "first", f.list[0]).WithDetails(f.list)
}

// Validate checks an item version against the code sets and rules; it does
// no I/O (the department's existence is checked where the item is stored).
// The error lists every fault.
func Validate(it *Item) error {
	f := &faults{}
	it.checkInto(f)
	return f.err()
}

func (it *Item) checkInto(f *faults) {
	it.Canon()
	req := func(path, v string) {
		if strings.TrimSpace(v) == "" {
			f.add(path, apperr.E(apperr.Invalid, "catalog.required"))
		}
	}
	req("name", it.Name)
	basic, err := codes.ParseBasicCode(it.BasicCode)
	if err != nil {
		f.add("basic_code", err)
	}
	if !knownString(ItemTypes, it.Type) {
		f.add("type", codeSet(it.Type))
	} else if err == nil && basic.Type != it.Type {
		f.add("basic_code", apperr.E(apperr.Invalid, "catalog.basic_code_type", "got", basic.Type, "want", it.Type))
	}
	if !knownInt(Levels, it.Level) {
		f.add("level", codeSet(it.Level))
	}
	if !knownInt(AgencyNatures, it.AgencyNature) {
		f.add("agency_nature", codeSet(it.AgencyNature))
	}
	if _, err := codes.ParseCreditCode(it.Department); err != nil {
		f.add("department", err)
	}
	impl, err := codes.ParseImplCode(it.ImplCode)
	switch {
	case err != nil:
		f.add("impl_code", err)
	case impl.Agency.Code != it.Department:
		f.add("impl_code", apperr.E(apperr.Invalid, "catalog.impl_code_agency", "got", impl.Agency.Code, "want", it.Department))
	case impl.Level != it.Level:
		f.add("impl_code", apperr.E(apperr.Invalid, "catalog.impl_code_level", "got", impl.Level, "want", it.Level))
	case impl.Basic.Code != it.BasicCode:
		f.add("impl_code", apperr.E(apperr.Invalid, "catalog.impl_code_basic", "got", impl.Basic.Code, "want", it.BasicCode))
	}
	if _, err := codes.ParseDivision(it.Region); err != nil {
		f.add("region", err)
	}
	if len(it.Objects) == 0 {
		f.add("objects", apperr.E(apperr.Invalid, "catalog.required"))
	}
	if it.SelfService && it.Handling != 1 {
		f.add("self_service", apperr.E(apperr.Invalid, "catalog.self_service_instant"))
	}
	// A kiosk takes no upload: a self-service item's required materials
	// are each supplied by a licence the applicant holds (免提交).
	for i, m := range it.Materials {
		if it.SelfService && m.Required && m.LicenceType == "" {
			f.add(fmt.Sprintf("materials[%d]", i), apperr.E(apperr.Invalid, "catalog.self_service_material", "name", m.Name))
		}
	}
	seenLevel := map[int]bool{}
	for i, l := range it.OfferedLevels {
		// Only a level below the item's own (a larger number) adopts it; a
		// 分级管理 item (7) may be offered to any level.
		switch {
		case l < 1 || l > 6:
			f.add(fmt.Sprintf("offered_levels[%d]", i), codeSet(l))
		case it.Level <= 6 && l <= it.Level:
			f.add(fmt.Sprintf("offered_levels[%d]", i), apperr.E(apperr.Invalid, "catalog.offered_level_below", "value", l, "level", it.Level))
		case seenLevel[l]:
			f.add(fmt.Sprintf("offered_levels[%d]", i), apperr.E(apperr.Invalid, "catalog.key_duplicate", "value", l))
		}
		seenLevel[l] = true
	}
	for i, o := range it.Objects {
		if !knownInt(Objects, o) {
			f.add(fmt.Sprintf("objects[%d]", i), codeSet(o))
		}
	}
	it.checkLimits(f)
	if !knownInt(Handlings, it.Handling) {
		f.add("handling", codeSet(it.Handling))
	}
	if it.Process != "" && !slices.Contains(workflow.ItemProcesses, it.Process) {
		f.add("process", apperr.E(apperr.Invalid, "catalog.process_unknown", "value", it.Process))
	}
	for i, d := range it.Depth {
		if !knownInt(Depths, d) {
			f.add(fmt.Sprintf("depth[%d]", i), codeSet(d))
		}
	}
	if !knownInt(DepthLevels, it.DepthLevel) {
		f.add("depth_level", codeSet(it.DepthLevel))
	}
	if it.Visits < 0 || it.Visits > 9 {
		f.add("visits", apperr.E(apperr.Invalid, "catalog.visits", "value", it.Visits))
	}
	if it.DepthLevel == 4 && it.Visits != 0 {
		// Level Ⅳ means fully online: the applicant never has to come in.
		f.add("visits", apperr.E(apperr.Invalid, "catalog.depth_visits"))
	}
	if len(it.Delivery) == 0 {
		f.add("delivery", apperr.E(apperr.Invalid, "catalog.required"))
	}
	for i, d := range it.Delivery {
		if !knownString(Deliveries, d) {
			f.add(fmt.Sprintf("delivery[%d]", i), codeSet(d))
		}
	}
	if it.Scope != "" && !knownString(Scopes, it.Scope) {
		f.add("scope", codeSet(it.Scope))
	}
	req("consult_phone", it.ConsultPhone)
	req("supervise_phone", it.SupervisePhone)
	req("result.name", it.Result.Name)
	if it.Result.Kind != "" && !knownString(ResultKinds, it.Result.Kind) {
		f.add("result.kind", codeSet(it.Result.Kind))
	}
	if it.Result.LicenceType != "" {
		f.add0("result.licence_type", checkLicenceType(it.Result.LicenceType))
	}
	for i, t := range it.Themes {
		if !knownString(Themes, t) {
			f.add(fmt.Sprintf("themes[%d]", i), codeSet(t))
		}
	}
	for i, e := range it.LifeEvents {
		if !knownString(LifeEvents, e) {
			f.add(fmt.Sprintf("life_events[%d]", i), codeSet(e))
		}
	}
	if it.Frequency < 0 {
		f.add("frequency", apperr.E(apperr.Invalid, "catalog.negative"))
	}
	// A yearly count a county never reaches; beyond it PostgreSQL's 32-bit
	// column refused the publication with a 500.
	if it.Frequency > MaxFrequency {
		f.add("frequency", apperr.E(apperr.Invalid, "catalog.frequency_max", "max", MaxFrequency))
	}
	for i, fee := range it.Fees {
		req(fmt.Sprintf("fees[%d].name", i), fee.Name)
		req(fmt.Sprintf("fees[%d].amount", i), fee.Amount)
	}
	for i, q := range it.FAQ {
		req(fmt.Sprintf("faq[%d].q", i), q.Q)
		req(fmt.Sprintf("faq[%d].a", i), q.A)
	}
	it.checkParts(f)
}

// key checks the key of element p (format, and unique among seen).
func (f *faults) key(p, key string, seen map[string]bool) {
	if !fieldKey.MatchString(key) {
		f.add(p+".key", apperr.E(apperr.Invalid, "catalog.key_format", "value", key))
	} else if seen[key] {
		f.add(p+".key", apperr.E(apperr.Invalid, "catalog.key_duplicate", "value", key))
	}
	seen[key] = true
}

func (f *faults) add0(path string, err error) {
	if err != nil {
		f.add(path, err)
	}
}

func codeSet(v any) error {
	return apperr.E(apperr.Invalid, "catalog.code_set", "value", fmt.Sprint(v))
}

// checkLimits: limits are working days in half-day units (GB/T 39046); a
// promised limit never exceeds the statutory one, and a 即办件 concludes on
// the spot (promised limit 0).
func (it *Item) checkLimits(f *faults) {
	parse := func(path, s string) (calendar.Limit, bool) {
		if strings.HasPrefix(strings.TrimSpace(s), "-") {
			f.add(path, apperr.E(apperr.Invalid, "catalog.limit_negative", "value", s))
			return 0, false
		}
		l, err := calendar.ParseLimit(s)
		if err != nil {
			f.add(path, err)
			return 0, false
		}
		return l, true
	}
	var stat calendar.Limit
	hasStat := false
	if it.StatutoryLimit != "" {
		stat, hasStat = parse("statutory_limit", it.StatutoryLimit)
	}
	prom, ok := parse("promised_limit", it.PromisedLimit)
	if it.PreReviewLimit != "" {
		parse("pre_review_limit", it.PreReviewLimit)
	}
	if !ok {
		return
	}
	if hasStat && prom > stat {
		f.add("promised_limit", apperr.E(apperr.Invalid, "catalog.promised_over_statutory", "promised", prom.String(), "statutory", stat.String()))
	}
	if it.Handling == 1 && prom != 0 {
		f.add("promised_limit", apperr.E(apperr.Invalid, "catalog.instant_limit"))
	}
	if it.Handling == 2 && prom == 0 {
		f.add("promised_limit", apperr.E(apperr.Invalid, "catalog.promised_zero"))
	}
}

// checkParts validates materials, form fields and situations, and that every
// situation rule names questions, options, materials and conditions that exist.
func (it *Item) checkParts(f *faults) {
	mats := map[string]bool{}
	for i, m := range it.Materials {
		p := fmt.Sprintf("materials[%d]", i)
		f.key(p, m.Key, mats)
		if strings.TrimSpace(m.Name) == "" {
			f.add(p+".name", apperr.E(apperr.Invalid, "catalog.required"))
		}
		if m.Source != "" && !knownString(MaterialSources, m.Source) {
			f.add(p+".source", codeSet(m.Source))
		}
		if m.Originals < 0 || m.Copies < 0 {
			f.add(p+".copies", apperr.E(apperr.Invalid, "catalog.negative"))
		}
		if m.LicenceType != "" {
			f.add0(p+".licence_type", checkLicenceType(m.LicenceType))
		}
	}
	conds := map[string]bool{}
	for i, c := range it.Conditions {
		p := fmt.Sprintf("conditions[%d]", i)
		f.key(p, c.Key, conds)
		if strings.TrimSpace(c.Text) == "" {
			f.add(p+".text", apperr.E(apperr.Invalid, "catalog.required"))
		}
	}
	keys := map[string]bool{}
	for i, fd := range it.Form {
		p := fmt.Sprintf("form[%d]", i)
		checkField(fd, f.at(p))
		if keys[fd.Key] {
			f.add(p+".key", apperr.E(apperr.Invalid, "catalog.key_duplicate", "value", fd.Key))
		}
		keys[fd.Key] = true
	}
	if it.Situations == nil {
		return
	}
	qs := map[string]Question{}
	qkeys := map[string]bool{}
	for i, q := range it.Situations.Questions {
		p := fmt.Sprintf("situations.questions[%d]", i)
		f.key(p, q.Key, qkeys)
		qs[q.Key] = q
		if strings.TrimSpace(q.Text) == "" {
			f.add(p+".text", apperr.E(apperr.Invalid, "catalog.required"))
		}
		if len(q.Options) < 2 {
			f.add(p+".options", apperr.E(apperr.Invalid, "catalog.question_options"))
		}
	}
	for i, r := range it.Situations.Rules {
		p := fmt.Sprintf("situations.rules[%d]", i)
		if len(r.When) == 0 {
			f.add(p+".when", apperr.E(apperr.Invalid, "catalog.required"))
		}
		for qk, v := range r.When {
			q, ok := qs[qk]
			switch {
			case !ok:
				f.add(p+".when", apperr.E(apperr.Invalid, "catalog.rule_question", "value", qk))
			case !hasOption(q.Options, v):
				f.add(p+".when", apperr.E(apperr.Invalid, "catalog.rule_option", "question", qk, "value", v))
			}
		}
		for _, m := range r.Materials {
			if !mats[m] {
				f.add(p+".materials", apperr.E(apperr.Invalid, "catalog.rule_material", "value", m))
			}
		}
		for _, c := range r.Conditions {
			if !conds[c] {
				f.add(p+".conditions", apperr.E(apperr.Invalid, "catalog.rule_condition", "value", c))
			}
		}
		if len(r.Materials)+len(r.Conditions) == 0 {
			f.add(p, apperr.E(apperr.Invalid, "catalog.rule_empty"))
		}
	}
}

// checkLicenceType validates a GB/T 36904 licence type code: the defining
// authority's credit code + 3 digits.
func checkLicenceType(s string) error {
	if len(s) != 21 {
		return apperr.E(apperr.Invalid, "codes.licence_id.type_length", "got", len([]rune(s)))
	}
	if _, err := codes.ParseCreditCode(s[:18]); err != nil {
		return apperr.E(apperr.Invalid, "codes.licence_id.type_authority", "code", s[:18])
	}
	for i := 18; i < 21; i++ {
		if s[i] < '0' || s[i] > '9' {
			return apperr.E(apperr.Invalid, "codes.licence_id.type_number", "code", s[18:])
		}
	}
	return nil
}
