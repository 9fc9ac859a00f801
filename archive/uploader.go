package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// runUploader is the uploader goroutine: it puts closed segments to the
// sink, oldest first, deletes each from the spool once the sink confirmed
// it, and backs off exponentially while the sink fails. After Close it
// uploads what is left until the spool is empty or Close's deadline.
func (a *Archiver) runUploader() {
	defer close(a.done)
	wait := retryFirst
	rescan := time.NewTicker(5 * time.Second)
	defer rescan.Stop()
	for {
		closing := false
		select {
		case <-a.written:
			closing = true
		default:
		}
		keys, err := a.spool.readyKeys()
		if err != nil {
			a.errors.Add(1)
			a.log.Error("archive: cannot list the spool", "err", err)
		}
		failed := false
		for _, key := range keys {
			if a.upCtx.Err() != nil {
				return
			}
			if err := a.upload(key); err != nil {
				a.errors.Add(1)
				a.log.Warn("archive: upload failed, will retry", "key", key, "retry_in", wait, "err", err)
				failed = true
				break
			}
			wait = retryFirst
		}
		if closing && !failed {
			// The writer is done and everything it closed is uploaded.
			if rest, _ := a.spool.readyKeys(); len(rest) == 0 {
				return
			}
			continue
		}
		if failed {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-a.upCtx.Done():
				t.Stop()
				return
			}
			wait = min(2*wait, retryMax)
			continue
		}
		written := a.written
		if closing {
			written = nil
		}
		select {
		case <-a.wake:
		case <-rescan.C:
		case <-written:
		case <-a.upCtx.Done():
			return
		}
	}
}

// upload puts one closed segment and removes it from the spool.
func (a *Archiver) upload(key string) error {
	path := a.spool.readyPath(key)
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// The done lines of the segment's records must be durable before the
	// segment can leave the spool, or a crash of the machine would bring
	// their begin lines back, open, and archive them again as interrupted.
	if err := a.journal.sync(); err != nil {
		a.errors.Add(1)
		a.log.Error("archive: the journal failed; until it reopens, exchanges cut off by a crash will not be archived", "err", err)
	}
	ctx, cancel := context.WithTimeout(a.upCtx, a.uploadTO)
	defer cancel()
	if err := a.sink.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
		return err
	}
	records, _ := countRecords(body)
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("uploaded, but cannot remove it from the spool: %w", err)
	}
	a.spoolBytes.Add(-int64(len(body)))
	a.uploaded.Add(1)
	a.upRecords.Add(int64(records))
	a.bytes.Add(int64(len(body)))
	a.donePending(key)
	a.checkRoom()
	return nil
}

// countRecords counts the records (lines) of a gzip NDJSON segment.
func countRecords(body []byte) (int, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	n := 0
	buf := make([]byte, 64<<10)
	for {
		m, err := zr.Read(buf)
		n += bytes.Count(buf[:m], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
