//go:build unix

package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockSpool takes an exclusive, non-blocking lock on dir/LOCK, held until
// the returned file is closed (or the process dies: the kernel drops it).
// A second archiver on the same spool would seal, upload and delete the
// first one's segments and journal under it.
func lockSpool(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("archive: spool lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (another hotelrates process, e.g. a running serve, uses it; give this one its own spool directory)", ErrSpoolInUse, dir)
		}
		return nil, fmt.Errorf("archive: spool lock %s: %w", path, err)
	}
	return f, nil
}
