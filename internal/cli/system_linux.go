package cli

import (
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// diskSpace answers the bytes free to an unprivileged user and the size of
// the file system holding dir.
func diskSpace(dir string) (free, total uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// terminal answers the file behind r when it is a terminal.
func terminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return nil, false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return f, err == nil
}

// noEcho turns the terminal's echo off until the returned func restores it
// (a password typed at `tongban setup` is not shown).
func noEcho(f *os.File) func() {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return func() {}
	}
	old := *t
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	if unix.IoctlSetTermios(fd, unix.TCSETS, t) != nil {
		return func() {}
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, &old) }
}

// The kernel's clock state (adjtimex(2)): TIME_ERROR and STA_UNSYNC say
// that no NTP daemon disciplines the clock.
const (
	timeError = 5
	staUnsync = 0x0040
)

// clockSync reads, without changing anything, whether the kernel's clock
// is synchronised and its estimated maximum error.
func clockSync() (synced bool, maxError time.Duration, err error) {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false, 0, err
	}
	return state != timeError && tx.Status&staUnsync == 0, time.Duration(tx.Maxerror) * time.Microsecond, nil
}
