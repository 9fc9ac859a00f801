package s3test_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/goleak"

	"hotelrates/internal/s3test"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) error {
	t.Helper()
	_, err := c.PutObject(ctx(t, 10*time.Second), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	return err
}

func get(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(ctx(t, 10*time.Second), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b
}

func TestServerLifecycle(t *testing.T) {
	start := time.Now()
	srv := s3test.Start(t)
	t.Logf("Start took %s; endpoint %s", time.Since(start).Round(time.Millisecond), srv.Endpoint)

	const bucket, key = "rates", "snapshots/2026-12-01/offers.json"
	body := []byte(`{"hotel":"H1","rate":"129.00","currency":"EUR"}`)

	srv.CreateBucket(t, bucket)
	c := srv.Client(t)

	if err := put(t, c, bucket, key, body); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if got := get(t, c, bucket, key); !bytes.Equal(got, body) {
		t.Fatalf("GetObject = %q, want %q", got, body)
	}

	list, err := c.ListObjectsV2(ctx(t, 10*time.Second), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("snapshots/")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != key || aws.ToInt64(list.Contents[0].Size) != int64(len(body)) {
		t.Fatalf("ListObjectsV2 contents = %+v, want exactly %q (%d bytes)", list.Contents, key, len(body))
	}

	// The posix backend stores the object as a plain file under DataDir.
	if onDisk, err := os.ReadFile(filepath.Join(srv.DataDir, bucket, filepath.FromSlash(key))); err != nil || !bytes.Equal(onDisk, body) {
		t.Fatalf("object on disk = %q, %v; want %q", onDisk, err, body)
	}

	// S3 down: writes fail fast.
	srv.Stop()
	srv.Stop() // idempotent
	downCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stoppedAt := time.Now()
	_, err = c.PutObject(downCtx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("while-down"), Body: strings.NewReader("x"),
	})
	if err == nil {
		t.Fatal("PutObject succeeded while the server was stopped")
	}
	t.Logf("PutObject while down failed after %s: %v", time.Since(stoppedAt).Round(time.Millisecond), err)

	// Back up on the same port and data dir: the object survived, the same
	// client works again, and new writes succeed.
	restart := time.Now()
	srv.Restart(t)
	t.Logf("Restart took %s", time.Since(restart).Round(time.Millisecond))
	if got := get(t, c, bucket, key); !bytes.Equal(got, body) {
		t.Fatalf("after restart GetObject = %q, want %q", got, body)
	}
	if err := put(t, c, bucket, "after-restart", []byte("ok")); err != nil {
		t.Fatalf("PutObject after restart: %v", err)
	}
	if got := get(t, c, bucket, "after-restart"); string(got) != "ok" {
		t.Fatalf("GetObject after-restart = %q", got)
	}
}

func TestEnv(t *testing.T) {
	srv := s3test.Start(t)
	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{
		"AWS_ACCESS_KEY_ID=" + srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + srv.SecretKey,
		"AWS_REGION=" + srv.Region,
		"AWS_ENDPOINT_URL_S3=" + srv.Endpoint,
	} {
		if !strings.Contains(env, want) {
			t.Errorf("Env() lacks %q:\n%s", want, env)
		}
	}
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want loopback", srv.Endpoint)
	}
}

// TestDefaultChecksums checks that an SDK client left at its default
// checksum settings (WhenSupported: CRC32 trailers on PutObject) also works
// against versitygw, so code under test need not special-case it.
func TestDefaultChecksums(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "checksums")
	c := s3.NewFromConfig(aws.Config{Region: srv.Region, Credentials: srv.Client(t).Options().Credentials},
		func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.Endpoint); o.UsePathStyle = true })
	if err := put(t, c, "checksums", "k", []byte("hello")); err != nil {
		t.Fatalf("PutObject with default checksums: %v", err)
	}
	if got := get(t, c, "checksums", "k"); string(got) != "hello" {
		t.Fatalf("GetObject = %q", got)
	}
}
