//go:build unix

package s3test

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on path, blocking until it is free, and
// returns the function that releases it. The kernel drops the lock if the
// process dies, so a crashed build never wedges later ones.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
