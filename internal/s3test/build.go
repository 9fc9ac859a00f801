package s3test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Version is the versitygw release that Start builds and runs. It is fetched
// from the Go module proxy and built with `go install module@version`
// semantics, so it never enters this module's go.mod.
const Version = "v1.8.0"

// versitygwPkg is the main package of versitygw.
const versitygwPkg = "github.com/versity/versitygw/cmd/versitygw"

// BinaryEnv names an environment variable that, when set, is the path of a
// prebuilt versitygw binary to use instead of building one (for example a CI
// cache). The binary is used as is; its version is not checked.
const BinaryEnv = "S3TEST_VERSITYGW"

// CacheDirEnv names an environment variable that, when set, overrides the
// directory under which the built binary is cached (default:
// os.UserCacheDir()/hotelrates-s3test).
const CacheDirEnv = "S3TEST_CACHE_DIR"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary returns the path of a versitygw executable, building it on first use
// in this process. The result, success or failure, is remembered for the rest
// of the process so a failing build is not retried by every test.
func binary() (string, error) {
	binOnce.Do(func() { binPath, binErr = findOrBuild() })
	return binPath, binErr
}

// cacheRoot returns the directory that holds cached versitygw builds.
func cacheRoot() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "hotelrates-s3test"), nil
}

// findOrBuild returns the cached binary, building it under a file lock (so
// parallel test binaries build it only once) and installing it by an atomic
// rename (so nobody ever sees a half-written file).
func findOrBuild() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("s3test: %s=%q: %w", BinaryEnv, p, err)
		}
		return p, nil
	}
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, fmt.Sprintf("versitygw-%s-%s_%s", Version, runtime.GOOS, runtime.GOARCH))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("s3test: create cache dir: %w", err)
	}
	final := filepath.Join(dir, "versitygw")
	if isExecutable(final) {
		return final, nil
	}

	unlock, err := lockFile(filepath.Join(dir, "build.lock"))
	if err != nil {
		return "", fmt.Errorf("s3test: lock build dir: %w", err)
	}
	defer unlock()
	if isExecutable(final) { // built by another process while we waited
		return final, nil
	}

	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	defer os.RemoveAll(tmp)

	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("s3test: go toolchain not found in PATH: %w", err)
	}
	args := []string{"install",
		"-ldflags=-X=main.Version=" + Version,
		versitygwPkg + "@" + Version}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = tmp // outside any module: builds in versitygw's own module context
	cmd.Env = append(filteredEnv(os.Environ(), "GOBIN=", "GOFLAGS=", "GOWORK=", "CGO_ENABLED=", "GOOS=", "GOARCH="),
		"GOBIN="+tmp,
		"GOFLAGS=-mod=mod",
		"GOWORK=off",
		"CGO_ENABLED=0",
	)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("s3test: building versitygw failed after %s: %s %s: %w\n%s",
			time.Since(start).Round(time.Millisecond), goBin, strings.Join(args, " "), err, out)
	}
	built := filepath.Join(tmp, "versitygw")
	if !isExecutable(built) {
		return "", fmt.Errorf("s3test: go install succeeded but %s is missing\n%s", built, out)
	}
	if err := os.Rename(built, final); err != nil {
		return "", fmt.Errorf("s3test: install versitygw: %w", err)
	}
	return final, nil
}

// isExecutable reports whether p is a regular file with an execute bit.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// filteredEnv returns env without the entries that start with any of the
// given prefixes.
func filteredEnv(env []string, prefixes ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
