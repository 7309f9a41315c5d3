package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/deliver"
)

// outboxCollector reads the outbox's figures (deliver.Figures) at each
// scrape: the same over every replica, since they come from the database.
type outboxCollector struct {
	db                                          *db.DB
	depth, oldest, sent, failed, dead, unexpand *prometheus.Desc
}

func newOutboxCollector(d *db.DB) *outboxCollector {
	ch := []string{"channel"}
	return &outboxCollector{db: d,
		depth:    prometheus.NewDesc("tongban_outbox_pending", "Deliveries waiting to be sent, by channel (queue depth).", ch, nil),
		oldest:   prometheus.NewDesc("tongban_outbox_oldest_pending_seconds", "Age of the oldest delivery waiting, by channel.", ch, nil),
		sent:     prometheus.NewDesc("tongban_outbox_sent_total", "Deliveries sent, by channel.", ch, nil),
		failed:   prometheus.NewDesc("tongban_outbox_failed_attempts_total", "Failed delivery attempts, by channel.", ch, nil),
		dead:     prometheus.NewDesc("tongban_outbox_dead", "Dead deliveries awaiting an administrator, by channel.", ch, nil),
		unexpand: prometheus.NewDesc("tongban_outbox_undispatched", "Notifications not yet expanded into deliveries.", nil, nil),
	}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.depth, c.oldest, c.sent, c.failed, c.dead, c.unexpand} {
		ch <- d
	}
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	st, err := deliver.Figures(ctx, c.db)
	if err != nil {
		slog.Warn("metrics: outbox figures", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.unexpand, prometheus.GaugeValue, float64(st.Unexpanded))
	for _, s := range st.Channels {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.Pending), s.Channel)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, s.OldestSec, s.Channel)
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(s.Sent), s.Channel)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(s.Failed), s.Channel)
		ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(s.Dead), s.Channel)
	}
}
