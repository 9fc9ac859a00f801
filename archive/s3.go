package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3Options configure an S3 sink. Credentials, region and endpoint come
// from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3, shared config
// files, instance roles); the fields here override it.
type S3Options struct {
	// Region overrides the SDK's region.
	Region string
	// Endpoint overrides the S3 endpoint, for S3-compatible stores.
	Endpoint string
	// PathStyle addresses buckets as ENDPOINT/BUCKET/KEY instead of
	// BUCKET.ENDPOINT/KEY (most S3-compatible stores need it).
	PathStyle bool
}

// S3Sink stores archive segments as objects in an S3 bucket.
type S3Sink struct {
	client *s3.Client
	bucket string
}

// NewS3Sink returns a sink writing to bucket with the SDK's standard
// configuration chain and opts.
func NewS3Sink(ctx context.Context, bucket string, opts S3Options) (*S3Sink, error) {
	if bucket == "" {
		return nil, errors.New("archive: S3 bucket is empty")
	}
	var load []func(*awsconfig.LoadOptions) error
	if opts.Region != "" {
		load = append(load, awsconfig.WithRegion(opts.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("archive: AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = opts.PathStyle
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		// S3-compatible stores often reject the SDK's default checksums.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &S3Sink{client: client, bucket: bucket}, nil
}

// NewS3SinkFromClient returns a sink writing to bucket with a client of
// your own.
func NewS3SinkFromClient(client *s3.Client, bucket string) *S3Sink {
	return &S3Sink{client: client, bucket: bucket}
}

// Bucket returns the sink's bucket.
func (s *S3Sink) Bucket() string { return s.bucket }

// Put implements Sink: one PutObject; writing a key again replaces it.
func (s *S3Sink) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		rs = strings.NewReader(string(b))
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          rs,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String("application/gzip"),
	})
	if err != nil {
		return fmt.Errorf("archive: S3 put %s: %w", key, err)
	}
	return nil
}

// List implements Sink.
func (s *S3Sink) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("archive: S3 list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// Get implements Sink.
func (s *S3Sink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		var nk *types.NoSuchKey
		if errors.As(err, &nk) {
			return nil, fmt.Errorf("archive: S3 get %s: %w", key, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("archive: S3 get %s: %w", key, err)
	}
	return out.Body, nil
}

// OpenSink returns the sink an archive URL names: file:///DIR or
// s3://BUCKET[/PREFIX]. For s3 it also returns the key prefix.
func OpenSink(ctx context.Context, rawURL string, s3opts S3Options) (Sink, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("archive: URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		dir := u.Path
		if u.Host != "" && u.Host != "localhost" {
			dir = u.Host + u.Path // file://./data: a relative path
		}
		if dir == "" {
			return nil, "", fmt.Errorf("archive: URL %q names no directory", rawURL)
		}
		s, err := NewDirSink(dir)
		return s, "", err
	case "s3":
		s, err := NewS3Sink(ctx, u.Host, s3opts)
		return s, strings.Trim(u.Path, "/"), err
	}
	return nil, "", fmt.Errorf("archive: URL %q: the scheme must be file or s3", rawURL)
}
