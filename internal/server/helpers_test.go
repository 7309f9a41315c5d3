package server

import (
	"testing"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/web"
)

func mustCalendars(t *testing.T) *calendar.Set {
	t.Helper()
	c, err := LoadCalendars(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func webServer(t *testing.T) (*web.Server, error) {
	t.Helper()
	return web.New(web.Deps{Calendars: mustCalendars(t)})
}
