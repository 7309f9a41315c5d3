package edge

import (
	"net/http"
	"time"
)

// The server's timeouts (server.App.Serve) bound every request: a client
// that sends its headers slowly, trickles a body or never reads the answer
// holds a connection for at most these. They are set for questions and
// answers of a few kilobytes (issue 14: no request makes the server wait
// without limit).
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
)

// TransferTimeout is how long a request that moves a file may take: an
// upload of a 20 MiB scan or the download of a material, a report or the
// catalog from a township office's slow line (20 MiB at 512 kbit/s is about
// five minutes).
const TransferTimeout = 10 * time.Minute

// Transfer extends the read and write deadlines of r's connection to
// TransferTimeout from now. Handlers that receive or send files call it
// before they read the body or write the file; the server's short timeouts
// stay for everything else. A writer that cannot set deadlines (a test
// recorder) is left as it is.
func Transfer(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	at := time.Now().Add(TransferTimeout)
	_ = rc.SetReadDeadline(at)
	_ = rc.SetWriteDeadline(at)
}
