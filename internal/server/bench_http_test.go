package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

// httpBench is the whole server (the demo's data, the production case
// engine with its buffered staff reads) on a database, beside a minimal
// net/http server on the same database handle (same driver, same
// settings): the raw anchors of BenchmarkHTTP.
type httpBench struct {
	api, raw string // base URLs
	sync     string // the API of a second server whose staff reads are each written at once (as before issue 20)
	clerk    string // the clerk's API token
	caseNo   string // a case the clerk reads
	intake   string // a window filing's body
}

func newHTTPBench(b *testing.B, dbName string) *httpBench {
	b.Helper()
	ctx := context.Background()
	var d *db.DB
	if dbName == "postgres" {
		d = dbtest.Postgres(b)
	} else {
		d = dbtest.SQLite(b)
	}
	v, err := vault.New(vault.NewKey())
	if err != nil {
		b.Fatal(err)
	}
	ids := identity.NewService(d, v)
	if err := demo.Seed(ctx, d, ids); err != nil {
		b.Fatal(err)
	}
	cals, err := LoadCalendars(nil)
	if err != nil {
		b.Fatal(err)
	}
	cals.WeekdayFallback = true // whatever year the machine's clock says
	cat := catalog.New(d)
	cs, err := cases.New(d, cat, ids, cals, blob.Dir{Root: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	cs.Reads = &audit.Buffer{DB: d} // as App does
	b.Cleanup(func() { cs.Reads.Close(context.Background()) })
	h, _, err := Handler(Options{DB: d, Identity: ids, Calendars: cals, Region: demo.Region, Cases: cs, Catalog: cat})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)

	// The anchors: a read of one case row in a read transaction, encoded as
	// JSON; one row inserted in a write transaction from a JSON body.
	if err := d.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`CREATE TABLE bench_http (id TEXT PRIMARY KEY, at TIMESTAMP NOT NULL, body TEXT NOT NULL)`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cases/{no}", func(w http.ResponseWriter, r *http.Request) {
		var row struct {
			ID, No, State, Status, Item, Name, Region, Applicant, Masked, Channel, Form string
			At                                                                          time.Time
		}
		err := d.View(r.Context(), func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT id, case_no, state, status, impl_code, item_name, region_code, applicant_name, applicant_masked,
				channel, form_values, created_at FROM cases WHERE case_no = $1`, r.PathValue("no")).
				Scan(&row.ID, &row.No, &row.State, &row.Status, &row.Item, &row.Name, &row.Region, &row.Applicant, &row.Masked,
					&row.Channel, &row.Form, &row.At)
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"case": row})
	})
	mux.HandleFunc("POST /cases", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		raw, _ := json.Marshal(body)
		id := db.NewID()
		if err := d.Update(r.Context(), func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO bench_http (id, at, body) VALUES ($1, $2, $3)`, id, tx.Now, string(raw))
			return err
		}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": id})
	})
	raw := httptest.NewServer(mux)
	b.Cleanup(raw.Close)
	// The same server but for its staff reads, each written in a
	// transaction of its own before the read answers.
	cs2, err := cases.New(d, cat, ids, cals, blob.Dir{Root: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	h2, _, err := Handler(Options{DB: d, Identity: ids, Calendars: cals, Region: demo.Region, Cases: cs2, Catalog: cat})
	if err != nil {
		b.Fatal(err)
	}
	srv2 := httptest.NewServer(h2)
	b.Cleanup(srv2.Close)

	hb := &httpBench{api: srv.URL + "/api/v1", raw: raw.URL, sync: srv2.URL + "/api/v1"}
	var m map[string]any
	if st := benchCall(b, http.DefaultClient, "POST", hb.api+"/auth/login", "", `{"username":"clerk","password":"`+identity.DemoPassword+`"}`, &m); st != 200 {
		b.Fatalf("login: %d %v", st, m)
	}
	hb.clerk = m["token"].(string)
	if st := benchCall(b, http.DefaultClient, "GET", hb.api+"/items?q=%E4%B8%AA%E4%BD%93%E5%B7%A5%E5%95%86%E6%88%B7%E8%AE%BE%E7%AB%8B", "", "", &m); st != 200 {
		b.Fatalf("search: %d %v", st, m)
	}
	code := m["items"].([]any)[0].(map[string]any)["impl_code"].(string)
	// 个体工商户设立登记 filed at the window for a registered applicant (the
	// lifecycle benchmark's filing).
	hb.intake = `{"item_code":"` + code + `","submit":true,"applicant":"500102198506120011","answers":{"premises":"rented"},
		"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],
		"form_of":["person"],"scope":["小吃"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"],"business_name":["张三小吃店"]}}`
	if st := benchCall(b, http.DefaultClient, "POST", hb.api+"/cases", hb.clerk, hb.intake, &m); st != 201 {
		b.Fatalf("intake: %d %v", st, m)
	}
	hb.caseNo = m["case"].(map[string]any)["case_no"].(string)
	return hb
}

// benchCall makes one request and decodes the answer into out (nil: read
// and dropped); it answers the status.
func benchCall(b testing.TB, c *http.Client, method, u, token, body string, out *map[string]any) int {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	defer r.Body.Close()
	if out == nil {
		io.Copy(io.Discard, r.Body)
		return r.StatusCode
	}
	*out = nil
	if err := json.NewDecoder(r.Body).Decode(out); err != nil {
		b.Errorf("%s %s: %v", method, u, err)
	}
	return r.StatusCode
}

// side is one of a pair: a request to make, and its expected status.
type side struct {
	method, url, token, body string
	status                   int
}

// drive makes n requests of s from conns clients at once (each waits for
// its answer before its next request), over conns kept-alive connections;
// it adds the wall time and each request's latency.
func drive(b *testing.B, s side, n, conns int, wall, cpu *time.Duration, lat *[]time.Duration) {
	tr := &http.Transport{MaxConnsPerHost: conns, MaxIdleConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), cpuTime()
	for range conns {
		wg.Go(func() {
			var mine []time.Duration
			for next.Add(1) <= int64(n) && !b.Failed() {
				t0 := time.Now()
				if st := benchCall(b, c, s.method, s.url, s.token, s.body, nil); st != s.status {
					b.Errorf("%s %s: %d, want %d", s.method, s.url, st, s.status)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			*lat = append(*lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	*wall += time.Since(start)
	*cpu += cpuTime() - cpu0
}

// cpuTime is the CPU time the process has used (user and system): server
// and client together, each side's own; unlike the wall clock, a
// neighbour's load on the machine does not inflate it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func p99(lat []time.Duration) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[len(lat)*99/100].Microseconds()) / 1000
}

// BenchmarkHTTP measures, in one run, pairs of HTTP answers over loopback
// TCP with 16 and 64 clients (issue 20, item 4):
//
//   - read: GET /api/v1/cases/{no} as the clerk (a staff read: session,
//     scope, the case with its details, the read's audit record) against a
//     minimal net/http handler reading the case's row in a read transaction
//     and answering it as JSON;
//   - read-unbuffered: the same read from a server that writes each staff
//     read's record in a transaction of its own before answering (before
//     issue 20), against the same anchor;
//   - intake: POST /api/v1/cases, a window filing, against a minimal handler
//     decoding the same body and inserting one row in a write transaction.
//
// Both sides use the same database handle. Each of b.N requests per side is
// made in four alternating rounds (ours, the anchor's, …), so that a
// neighbour's load falls on both. Reported: each side's requests per second
// and p99 latency, ratio = ours / the anchor's, and CPU time per request
// (cpu-ratio = the anchor's / ours: the throughput ratio a CPU-bound
// server would have). The client runs in the
// same process (both sides pay for it). Use fixed counts, e.g.
//
//	go test ./internal/server/ -run '^$' -bench HTTP -benchtime 2000x
//
// (intake files b.N+1 cases of one item per run and connection count: keep
// b.N well under the item's daily numbering, 9,999 before issue 20 item 1).
func BenchmarkHTTP(b *testing.B) {
	was := debug.SetGCPercent(100)
	debug.SetGCPercent(was)
	defer debug.SetGCPercent(was)
	config.TuneGC(os.Getenv) // as the tongban command runs
	for _, dbName := range []string{"sqlite", "postgres"} {
		b.Run(dbName, func(b *testing.B) {
			hb := newHTTPBench(b, dbName)
			pairs := []struct {
				name      string
				ours, raw side
			}{
				{"read", side{"GET", hb.api + "/cases/" + hb.caseNo, hb.clerk, "", 200}, side{"GET", hb.raw + "/cases/" + hb.caseNo, "", "", 200}},
				// Before issue 20: the read's record in a write transaction of its own.
				{"read-unbuffered", side{"GET", hb.sync + "/cases/" + hb.caseNo, hb.clerk, "", 200}, side{"GET", hb.raw + "/cases/" + hb.caseNo, "", "", 200}},
				{"intake", side{"POST", hb.api + "/cases", hb.clerk, hb.intake, 201}, side{"POST", hb.raw + "/cases", "", hb.intake, 201}},
			}
			for _, p := range pairs {
				for _, conns := range []int{16, 64} {
					b.Run(fmt.Sprintf("%s/conns=%d", p.name, conns), func(b *testing.B) {
						const rounds = 4
						var oursWall, rawWall, oursCPU, rawCPU time.Duration
						var oursLat, rawLat []time.Duration
						b.ResetTimer()
						for r := range rounds {
							n := b.N / rounds
							if r < b.N%rounds {
								n++
							}
							drive(b, p.ours, n, conns, &oursWall, &oursCPU, &oursLat)
							drive(b, p.raw, n, conns, &rawWall, &rawCPU, &rawLat)
						}
						b.StopTimer()
						ours := float64(len(oursLat)) / oursWall.Seconds()
						raw := float64(len(rawLat)) / rawWall.Seconds()
						b.ReportMetric(ours, "req/s")
						b.ReportMetric(raw, "anchor-req/s")
						b.ReportMetric(ours/raw, "ratio")
						b.ReportMetric(p99(oursLat), "p99-ms")
						b.ReportMetric(p99(rawLat), "anchor-p99-ms")
						// CPU per request (server and client): the figure a loaded
						// machine disturbs least; cpu-ratio = the anchor's / ours.
						oursUS := float64(oursCPU.Microseconds()) / float64(max(len(oursLat), 1))
						rawUS := float64(rawCPU.Microseconds()) / float64(max(len(rawLat), 1))
						b.ReportMetric(oursUS, "cpu-µs/req")
						b.ReportMetric(rawUS, "anchor-cpu-µs/req")
						b.ReportMetric(rawUS/oursUS, "cpu-ratio")
					})
				}
			}
		})
	}
}
