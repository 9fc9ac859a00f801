package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Sink stores archive objects under keys, like an object store: keys are
// '/'-separated paths, an object is written whole or not at all, and
// writing a key again replaces the object. Implementations must be safe
// for concurrent use and must honour ctx: the archiver's Close relies on
// Put returning once its ctx ends.
type Sink interface {
	// Put stores size bytes read from body under key, replacing any object
	// already there. size is the exact length of body (or -1 if unknown).
	// A failed Put leaves no partial object behind.
	Put(ctx context.Context, key string, body io.Reader, size int64) error
	// List returns the objects whose key starts with prefix (a plain string
	// prefix, as in S3), sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Get opens the object at key. A missing object is an error for which
	// errors.Is(err, fs.ErrNotExist) holds.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key     string    // the object's key
	Size    int64     // its length in bytes
	ModTime time.Time // when it was last written
}

// ErrInvalidKey is returned for a key that is empty, absolute, or has an
// empty, ".", ".." or temporary-file path element or a backslash.
var ErrInvalidKey = errors.New("archive: invalid object key")

// tempPrefix starts the names of DirSink's temporary files.
const tempPrefix = ".tmp-"

// DirSink is a Sink that stores each object as a file under a directory,
// at the key's path. Put writes a temporary file in the destination
// directory, fsyncs it, renames it over the key's path and fsyncs the
// directory, so an object is either absent or complete, also after a
// crash. Files are created with mode 0600.
type DirSink struct {
	dir string
}

// NewDirSink returns a DirSink storing objects under dir, creating dir if
// needed.
func NewDirSink(dir string) (*DirSink, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("archive: dir sink: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("archive: dir sink: %w", err)
	}
	return &DirSink{dir: abs}, nil
}

// Dir returns the directory objects are stored under.
func (s *DirSink) Dir() string { return s.dir }

func (s *DirSink) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, `\`) {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." || strings.HasPrefix(el, tempPrefix) {
			return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// Put implements Sink.
func (s *DirSink) Put(ctx context.Context, key string, body io.Reader, size int64) (err error) {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, &ctxReader{ctx: ctx, r: body})
	if err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("archive: put %s: body has %d bytes, want %d", key, n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("archive: put %s: %w", key, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// List implements Sink. Temporary files of unfinished Puts are not listed.
func (s *DirSink) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	// Walk only the deepest directory the prefix names completely.
	root := s.dir
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		if p, err := s.path(prefix[:i]); err == nil {
			root = p
		}
	}
	var out []ObjectInfo
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(s.dir, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("archive: list %q: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Get implements Sink.
func (s *DirSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("archive: get %s: %w", key, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("archive: get %s: %w", key, err)
	}
	return f, nil
}

// ctxReader stops a copy once ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
