package supervise

import (
	"strings"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// ThresholdRow is one configured set of thresholds: for a region (the code
// and every division under it; "" everywhere) and an item type (事项类型
// code; "" any type).
type ThresholdRow struct {
	Region   string `json:"region_code"`
	ItemType string `json:"item_type"`
	Thresholds
}

// Config is what the scanner decides by: thresholds and escalation rules,
// read once per pass.
type Config struct {
	Thresholds []ThresholdRow
	Rules      []Rule
}

// For picks the thresholds of a case: the row of the longest region that
// contains the case's region, preferring a row for its item type; the
// defaults when no row applies.
func (c *Config) For(region, itemType string) Thresholds {
	best, bestScore := DefaultThresholds, -1
	for _, r := range c.Thresholds {
		if r.ItemType != "" && r.ItemType != itemType {
			continue
		}
		if r.Region != "" && !strings.HasPrefix(region, codes.DivisionPrefix(r.Region)) {
			continue
		}
		score := 2 * len(codes.DivisionPrefix(r.Region))
		if r.ItemType != "" {
			score++
		}
		if score > bestScore {
			best, bestScore = r.Thresholds, score
		}
	}
	return best
}

// maxWarn is the widest warning any configured thresholds give.
func (c *Config) maxWarn() int {
	w := DefaultThresholds.Warn
	for _, r := range c.Thresholds {
		w = max(w, r.Warn)
	}
	return w
}

// Action is what an escalation rule does.
type Action string

const (
	ActRemind   Action = "remind"        // notify the staff responsible now (the assignee, else the holders)
	ActEscalate Action = "escalate"      // notify the holders of a role (the approver, the supervisor)
	ActUrge     Action = "urge"          // 督办 in the platform's name
	ActDeem     Action = "deem_accepted" // 行政许可法 Art. 32: taken as accepted on receipt
	// ActTerminate ends a 容缺 case whose owed materials are late (终止办理),
	// in the platform's name: the tolerance clock's one action.
	ActTerminate Action = "terminate"
)

// Rule is an escalation rule: when a clock of a case (in State, or in any
// state) reaches Level, do Action (for Role when escalating).
type Rule struct {
	ID     string `json:"id"`
	Region string `json:"region_code"`
	Clock  Clock  `json:"clock"`
	State  string `json:"state"`
	Level  Level  `json:"-"`
	Action Action `json:"action"`
	Role   string `json:"role"`
}

// matches says whether the rule applies to a clock of a case in state and
// region that reached level.
func (r *Rule) matches(clock Clock, state, region string, level Level) bool {
	return r.Clock == clock && r.Level == level && (r.State == "" || r.State == state) &&
		(r.Region == "" || strings.HasPrefix(region, codes.DivisionPrefix(r.Region)))
}

// LoadConfig reads the thresholds and the enabled rules.
func LoadConfig(tx *db.Tx) (*Config, error) {
	cfg := &Config{}
	rows, err := tx.Query(`SELECT region_code, item_type, warn_days, yellow_days, red_days FROM signal_thresholds`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r ThresholdRow
		if err := rows.Scan(&r.Region, &r.ItemType, &r.Warn, &r.Yellow, &r.Red); err != nil {
			rows.Close()
			return nil, err
		}
		cfg.Thresholds = append(cfg.Thresholds, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(`SELECT id, region_code, clock, state, level, action, role FROM escalation_rules WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Rule
		var level string
		if err := rows.Scan(&r.ID, &r.Region, &r.Clock, &r.State, &level, &r.Action, &r.Role); err != nil {
			return nil, err
		}
		r.Level, _ = ParseLevel(level)
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg, rows.Err()
}
