package archive

import (
	stdgzip "compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"hotelrates"
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
			cpu := processCPU()
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
			reportCPU(b, cpu) // the writer's too: Close waited for it
			b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
		})
	}
}

// reportCPU reports the process's CPU time per op since start
// (processCPU), as cpu-ns/op: all goroutines' (the writer's, the
// collector's), and robust to other work on the machine, unlike ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if start == 0 {
		return // not measured on this platform
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

func newDirSinkB(b *testing.B) *DirSink {
	s, err := NewDirSink(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchExchange returns record i of a realistic stream, as the engine
// hands it to Record: a solo-style availability answer of 8 to 40 offers
// (about 1.5 to 5 KB of JSON), varied as real answers are (hotels, rooms,
// boards, prices, dates, request IDs), so that the encoder escapes what
// it would and gzip sees real redundancy rather than one line repeated.
func benchExchange(r *rand.Rand, i int) hotelrates.Exchange {
	rooms := []string{"Standard Double", "Deluxe King", "Superior Twin", "Junior Suite", "Family Room", "Single Economy", "Executive Suite", "Studio & Kitchenette"}
	boards := []string{"RO", "BB", "HB", "FB", "AI"}
	currencies := []string{"EUR", "USD", "GBP", "CHF"}
	hotel := fmt.Sprintf("H%05d", r.IntN(60000))
	cur := currencies[r.IntN(len(currencies))]
	in := time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	out := in.AddDate(0, 0, 1+r.IntN(14))
	var body strings.Builder
	fmt.Fprintf(&body, `{"hotel_id":%q,"currency":%q,"offers":[`, hotel, cur)
	for o, n := 0, 8+r.IntN(33); o < n; o++ {
		if o > 0 {
			body.WriteByte(',')
		}
		refundable := r.IntN(3) > 0
		fmt.Fprintf(&body, `{"room":%q,"board":%q,"price":"%d.%02d","refundable":%v`,
			rooms[r.IntN(len(rooms))], boards[r.IntN(len(boards))], 40+r.IntN(2000), r.IntN(100), refundable)
		if refundable {
			fmt.Fprintf(&body, `,"cancel_before":%q`, in.Add(-time.Duration(1+r.IntN(72))*time.Hour).Format(time.RFC3339))
		}
		body.WriteByte('}')
	}
	body.WriteString("]}")
	start := t0.Add(time.Duration(i) * 3 * time.Millisecond).Add(time.Duration(r.IntN(1000)) * time.Microsecond)
	return hotelrates.Exchange{
		ID:         fmt.Sprintf("%012x-%s", r.Uint64()>>16, strconv.FormatUint(uint64(i+1), 36)),
		Vendor:     "solo",
		SearchID:   fmt.Sprintf("s-%016x", r.Uint64()),
		Kind:       hotelrates.CallRates,
		Start:      start,
		DurationMS: float64(r.IntN(400_000)) / 1000,
		Method:     "POST",
		URL:        "http://127.0.0.1:9090/solo/v1/availability",
		RequestHeader: map[string][]string{
			"Authorization": {"[REDACTED]"}, "Content-Type": {"application/json"}, "User-Agent": {"hotelrates/1"},
		},
		RequestBody: fmt.Sprintf(`{"hotel_id":%q,"checkin":%q,"checkout":%q,"adults":%d,"rooms":1,"currency":%q}`,
			hotel, in.Format(time.DateOnly), out.Format(time.DateOnly), 1+r.IntN(3), cur),
		Status: 200,
		ResponseHeader: map[string][]string{
			"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(body.Len())},
			"Date": {start.Add(40 * time.Millisecond).Format(http.TimeFormat)},
		},
		ResponseBody: body.String(),
	}
}

// benchExchanges returns n records of benchExchange, always the same ones.
func benchExchanges(n int) []hotelrates.Exchange {
	r := rand.New(rand.NewPCG(1, 2))
	exs := make([]hotelrates.Exchange, n)
	for i := range exs {
		exs[i] = benchExchange(r, i)
	}
	return exs
}

// noSync turns fsync off for a benchmark: what it costs is the disk's
// latency, not the CPU these benchmarks measure.
func noSync(b *testing.B) {
	old := syncFile
	syncFile = func(*os.File) error { return nil }
	b.Cleanup(func() { syncFile = old })
}

// writerArchiver returns an Archiver whose writer is the benchmark itself:
// no goroutines run, so the benchmark may call write and flushAll as
// runWriter does.
func writerArchiver(b *testing.B) *Archiver {
	sp, err := openSpool(b.TempDir(), 1<<40)
	if err != nil {
		b.Fatal(err)
	}
	j, err := openJournal(sp.journal, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.close(); sp.unlock() })
	return &Archiver{
		spool: sp, journal: j, log: testLogger(&testlog.Buffer{}), now: time.Now,
		instance: "bench-0123456789abcdef", segBytes: DefaultSegmentBytes, segAge: DefaultSegmentAge,
		wake: make(chan struct{}, 1), pending: map[string]time.Time{},
	}
}

// BenchmarkBegin is the journal's cost per vendor call: Begin's line
// (encoded and written on the caller's goroutine), and a 64th of the
// batched done lines the writer appends once the records are durable.
func BenchmarkBegin(b *testing.B) {
	a, err := New(Options{SpoolDir: b.TempDir(), Sink: newDirSinkB(b), Instance: "bench", Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close(context.Background())
	exs := benchExchanges(64)
	ids := make([]string, len(exs))
	for i := range exs {
		exs[i] = begun(exs[i])
		ids[i] = exs[i].ID
	}
	b.ReportAllocs()
	cpu := processCPU()
	for i := 0; b.Loop(); i++ {
		a.Begin(exs[i%len(exs)])
		if i%len(exs) == len(exs)-1 {
			a.endJournal(ids...)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkBeginParallel is BenchmarkBegin with beginParallel callers at
// once (the service's vendor calls), on GOMAXPROCS cores: the time a
// begin line holds the journal's mutex shows as contention (ns/op well
// above cpu-ns/op divided by the cores), and a 64th of the done lines is
// each caller's own. fsync is off (noSync): the rotations' fsyncs, under
// the mutex too, would measure the disk.
func BenchmarkBeginParallel(b *testing.B) {
	noSync(b)
	a, err := New(Options{SpoolDir: b.TempDir(), Sink: newDirSinkB(b), Instance: "bench", Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close(context.Background())
	base := benchExchanges(64)
	var callers atomic.Int64
	b.SetParallelism(max(1, beginParallel/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	cpu := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each caller begins its own exchanges: IDs unique across callers.
		c := callers.Add(1)
		exs := make([]hotelrates.Exchange, len(base))
		ids := make([]string, len(base))
		for i := range base {
			exs[i] = begun(base[i])
			exs[i].ID = fmt.Sprint(base[i].ID, "-", c)
			ids[i] = exs[i].ID
		}
		for i := 0; pb.Next(); i++ {
			a.Begin(exs[i%len(exs)])
			if i%len(exs) == len(exs)-1 {
				a.endJournal(ids...)
			}
		}
		a.endJournal(ids...)
	})
	b.StopTimer()
	reportCPU(b, cpu)
}

// beginParallel is how many callers BenchmarkBeginParallel runs at once,
// as many as the service's concurrent vendor calls in its CPU profile.
const beginParallel = 32

// BenchmarkRecordWrite is the writer's cost per record: encoding it into
// its segment's pending bytes, one write per 16 records (a batch taken
// from the queue), and its share of the segment's seal (gzip) every
// DefaultSegmentBytes. With journal=true each record was begun first, as
// the engine does (Begin is counted in the figure too: BenchmarkBegin
// gives its share). fsync is off (noSync).
func BenchmarkRecordWrite(b *testing.B) {
	noSync(b)
	exs := benchExchanges(256)
	var raw int
	for _, ex := range exs {
		raw += len(appendRecord(nil, "", &ex)) + 1
	}
	for _, journal := range []bool{false, true} {
		b.Run(fmt.Sprintf("journal=%v", journal), func(b *testing.B) {
			a := writerArchiver(b)
			open := map[string]*openSeg{}
			seal := func(s *openSeg) {
				if !a.seal(s) {
					b.Fatal("seal failed")
				}
			}
			var seq uint64
			b.SetBytes(int64(raw / len(exs)))
			b.ReportAllocs()
			cpu := processCPU()
			for i := 0; b.Loop(); i++ {
				ex := exs[i%len(exs)]
				if journal {
					a.Begin(begun(ex))
				}
				seq = a.write(open, ex, seq, seal)
				if i%16 == 15 {
					a.flushAll(open, seal)
				}
			}
			a.flushAll(open, seal)
			reportCPU(b, cpu)
			if a.lost.Load() != 0 || a.dropped.Load() != 0 {
				b.Fatalf("lost %d, dropped %d", a.lost.Load(), a.dropped.Load())
			}
		})
	}
}

// benchSegment returns about size bytes of segment text: whole records of
// benchExchanges, one per line.
func benchSegment(size int) []byte {
	exs := benchExchanges(512)
	var raw []byte
	for i := 0; len(raw) < size; i++ {
		ex := exs[i%len(exs)]
		ex.Start = t0.Add(time.Duration(i) * time.Millisecond)
		raw = appendRecord(raw, "", &ex)
		raw = append(raw, '\n')
	}
	return raw
}

// BenchmarkSeal is closing a full segment (DefaultSegmentBytes of records)
// into the ready directory: reading it, gzip, the rename. "writer" is the
// writer's seal (first record's time known); "recovery" is the start's,
// of a segment a crash left with a torn last line (cut off) and its first
// time read from the file. fsync is off (noSync). gz/raw is the
// compressed size over the segment's.
func BenchmarkSeal(b *testing.B) {
	noSync(b)
	raw := benchSegment(DefaultSegmentBytes)
	for _, mode := range []string{"writer", "recovery"} {
		b.Run(mode, func(b *testing.B) {
			sp, err := openSpool(b.TempDir(), 1<<40)
			if err != nil {
				b.Fatal(err)
			}
			defer sp.unlock()
			key := segmentKey("", "solo", "bench-0123456789abcdef", t0, 1)
			path := sp.openPath(key)
			data, first := raw, t0
			if mode == "recovery" {
				data, first = append(raw[:len(raw):len(raw)], `{"id":"torn","vendor":"so`...), time.Time{}
			}
			var size int64
			sealOne := func() {
				torn, err := sp.sealFile(path, key, first, func(n int64) { size = n })
				if err != nil || (torn == 1) != (mode == "recovery") {
					b.Fatal(torn, err)
				}
			}
			// A first seal makes the spool's gzip writer, as the archiver's
			// first does: the figures are of the seals after it.
			if err := os.WriteFile(path, data, 0o600); err != nil {
				b.Fatal(err)
			}
			sealOne()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := os.WriteFile(path, data, 0o600); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				c := processCPU()
				sealOne()
				cpu += processCPU() - c
			}
			if cpu > 0 {
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			}
			b.ReportMetric(float64(size)/float64(len(raw)), "gz/raw")
		})
	}
}

// BenchmarkGzipLevel compresses a segment of realistic records at gzip's
// levels, with the standard library (lib=std) and with the package the
// seal uses (lib=klauspost), for the choice of sealLevel: MB/s is CPU per
// byte sealed, gz/raw the size of what is stored and uploaded.
func BenchmarkGzipLevel(b *testing.B) {
	raw := benchSegment(DefaultSegmentBytes)
	libs := []struct {
		name string
		new  func(io.Writer, int) (io.WriteCloser, func(io.Writer), error)
	}{
		{"std", func(w io.Writer, level int) (io.WriteCloser, func(io.Writer), error) {
			zw, err := stdgzip.NewWriterLevel(w, level)
			if err != nil {
				return nil, nil, err
			}
			return zw, zw.Reset, nil
		}},
		{"klauspost", func(w io.Writer, level int) (io.WriteCloser, func(io.Writer), error) {
			zw, err := gzip.NewWriterLevel(w, level)
			if err != nil {
				return nil, nil, err
			}
			return zw, zw.Reset, nil
		}},
	}
	for _, lib := range libs {
		for _, level := range []int{gzip.BestSpeed, 2, 3, 4, 5, gzip.DefaultCompression, gzip.BestCompression} {
			b.Run(fmt.Sprintf("lib=%s/level=%d", lib.name, level), func(b *testing.B) {
				var out countWriter
				zw, reset, err := lib.new(&out, level)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					out = 0
					reset(&out)
					for rest := raw; len(rest) > 0; {
						n := min(len(rest), 256<<10)
						zw.Write(rest[:n])
						rest = rest[n:]
					}
					zw.Close()
				}
				reportCPU(b, cpu)
				b.ReportMetric(float64(out)/float64(len(raw)), "gz/raw")
			})
		}
	}
}

// countWriter counts what is written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// BenchmarkEncodeRecord is the writer's encoding of a record alone:
// from=scratch encodes every field, from=begin copies the request's
// fields from the exchange's journal begin line, as the writer does when
// the exchange was begun (the header is encoded again: see
// encodedRequest). answer=KB records are benchExchange's, answer=small
// ones answer in under 100 bytes (exchange's): the request is a larger
// part of those.
func BenchmarkEncodeRecord(b *testing.B) {
	for _, answer := range []string{"KB", "small"} {
		exs := benchExchanges(256)
		if answer == "small" {
			for i := range exs {
				exs[i] = withID(exchange("solo", i, t0), exs[i].ID)
			}
		}
		froms := make([]*encodedRequest, len(exs))
		for i := range exs {
			froms[i] = begunFrom(begun(exs[i]))
		}
		for _, reuse := range []bool{false, true} {
			from := "scratch"
			if reuse {
				from = "begin"
			}
			b.Run("answer="+answer+"/from="+from, func(b *testing.B) {
				var line []byte
				b.ReportAllocs()
				cpu := processCPU()
				for i := 0; b.Loop(); i++ {
					var from *encodedRequest
					if reuse {
						from = froms[i%len(exs)]
					}
					line, _ = encodeRecord(line[:0], "", &exs[i%len(exs)], from)
				}
				reportCPU(b, cpu)
			})
		}
	}
}
