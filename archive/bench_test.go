package archive

import (
	"context"
	"fmt"
	"testing"

	"hotelrates/internal/testlog"
)

// BenchmarkRecord is what archiving costs a vendor call: Record alone, or
// Begin (the journal line, on the caller's goroutine) and then Record.
// The writer runs alongside and bounds the rate (Record waits for room in
// its queue); the spool is on the test's temporary disk.
func BenchmarkRecord(b *testing.B) {
	for _, journal := range []bool{false, true} {
		b.Run(fmt.Sprintf("journal=%v", journal), func(b *testing.B) {
			a, err := New(Options{SpoolDir: b.TempDir(), Sink: newDirSinkB(b), Instance: "bench", Logger: testLogger(&testlog.Buffer{})})
			if err != nil {
				b.Fatal(err)
			}
			ex := exchange("solo", 1, t0)
			b.ReportAllocs()
			dropped := 0
			for i := 0; b.Loop(); i++ {
				ex.ID = fmt.Sprint("bench-", i)
				if journal {
					a.Begin(begun(ex))
				}
				if !a.Record(context.Background(), ex) {
					dropped++
				}
			}
			b.StopTimer()
			if err := a.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
		})
	}
}

func newDirSinkB(b *testing.B) *DirSink {
	s, err := NewDirSink(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return s
}
