package mandate

import (
	"context"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Villager is an agent's registration of a villager who has no account:
// name, ID number, the villager's mobile, the mandate's scope and expiry,
// and (second step) the code texted to that mobile.
type Villager struct {
	Name       string   `json:"name"`
	Number     string   `json:"id_number"`
	Phone      string   `json:"phone"`
	AllItems   bool     `json:"all_items"`
	Items      []string `json:"items,omitempty"`
	ValidUntil string   `json:"valid_until"`
	Code       string   `json:"code,omitempty"`
}

// VillagerStart is the answer to the first step: a code sent to the
// villager's mobile (SentTo), or — the number being registered already —
// the ordinary mandate request made instead (Mandate).
type VillagerStart struct {
	SentTo  string   `json:"code_sent_to,omitempty"`
	Mandate *Mandate `json:"mandate,omitempty"`
}

// checkVillager validates everything the registration needs before any
// code is sent.
func (s *Service) checkVillager(tx *db.Tx, v *Villager) (phone, items string, err error) {
	if strings.TrimSpace(v.Name) == "" {
		return "", "", apperr.E(apperr.Invalid, "auth.name_required")
	}
	if _, err := codes.ParseCitizenID(v.Number, tx.Now.In(calendar.China)); err != nil {
		return "", "", err
	}
	if phone, err = codes.ParseMobile(v.Phone); err != nil {
		return "", "", err
	}
	if items, err = checkScope(tx, v.AllItems, v.Items); err != nil {
		return "", "", err
	}
	if _, err := checkUntil(tx.Now, v.ValidUntil); err != nil {
		return "", "", err
	}
	return phone, items, nil
}

// StartVillager is the first step: with the number unregistered, a code
// goes to the villager's mobile saying which agent asks; a registered
// number takes the ordinary request path (named by name and number,
// throttled, the code to the person's own verified number).
func (s *Service) StartVillager(ctx context.Context, agent *identity.User, ip string, v Villager) (*VillagerStart, error) {
	if agent == nil || agentRegion(agent) == "" {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var phone string
	registered := false
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		if phone, _, err = s.checkVillager(tx, &v); err != nil {
			return err
		}
		_, err = s.Identity.ApplicantByNumberTx(tx, v.Number)
		switch {
		case err == nil:
			registered = true
		case apperr.Is(err, apperr.NotFound, ""):
		default:
			return err
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("mandate: villager", err)
	}
	if registered {
		m, err := s.Request(ctx, agent, ip, Request{Name: v.Name, Number: v.Number, AllItems: v.AllItems, Items: v.Items,
			ValidUntil: v.ValidUntil, Method: MethodSMS})
		if err != nil && m == nil {
			return nil, err
		}
		return &VillagerStart{Mandate: m}, err
	}
	sent, err := s.sendCode(ctx, agent, phone, ip)
	if err != nil {
		return nil, err
	}
	return &VillagerStart{SentTo: sent}, nil
}

// RegisterVillager is the second step: the code the villager read out
// proves the mobile and the consent, and one transaction makes the L1
// account with that verified number and the active mandate.
func (s *Service) RegisterVillager(ctx context.Context, agent *identity.User, v Villager) (*Mandate, error) {
	region := ""
	if agent != nil {
		region = agentRegion(agent)
	}
	if region == "" {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var id string
	var phone string
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		phone, _, err = s.checkVillager(tx, &v)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("mandate: villager", err)
	}
	err = s.Identity.UseCode(ctx, phone, identity.CodeMandate, strings.TrimSpace(v.Code), func(tx *db.Tx, phone string) error {
		_, items, err := s.checkVillager(tx, &v)
		if err != nil {
			return err
		}
		expires, err := checkUntil(tx.Now, v.ValidUntil)
		if err != nil {
			return err
		}
		app, err := s.Identity.RegisterByAgentTx(tx, v.Name, v.Number)
		if err != nil {
			return err
		}
		if err := s.Identity.SetAccountPhoneTx(tx, app.UserID, phone); err != nil {
			return err
		}
		id, err = s.insert(tx, agent, app.UserID, region, items, expires, MethodSMS, StateActive, "code", "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, id)
}
