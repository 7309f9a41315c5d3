package vault

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File modes of what holds personal data or keys (GB/T 22239 access
// control; PIPL Art. 51): the service's own account reads and writes them,
// nobody else, whatever the umask. Creating with these modes is not enough —
// a umask only removes bits, but files made by older versions, by hand or by
// a copy may be more open — so they are also tightened when opened.
const (
	FileMode fs.FileMode = 0o600
	DirMode  fs.FileMode = 0o700
)

// PrivateFile tightens an existing file to FileMode when group or others
// have any access; a missing file is no error.
func PrivateFile(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, st.Mode().Perm()&FileMode); err != nil {
			return fmt.Errorf("vault: unable to restrict %s: %w", path, err)
		}
	}
	return nil
}

// PrivateDir creates dir (DirMode) when missing and tightens it to DirMode
// when group or others have any access.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("vault: unable to create %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, DirMode); err != nil {
			return fmt.Errorf("vault: unable to restrict %s: %w", dir, err)
		}
	}
	return nil
}

// PrivateTree is PrivateDir for dir and every directory below it, and
// PrivateFile for every file in them: for the key directories, which hold a
// handful of files. A missing dir is left missing.
func PrivateTree(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case e.IsDir():
			return PrivateDir(p)
		case e.Type().IsRegular():
			return PrivateFile(p)
		}
		return nil
	})
}

// WriteFile writes a new file with FileMode (the mode is applied even if the
// file existed), as os.WriteFile does otherwise.
func WriteFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, FileMode); err != nil {
		return err
	}
	return PrivateFile(path)
}
