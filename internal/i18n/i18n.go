// Package i18n holds the message catalogs (zh-CN, the default, and English)
// and translates message keys at the edge: handlers and the CLI call T with
// the key and arguments an apperr.Error carries.
package i18n

import (
	"embed"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Lang is a supported language tag.
type Lang string

const (
	ZH Lang = "zh-CN" // default: the UI speaks Chinese first
	EN Lang = "en"
)

// Langs lists the supported languages, default first.
var Langs = []Lang{ZH, EN}

//go:embed locales/*.json
var files embed.FS

type catalog struct {
	localizers map[Lang]*goi18n.Localizer
	keys       map[Lang]map[string]bool
}

var load = sync.OnceValue(func() *catalog {
	b := goi18n.NewBundle(language.SimplifiedChinese)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &catalog{localizers: map[Lang]*goi18n.Localizer{}, keys: map[Lang]map[string]bool{}}
	for _, l := range Langs {
		data, err := files.ReadFile("locales/" + string(l) + ".json")
		if err != nil {
			panic("i18n: " + err.Error()) // a build defect, caught by every test
		}
		if _, err := b.ParseMessageFileBytes(data, string(l)+".json"); err != nil {
			panic("i18n: " + string(l) + ": " + err.Error())
		}
		var m map[string]string
		json.Unmarshal(data, &m)
		c.keys[l] = map[string]bool{}
		for k := range m {
			c.keys[l][k] = true
		}
		c.localizers[l] = goi18n.NewLocalizer(b, string(l))
	}
	return c
})

// T translates key into lang, filling {{.name}} placeholders from args. A
// missing key is logged and shown as the key itself, never as an error page.
func T(lang Lang, key string, args map[string]any) string {
	c := load()
	loc, ok := c.localizers[lang]
	if !ok {
		loc = c.localizers[ZH]
	}
	if len(args) > 0 {
		// A nested message (a cause quoted inside another message, e.g. the
		// reason a cell of an import failed) is translated into the same language.
		var nested map[string]any
		for k, v := range args {
			if m, ok := v.(Message); ok {
				if nested == nil {
					nested = make(map[string]any, len(args))
					for k2, v2 := range args {
						nested[k2] = v2
					}
				}
				nested[k] = T(lang, m.MessageKey(), m.MessageArgs())
			}
		}
		if nested != nil {
			args = nested
		}
	}
	s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: args})
	if err != nil {
		slog.Warn("i18n: missing message", "lang", lang, "key", key, "err", err)
		return key
	}
	return s
}

// Message is a translatable value: an argument implementing it is itself
// translated before it fills a template.
type Message interface {
	MessageKey() string
	MessageArgs() map[string]any
}

// Has reports whether key exists in lang's catalog.
func Has(lang Lang, key string) bool { return load().keys[lang][key] }

// Keys lists lang's keys, sorted.
func Keys(lang Lang) []string {
	var ks []string
	for k := range load().keys[lang] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var matcher = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// Parse returns the supported language named by s ("zh", "zh-CN", "en",
// "en-US" …), or ok=false.
func Parse(s string) (Lang, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "zh", "zh-cn", "zh-hans", "zh_cn":
		return ZH, true
	case "en", "en-us", "en-gb", "en_us":
		return EN, true
	}
	return "", false
}

// Negotiate picks the language for a request: an explicit choice first,
// then the Accept-Language header, then zh-CN.
func Negotiate(choice, acceptLanguage string) Lang {
	if l, ok := Parse(choice); ok {
		return l
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf >= language.High && idx == 1 {
				return EN
			}
		}
	}
	return ZH
}
