package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A handler that moves a file outlives the server's write timeout; any other
// answer that takes longer than the timeout never reaches the client.
func TestTransferExtendsTheDeadline(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/file" {
			Transfer(w)
		}
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	}))
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()
	for _, c := range []struct {
		path string
		ok   bool
	}{{"/file", true}, {"/answer", false}} {
		res, err := srv.Client().Get(srv.URL + c.path)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		if got := err == nil && string(body) == "done"; got != c.ok {
			t.Errorf("%s: body %q, err %v; want delivered %v", c.path, body, err, c.ok)
		}
	}
}
