//go:build unix

package archive

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) the process has used:
// benchmarks report it per op, a figure that, unlike ns/op, holds when
// other work shares the machine's cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
