//go:build linux

package s3test

import "syscall"

// sysProcAttr makes the kernel SIGKILL versitygw if the test binary dies
// without running its cleanups (for example on a `go test -timeout` panic),
// so no orphaned server keeps its port.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
