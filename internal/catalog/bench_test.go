package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// BenchmarkSearch10k searches a catalog of 10,000 published items with the
// portal's typical queries and reports the p99 latency (target on SQLite:
// under 20 ms; see docs/PERFORMANCE.md). PostgreSQL runs when configured.
func BenchmarkSearch10k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchSearch(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchSearch(b, dbtest.Postgres(b)) })
}

func benchSearch(b *testing.B, d *db.DB) {
	c, admin := seededB(b, d)
	ctx := context.Background()
	ex, err := demo.DemoCatalog()
	if err != nil {
		b.Fatal(err)
	}
	bulk := &catalog.Exchange{Format: catalog.ExchangeFormat}
	for i := 0; len(bulk.Items) < 10000-len(ex.Items); i++ {
		src := *ex.Items[i%len(ex.Items)]
		src.BasicCode = fmt.Sprintf("50%s%05d%03d", src.Type, 20000+i/100, i%100)
		impl, err := codes.NewImplCode(src.Department, src.Level, src.BasicCode)
		if err != nil {
			b.Fatal(err)
		}
		src.ImplCode = impl.Code
		src.Name = fmt.Sprintf("%s（第%d批）", src.Name, i)
		src.Frequency = i % 997
		bulk.Items = append(bulk.Items, &src)
	}
	if _, err := c.Import(ctx, admin, bulk, true, nil); err != nil {
		b.Fatal(err)
	}
	if d.Dialect == db.Postgres {
		// Vacuumed with fresh statistics, as autovacuum leaves a table after a bulk
		// import; otherwise autovacuum runs during the measurement and
		// the planner guesses from stale statistics.
		if _, err := d.Writer().Exec(`VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	queries := []catalog.Query{
		{Q: "营业执照"}, {Q: "食品经营许可"}, {Q: "宅基地 南沱"}, {Q: "社保卡"}, {Q: "500101"},
		{Subject: "legal", Event: "start"}, {Theme: "disability"}, {}, {Q: "登记", Page: 5}, {Q: "不存在的事项"},
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		res, err := c.Search(ctx, queries[i%len(queries)])
		lat = append(lat, time.Since(t0))
		if err != nil || (i%len(queries) == 0 && res.Total == 0) {
			b.Fatal(res.Total, err)
		}
	}
	if testing.Verbose() {
		for _, q := range queries {
			t0 := time.Now()
			for k := 0; k < 20; k++ {
				c.Search(ctx, q)
			}
			b.Logf("%+v: %v", q, time.Since(t0)/20)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
