// Package s3test gives tests a real S3-compatible server: versitygw
// (github.com/versity/versitygw, Apache-2.0) with its posix backend on a
// temporary directory, listening on a free 127.0.0.1 port.
//
// The versitygw binary is built from the Go module proxy with
// `go install github.com/versity/versitygw/cmd/versitygw@<Version>` into
// os.UserCacheDir()/hotelrates-s3test (or $S3TEST_CACHE_DIR), once per
// machine; the first build takes about a minute on a 2-core machine, later
// Starts take well under a second. Set S3TEST_VERSITYGW to use a prebuilt
// binary instead.
//
// Typical use:
//
//	srv := s3test.Start(t)
//	srv.CreateBucket(t, "rates")
//	c := srv.Client(t) // or pass srv.Env() to a child process
//
// Clients talking to the server must use path-style addressing
// (UsePathStyle=true): the endpoint is an IP address, so virtual-hosted
// bucket names cannot resolve.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ReadyTimeout bounds how long Start and Restart wait for the server to
// answer a ListBuckets call.
const ReadyTimeout = 30 * time.Second

// maxLogTail is how many bytes of the server log are printed on failure.
const maxLogTail = 32 << 10

// Server is a running versitygw. Its exported fields are fixed for the life
// of the Server, across Stop and Restart.
type Server struct {
	// Endpoint is the S3 endpoint URL, e.g. "http://127.0.0.1:41234".
	Endpoint string
	// AccessKey and SecretKey are the root credentials the server accepts.
	AccessKey, SecretKey string
	// Region is the region the server expects in SigV4 signatures.
	Region string
	// Addr is the listen address, "127.0.0.1:<port>".
	Addr string
	// DataDir is the posix backend root: each subdirectory is a bucket and
	// each file below it an object. It is kept across Stop and Restart and
	// removed with the test's temporary directories.
	DataDir string
	// LogPath is the file receiving the server's stdout and stderr; its tail
	// is logged when the test fails.
	LogPath string

	bin string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// Start builds versitygw if needed (once per machine, cached under a file
// lock with an atomic rename, so parallel test binaries do not clash) and
// starts it on a free loopback port with a fresh posix root in t.TempDir().
// It returns once the server answers ListBuckets. t.Cleanup stops the
// server and, if the test failed, logs the tail of its output. Nothing is
// skipped: a failed build or start is a t.Fatal carrying the output.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	s := &Server{
		AccessKey: "s3testaccess",
		SecretKey: "s3testsecret0123456789",
		Region:    "us-east-1",
		DataDir:   filepath.Join(base, "data"),
		LogPath:   filepath.Join(base, "versitygw.log"),
		bin:       bin,
	}
	if err := os.Mkdir(s.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Registered after t.TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("s3test: versitygw log (%s):\n%s", s.LogPath, s.logTail())
		}
	})

	// A free port is picked by binding :0 and closing it; another process
	// can grab it before versitygw binds, so retry on "address in use".
	const attempts = 5
	for i := 1; ; i++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.Endpoint = "http://" + s.Addr
		err = s.launch()
		if err == nil {
			return s
		}
		if i < attempts && errors.Is(err, errAddrInUse) {
			continue
		}
		t.Fatalf("s3test: start versitygw: %v (server log follows at cleanup)", err)
	}
}

// Stop kills the server with SIGKILL, simulating S3 going down abruptly, and
// waits for the process to exit. The data directory is kept, so Restart
// brings back the same buckets and objects. Stop is idempotent and safe to
// call concurrently.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}

// Restart starts the server again on the same port and data directory
// (stopping it first if it is still running) and waits until it is ready.
// A failure is a t.Fatal with the server log.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		t.Fatalf("s3test: restart versitygw on %s: %v (server log follows at cleanup)", s.Addr, err)
	}
}

// Client returns an aws-sdk-go-v2 S3 client for the server: static
// credentials, BaseEndpoint, path-style addressing, and request checksums
// and response checksum validation only when an operation requires them.
// Its idle connections are closed by t.Cleanup.
func (s *Server) Client(t testing.TB) *s3.Client {
	t.Helper()
	c, closeIdle := s.newClient(0)
	t.Cleanup(closeIdle)
	return c
}

// newClient builds a client; retryMaxAttempts 0 keeps the SDK default. The
// returned function closes the client's idle connections.
func (s *Server) newClient(retryMaxAttempts int) (*s3.Client, func()) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // loopback: never go through HTTP(S)_PROXY
	hc := &http.Client{Transport: tr}
	c := s3.New(s3.Options{
		Region:                     s.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 hc,
		RetryMaxAttempts:           retryMaxAttempts,
	})
	return c, tr.CloseIdleConnections
}

// CreateBucket creates the named bucket, failing the test on error.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	c, closeIdle := s.newClient(0)
	defer closeIdle()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: CreateBucket %q: %v", name, err)
	}
}

// Env returns environment variables that point an AWS SDK or CLI at the
// server: credentials, region, the S3 endpoint, and "when_required"
// checksum settings matching Client. Path-style addressing has no standard
// environment variable; the program must set it itself.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + s.Region,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
		"AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
	}
}

// errAddrInUse reports that versitygw could not bind its port.
var errAddrInUse = errors.New("address already in use")

// launch starts versitygw on s.Addr and waits until it is ready. On failure
// the process is killed and waited for.
func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()

	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== s3test: %s starting versitygw %s on %s\n", time.Now().Format(time.RFC3339Nano), Version, s.Addr)
	cmd := exec.Command(s.bin,
		"--port", s.Addr,
		"--access", s.AccessKey,
		"--secret", s.SecretKey,
		"--region", s.Region,
		"posix", s.DataDir,
	)
	// Drop the variables versitygw reads as flag defaults, so the host
	// environment cannot change its behaviour.
	cmd.Env = filteredEnv(os.Environ(), "VGW_", "ROOT_ACCESS_KEY", "ROOT_SECRET", "LOGFILE=", "WEBHOOK=")
	cmd.Dir = filepath.Dir(s.LogPath)
	// An *os.File is handed to the child directly: no copying goroutine.
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	logf.Close() // the child holds its own descriptor
	if err != nil {
		return err
	}
	done := make(chan struct{})
	// This goroutine ends when the process exits; Stop kills the process and
	// waits for done, so it never outlives Stop or the test's cleanup.
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done

	if err := s.waitReady(done); err != nil {
		s.stopLocked()
		if bytes.Contains(s.logBytes(), []byte("address already in use")) {
			return fmt.Errorf("%w: %v", errAddrInUse, err)
		}
		return err
	}
	return nil
}

// waitReady polls ListBuckets until it succeeds, the process exits, or
// ReadyTimeout passes.
func (s *Server) waitReady(exited <-chan struct{}) error {
	c, closeIdle := s.newClient(1)
	defer closeIdle()
	deadline := time.Now().Add(ReadyTimeout)
	var lastErr error
	for {
		select {
		case <-exited:
			return fmt.Errorf("versitygw exited before becoming ready (last probe: %v)", lastErr)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, lastErr = c.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if lastErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw not ready after %s: %v", ReadyTimeout, lastErr)
		}
		select {
		case <-exited:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// logBytes returns the server log so far (nil if unreadable).
func (s *Server) logBytes() []byte {
	b, _ := os.ReadFile(s.LogPath)
	return b
}

// logTail returns at most the last maxLogTail bytes of the server log.
func (s *Server) logTail() string {
	f, err := os.Open(s.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxLogTail {
		_, _ = f.Seek(fi.Size()-maxLogTail, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimRight(string(b), "\n")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("s3test: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
