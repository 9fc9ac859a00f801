// Package spectest checks the sandbox suppliers' wire formats against the
// suppliers' published API specifications (OpenAPI 3 or Swagger 2.0), for
// contract tests. The specifications are not part of the repository: a test
// finds them in the directory named by $HOTELRATES_SPECS, else in
// shared/specs beside the module's directory, and skips with a message
// saying so when they are absent.
package spectest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// EnvDir names the environment variable holding the specifications'
// directory.
const EnvDir = "HOTELRATES_SPECS"

// Dir returns the specifications' directory, or skips the test when it
// cannot be found.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv(EnvDir); d != "" {
		if _, err := os.Stat(d); err != nil {
			t.Skipf("contract test skipped: $%s=%s: %v", EnvDir, d, err)
		}
		return d
	}
	_, file, _, _ := runtime.Caller(0) // .../internal/spectest/spectest.go
	d := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "specs")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("contract test skipped: the published API specifications are not on this machine (set $%s to their directory)", EnvDir)
	}
	return d
}

// Contract validates requests and responses against one specification.
type Contract struct {
	doc    *openapi3.T
	router routers.Router
	base   string // the path prefix of the spec's server, such as "/v3"
}

// host is the stand-in host the specification's server is rewritten to, so
// that requests to a sandbox on any address match its routes.
const host = "spec.test"

// Load reads the specification file (JSON or YAML; Swagger 2.0 is
// converted to OpenAPI 3) under Dir and returns its contract. The
// specification's servers are replaced by one, at the path of its first
// server (or Swagger basePath), so Request and Response take requests to
// any host.
func Load(t testing.TB, file string) *Contract {
	t.Helper()
	path := filepath.Join(Dir(t), file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("spec %s: %v", file, err)
	}
	doc, err := load(data)
	if err != nil {
		t.Fatalf("spec %s: %v", file, err)
	}
	base := ""
	if len(doc.Servers) > 0 {
		if u, err := url.Parse(doc.Servers[0].URL); err == nil {
			base = strings.TrimSuffix(u.Path, "/")
		}
	}
	doc.Servers = openapi3.Servers{{URL: "http://" + host + base}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("spec %s: router: %v", file, err)
	}
	return &Contract{doc: doc, router: r, base: base}
}

func load(data []byte) (*openapi3.T, error) {
	var probe struct {
		Swagger string `json:"swagger" yaml:"swagger"`
	}
	_ = json.Unmarshal(data, &probe)
	loader := openapi3.NewLoader()
	if probe.Swagger != "" {
		var d2 openapi2.T
		if err := json.Unmarshal(data, &d2); err != nil {
			return nil, err
		}
		return openapi2conv.ToV3(&d2)
	}
	return loader.LoadFromData(data)
}

// Base returns the path prefix of the specification's server, such as
// "/v3".
func (c *Contract) Base() string { return c.base }

// Doc returns the parsed specification.
func (c *Contract) Doc() *openapi3.T { return c.doc }

var options = &openapi3filter.Options{
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	MultiError:         true,
}

// input returns the validation input of a request made to path (the API's
// path, such as "/v3/shopping/hotel-offers"; a sandbox's mount prefix is
// the caller's to strip) with its query, headers and body.
func (c *Contract) input(method, path, rawQuery string, header http.Header, body []byte) (*openapi3filter.RequestValidationInput, error) {
	u := &url.URL{Scheme: "http", Host: host, Path: path, RawQuery: rawQuery}
	req, err := http.NewRequestWithContext(context.Background(), method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, err
	}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: options}, nil
}

// Request returns the specification's objections to a request made to path
// (the API's path, such as "/v3/shopping/hotel-offers"), or nil.
func (c *Contract) Request(method, path, rawQuery string, header http.Header, body []byte) error {
	in, err := c.input(method, path, rawQuery, header, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// Response returns the specification's objections to the response (status,
// headers, body; a gzip body is decompressed first) to a request made to
// path, or nil.
func (c *Contract) Response(method, path, rawQuery string, reqHeader http.Header, status int, header http.Header, body []byte) error {
	in, err := c.input(method, path, rawQuery, reqHeader, nil)
	if err != nil {
		return err
	}
	if strings.EqualFold(header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return err
		}
		if body, err = io.ReadAll(zr); err != nil {
			return err
		}
		header = header.Clone()
		header.Del("Content-Encoding")
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                options,
	}
	return openapi3filter.ValidateResponse(context.Background(), out)
}
